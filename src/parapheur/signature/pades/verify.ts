/**
 * Lists and verifies every signature of a PDF: signer, level (B-B / B-T / B-LT / B-LTA), integrity (digest of
 * the ByteRange against the CMS message digest, and the CMS signature), ESS signing-certificate-v2 binding,
 * absence of the forbidden signing-time attribute, certificate chain (at the timestamp's time when there is a
 * valid one), and the signature timestamp. Document timestamps (/DocTimeStamp) are listed apart, never as
 * signers: token imprint over their ByteRange, token signature, TSA certificate path.
 *
 * B-LT: a B-T signature whose validation data is in the Document Security Store (a VRI entry for it, or its
 * signer's and TSA's paths with revocation data). B-LTA: B-LT in the revision covered by a valid document
 * timestamp that comes after the signature.
 */
import { createHash } from 'node:crypto';
import { PdfName, PdfNumber, PdfString, type PDF, type SignatureField } from '@libpdf/core';
import type { CrlSource } from '../certificates/crl-source.ts';
import { checkCertificate, type CertificateEvidence } from '../certificates/verify-certificate.ts';
import { certDer, OID, pkijs, summarize, toArrayBuffer } from '../certificates/x509.ts';
import { verifyTimestampToken, type TimestampVerification } from '../tsa/verify-timestamp.ts';
import { parseCms, signatureTimestampToken } from './cms.ts';
import { dssCoversPath, readDss, vriKey, type DssContent } from './dss.ts';
import { isDocumentTimestamp } from './long-term.ts';
import { loadPdf } from './pdf-input.ts';

export interface SignatureReport {
  fieldName: string;
  subFilter?: string;
  signer?: { subject: string; issuer: string; serialNumber: string };
  level: 'B-B' | 'B-T' | 'B-LT' | 'B-LTA' | 'non-PAdES';
  /** /M of the signature dictionary: claimed by the signer, not proven. */
  claimedTime?: string;
  byteRange?: number[];
  coversWholeDocument: boolean;
  integrity: { valid: boolean; digestMatches: boolean; signatureVerified: boolean; detail?: string };
  signingCertificateV2: boolean;
  hasSigningTimeAttribute: boolean;
  certificate?: CertificateEvidence;
  timestamp?: Omit<TimestampVerification, 'certificates' | 'tsaCertificate'> & { tsaSubject?: string };
  valid: boolean;
  /** French reasons when not valid. */
  problems: string[];
}

export interface DocumentTimestampReport {
  fieldName: string;
  byteRange?: number[];
  coversWholeDocument: boolean;
  genTime?: string;
  tsaSubject?: string;
  imprintMatches: boolean;
  signatureValid: boolean;
  certificate?: CertificateEvidence;
  valid: boolean;
  /** French reasons when not valid. */
  problems: string[];
}

export interface PdfVerificationReport {
  signatures: SignatureReport[];
  /** Document timestamps (B-LTA), in file order; not signatures. */
  documentTimestamps: DocumentTimestampReport[];
  /** True when there is at least one signature and all are valid (document timestamps included). */
  valid: boolean;
  /** Bytes were appended after the last signature (allowed for DSS/annotations, but worth showing). */
  modifiedAfterLastSignature: boolean;
  checkedAt: string;
}

export interface VerifyOptions {
  trustAnchors: Uint8Array[];
  crlSource?: CrlSource;
}

const sha256 = (d: Uint8Array): Buffer => createHash('sha256').update(d).digest();

function octets(attr: pkijs.Attribute | undefined): Buffer | undefined {
  const v = attr?.values[0] as { valueBlock?: { valueHexView?: Uint8Array } } | undefined;
  return v?.valueBlock?.valueHexView ? Buffer.from(v.valueBlock.valueHexView) : undefined;
}

function pdfDate(s: string | undefined): string | undefined {
  const m = s && /^D:(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(s);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : s;
}

export async function verifyPdfSignatures(input: Uint8Array, options: VerifyOptions): Promise<PdfVerificationReport> {
  const pdf = await loadPdf(input, 'verify');
  const fields = (pdf.getForm()?.getSignatureFields() ?? []).filter((f) => f.isSigned());
  const reports: SignatureReport[] = [];
  const stamps: DocumentTimestampReport[] = [];
  for (const field of fields) {
    const dict = field.getSignatureDict();
    if (dict && isDocumentTimestamp(dict)) stamps.push(await verifyDocumentTimestamp(input, field.name, dict, options));
    else reports.push(await verifyOne(input, field.name, dict, options));
  }
  if (reports.some((r) => r.level === 'B-T')) await longTermLevels(input, pdf, reports, stamps);
  const lastEnd = Math.max(0, ...[...reports, ...stamps].map(rangeEnd));
  return {
    signatures: reports,
    documentTimestamps: stamps,
    valid: reports.length > 0 && reports.every((r) => r.valid) && stamps.every((t) => t.valid),
    modifiedAfterLastSignature: reports.length > 0 && lastEnd < input.length,
    checkedAt: new Date().toISOString(),
  };
}

const rangeEnd = (r: { byteRange?: number[] }): number => (r.byteRange ? r.byteRange[2]! + r.byteRange[3]! : 0);

/** Raises valid B-T signatures to B-LT / B-LTA when the DSS (of the revision a document timestamp covers) holds their data. */
async function longTermLevels(file: Uint8Array, pdf: PDF, reports: SignatureReport[], stamps: DocumentTimestampReport[]): Promise<void> {
  const dssAt = new Map<number, DssContent>([[file.length, readDss(pdf)]]);
  const dssOfRevision = async (end: number): Promise<DssContent> => {
    let dss = dssAt.get(end);
    if (!dss) dssAt.set(end, (dss = readDss(await loadPdf(file.subarray(0, end), 'verify'))));
    return dss;
  };
  for (const report of reports) {
    const contents = contentsOf.get(report);
    if (report.level !== 'B-T' || !report.valid || !contents) continue;
    const covered = (dss: DssContent): boolean =>
      dss.vriKeys.has(vriKey(contents)) || (!!report.certificate && dssCoversPath(dss, report.certificate) && !!report.timestamp?.certificate && dssCoversPath(dss, report.timestamp.certificate));
    if (!covered(dssAt.get(file.length)!)) continue;
    report.level = 'B-LT';
    for (const stamp of stamps) {
      if (stamp.valid && rangeEnd(stamp) > rangeEnd(report) && covered(await dssOfRevision(rangeEnd(stamp)))) {
        report.level = 'B-LTA';
        break;
      }
    }
  }
}

/** The /Contents bytes of each signature report (for its VRI key), kept out of the report itself. */
const contentsOf = new WeakMap<SignatureReport, Uint8Array>();

/** ByteRange and /Contents of a signature dictionary, checked against the file; null (and a problem) when unusable. */
function signedRange(file: Uint8Array, dict: NonNullable<SigDict>, problem: (fr: string) => void): { br: number[]; contents: Uint8Array; signed: Buffer; coversWholeDocument: boolean } | null {
  const contents = dict.get('Contents');
  const br = dict.getArray('ByteRange')?.toArray().map((n) => (n instanceof PdfNumber ? n.value : NaN));
  if (!(contents instanceof PdfString) || !br || br.length !== 4 || br.some((n) => !Number.isInteger(n) || n < 0)) {
    problem('Signature mal formée (ByteRange ou Contents)');
    return null;
  }
  const [a, b, c, d] = br as [number, number, number, number];
  if (a !== 0 || b >= c || c + d > file.length || file[b] !== 0x3c || file[c - 1] !== 0x3e) {
    problem('Plage d’octets signée incohérente');
    return null;
  }
  // the gap must be exactly this dictionary's /Contents (guards against ByteRange pointing elsewhere)
  const gap = Buffer.from(file.subarray(b + 1, c - 1)).toString('latin1');
  if (!/^[0-9a-fA-F]*$/.test(gap) || !Buffer.from(gap, 'hex').equals(Buffer.from(contents.bytes))) {
    problem('La plage d’octets signée ne correspond pas au contenu de la signature');
    return null;
  }
  return { br, contents: contents.bytes, signed: Buffer.concat([file.subarray(a, a + b), file.subarray(c, c + d)]), coversWholeDocument: c + d === file.length };
}

async function verifyDocumentTimestamp(file: Uint8Array, fieldName: string, dict: NonNullable<SigDict>, options: VerifyOptions): Promise<DocumentTimestampReport> {
  const report: DocumentTimestampReport = { fieldName, coversWholeDocument: false, imprintMatches: false, signatureValid: false, valid: false, problems: [] };
  const problem = (fr: string): void => { report.problems.push(fr); };
  const range = signedRange(file, dict, problem);
  if (range) {
    report.byteRange = range.br;
    report.coversWholeDocument = range.coversWholeDocument;
    const ts = await verifyTimestampToken(range.contents, range.signed, options);
    report.imprintMatches = ts.imprintMatches;
    report.signatureValid = ts.signatureValid;
    if (ts.genTime) report.genTime = ts.genTime.toISOString();
    if (ts.tsaCertificate) report.tsaSubject = summarize(ts.tsaCertificate).subject;
    if (ts.certificate) report.certificate = ts.certificate;
    if (!ts.imprintMatches) problem('L’empreinte de l’horodatage ne correspond pas au document');
    if (!ts.signatureValid) problem('Signature du jeton d’horodatage invalide');
    if (ts.certificate?.failure) problem(ts.certificate.failure.messageFr);
    else if (!ts.certificate) problem('Certificat de l’autorité d’horodatage absent');
  }
  report.valid = report.problems.length === 0;
  return report;
}

type SigDict = ReturnType<SignatureField['getSignatureDict']>;

async function verifyOne(file: Uint8Array, fieldName: string, dict: SigDict, options: VerifyOptions): Promise<SignatureReport> {
  const report: SignatureReport = {
    fieldName, level: 'non-PAdES', coversWholeDocument: false,
    integrity: { valid: false, digestMatches: false, signatureVerified: false },
    signingCertificateV2: false, hasSigningTimeAttribute: false, valid: false, problems: [],
  };
  const problem = (fr: string): void => { report.problems.push(fr); };
  if (!dict) { problem('Dictionnaire de signature absent'); return report; }
  const subFilter = dict.get('SubFilter');
  report.subFilter = subFilter instanceof PdfName ? subFilter.value : undefined;
  const m = dict.get('M');
  if (m instanceof PdfString) report.claimedTime = pdfDate(m.asString());
  const br = dict.getArray('ByteRange')?.toArray().map((n) => (n instanceof PdfNumber ? n.value : NaN));
  const range = signedRange(file, dict, problem);
  if (!range) {
    // as before: a ByteRange that is there, even incoherent, is reported
    if (br && br.length === 4 && br.every((n) => Number.isInteger(n) && n >= 0) && dict.get('Contents') instanceof PdfString) report.byteRange = br;
    return report;
  }
  report.byteRange = range.br;
  report.coversWholeDocument = range.coversWholeDocument;
  const { contents, signed } = range;
  contentsOf.set(report, contents);

  let sd: pkijs.SignedData;
  try {
    sd = parseCms(contents);
  } catch (err) {
    problem('Signature CMS illisible');
    report.integrity.detail = (err as Error).message;
    return report;
  }
  const signerInfo = sd.signerInfos[0];
  const certs = (sd.certificates ?? []).filter((x): x is pkijs.Certificate => x instanceof pkijs.Certificate);
  const attrs = signerInfo?.signedAttrs?.attributes ?? [];
  report.hasSigningTimeAttribute = attrs.some((x) => x.type === OID.signingTime);
  const messageDigest = octets(attrs.find((x) => x.type === OID.messageDigest));
  report.integrity.digestMatches = !!messageDigest && messageDigest.equals(sha256(signed));

  let signerCert: pkijs.Certificate | undefined;
  try {
    const res = await sd.verify({ signer: 0, data: toArrayBuffer(signed), checkChain: false, extendedMode: true });
    report.integrity.signatureVerified = res.signatureVerified === true;
    signerCert = res.signerCertificate ?? undefined;
  } catch (err) {
    const e = err as { message?: string; signerCertificate?: pkijs.Certificate };
    report.integrity.detail = e.message ?? String(err);
    signerCert = e.signerCertificate ?? undefined;
  }
  report.integrity.valid = report.integrity.digestMatches && report.integrity.signatureVerified;
  if (!report.integrity.valid) problem('Le document a été modifié après la signature, ou la signature est invalide');

  if (signerCert) {
    const s = summarize(certDer(signerCert));
    report.signer = { subject: s.subject, issuer: s.issuer, serialNumber: s.serialNumber };
    const ess = attrs.find((x) => x.type === OID.signingCertificateV2);
    report.signingCertificateV2 = !!ess && Buffer.from(ess.toSchema().toBER(false)).indexOf(sha256(certDer(signerCert))) >= 0;
  }
  const isCades = report.subFilter === 'ETSI.CAdES.detached';
  if (isCades && !report.signingCertificateV2) problem('Attribut signing-certificate-v2 absent ou ne désignant pas le certificat du signataire');
  if (isCades && report.hasSigningTimeAttribute) problem('Attribut signing-time interdit par PAdES présent');

  const token = signatureTimestampToken(sd);
  let at: Date | undefined;
  if (token && signerInfo) {
    const signatureValue = new Uint8Array(signerInfo.signature.valueBlock.valueHexView);
    const ts = await verifyTimestampToken(token, signatureValue, options);
    const { certificates: _c, tsaCertificate, ...rest } = ts;
    void _c;
    report.timestamp = { ...rest, ...(tsaCertificate ? { tsaSubject: summarize(tsaCertificate).subject } : {}) };
    if (ts.valid) at = ts.genTime;
    else problem(`Horodatage invalide${ts.certificate?.failure ? ` : ${ts.certificate.failure.messageFr}` : ''}`);
  }
  report.level = isCades && report.signingCertificateV2 && !report.hasSigningTimeAttribute ? (token ? 'B-T' : 'B-B') : 'non-PAdES';

  if (signerCert) {
    report.certificate = await checkCertificate({
      certificate: certDer(signerCert),
      intermediates: certs.map(certDer),
      trustAnchors: options.trustAnchors,
      usage: 'seal',
      ...(at ? { at } : {}),
      crlSource: options.crlSource,
    });
    if (report.certificate.failure) problem(report.certificate.failure.messageFr);
  } else {
    problem('Certificat du signataire absent de la signature');
  }
  report.valid = report.problems.length === 0;
  return report;
}
