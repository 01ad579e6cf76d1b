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
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { asn1js, OID, parsePkijsCertificate, pkijs, toArrayBuffer, x509 } from '../certificates/x509.ts';

export interface SignedAttributesResult {
  attributes: pkijs.Attribute[];
  /** DER of SET OF Attribute: the bytes to sign. */
  der: Uint8Array;
}

/**
 * What does not change between two signatures with the same certificate is built once, per certificate DER:
 * the parsed certificate, its encoding for the CMS certificate set, the signer identifier (issuer and serial),
 * the ESS signing-certificate-v2 attribute and the content-type attribute. asn1js re-encodes a parsed
 * structure node by node (about 0.5 ms for one certificate), so these parts are kept encoded (EncodedBlock)
 * and copied as they are into each SignedData built by pkijs. The cache is keyed by the DER's SHA-256 (the
 * two-phase flow hands new buffers for the same certificate), bounded, and only read.
 */
interface CertificateParts {
  cert: pkijs.Certificate;
  /** The certificate for SignedData.certificates, written as its original DER. */
  encoded: EncodedCertificate;
  sid: EncodedBlock;
  signatureAlgorithm: string;
  essAttribute: EncodedAttribute;
  publicKey: KeyObject;
}

/** An asn1js block whose DER is already known: written as is by the enclosing structure's toBER. */
export class EncodedBlock extends asn1js.BaseBlock {
  constructor(readonly der: Uint8Array) {
    super({});
  }

  override toBER(sizeOnly?: boolean, writer?: asn1js.ViewWriter): ArrayBuffer {
    const buf = sizeOnly ? new ArrayBuffer(this.der.byteLength) : toArrayBuffer(this.der);
    if (writer) writer.write(buf);
    return buf;
  }
}

/** DER length octets (definite form). */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One DER element: tag, definite length, then the already encoded content parts. */
function tlv(tag: number, parts: Uint8Array[]): Buffer {
  const length = parts.reduce((n, p) => n + p.length, 0);
  return Buffer.concat([Buffer.from([tag]), derLength(length), ...parts], 1 + derLength(length).length + length);
}

/** The DER of a frozen pkijs object (see frozen()). */
const derOf = (object: { toSchema(): unknown }): Uint8Array => (object.toSchema() as EncodedBlock).der;

/** A pkijs Attribute that keeps its exact DER (signed attributes must be written as they were signed). */
class EncodedAttribute extends pkijs.Attribute {
  constructor(type: string, values: unknown[], readonly der: Uint8Array) {
    super({ type, values });
  }

  override toSchema(): asn1js.Sequence {
    return new EncodedBlock(this.der) as unknown as asn1js.Sequence;
  }
}

function encodeAttribute(attribute: pkijs.Attribute): EncodedAttribute {
  return new EncodedAttribute(attribute.type, attribute.values, new Uint8Array(attribute.toSchema().toBER(false)));
}

/** A pkijs Certificate written as its original DER in a certificate set. */
class EncodedCertificate extends pkijs.Certificate {
  constructor(schema: asn1js.AsnType, readonly der: Uint8Array) {
    super({ schema });
  }

  override toSchema(): asn1js.Sequence {
    return new EncodedBlock(this.der) as unknown as asn1js.Sequence;
  }
}

/** Makes a pkijs object write its current encoding, computed once (the object must not change afterwards). */
function frozen<T extends { toSchema(): unknown }>(object: T): T {
  const block = new EncodedBlock(new Uint8Array((object.toSchema() as asn1js.BaseBlock).toBER(false)));
  object.toSchema = () => block;
  return object;
}

const sha256Algorithm = frozen(new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }));
const dataContentInfo = frozen(new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }));
const signatureAlgorithms = new Map<string, pkijs.AlgorithmIdentifier>([
  [OID.sha256WithRSA, frozen(new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256WithRSA, algorithmParams: new asn1js.Null() }))],
  [OID.ecdsaWithSHA256, frozen(new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSHA256 }))],
]);

const certificateParts = new Map<string, CertificateParts>();
const MAX_CACHED_CERTIFICATES = 256;

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

function partsOf(der: Uint8Array): CertificateParts {
  const key = Buffer.from(sha256(der)).toString('hex');
  let parts = certificateParts.get(key);
  if (parts) return parts;
  const cert = parsePkijsCertificate(der);
  const asn = asn1js.fromBER(toArrayBuffer(der));
  if (asn.offset === -1) throw new Error('certificate is not DER');
  const sid = new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber });
  parts = {
    cert,
    encoded: new EncodedCertificate(asn.result, new Uint8Array(der)),
    sid: new EncodedBlock(new Uint8Array(sid.toSchema().toBER(false))),
    signatureAlgorithm: algorithmOf(cert, der),
    essAttribute: encodeAttribute(signingCertificateV2(cert, der)),
    publicKey: new X509Certificate(Buffer.from(der)).publicKey,
  };
  if (certificateParts.size >= MAX_CACHED_CERTIFICATES) certificateParts.delete(certificateParts.keys().next().value!);
  certificateParts.set(key, parts);
  return parts;
}

function signingCertificateV2(cert: pkijs.Certificate, certDer: Uint8Array): pkijs.Attribute {
  const issuerSerial = new pkijs.IssuerSerial({
    issuer: new pkijs.GeneralNames({ names: [new pkijs.GeneralName({ type: 4, value: cert.issuer })] }),
    serialNumber: cert.serialNumber,
  });
  // ESSCertIDv2: hashAlgorithm omitted = SHA-256 (DEFAULT), certHash, issuerSerial
  const essCertIdV2 = new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: toArrayBuffer(sha256(certDer)) }), issuerSerial.toSchema()] });
  const signingCertV2 = new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] });
  return new pkijs.Attribute({ type: OID.signingCertificateV2, values: [signingCertV2] });
}

const contentTypeAttribute = encodeAttribute(new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }));

/** DER SET OF requires the elements sorted by their encodings. */
function sortForDer(attrs: EncodedAttribute[]): EncodedAttribute[] {
  return [...attrs].sort((x, y) => Buffer.compare(x.der, y.der));
}

/** The bytes a CMS signature covers: the signed attributes re-tagged from [0] IMPLICIT to SET (RFC 5652 §5.4). */
export function signedAttributesDer(attributes: pkijs.Attribute[]): Uint8Array {
  if (attributes.every((a) => a instanceof EncodedAttribute)) return new Uint8Array(tlv(0x31, attributes.map((a) => a.der)));
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

/**
 * The message-digest attribute: its DER is a constant prefix (as pkijs encodes it for a 32-byte digest) followed
 * by the SHA-256 digest, so it is written by concatenation instead of encoding the structure every time.
 */
const messageDigestPrefix = ((): Uint8Array => {
  const der = encodeAttribute(new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: new ArrayBuffer(32) })] })).der;
  return der.subarray(0, der.length - 32);
})();

function messageDigestAttribute(digest: Uint8Array): EncodedAttribute {
  const value = new asn1js.OctetString({ valueHex: toArrayBuffer(digest) });
  if (digest.length !== 32) return encodeAttribute(new pkijs.Attribute({ type: OID.messageDigest, values: [value] }));
  const der = new Uint8Array(messageDigestPrefix.length + digest.length);
  der.set(messageDigestPrefix);
  der.set(digest, messageDigestPrefix.length);
  return new EncodedAttribute(OID.messageDigest, [value], der);
}

export function buildSignedAttributes(documentDigest: Uint8Array, signerCertDer: Uint8Array, options: { signingTime?: Date } = {}): SignedAttributesResult {
  const attributes = sortForDer([
    contentTypeAttribute,
    messageDigestAttribute(documentDigest),
    ...(options.signingTime ? [encodeAttribute(signingTimeAttribute(options.signingTime))] : []),
    partsOf(signerCertDer).essAttribute,
  ]);
  const der = signedAttributesDer(attributes);
  builtAttributes.set(der, { der: new Uint8Array(der), attributes });
  return { attributes, der };
}

/** Attributes built in this process, by the DER buffer handed out: the one-step path need not parse them back. */
const builtAttributes = new WeakMap<Uint8Array, { der: Uint8Array; attributes: pkijs.Attribute[] }>();

/**
 * Re-reads signed attributes from their DER (SET OF), e.g. when assembling a two-phase signature. Each
 * attribute keeps its exact encoding, so the CMS carries the bytes that were signed.
 */
export function parseSignedAttributes(der: Uint8Array): pkijs.Attribute[] {
  const built = builtAttributes.get(der);
  if (built && Buffer.from(built.der).equals(Buffer.from(der))) return built.attributes;
  const asn = asn1js.fromBER(toArrayBuffer(der));
  if (asn.offset === -1 || !(asn.result instanceof asn1js.Set)) throw new Error('signed attributes are not a DER SET');
  return asn.result.valueBlock.value.map((v) => {
    const items = v instanceof asn1js.Sequence ? v.valueBlock.value : [];
    const [type, values] = items;
    if (items.length !== 2 || !(type instanceof asn1js.ObjectIdentifier) || !(values instanceof asn1js.Set)) throw new Error('signed attribute is not a SEQUENCE { OID, SET }');
    return new EncodedAttribute(type.valueBlock.toString(), values.valueBlock.value, new Uint8Array(v.valueBeforeDecodeView));
  });
}

function algorithmOf(cert: pkijs.Certificate, der: Uint8Array): string {
  const spkiAlg = cert.subjectPublicKeyInfo.algorithm.algorithmId;
  if (spkiAlg === OID.ecPublicKey) return OID.ecdsaWithSHA256;
  if (spkiAlg === OID.rsaEncryption) return OID.sha256WithRSA;
  // other encodings of the key: let @peculiar/x509 name the algorithm
  return new x509.X509Certificate(toArrayBuffer(der)).publicKey.algorithm.name === 'ECDSA' ? OID.ecdsaWithSHA256 : OID.sha256WithRSA;
}

/** The certificate's public key for node:crypto (parsed once per certificate). */
export function certificatePublicKey(certDer: Uint8Array): KeyObject {
  return partsOf(certDer).publicKey;
}

export function signatureAlgorithmOid(certDer: Uint8Array): string {
  return partsOf(certDer).signatureAlgorithm;
}

export interface CmsInput {
  attributes: pkijs.Attribute[];
  signatureValue: Uint8Array;
  /** Signer certificate first, then the chain (DER). */
  certificates: Uint8Array[];
  timestampToken?: Uint8Array;
}

const signedDataOid = new Uint8Array(new asn1js.ObjectIdentifier({ value: OID.signedData }).toBER(false));
const timeStampTokenOid = new Uint8Array(new asn1js.ObjectIdentifier({ value: OID.timeStampToken }).toBER(false));
const versionOne = Uint8Array.from([0x02, 0x01, 0x01]);

/**
 * ContentInfo { signedData, [0] SignedData } written by concatenating DER parts that are all known already
 * (certificates, signer identifier, algorithm identifiers and signed attributes kept encoded, see above): the
 * same bytes pkijs writes for this structure (checked by the tests), without building and encoding the tree.
 *   SignedData ::= SEQUENCE { version 1, digestAlgorithms SET { sha256 }, encapContentInfo { data },
 *                             certificates [0] IMPLICIT, signerInfos SET { SignerInfo } }
 *   SignerInfo ::= SEQUENCE { version 1, sid IssuerAndSerialNumber, digestAlgorithm sha256,
 *                             signedAttrs [0] IMPLICIT, signatureAlgorithm, signature OCTET STRING,
 *                             unsignedAttrs [1] IMPLICIT (signature timestamp, B-T) }
 */
export function buildCms(input: CmsInput): Uint8Array {
  const [signerDer, ...rest] = input.certificates;
  if (!signerDer) throw new Error('no signer certificate');
  const signer = partsOf(signerDer);
  const attributes = input.attributes.map((a) => (a instanceof EncodedAttribute ? a.der : new Uint8Array(a.toSchema().toBER(false))));
  let unsigned: Buffer[] = [];
  if (input.timestampToken) {
    const token = asn1js.fromBER(toArrayBuffer(input.timestampToken));
    if (token.offset === -1) throw new Error('timestamp token is not DER');
    const attribute = tlv(0x30, [timeStampTokenOid, tlv(0x31, [input.timestampToken.subarray(0, token.offset)])]);
    unsigned = [tlv(0xa1, [attribute])];
  }
  const signerInfo = tlv(0x30, [
    versionOne,
    signer.sid.der,
    derOf(sha256Algorithm),
    tlv(0xa0, attributes),
    derOf(signatureAlgorithms.get(signer.signatureAlgorithm)!),
    tlv(0x04, [input.signatureValue]),
    ...unsigned,
  ]);
  const signedData = tlv(0x30, [
    versionOne,
    tlv(0x31, [derOf(sha256Algorithm)]),
    derOf(dataContentInfo),
    tlv(0xa0, [signer.encoded.der, ...rest.map((der) => partsOf(der).encoded.der)]),
    tlv(0x31, [signerInfo]),
  ]);
  const contentInfo = tlv(0x30, [signedDataOid, tlv(0xa0, [signedData])]);
  return new Uint8Array(contentInfo.buffer, contentInfo.byteOffset, contentInfo.length);
}

/** The top-level elements of a ContentInfo { signedData, SignedData }, each kept as the bytes it was read from. */
interface SignedDataElements {
  version: Uint8Array;
  digestAlgorithms: Uint8Array[];
  encapContentInfo: Uint8Array;
  certificates: Uint8Array[];
  crls: Uint8Array[];
  signerInfos: Uint8Array[];
}

const bytesOf = (block: asn1js.AsnType): Uint8Array => new Uint8Array((block as asn1js.BaseBlock).valueBeforeDecodeView);
const childrenOf = (block: asn1js.AsnType): asn1js.AsnType[] => ((block as asn1js.Constructed).valueBlock?.value ?? []) as asn1js.AsnType[];

/** Splits a SignedData ContentInfo (read by asn1js) into its elements; throws when the structure is not that. */
function signedDataElements(der: Uint8Array): SignedDataElements {
  const asn = asn1js.fromBER(toArrayBuffer(der));
  if (asn.offset === -1 || asn.offset !== der.length) throw new Error('not a single BER element');
  const [type, explicit] = childrenOf(asn.result);
  if (!(type instanceof asn1js.ObjectIdentifier) || type.valueBlock.toString() !== OID.signedData || !explicit) throw new Error('not a signedData ContentInfo');
  const [sd] = childrenOf(explicit);
  if (!(sd instanceof asn1js.Sequence)) throw new Error('SignedData is not a SEQUENCE');
  const items = childrenOf(sd);
  const [version, digestAlgorithms, encap] = items;
  const signerInfos = items[items.length - 1];
  if (!(version instanceof asn1js.Integer) || !(digestAlgorithms instanceof asn1js.Set) || !(encap instanceof asn1js.Sequence) || !(signerInfos instanceof asn1js.Set)) throw new Error('SignedData elements out of shape');
  const tagged = (n: number) => items.slice(3, -1).find((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === n);
  const certificates = tagged(0);
  const crls = tagged(1);
  return {
    version: bytesOf(version),
    digestAlgorithms: childrenOf(digestAlgorithms).map(bytesOf),
    encapContentInfo: bytesOf(encap),
    certificates: certificates ? childrenOf(certificates).map(bytesOf) : [],
    crls: crls ? childrenOf(crls).map(bytesOf) : [],
    signerInfos: childrenOf(signerInfos).map(bytesOf),
  };
}

/** DER SET OF: distinct elements sorted by their encodings (X.690 §11.6). */
function derSetOf(tag: number, elements: Uint8Array[]): Buffer {
  const distinct = new Map(elements.map((e) => [Buffer.from(e).toString('hex'), e]));
  return tlv(tag, [...distinct.values()].sort((x, y) => Buffer.compare(x, y)));
}

/**
 * Co-signature (RFC 5652 §5.1: one SignedData, several SignerInfos): the SignedData `existing` with the signer
 * of `added` (a one-signer SignedData over the same detached content) joined to it. Every element already in
 * `existing` is copied as the bytes it was read from, so the earlier SignerInfos and their timestamps are kept
 * byte for byte; pkijs is not used to write it because it re-encodes each SignerInfo from its parsed tree and
 * writes a SET OF in insertion order. digestAlgorithms, certificates and signerInfos become the unions, each a
 * DER SET OF (sorted). The callers check that both are detached signatures over the same content.
 */
export function addSignerToCms(existing: Uint8Array, added: Uint8Array): Uint8Array {
  const a = signedDataElements(existing);
  const b = signedDataElements(added);
  if (b.signerInfos.length !== 1) throw new Error('the added CMS must hold exactly one SignerInfo');
  // Version: the existing one (at least 1); a v1 SignerInfo with issuerAndSerialNumber raises nothing (§5.1).
  const version = a.version.length === 3 && a.version[2]! < 1 ? versionOne : a.version;
  const signedData = tlv(0x30, [
    version,
    derSetOf(0x31, [...a.digestAlgorithms, ...b.digestAlgorithms]),
    a.encapContentInfo,
    derSetOf(0xa0, [...a.certificates, ...b.certificates]),
    ...(a.crls.length ? [derSetOf(0xa1, a.crls)] : []),
    derSetOf(0x31, [...a.signerInfos, ...b.signerInfos]),
  ]);
  const contentInfo = tlv(0x30, [signedDataOid, tlv(0xa0, [signedData])]);
  return new Uint8Array(contentInfo.buffer, contentInfo.byteOffset, contentInfo.length);
}

/** The same ContentInfo built and encoded by pkijs: the reference buildCms is checked against (tests). */
export function buildCmsWithPkijs(input: CmsInput): Uint8Array {
  const [signerDer, ...rest] = input.certificates;
  if (!signerDer) throw new Error('no signer certificate');
  const signer = partsOf(signerDer);
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: signer.sid,
    digestAlgorithm: sha256Algorithm,
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: input.attributes }),
    signatureAlgorithm: signatureAlgorithms.get(signer.signatureAlgorithm)!,
    signature: new asn1js.OctetString({ valueHex: toArrayBuffer(input.signatureValue) }),
  });
  if (input.timestampToken) {
    const token = asn1js.fromBER(toArrayBuffer(input.timestampToken));
    if (token.offset === -1) throw new Error('timestamp token is not DER');
    signerInfo.unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({
      type: 1,
      attributes: [new pkijs.Attribute({ type: OID.timeStampToken, values: [new EncodedBlock(new Uint8Array(input.timestampToken.subarray(0, token.offset)))] })],
    });
  }
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: dataContentInfo,
    digestAlgorithms: [sha256Algorithm],
    certificates: [signer.encoded, ...rest.map((der) => partsOf(der).encoded)],
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

/** The certificate of the (first) signer of a SignedData, found in its certificate set by issuer and serial. */
export function signerCertificateOf(sd: pkijs.SignedData): pkijs.Certificate | undefined {
  const sid = sd.signerInfos[0]?.sid;
  const certs = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  if (!(sid instanceof pkijs.IssuerAndSerialNumber)) return certs.length === 1 ? certs[0] : undefined;
  return certs.find((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber));
}

/** The DER of the signature timestamp token (unsigned attribute of the first signer, B-T), if any. */
export function signatureTimestampToken(sd: pkijs.SignedData): Uint8Array | undefined {
  const attr = sd.signerInfos[0]?.unsignedAttrs?.attributes.find((x) => x.type === OID.timeStampToken);
  return attr ? new Uint8Array((attr.values[0] as { toBER(s: boolean): ArrayBuffer }).toBER(false)) : undefined;
}
