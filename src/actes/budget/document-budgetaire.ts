/**
 * Budget documents (`DocumentBudgetaire`, the TotEM XML of the DGFiP): a BF acte (nature 5, typologie
 * 99_BU) whose principal document is this XML. Before it is stored and again before it leaves, the file
 * must be a DocumentBudgetaire (root element and namespace), without DOCTYPE, and valid against the
 * official schema bundled in schemas/pes/v5.17/SchemaDocBudg (see schemas/pes/ORIGIN.md).
 */
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schemasDir } from '../../shared/paths.ts';
import { AppError } from '../../shared/errors.ts';
import { assertNoDoctype, declaredEncoding, parseXmlDom } from '../../shared/xml/safe-xml.ts';
import { validateAgainstXsd } from '../../shared/xml/xsd.ts';
import iconv from 'iconv-lite';
import type { Document } from '@xmldom/xmldom';

export const DOCBUDG_NS = 'http://www.minefi.gouv.fr/cp/demat/docbudgetaire';
/** The official schema set, bundled unchanged (schemas/pes/ORIGIN.md). */
export const DOCUMENT_BUDGETAIRE_XSD = join(schemasDir, 'pes', 'v5.17', 'SchemaDocBudg', 'DocumentBudgetaire.xsd');

/**
 * `TBlocEditeur` (the editor's free block) declares an optional `CodeEditeur` followed by `xs:any ##any`: a
 * content model that is not deterministic. xmllint (libxml2 2.9) accepts the schema; the libxml2 of
 * libxml2-wasm refuses to compile it. The validator therefore uses a copy of the set, made once in the
 * temporary folder, where that block is only the `xs:any` (processContents="skip"): every document the
 * official schema accepts is accepted, the editor's block is not type-checked. The bundled files stay unchanged.
 */
let compiledPath: string | undefined;
export function documentBudgetaireSchemaPath(): string {
  if (compiledPath && existsSync(compiledPath)) return compiledPath;
  const source = join(schemasDir, 'pes', 'v5.17', 'SchemaDocBudg');
  const file = readFileSync(join(source, 'Class_DocumentBudgetaire.xsd'), 'utf8');
  const start = file.indexOf('<xs:complexType name="TBlocEditeur"');
  const code = start < 0 ? -1 : file.indexOf('<xs:element name="CodeEditeur"', start);
  const codeEnd = code < 0 ? -1 : file.indexOf('</xs:element>', code) + '</xs:element>'.length;
  if (code < 0 || codeEnd > file.indexOf('</xs:complexType>', start)) throw new Error('DocumentBudgetaire schema: TBlocEditeur not found as expected (new schema version?)');
  const patched = file.slice(0, code) + file.slice(codeEnd);
  const dir = join(tmpdir(), `paraphe-docbudg-${createHash('sha256').update(patched).digest('hex').slice(0, 16)}`);
  if (!existsSync(join(dir, 'DocumentBudgetaire.xsd'))) {
    const tmp = `${dir}.${randomBytes(6).toString('hex')}`;
    cpSync(source, tmp, { recursive: true });
    writeFileSync(join(tmp, 'Class_DocumentBudgetaire.xsd'), patched);
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another process made it first
    }
  }
  compiledPath = join(dir, 'DocumentBudgetaire.xsd');
  return compiledPath;
}
/** Typologie of the budget document itself in the classification (nature 5, BF). */
export const TYPOLOGIE_DOCUMENT_BUDGETAIRE = '99_BU';

export interface DocumentBudgetaireInfo {
  /** IdColl of the header: the SIRET of the collectivité. */
  siret: string | null;
  libelleCollectivite: string | null;
  /** Exer of the first budget block. */
  exercice: string | null;
  /** NatDec: 01 budget primitif, 02 décision modificative, 03 budget supplémentaire, 09 compte administratif… */
  natureDecision: string | null;
}

function attr(doc: Document, name: string): string | null {
  const el = doc.getElementsByTagNameNS(DOCBUDG_NS, name)[0];
  return el?.getAttribute('V') || null;
}

/** True when the bytes start like an XML document (after an optional BOM and blanks). */
export function looksLikeXml(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 256)).toString('latin1').replace(/^\xEF\xBB\xBF/, '').trimStart();
  return head.startsWith('<?xml') || /^<[A-Za-z_][\w.:-]*[\s>]/.test(head);
}

/** True when the bytes look like XML whose root is DocumentBudgetaire (cheap check, no validation). */
export function looksLikeDocumentBudgetaire(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('latin1');
  return /<(?:[A-Za-z_][\w.-]*:)?DocumentBudgetaire[\s>/]/.test(head);
}

/** Checks a DocumentBudgetaire file; throws a French VALIDATION error saying what is wrong. */
export function checkDocumentBudgetaire(bytes: Uint8Array, fileName: string): DocumentBudgetaireInfo {
  const head = iconv.decode(Buffer.from(bytes.subarray(0, 64 * 1024)), declaredEncoding(bytes));
  try {
    assertNoDoctype(head);
  } catch {
    throw new AppError('VALIDATION', `Le document budgétaire « ${fileName} » contient une déclaration DOCTYPE ou ENTITY : refusé pour raison de sécurité.`, 'DocumentBudgetaire with DOCTYPE');
  }
  let doc: Document;
  try {
    doc = parseXmlDom(bytes).doc;
  } catch {
    throw new AppError('VALIDATION', `« ${fileName} » n’est pas un XML bien formé : ce n’est pas un document budgétaire.`, 'DocumentBudgetaire not well-formed');
  }
  const root = doc.documentElement!;
  if (root.localName !== 'DocumentBudgetaire' || root.namespaceURI !== DOCBUDG_NS) {
    throw new AppError(
      'VALIDATION',
      `« ${fileName} » n’est pas un document budgétaire : l’élément racine est « ${root.localName} »${root.namespaceURI ? ` (espace de noms ${root.namespaceURI})` : ''}, attendu « DocumentBudgetaire » (${DOCBUDG_NS}).`,
      `not a DocumentBudgetaire: root ${root.namespaceURI ?? ''}:${root.localName}`,
    );
  }
  const result = validateAgainstXsd(bytes, documentBudgetaireSchemaPath());
  if (!result.valid) {
    const shown = result.errors.slice(0, 3).map((e) => `${e.line ? `ligne ${e.line} : ` : ''}${e.message}`);
    const more = result.errors.length > 3 ? ` (et ${result.errors.length - 3} autre(s) erreur(s))` : '';
    throw new AppError('VALIDATION', `Le document budgétaire « ${fileName} » n’est pas conforme au schéma DocumentBudgetaire : ${shown.join(' ; ')}${more}.`, 'DocumentBudgetaire invalid against its XSD', { errors: result.errors });
  }
  return { siret: attr(doc, 'IdColl'), libelleCollectivite: attr(doc, 'LibelleColl'), exercice: attr(doc, 'Exer'), natureDecision: attr(doc, 'NatDec') };
}

/**
 * The rule for an acte's document: the XML principal of a BF acte must be a valid DocumentBudgetaire, and a
 * DocumentBudgetaire is only transmitted as a BF acte.
 */
export function checkBudgetDocumentRule(nature: unknown, role: string, fileName: string, bytes: Uint8Array, isXml: boolean): void {
  if (!isXml) return;
  if (role === 'principal' && isBudgetNature(nature)) {
    checkDocumentBudgetaire(bytes, fileName);
    return;
  }
  if (!isBudgetNature(nature) && looksLikeDocumentBudgetaire(bytes)) {
    throw new AppError('VALIDATION', `« ${fileName} » est un document budgétaire : il se transmet comme document principal d’un acte de nature « Documents budgétaires et financiers » (BF, type de pièce ${TYPOLOGIE_DOCUMENT_BUDGETAIRE}).`, 'DocumentBudgetaire on a non-BF acte');
  }
}

/** Nature BF given as 5, "5" or "BF" in the acte's metadata. */
export function isBudgetNature(nature: unknown): boolean {
  return nature === 5 || nature === '5' || nature === 'BF';
}
