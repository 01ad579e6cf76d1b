/**
 * The Document Security Store (ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1 §5.4): /DSS in the catalog, with
 * /Certs, /CRLs and /OCSPs arrays of streams holding the DER, and a /VRI dictionary whose keys are the
 * upper-case hex SHA-1 of a signature's /Contents bytes and whose entries name the streams used for that
 * signature. Read and merged with @libpdf/core objects; the caller saves the change as an incremental update.
 */
import { createHash } from 'node:crypto';
import { PdfArray, PdfDict, PdfName, PdfRef, PdfStream, PdfString, type PDF, type PdfObject } from '@libpdf/core';
import type { ValidationData } from '../certificates/validation-data.ts';
import type { CertificateEvidence } from '../certificates/verify-certificate.ts';
import { pkijs, toArrayBuffer, x509 } from '../certificates/x509.ts';
import { pdfDate } from './signature-placeholder.ts';

export interface DssContent {
  certificates: Uint8Array[];
  crls: Uint8Array[];
  ocspResponses: Uint8Array[];
  /** Upper-case VRI keys. */
  vriKeys: Set<string>;
}

/** The VRI key of a signature: upper-case hex SHA-1 of its /Contents bytes (the whole string, padding included). */
export const vriKey = (contents: Uint8Array): string => createHash('sha1').update(contents).digest('hex').toUpperCase();

const sha1Hex = (data: Uint8Array): string => createHash('sha1').update(data).digest('hex');

const ARRAYS = { certificates: 'Certs', crls: 'CRLs', ocspResponses: 'OCSPs' } as const;
const VRI_ARRAYS = { certificates: 'Cert', crls: 'CRL', ocspResponses: 'OCSP' } as const;
type Kind = keyof typeof ARRAYS;

function resolver(pdf: PDF): (ref: PdfRef) => PdfObject | null {
  const registry = pdf.context.registry;
  return (ref) => registry.resolve(ref);
}

/** The streams of a DSS array, decoded, with their references. */
function streamsOf(array: PdfArray | undefined, resolve: (ref: PdfRef) => PdfObject | null): { ref?: PdfRef; data: Uint8Array }[] {
  const out: { ref?: PdfRef; data: Uint8Array }[] = [];
  for (const item of array ?? []) {
    const stream = item instanceof PdfRef ? resolve(item) : item;
    if (stream instanceof PdfStream) out.push({ ...(item instanceof PdfRef ? { ref: item } : {}), data: stream.getDecodedData() });
  }
  return out;
}

export function readDss(pdf: PDF): DssContent {
  const resolve = resolver(pdf);
  const dss = pdf.getCatalog().getDict('DSS', resolve);
  const content: DssContent = { certificates: [], crls: [], ocspResponses: [], vriKeys: new Set() };
  if (!dss) return content;
  for (const kind of Object.keys(ARRAYS) as Kind[]) content[kind] = streamsOf(dss.getArray(ARRAYS[kind], resolve), resolve).map((s) => s.data);
  for (const key of dss.getDict('VRI', resolve)?.keys() ?? []) content.vriKeys.add(key.value.toUpperCase());
  return content;
}

/**
 * Adds validation data to the document's DSS (created when absent): existing streams and VRI entries are kept,
 * data already present (same SHA-1) is referenced instead of stored twice, and each VRI entry lists the
 * streams of its signature. The caller saves the change as one incremental update.
 */
export function mergeIntoDss(pdf: PDF, entries: { vriKey: string; data: ValidationData }[]): void {
  const resolve = resolver(pdf);
  const registry = pdf.context.registry;
  const catalog = pdf.getCatalog();
  const existing = catalog.getDict('DSS', resolve);
  // the existing DSS is updated in place (rewritten under its own object number by the incremental save)
  const dss = existing ?? new PdfDict([['Type', PdfName.of('DSS')]]);
  const refs = {} as Record<Kind, { list: PdfRef[]; byHash: Map<string, PdfRef> }>;
  for (const kind of Object.keys(ARRAYS) as Kind[]) {
    const byHash = new Map<string, PdfRef>();
    const list: PdfRef[] = [];
    for (const s of streamsOf(existing?.getArray(ARRAYS[kind], resolve), resolve)) {
      const ref = s.ref ?? registry.register(new PdfStream(new PdfDict(), s.data));
      list.push(ref);
      byHash.set(sha1Hex(s.data), ref);
    }
    refs[kind] = { list, byHash };
  }
  const refFor = (kind: Kind, der: Uint8Array): PdfRef => {
    const hash = sha1Hex(der);
    let ref = refs[kind].byHash.get(hash);
    if (!ref) {
      ref = registry.register(new PdfStream(new PdfDict(), der));
      refs[kind].byHash.set(hash, ref);
      refs[kind].list.push(ref);
    }
    return ref;
  };

  const vri = new PdfDict();
  const oldVri = existing?.getDict('VRI', resolve);
  for (const key of oldVri?.keys() ?? []) vri.set(key, oldVri!.get(key)!);
  for (const { vriKey: key, data } of entries) {
    const old = vri.get(key, resolve);
    const entry = old instanceof PdfDict ? old.clone() : new PdfDict();
    for (const kind of Object.keys(VRI_ARRAYS) as Kind[]) {
      const listed = (entry.getArray(VRI_ARRAYS[kind], resolve)?.toArray() ?? []).filter((r): r is PdfRef => r instanceof PdfRef);
      for (const der of data[kind]) {
        const ref = refFor(kind, der);
        if (!listed.some((r) => r.objectNumber === ref.objectNumber && r.generation === ref.generation)) listed.push(ref);
      }
      if (listed.length > 0) entry.set(VRI_ARRAYS[kind], new PdfArray(listed));
    }
    entry.set('TU', PdfString.fromString(pdfDate(new Date())));
    vri.set(key, entry);
  }
  for (const kind of Object.keys(ARRAYS) as Kind[]) if (refs[kind].list.length > 0) dss.set(ARRAYS[kind], new PdfArray(refs[kind].list));
  if (vri.size > 0) dss.set('VRI', vri);
  if (!existing) catalog.set('DSS', registry.register(dss));
}

/** Whether an OCSP response (DER OCSPResponse) carries a status for this serial number (hex). */
function ocspMentions(der: Uint8Array, serialHex: string): boolean {
  try {
    const response = pkijs.OCSPResponse.fromBER(toArrayBuffer(der));
    const bytes = response.responseBytes?.response.valueBlock.valueHexView;
    if (!bytes) return false;
    const basic = pkijs.BasicOCSPResponse.fromBER(toArrayBuffer(bytes));
    return basic.tbsResponseData.responses.some((r) => Buffer.from(r.certID.serialNumber.valueBlock.valueHexView).toString('hex').replace(/^0+/, '') === serialHex.toLowerCase().replace(/^0+/, ''));
  } catch {
    return false;
  }
}

function crlIssuer(der: Uint8Array): string | undefined {
  try {
    return new x509.X509Crl(toArrayBuffer(der)).issuer;
  } catch {
    return undefined;
  }
}

/**
 * Whether the DSS holds the validation data of a checked certificate without a VRI entry naming it: every
 * certificate of its path, and for each one below the anchor a CRL of its issuer or an OCSP response about it.
 */
export function dssCoversPath(dss: DssContent, evidence: CertificateEvidence): boolean {
  if (!evidence.valid || evidence.chain.length === 0) return false;
  const held = new Set(dss.certificates.map((der) => createHash('sha256').update(der).digest('hex')));
  if (!evidence.chain.every((c) => held.has(c.sha256))) return false;
  const issuers = new Set(dss.crls.map(crlIssuer).filter(Boolean));
  return evidence.chain.slice(0, -1).every((c) => issuers.has(c.issuer) || dss.ocspResponses.some((der) => ocspMentions(der, c.serialNumber)));
}
