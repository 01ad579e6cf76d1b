/**
 * CAdES detached CMS for PAdES baseline, built with pkijs. We build it ourselves instead of using
 * @libpdf/core's builder because that one always writes a signing-time attribute, which PAdES baseline
 * forbids (ETSI EN 319 142-1 §6.3; upstream issue LibPDF-js/core#86). Signed attributes: content-type,
 * message-digest, ESS signing-certificate-v2. No signing-time for PAdES: the claimed time is /M in the
 * signature dictionary, and the proven time comes from the signature timestamp (B-T).
 *
 * The same builder makes the detached CAdES signatures of other files (../cades): there the baseline
 * (ETSI EN 319 122-1 §5.2.1) requires the signing-time attribute, passed as `signingTime`.
 */
import { createHash } from 'node:crypto';
import { asn1js, OID, parsePkijsCertificate, pkijs, toArrayBuffer, x509 } from '../certificates/x509.ts';

export interface SignedAttributesResult {
  attributes: pkijs.Attribute[];
  /** DER of SET OF Attribute: the bytes to sign. */
  der: Uint8Array;
}

/**
 * Parsed certificates, per DER buffer: a seal's key source hands the same chain buffers for every signature,
 * and parsing a certificate with pkijs costs more than the RSA signature itself. The objects are only read.
 */
const parsedCertificates = new WeakMap<Uint8Array, pkijs.Certificate>();
function parsedCertificate(der: Uint8Array): pkijs.Certificate {
  let cert = parsedCertificates.get(der);
  if (!cert) {
    cert = parsePkijsCertificate(der);
    parsedCertificates.set(der, cert);
  }
  return cert;
}

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

function signingCertificateV2(certDer: Uint8Array): pkijs.Attribute {
  const cert = parsedCertificate(certDer);
  const issuerSerial = new pkijs.IssuerSerial({
    issuer: new pkijs.GeneralNames({ names: [new pkijs.GeneralName({ type: 4, value: cert.issuer })] }),
    serialNumber: cert.serialNumber,
  });
  // ESSCertIDv2: hashAlgorithm omitted = SHA-256 (DEFAULT), certHash, issuerSerial
  const essCertIdV2 = new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: toArrayBuffer(sha256(certDer)) }), issuerSerial.toSchema()] });
  const signingCertV2 = new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] });
  return new pkijs.Attribute({ type: OID.signingCertificateV2, values: [signingCertV2] });
}

/** DER SET OF requires the elements sorted by their encodings. */
function sortForDer(attrs: pkijs.Attribute[]): pkijs.Attribute[] {
  const encoded = attrs.map((a) => ({ a, der: Buffer.from(a.toSchema().toBER(false)) }));
  encoded.sort((x, y) => Buffer.compare(x.der, y.der));
  return encoded.map((e) => e.a);
}

/** The bytes a CMS signature covers: the signed attributes re-tagged from [0] IMPLICIT to SET (RFC 5652 §5.4). */
export function signedAttributesDer(attributes: pkijs.Attribute[]): Uint8Array {
  const encoded = new Uint8Array(new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes }).toSchema().toBER(false));
  encoded[0] = 0x31;
  return encoded;
}

/** RFC 5652 §11.3: UTCTime for dates from 1950 to 2049, GeneralizedTime otherwise; whole seconds. */
function signingTimeAttribute(at: Date): pkijs.Attribute {
  const t = new Date(Math.floor(at.getTime() / 1000) * 1000);
  const y = t.getUTCFullYear();
  const value = y >= 1950 && y < 2050 ? new asn1js.UTCTime({ valueDate: t }) : new asn1js.GeneralizedTime({ valueDate: t });
  return new pkijs.Attribute({ type: OID.signingTime, values: [value] });
}

export function buildSignedAttributes(documentDigest: Uint8Array, signerCertDer: Uint8Array, options: { signingTime?: Date } = {}): SignedAttributesResult {
  const attributes = sortForDer([
    new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
    new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: toArrayBuffer(documentDigest) })] }),
    ...(options.signingTime ? [signingTimeAttribute(options.signingTime)] : []),
    signingCertificateV2(signerCertDer),
  ]);
  return { attributes, der: signedAttributesDer(attributes) };
}

/** Re-reads signed attributes from their DER (SET OF), e.g. when assembling a two-phase signature. */
export function parseSignedAttributes(der: Uint8Array): pkijs.Attribute[] {
  const asn = asn1js.fromBER(toArrayBuffer(der));
  if (asn.offset === -1 || !(asn.result instanceof asn1js.Set)) throw new Error('signed attributes are not a DER SET');
  return asn.result.valueBlock.value.map((v) => new pkijs.Attribute({ schema: v }));
}

export function signatureAlgorithmOid(certDer: Uint8Array): string {
  const spkiAlg = parsedCertificate(certDer).subjectPublicKeyInfo.algorithm.algorithmId;
  if (spkiAlg === OID.ecPublicKey) return OID.ecdsaWithSHA256;
  if (spkiAlg === OID.rsaEncryption) return OID.sha256WithRSA;
  // other encodings of the key: let @peculiar/x509 name the algorithm
  return new x509.X509Certificate(toArrayBuffer(certDer)).publicKey.algorithm.name === 'ECDSA' ? OID.ecdsaWithSHA256 : OID.sha256WithRSA;
}

export interface CmsInput {
  attributes: pkijs.Attribute[];
  signatureValue: Uint8Array;
  /** Signer certificate first, then the chain (DER). */
  certificates: Uint8Array[];
  timestampToken?: Uint8Array;
}

export function buildCms(input: CmsInput): Uint8Array {
  const [signerDer, ...rest] = input.certificates;
  if (!signerDer) throw new Error('no signer certificate');
  const signer = parsedCertificate(signerDer);
  const signatureAlgorithm = signatureAlgorithmOid(signerDer);
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: signer.issuer, serialNumber: signer.serialNumber }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: input.attributes }),
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: signatureAlgorithm,
      ...(signatureAlgorithm === OID.sha256WithRSA ? { algorithmParams: new asn1js.Null() } : {}),
    }),
    signature: new asn1js.OctetString({ valueHex: toArrayBuffer(input.signatureValue) }),
  });
  if (input.timestampToken) {
    const token = asn1js.fromBER(toArrayBuffer(input.timestampToken));
    if (token.offset === -1) throw new Error('timestamp token is not DER');
    signerInfo.unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({
      type: 1,
      attributes: [new pkijs.Attribute({ type: OID.timeStampToken, values: [token.result] })],
    });
  }
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 })],
    certificates: [signer, ...rest.map(parsedCertificate)],
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

/** Parses a CMS ContentInfo holding SignedData. */
export function parseCms(der: Uint8Array): pkijs.SignedData {
  const asn = asn1js.fromBER(toArrayBuffer(der));
  if (asn.offset === -1) throw new Error('CMS is not BER/DER');
  const ci = new pkijs.ContentInfo({ schema: asn.result });
  if (ci.contentType !== OID.signedData) throw new Error(`CMS content type ${ci.contentType} is not signedData`);
  return new pkijs.SignedData({ schema: ci.content });
}
