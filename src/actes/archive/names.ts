/**
 * File names of the ACTES exchange (PROTOCOLS A.5): archive, enveloppes, messages and documents, in both
 * directions. Builders for what we send, a lenient parser for what we receive.
 */
import { natureByAbbr } from '../domain/natures.ts';

/** Our enveloppe: `EACT--<SIREN>--<AAAAMMJJ>-<n>.xml` (`TACT` on test platforms). */
export const ENVELOPPE_CL_NAME_RE = /^([ET])ACT--([0-9]{9})--([0-9]{8})-([0-9]+)\.xml$/;
/** Our archive: `<TRI>-<enveloppe name without .xml>.tar.gz`. */
export const ARCHIVE_NAME_RE = /^([A-Za-z0-9]{3})-([ET])ACT--([0-9]{9})--([0-9]{8})-([0-9]+)\.tar\.gz$/;
/** A préfecture's enveloppe: `EACT--SPREF<dép3>[<arr1>]-<SIREN>-<AAAAMMJJ>-<n>.xml`. */
export const ENVELOPPE_PREF_NAME_RE = /^([ET])ACT--SPREF([0-9]{2}[0-9AB])([0-9])?-([0-9]{4,9})-([0-9]{8})-([0-9]+)\.xml$/;
/**
 * A message XML or document: `[<typologie>-]<dép>-<SIREN>-<AAAAMMJJ>-<numéro>-<NA>-<T>-<S>[_<k>].<ext>`;
 * the middle fields are empty for messages without an acte (`044-214400152----7-1_0.xml`).
 */
export const MESSAGE_FILE_RE =
  /^(?:([0-9A-Z]{2}_[0-9A-Z]{2})-)?([09][0-9][0-9AB])-([0-9]{4,9})-([0-9]{8})?-([a-zA-Z0-9_]{0,15})-([A-Z]{2})?-([0-9])-([0-9])(?:_([0-9]+))?\.([A-Za-z0-9]{1,5})$/;
/** Strict form of what we emit for a message XML about an acte (k = 0). */
export const OUR_MESSAGE_XML_RE = /^([09][0-9][0-9AB])-([0-9]{9})-([0-9]{8})-([A-Z0-9_]{1,15})-([A-Z]{2})-([1-7])-([1-5])_0\.xml$/;
/** Strict form of what we emit for a message XML without acte (7-1 DemandeClassification). */
export const OUR_NO_ACTE_MESSAGE_XML_RE = /^([09][0-9][0-9AB])-([0-9]{9})----7-1_0\.xml$/;
/** Strict form of what we emit for a document of a reply message (3-4, 4-4…: no typology prefix). */
export const OUR_REPLY_DOCUMENT_RE = /^([09][0-9][0-9AB])-([0-9]{9})-([0-9]{8})-([A-Z0-9_]{1,15})-([A-Z]{2})-([2-4])-([1-5])_([1-9][0-9]*)\.(pdf|xml|jpg|png)$/;
/** Strict form of what we emit for a document of an acte (k ≥ 1, typology prefix). */
export const OUR_DOCUMENT_RE = /^([0-9]{2}_[A-Z0-9]{2})-([09][0-9][0-9AB])-([0-9]{9})-([0-9]{8})-([A-Z0-9_]{1,15})-([A-Z]{2})-1-1_([1-9][0-9]*)\.(pdf|xml|jpg|png)$/;

export interface EnveloppeNameInput {
  siren: string;
  /** AAAAMMJJ (sending date) */
  date: string;
  sequence: number;
  testPlatform?: boolean;
}

export function enveloppeName(i: EnveloppeNameInput): string {
  return `${i.testPlatform ? 'T' : 'E'}ACT--${i.siren}--${i.date}-${i.sequence}.xml`;
}

export function archiveName(trigram: string, enveloppe: string): string {
  return `${trigram}-${enveloppe.replace(/\.xml$/, '')}.tar.gz`;
}

/** `<IDActe>-<T>-<S>` (e.g. `062-286200027-20231219-2023_63-DE-1-1`). */
export function messageBaseName(idActe: string, code: string): string {
  return `${idActe}-${code}`;
}

/** Base for messages without an acte (classification): `<dép>-<SIREN>----<T>-<S>`. */
export function noActeBaseName(departement: string, siren: string, code: string): string {
  return `${departement}-${siren}----${code}`;
}

export function messageFileName(base: string, k: number, ext = 'xml', typologie?: string): string {
  return `${typologie ? `${typologie}-` : ''}${base}_${k}.${ext}`;
}

export type ActesFileName =
  | { kind: 'archive'; trigram: string; testPlatform: boolean; siren: string; date: string; sequence: number }
  | { kind: 'enveloppe-cl'; testPlatform: boolean; siren: string; date: string; sequence: number }
  | {
      kind: 'enveloppe-prefecture';
      testPlatform: boolean;
      departement: string;
      arrondissement?: string;
      siren: string;
      date: string;
      sequence: number;
    }
  | { kind: 'anomalie-enveloppe'; enveloppe: string; of?: ActesFileName }
  | {
      kind: 'message';
      typologie?: string;
      departement: string;
      siren: string;
      /** AAAAMMJJ, absent for messages without acte */
      date?: string;
      numeroInterne?: string;
      natureAbbr?: string;
      /** Rebuilt when every part is present. */
      idActe?: string;
      /** `1-2`, `7-2`… */
      code: string;
      index?: number;
      extension: string;
    };

/** Lenient reader of every ACTES file name seen in real exchanges; undefined if it matches none. */
export function parseActesFileName(name: string): ActesFileName | undefined {
  let m = ARCHIVE_NAME_RE.exec(name);
  if (m) return { kind: 'archive', trigram: m[1]!, testPlatform: m[2] === 'T', siren: m[3]!, date: m[4]!, sequence: Number(m[5]) };
  m = ENVELOPPE_CL_NAME_RE.exec(name);
  if (m) return { kind: 'enveloppe-cl', testPlatform: m[1] === 'T', siren: m[2]!, date: m[3]!, sequence: Number(m[4]) };
  m = ENVELOPPE_PREF_NAME_RE.exec(name);
  if (m) {
    return {
      kind: 'enveloppe-prefecture',
      testPlatform: m[1] === 'T',
      departement: m[2]!,
      ...(m[3] ? { arrondissement: m[3] } : {}),
      siren: m[4]!,
      date: m[5]!,
      sequence: Number(m[6]),
    };
  }
  if (name.startsWith('ANO_')) {
    const enveloppe = name.slice(4);
    const of = parseActesFileName(enveloppe);
    return { kind: 'anomalie-enveloppe', enveloppe, ...(of ? { of } : {}) };
  }
  m = MESSAGE_FILE_RE.exec(name);
  if (m) {
    const [, typologie, departement, siren, date, numero, na, t, s, k, ext] = m;
    const full = date && numero && na && natureByAbbr(na);
    return {
      kind: 'message',
      ...(typologie ? { typologie } : {}),
      departement: departement!,
      siren: siren!,
      ...(date ? { date } : {}),
      ...(numero ? { numeroInterne: numero } : {}),
      ...(na ? { natureAbbr: na } : {}),
      ...(full ? { idActe: `${departement}-${siren}-${date}-${numero}-${na}` } : {}),
      code: `${t}-${s}`,
      ...(k !== undefined ? { index: Number(k) } : {}),
      extension: ext!.toLowerCase(),
    };
  }
  return undefined;
}
