/**
 * PAdES long-term levels (ETSI EN 319 142-1 §5.4, §6.3) on an already signed PDF:
 *   - extendPadesToLt (B-LT): one incremental update adding to the Document Security Store the validation data
 *     of every signature of the document (or of the ones named): the signer's certificate path up to the trust anchor, the path of the
 *     TSA of its signature timestamp, and the CRLs / OCSP responses our certificate checks used for them; a VRI
 *     entry per signature. Document timestamps already present get the data of their TSA too.
 *   - addDocumentTimestamp (B-LTA): one incremental update adding a /DocTimeStamp signature dictionary
 *     (/SubFilter /ETSI.RFC3161) whose /Contents is an RFC 3161 token over the SHA-256 of its ByteRange.
 * Only bytes are appended: every earlier signature stays valid.
 */
import { PdfName, PdfString, type PDF, type SignatureField } from '@libpdf/core';
import { AppError } from '../../../shared/errors.ts';
import type { CrlSource } from '../certificates/crl-source.ts';
import type { OcspSource } from '../certificates/ocsp.ts';
import { collectValidationData, type ValidationData } from '../certificates/validation-data.ts';
import type { CertificateUsage } from '../certificates/verify-certificate.ts';
import { certDer, pkijs } from '../certificates/x509.ts';
import { HttpTimestampClient, type TimestampClient } from '../tsa/tsa-client.ts';
import { inspectTimestampToken } from '../tsa/verify-timestamp.ts';
import { parseCms, signatureTimestampToken, signerCertificateOf } from './cms.ts';
import { mergeIntoDss, vriKey } from './dss.ts';
import { loadPdf } from './pdf-input.ts';
import { joinParts } from './pdf-parts.ts';
import { addSignaturePlaceholder, insertContents, placeholderFailure, uniqueFieldName, writePlaceholderUpdate } from './signature-placeholder.ts';

export interface LongTermOptions {
  /** CA certificates (DER) the signers' and TSAs' paths must reach. */
  trustAnchors: Uint8Array[];
  crlSource?: CrlSource;
  ocspSource?: OcspSource;
  /** Only these signature fields (signPdf: the one just signed); default: every signed field. */
  fieldNames?: string[];
}

export interface DocumentTimestampOptions {
  tsaUrl?: string;
  /** Overrides the HTTP client built from tsaUrl (tests, other transports). */
  timestampClient?: TimestampClient;
  fieldName?: string;
  reservedBytes?: number;
}

/** A token with the TSA's chain is a few KiB: 16 KiB leaves room for long chains. */
export const DOCUMENT_TIMESTAMP_RESERVED_BYTES = 16 * 1024;

const incomplete = (field: string, fr: string, en: string): AppError =>
  new AppError('UNPROCESSABLE', `Données de validation incomplètes pour la signature « ${field} » : ${fr}`, `long-term validation data for ${field}: ${en}`);

/** The signed fields of the document, with their /Contents string and /SubFilter. */
export interface SignedField {
  name: string;
  contents: PdfString;
  dict: NonNullable<ReturnType<SignatureField['getSignatureDict']>>;
}

export function signedFields(pdf: PDF): SignedField[] {
  const out: SignedField[] = [];
  for (const field of pdf.getForm()?.getSignatureFields() ?? []) {
    if (!field.isSigned()) continue;
    const dict = field.getSignatureDict();
    const contents = dict?.get('Contents');
    if (!dict || !(contents instanceof PdfString)) continue;
    out.push({ name: field.name, contents, dict });
  }
  return out;
}

/** A document timestamp (/Type /DocTimeStamp, /SubFilter /ETSI.RFC3161), not a signature. */
export const isDocumentTimestamp = (dict: SignedField['dict']): boolean => {
  const type = dict.get('Type');
  const subFilter = dict.get('SubFilter');
  return (subFilter instanceof PdfName && subFilter.value === 'ETSI.RFC3161') || (type instanceof PdfName && type.value === 'DocTimeStamp');
};

/** The signer certificate and the other certificates of a CMS (a signature or a timestamp token). */
function certificatesOf(der: Uint8Array): { signer: Uint8Array; others: Uint8Array[] } | undefined {
  const sd = parseCms(der);
  const signer = signerCertificateOf(sd);
  if (!signer) return undefined;
  const others = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate && c !== signer).map(certDer);
  return { signer: certDer(signer), others };
}

async function pathData(field: string, cms: Uint8Array, usage: CertificateUsage, options: LongTermOptions): Promise<ValidationData> {
  let certs: ReturnType<typeof certificatesOf>;
  try {
    certs = certificatesOf(cms);
  } catch (err) {
    throw incomplete(field, 'signature illisible', (err as Error).message);
  }
  if (!certs) throw incomplete(field, 'certificat du signataire absent', 'no signer certificate in the CMS');
  const { evidence, data } = await collectValidationData({
    certificate: certs.signer,
    intermediates: certs.others,
    trustAnchors: options.trustAnchors,
    usage,
    ...(options.crlSource ? { crlSource: options.crlSource } : {}),
    ...(options.ocspSource ? { ocspSource: options.ocspSource } : {}),
  });
  if (evidence.failure) throw incomplete(field, evidence.failure.messageFr, `${evidence.failure.messageEn}: ${evidence.certificate.subject}`);
  return data;
}

/**
 * B-LT: adds the validation data of every signature, or of the ones named (and of its timestamp's TSA), to the
 * DSS, as one incremental update. Refuses (AppError, French message) when a path or its revocation status cannot be established now.
 */
export async function extendPadesToLt(input: Uint8Array, options: LongTermOptions): Promise<{ pdf: Uint8Array; fieldNames: string[] }> {
  const pdf = await loadPdf(input, 'sign');
  const fields = signedFields(pdf).filter((f) => !options.fieldNames || options.fieldNames.includes(f.name));
  if (fields.length === 0) throw new AppError('BAD_INPUT', 'Le PDF ne contient aucune signature à compléter', 'no signature to extend to B-LT');
  const entries: { vriKey: string; data: ValidationData }[] = [];
  for (const field of fields) {
    const contents = field.contents.bytes;
    const data: ValidationData = { certificates: [], crls: [], ocspResponses: [] };
    const add = (d: ValidationData): void => {
      data.certificates.push(...d.certificates);
      data.crls.push(...d.crls);
      data.ocspResponses.push(...d.ocspResponses);
    };
    if (isDocumentTimestamp(field.dict)) {
      add(await pathData(field.name, contents, 'timestamping', options));
    } else {
      add(await pathData(field.name, contents, 'seal', options));
      const token = signatureTimestampToken(parseCms(contents));
      if (token) add(await pathData(field.name, token, 'timestamping', options));
    }
    entries.push({ vriKey: vriKey(contents), data });
  }
  mergeIntoDss(pdf, entries);
  // new streams: written by the library's save, which returns the whole file
  const saved = await pdf.save({ incremental: true });
  if (saved.length <= input.length || Buffer.compare(saved.subarray(0, input.length), input) !== 0) {
    throw placeholderFailure('the DSS save was not an incremental update of the input');
  }
  return { pdf: saved, fieldNames: fields.map((f) => f.name) };
}

/** B-LTA: a document timestamp covering the whole document as it is (usually just after extendPadesToLt). */
export async function addDocumentTimestamp(input: Uint8Array, options: DocumentTimestampOptions): Promise<{ pdf: Uint8Array; fieldName: string; genTime?: string }> {
  if (!options.timestampClient && !options.tsaUrl) {
    throw new AppError('BAD_INPUT', 'L’horodatage du document exige un serveur d’horodatage', 'document timestamp without a TSA');
  }
  const client = options.timestampClient ?? new HttpTimestampClient(options.tsaUrl!);
  const pdf = await loadPdf(input, 'sign');
  const fieldName = uniqueFieldName(pdf, options.fieldName, 'Horodatage');
  const reserved = options.reservedBytes ?? DOCUMENT_TIMESTAMP_RESERVED_BYTES;
  addSignaturePlaceholder(pdf, fieldName, reserved, { type: 'DocTimeStamp', subFilter: 'ETSI.RFC3161' });
  const { parts, byteRange } = await writePlaceholderUpdate(pdf, input, reserved, false);
  const whole = joinParts(parts);
  const [a, b, c, d] = byteRange;
  const covered = Buffer.concat([whole.subarray(a, a + b), whole.subarray(c, c + d)]);
  const token = await client.timestamp(covered);
  const genTime = (await inspectTimestampToken(token, covered)).genTime?.toISOString();
  return { pdf: joinParts(insertContents(parts, byteRange, token)), fieldName, ...(genTime ? { genTime } : {}) };
}
