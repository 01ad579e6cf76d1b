/**
 * Second phase of a two-phase CMS signature, shared by PAdES and detached CAdES: the device's value is
 * checked over the prepared signed attributes with the signer's key, the attributes must still describe
 * the content (message-digest) and the certificate (ESS signing-certificate-v2), the certificate may be
 * checked again (revocation between the phases), then the B-T timestamp and the CMS SignedData.
 */
import { createHash, verify as cryptoVerify } from 'node:crypto';
import { AppError } from '../../../shared/errors.ts';
import { assertCertificateAcceptable, type CertificateEvidence } from '../certificates/verify-certificate.ts';
import type { CrlSource } from '../certificates/crl-source.ts';
import { OID } from '../certificates/x509.ts';
import { HttpTimestampClient, type TimestampClient } from '../tsa/tsa-client.ts';
import { inspectTimestampToken } from '../tsa/verify-timestamp.ts';
import { buildCms, certificatePublicKey, parseSignedAttributes } from './cms.ts';
import type { SignatureUsage } from './sign-pdf.ts';

export interface FinishCmsOptions {
  timestampClient?: TimestampClient;
  /**
   * Check the certificate again at assembly (the two phases may be hours apart: revocation in between).
   * Without it, the evidence gathered at preparation is kept.
   */
  recheckCertificate?: { trustAnchors: Uint8Array[]; usage?: SignatureUsage; crlSource?: CrlSource };
}

export interface PreparedCms {
  certificateChain: Uint8Array[];
  signedAttributesDer: Uint8Array;
  certificate: CertificateEvidence;
  level: 'B-B' | 'B-T';
  tsaUrl?: string;
}

export const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());

export const signatureMismatch = (en: string): AppError =>
  new AppError('UNPROCESSABLE', 'La valeur de signature ne correspond pas au document préparé ou au certificat du signataire', en);

/** `contentDigest`: SHA-256 of what the signature covers now (PDF byte range, detached file). */
export async function finishCmsSignature(
  prepared: PreparedCms,
  contentDigest: Uint8Array,
  signatureValue: Uint8Array,
  options: FinishCmsOptions & { requireSigningTime?: boolean } = {},
): Promise<{ cms: Uint8Array; certificate: CertificateEvidence; timestampTime?: string }> {
  const signerCert = prepared.certificateChain[0];
  if (!signerCert) throw signatureMismatch('prepared signature without certificate');
  let ok = false;
  try {
    const key = certificatePublicKey(signerCert);
    ok = cryptoVerify('sha256', prepared.signedAttributesDer, { key, ...(key.asymmetricKeyType === 'ec' ? { dsaEncoding: 'der' as const } : {}) }, signatureValue);
  } catch {
    ok = false;
  }
  if (!ok) throw signatureMismatch('signature value does not verify over the prepared signed attributes with the signer certificate');

  // The prepared object travels between the two phases: check it still describes this content and this certificate.
  const attributes = parseSignedAttributes(prepared.signedAttributesDer);
  const md = attributes.find((a) => a.type === OID.messageDigest)?.values[0] as { valueBlock?: { valueHexView?: Uint8Array } } | undefined;
  if (!md?.valueBlock?.valueHexView || !Buffer.from(md.valueBlock.valueHexView).equals(Buffer.from(contentDigest))) {
    throw signatureMismatch('the content no longer matches the message digest of the signed attributes');
  }
  const ess = attributes.find((a) => a.type === OID.signingCertificateV2);
  if (!ess || Buffer.from(ess.toSchema().toBER(false)).indexOf(Buffer.from(sha256(signerCert))) < 0) throw signatureMismatch('signing-certificate-v2 does not name the signer certificate');
  if (options.requireSigningTime && !attributes.some((a) => a.type === OID.signingTime)) throw signatureMismatch('signing-time attribute missing');

  let certificate = prepared.certificate;
  if (options.recheckCertificate) {
    certificate = await assertCertificateAcceptable({
      certificate: signerCert,
      intermediates: prepared.certificateChain.slice(1),
      trustAnchors: options.recheckCertificate.trustAnchors,
      usage: options.recheckCertificate.usage ?? prepared.certificate.usage,
      crlSource: options.recheckCertificate.crlSource,
    });
  }
  let timestampToken: Uint8Array | undefined;
  let timestampTime: string | undefined;
  if (prepared.level === 'B-T') {
    const client = options.timestampClient ?? (prepared.tsaUrl ? new HttpTimestampClient(prepared.tsaUrl) : undefined);
    if (!client) throw new AppError('BAD_INPUT', 'Le niveau B-T exige un serveur d’horodatage', 'B-T assemble without a TSA');
    timestampToken = await client.timestamp(signatureValue);
    timestampTime = (await inspectTimestampToken(timestampToken, signatureValue)).genTime?.toISOString();
  }
  const cms = buildCms({ attributes, signatureValue, certificates: prepared.certificateChain, ...(timestampToken ? { timestampToken } : {}) });
  return { cms, certificate, ...(timestampTime ? { timestampTime } : {}) };
}
