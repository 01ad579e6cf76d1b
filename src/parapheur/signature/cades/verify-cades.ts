/**
 * Verifies a detached CAdES signature (.p7s) against the file it signs: for each SignerInfo, integrity
 * (SHA-256 of the content against the message-digest attribute, and the signature over the signed
 * attributes), ESS signing-certificate-v2 binding, the claimed signing-time, the signature timestamp (B-T),
 * and the certificate chain (at the timestamp's time when there is a valid one, else now). A co-signature
 * (several SignerInfos, cosign-cades.ts) is valid only when every signer is; the signers are reported in
 * signing order (claimed signing-time), since DER sorts the SET OF SignerInfo by encoding, not by time.
 */
import { createHash } from 'node:crypto';
import type { CrlSource } from '../certificates/crl-source.ts';
import { checkCertificate, type CertificateEvidence } from '../certificates/verify-certificate.ts';
import { certDer, OID, pkijs, summarize, toArrayBuffer } from '../certificates/x509.ts';
import { verifyTimestampToken, type TimestampVerification } from '../tsa/verify-timestamp.ts';
import { parseCms } from '../pades/cms.ts';

export interface CadesSignerReport {
  /** Position of the SignerInfo in the SignedData's SET OF SignerInfo. */
  index: number;
  /** SHA-256 (hex) of the signature value: names this signer across the successive .p7s of a co-signature. */
  signatureSha256: string;
  signer?: { subject: string; issuer: string; serialNumber: string };
  level: 'B-B' | 'B-T' | 'non-baseline';
  /** signing-time attribute: claimed by the signer, proven only by a timestamp. */
  signingTime?: string;
  integrity: { valid: boolean; digestMatches: boolean; signatureVerified: boolean; detail?: string };
  signingCertificateV2: boolean;
  certificate?: CertificateEvidence;
  timestamp?: Omit<TimestampVerification, 'certificates' | 'tsaCertificate'> & { tsaSubject?: string };
  valid: boolean;
  /** French reasons when not valid. */
  problems: string[];
}

export interface CadesVerificationReport {
  signatures: CadesSignerReport[];
  /** True when the file is a readable detached CMS with at least one signer and every signer is valid. */
  valid: boolean;
  /** SHA-256 of the content checked (hex). */
  contentSha256: string;
  problems: string[];
  checkedAt: string;
}

export interface VerifyCadesOptions {
  trustAnchors: Uint8Array[];
  crlSource?: CrlSource;
}

const sha256 = (d: Uint8Array): Buffer => createHash('sha256').update(d).digest();

function attrValue(attr: pkijs.Attribute | undefined): unknown {
  return attr?.values[0];
}

export async function verifyCadesSignature(p7s: Uint8Array, content: Uint8Array, options: VerifyCadesOptions): Promise<CadesVerificationReport> {
  const report: CadesVerificationReport = { signatures: [], valid: false, contentSha256: sha256(content).toString('hex'), problems: [], checkedAt: new Date().toISOString() };
  let sd: pkijs.SignedData;
  try {
    sd = parseCms(p7s);
  } catch (err) {
    report.problems.push(`Signature CMS illisible (${(err as Error).message})`);
    return report;
  }
  if (sd.encapContentInfo.eContent) report.problems.push('La signature n’est pas détachée : elle contient elle-même le document');
  if (sd.signerInfos.length === 0) report.problems.push('Aucun signataire dans la signature');
  const certs = (sd.certificates ?? []).filter((x): x is pkijs.Certificate => x instanceof pkijs.Certificate).map(certDer);
  for (let i = 0; i < sd.signerInfos.length; i++) report.signatures.push(await verifySigner(sd, i, content, certs, options));
  report.signatures.sort((a, b) => (a.signingTime ?? '').localeCompare(b.signingTime ?? ''));
  report.valid = report.problems.length === 0 && report.signatures.every((s) => s.valid);
  return report;
}

async function verifySigner(sd: pkijs.SignedData, index: number, content: Uint8Array, certs: Uint8Array[], options: VerifyCadesOptions): Promise<CadesSignerReport> {
  const si = sd.signerInfos[index]!;
  const r: CadesSignerReport = { index, signatureSha256: sha256(si.signature.valueBlock.valueHexView).toString('hex'), level: 'non-baseline', integrity: { valid: false, digestMatches: false, signatureVerified: false }, signingCertificateV2: false, valid: false, problems: [] };
  const problem = (fr: string): void => { r.problems.push(fr); };
  const attrs = si.signedAttrs?.attributes ?? [];
  if (!si.signedAttrs) problem('Signature sans attributs signés : ce n’est pas une signature CAdES');
  const md = attrValue(attrs.find((a) => a.type === OID.messageDigest)) as { valueBlock?: { valueHexView?: Uint8Array } } | undefined;
  r.integrity.digestMatches = !!md?.valueBlock?.valueHexView && Buffer.from(md.valueBlock.valueHexView).equals(sha256(content));
  const st = attrValue(attrs.find((a) => a.type === OID.signingTime)) as { toDate?: () => Date } | undefined;
  if (st?.toDate) r.signingTime = st.toDate().toISOString();

  let signerCert: pkijs.Certificate | undefined;
  try {
    const res = await sd.verify({ signer: index, data: toArrayBuffer(content), checkChain: false, extendedMode: true });
    r.integrity.signatureVerified = res.signatureVerified === true;
    signerCert = res.signerCertificate ?? undefined;
  } catch (err) {
    const e = err as { message?: string; signerCertificate?: pkijs.Certificate };
    r.integrity.detail = e.message ?? String(err);
    signerCert = e.signerCertificate ?? undefined;
  }
  r.integrity.valid = r.integrity.digestMatches && r.integrity.signatureVerified;
  if (!r.integrity.valid) problem('Le document a été modifié après la signature, ou la signature est invalide');

  if (signerCert) {
    const s = summarize(certDer(signerCert));
    r.signer = { subject: s.subject, issuer: s.issuer, serialNumber: s.serialNumber };
    const ess = attrs.find((a) => a.type === OID.signingCertificateV2);
    r.signingCertificateV2 = !!ess && Buffer.from(ess.toSchema().toBER(false)).indexOf(sha256(certDer(signerCert))) >= 0;
  }
  if (!r.signingCertificateV2) problem('Attribut signing-certificate-v2 absent ou ne désignant pas le certificat du signataire');
  if (!r.signingTime) problem('Attribut signing-time absent');

  const tokenAttr = si.unsignedAttrs?.attributes.find((a) => a.type === OID.timeStampToken);
  let at: Date | undefined;
  if (tokenAttr) {
    const token = new Uint8Array((tokenAttr.values[0] as { toBER(s: boolean): ArrayBuffer }).toBER(false));
    const ts = await verifyTimestampToken(token, new Uint8Array(si.signature.valueBlock.valueHexView), options);
    const { certificates: _c, tsaCertificate, ...rest } = ts;
    void _c;
    r.timestamp = { ...rest, ...(tsaCertificate ? { tsaSubject: summarize(tsaCertificate).subject } : {}) };
    if (ts.valid) at = ts.genTime;
    else problem(`Horodatage invalide${ts.certificate?.failure ? ` : ${ts.certificate.failure.messageFr}` : ''}`);
  }
  r.level = r.signingCertificateV2 && r.signingTime ? (tokenAttr ? 'B-T' : 'B-B') : 'non-baseline';

  if (signerCert) {
    r.certificate = await checkCertificate({ certificate: certDer(signerCert), intermediates: certs, trustAnchors: options.trustAnchors, usage: 'seal', ...(at ? { at } : {}), crlSource: options.crlSource });
    if (r.certificate.failure) problem(r.certificate.failure.messageFr);
  } else {
    problem('Certificat du signataire absent de la signature');
  }
  r.valid = r.problems.length === 0;
  return r;
}
