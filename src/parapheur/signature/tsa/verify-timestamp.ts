/**
 * RFC 3161 token inspection and verification: TSTInfo, imprint against the stamped data, CMS signature of the
 * token, and (in `verifyTimestampToken`) the TSA certificate: trusted chain, critical timeStamping EKU,
 * revocation, validity at the time of stamping.
 */
import { createHash } from 'node:crypto';
import { checkCertificate, type CertificateEvidence } from '../certificates/verify-certificate.ts';
import type { CrlSource } from '../certificates/crl-source.ts';
import { asn1js, certDer, HASH_BY_OID, OID, pkijs, toArrayBuffer } from '../certificates/x509.ts';

export interface TimestampInfo {
  genTime?: Date;
  hashAlgorithm?: string;
  imprintMatches: boolean;
  signatureValid: boolean;
  nonce?: string;
  serialNumber?: string;
  policy?: string;
  /** TSA certificate (DER), when found in the token. */
  tsaCertificate?: Uint8Array;
  certificates: Uint8Array[];
  error?: string;
}

export interface TimestampVerification extends TimestampInfo {
  valid: boolean;
  certificate?: CertificateEvidence;
}

function hexOf(int: asn1js.Integer | undefined): string | undefined {
  return int ? Buffer.from(int.valueBlock.valueHexView).toString('hex').replace(/^0+/, '') : undefined;
}

/** Parses the token and checks imprint + CMS signature; the TSA certificate is not judged here. */
export async function inspectTimestampToken(token: Uint8Array, stampedData: Uint8Array): Promise<TimestampInfo> {
  const info: TimestampInfo = { imprintMatches: false, signatureValid: false, certificates: [] };
  try {
    const asn = asn1js.fromBER(toArrayBuffer(token));
    if (asn.offset === -1) throw new Error('token is not DER');
    const signedData = new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: asn.result }).content });
    if (signedData.encapContentInfo.eContentType !== OID.tstInfo) throw new Error('token does not hold a TSTInfo');
    const eContent = signedData.encapContentInfo.eContent;
    if (!eContent) throw new Error('token without TSTInfo content');
    const tstInfo = pkijs.TSTInfo.fromBER(eContent.getValue());
    info.genTime = tstInfo.genTime;
    info.nonce = hexOf(tstInfo.nonce);
    info.serialNumber = hexOf(tstInfo.serialNumber);
    info.policy = tstInfo.policy;
    const hashOid = tstInfo.messageImprint.hashAlgorithm.algorithmId;
    const hash = HASH_BY_OID[hashOid];
    info.hashAlgorithm = hash ?? hashOid;
    if (hash && hash !== 'SHA-1') {
      const expected = createHash(hash.replace('-', '').toLowerCase()).update(stampedData).digest();
      info.imprintMatches = expected.equals(Buffer.from(tstInfo.messageImprint.hashedMessage.valueBlock.valueHexView));
    }
    const certs = (signedData.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
    info.certificates = certs.map(certDer);
    const result = await signedData.verify({ signer: 0, data: toArrayBuffer(stampedData), checkChain: false, extendedMode: true });
    info.signatureValid = result.signatureVerified === true;
    if (result.signerCertificate) info.tsaCertificate = certDer(result.signerCertificate);
  } catch (err) {
    const e = err as { message?: string; signatureVerified?: boolean };
    info.error = e.message ?? String(err);
    info.signatureValid = false;
  }
  return info;
}

export interface VerifyTimestampOptions {
  trustAnchors: Uint8Array[];
  crlSource?: CrlSource;
}

/** Full verification, including the TSA certificate at the stamping time. */
export async function verifyTimestampToken(token: Uint8Array, stampedData: Uint8Array, options: VerifyTimestampOptions): Promise<TimestampVerification> {
  const info = await inspectTimestampToken(token, stampedData);
  if (!info.tsaCertificate || !info.genTime) return { ...info, valid: false };
  const certificate = await checkCertificate({
    certificate: info.tsaCertificate,
    intermediates: info.certificates,
    trustAnchors: options.trustAnchors,
    usage: 'timestamping',
    at: info.genTime,
    crlSource: options.crlSource,
  });
  return { ...info, certificate, valid: info.imprintMatches && info.signatureValid && certificate.valid };
}
