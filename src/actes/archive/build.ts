/**
 * Builds what a collectivité sends to the préfecture (PROTOCOLS A.2, A.4, A.5, A.6): the message XML, the
 * `EnveloppeCLMISILL`, and the flat `.tar.gz`. Every XML is validated against the bundled schema before it
 * is returned.
 */
import { join } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import { schemasDir } from '../../shared/paths.ts';
import { validateAgainstXsd } from '../../shared/xml/xsd.ts';
import type { Classification } from '../classification/classification.ts';
import { parseCollectivite, type Collectivite, type CollectiviteInput } from '../domain/collectivite.ts';
import { buildIdActe, ID_ACTE_PATTERN, parseIdActe } from '../domain/id-acte.ts';
import { parseActeMetadata, type ActeMetadata, type ActeMetadataInput } from '../domain/metadata.ts';
import { checkIsoDate, compactDate } from '../domain/rules.ts';
import { createTarGz, type ArchiveEntry } from './tar.ts';
import { archiveName, enveloppeName, messageBaseName, messageFileName, noActeBaseName } from './names.ts';
import { actesRootAttrs, el, serializeLatin1, type XNode } from './xml-writer.ts';

export const ACTES_XSD_PATH = join(schemasDir, 'actes', 'actesv1_1.xsd');

/** Formats accepted by @CTES for documents (A.8). */
export const ALLOWED_EXTENSIONS = ['pdf', 'xml', 'jpg', 'png'] as const;
/** Acte + annexes ≤ 150 MB (A.8, Pastell's threshold). */
export const MAX_DOCUMENTS_BYTES = 157_286_400;

export interface DocumentFile {
  /** Original name, used for its extension only. */
  fileName: string;
  data: Uint8Array;
}

export interface TransmissionContext {
  collectivite: CollectiviteInput | Collectivite;
  /** Operator trigram given at homologation (S²LOW `SLO`, Stela `SIC`). */
  trigram: string;
  /** The TdT's daily counter for this SIREN (`n` of the enveloppe name), ≥ 1. */
  sequence: number;
  /** Sending time: its date (Europe/Paris) goes into the enveloppe name; also the tar entries' mtime. */
  sentAt: Date;
  /** Test platform: `TACT` instead of `EACT`, département 999 and test SIRENs accepted. */
  testPlatform?: boolean;
}

export interface BuiltFile {
  name: string;
  data: Buffer;
  role: 'enveloppe' | 'message' | 'acte' | 'annexe' | 'document';
  /** Original file name for documents. */
  originalName?: string;
}

export interface BuiltArchive {
  archiveName: string;
  archive: Buffer;
  enveloppeName: string;
  messageName: string;
  /** Message code `T-S` (1-1, 6-1…). */
  code: string;
  idActe?: string;
  files: BuiltFile[];
}

/** Date of `d` in Europe/Paris as AAAA-MM-JJ. */
export function parisDate(d: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  return parts; // en-CA formats as YYYY-MM-DD
}

function fail(messageFr: string, messageEn: string, details?: unknown): AppError {
  return new AppError('VALIDATION', messageFr, messageEn, details);
}

/** Validates bytes against the bundled schema; throws with the schema's messages otherwise. */
export function assertSchemaValid(bytes: Uint8Array, what: string): void {
  const r = validateAgainstXsd(bytes, ACTES_XSD_PATH);
  if (!r.valid) {
    throw new AppError(
      'UNPROCESSABLE',
      `Le fichier ${what} produit n’est pas conforme au schéma ACTES : ${r.errors.map((e) => e.message).join(' ; ')}`,
      `built ${what} fails actesv1_1.xsd`,
      { errors: r.errors },
    );
  }
}

function checkContext(ctx: TransmissionContext): Collectivite {
  if (!/^[A-Za-z0-9]{3}$/.test(ctx.trigram)) {
    throw fail(`Le trigramme d’opérateur « ${ctx.trigram} » doit compter 3 lettres ou chiffres.`, `bad trigram ${ctx.trigram}`);
  }
  if (!Number.isInteger(ctx.sequence) || ctx.sequence < 1) {
    throw fail(`Le numéro d’ordre quotidien de l’enveloppe doit être un entier positif (reçu ${ctx.sequence}).`, `bad sequence ${ctx.sequence}`);
  }
  if (!(ctx.sentAt instanceof Date) || Number.isNaN(ctx.sentAt.getTime())) {
    throw fail('La date d’envoi est invalide.', 'bad sentAt');
  }
  return parseCollectivite(ctx.collectivite, { testPlatform: ctx.testPlatform });
}

function extensionOf(doc: DocumentFile, role: string): string {
  const m = /\.([A-Za-z0-9]+)$/.exec(doc.fileName);
  let ext = m?.[1]?.toLowerCase() ?? '';
  if (ext === 'jpeg') ext = 'jpg';
  if (!(ALLOWED_EXTENSIONS as readonly string[]).includes(ext)) {
    throw fail(
      `Le fichier « ${doc.fileName} » (${role}) n’est pas dans un format accepté par la préfecture (PDF, XML, JPG, PNG).`,
      `unsupported document format: ${doc.fileName}`,
      { field: role, fileName: doc.fileName },
    );
  }
  if (doc.data.length === 0) throw fail(`Le fichier « ${doc.fileName} » (${role}) est vide.`, `empty document ${doc.fileName}`);
  return ext;
}

function checkTotalSize(docs: DocumentFile[]): void {
  const total = docs.reduce((s, d) => s + d.data.length, 0);
  if (total > MAX_DOCUMENTS_BYTES) {
    throw fail(
      `Les documents font ${Math.ceil(total / 1024 / 1024)} Mo : la préfecture n’en accepte pas plus de 150 Mo par envoi.`,
      `documents total ${total} above ${MAX_DOCUMENTS_BYTES}`,
    );
  }
}

function fichier(name: string, fileName: string): XNode {
  return el(name, [], [el('actes:NomFichier', [], [fileName])]);
}

export function buildEnveloppeXml(c: Collectivite, formulaires: string[]): Buffer {
  const emetteur: XNode[] = [
    el('actes:IDCL', [
      ['insee:SIREN', c.siren],
      ['actes:Departement', c.departement],
      ['actes:Arrondissement', c.arrondissement],
      ['actes:Nature', c.nature],
    ]),
  ];
  if (c.referent && (c.referent.nom || c.referent.telephone || c.referent.email)) {
    const r: XNode[] = [];
    if (c.referent.nom) r.push(el('actes:Nom', [], [c.referent.nom]));
    if (c.referent.telephone) r.push(el('actes:Telephone', [], [c.referent.telephone]));
    if (c.referent.email) r.push(el('actes:Email', [], [c.referent.email]));
    emetteur.push(el('actes:Referent', [], r));
  }
  const root = el('actes:EnveloppeCLMISILL', actesRootAttrs(true), [
    el('actes:Emetteur', [], emetteur),
    el('actes:AdressesRetour', [], c.adressesRetour.map((a) => el('actes:Email', [], [a]))),
    el('actes:FormulairesEnvoyes', [], formulaires.map((f) => fichier('actes:Formulaire', f))),
  ]);
  const bytes = serializeLatin1(root);
  assertSchemaValid(bytes, 'enveloppe');
  return bytes;
}

async function pack(
  ctx: TransmissionContext,
  c: Collectivite,
  code: string,
  message: { name: string; data: Buffer },
  documents: BuiltFile[],
  idActe?: string,
): Promise<BuiltArchive> {
  const env = enveloppeName({ siren: c.siren, date: compactDate(parisDate(ctx.sentAt)), sequence: ctx.sequence, testPlatform: ctx.testPlatform });
  const envData = buildEnveloppeXml(c, [message.name]);
  const files: BuiltFile[] = [
    { name: env, data: envData, role: 'enveloppe' },
    { name: message.name, data: message.data, role: 'message' },
    ...documents,
  ];
  const entries: ArchiveEntry[] = files.map((f) => ({ name: f.name, data: f.data }));
  const archive = await createTarGz(entries, ctx.sentAt);
  return {
    archiveName: archiveName(ctx.trigram, env),
    archive,
    enveloppeName: env,
    messageName: message.name,
    code,
    ...(idActe ? { idActe } : {}),
    files,
  };
}

// ---------------------------------------------------------------------------------------------------
// 1-1 Acte

export interface ActeArchiveInput extends TransmissionContext {
  metadata: ActeMetadataInput | ActeMetadata;
  /** Date of the classification the collectivité used (must equal the préfecture's current one). */
  classificationDateVersion: string;
  acte: DocumentFile;
  annexes?: DocumentFile[];
  /** When given, the matière and typologies are checked against it. */
  classification?: Classification;
}

/** Builds the `Acte` message alone (validated), for callers that need only the XML. */
export function buildActeXml(m: ActeMetadata, classificationDateVersion: string, documentName: string, annexNames: string[]): Buffer {
  const dateErr = checkIsoDate(classificationDateVersion, 'La date de classification');
  if (dateErr) throw fail(dateErr, 'bad classificationDateVersion', { field: 'classificationDateVersion' });
  const children: XNode[] = m.classification.map((code, i) => el(`actes:CodeMatiere${i + 1}`, [['actes:CodeMatiere', String(code)]]));
  children.push(el('actes:Objet', [], [m.objet]));
  if (m.precedentIdActe) children.push(el('actes:PrecedentIdentifiantActe', [['actes:IDActe', m.precedentIdActe]]));
  children.push(el('actes:ClassificationDateVersion', [], [classificationDateVersion]));
  children.push(fichier('actes:Document', documentName));
  children.push(el('actes:Annexes', [['actes:Nombre', String(annexNames.length)]], annexNames.map((n) => fichier('actes:Annexe', n))));
  children.push(el('actes:DocumentPapier', [], [m.documentPapier ? 'O' : 'N']));
  const root = el(
    'actes:Acte',
    [
      ...actesRootAttrs(),
      ['actes:Date', m.dateDecision],
      ['actes:NumeroInterne', m.numeroInterne],
      ['actes:CodeNatureActe', String(m.nature)],
    ],
    children,
  );
  const bytes = serializeLatin1(root);
  assertSchemaValid(bytes, 'Acte');
  return bytes;
}

export async function buildActeArchive(input: ActeArchiveInput): Promise<BuiltArchive> {
  const c = checkContext(input);
  const annexes = input.annexes ?? [];
  const m = parseActeMetadata(input.metadata, {
    annexCount: annexes.length,
    ...(input.classification ? { classification: input.classification } : {}),
  });
  const idActe = buildIdActe({
    departement: c.departement,
    siren: c.siren,
    dateDecision: m.dateDecision,
    numeroInterne: m.numeroInterne,
    nature: m.nature,
    testPlatform: input.testPlatform,
  });
  checkTotalSize([input.acte, ...annexes]);
  const base = messageBaseName(idActe, '1-1');
  const docs: BuiltFile[] = [
    {
      name: messageFileName(base, 1, extensionOf(input.acte, 'acte'), m.typologieActe),
      data: Buffer.from(input.acte.data),
      role: 'acte',
      originalName: input.acte.fileName,
    },
    ...annexes.map(
      (a, i): BuiltFile => ({
        name: messageFileName(base, i + 2, extensionOf(a, `annexe ${i + 1}`), m.typologieAnnexes[i]),
        data: Buffer.from(a.data),
        role: 'annexe',
        originalName: a.fileName,
      }),
    ),
  ];
  const msgName = messageFileName(base, 0);
  const xml = buildActeXml(
    m,
    input.classificationDateVersion,
    docs[0]!.name,
    docs.slice(1).map((d) => d.name),
  );
  return pack(input, c, '1-1', { name: msgName, data: xml }, docs, idActe);
}

// ---------------------------------------------------------------------------------------------------
// Replies to a préfecture's letter (2-2, 3-2, 3-3, 3-4, 4-2, 4-3, 4-4), 6-1 Annulation, 7-1 DemandeClassification

export const REPLY_KINDS = {
  ReponseCourrierSimple: { code: '2-2', documents: 'one' },
  ARDemandePieceComplementaire: { code: '3-2', documents: 'none' },
  RefusPieceComplementaire: { code: '3-3', documents: 'one' },
  PieceComplementaire: { code: '3-4', documents: 'many' },
  ARLettreObservations: { code: '4-2', documents: 'none' },
  RejetLettreObservations: { code: '4-3', documents: 'one' },
  ReponseLettreObservations: { code: '4-4', documents: 'one' },
} as const;

export type ReplyKind = keyof typeof REPLY_KINDS;

export interface ReplyInput extends TransmissionContext {
  /** ID of the acte the préfecture's letter is about (from the received message). */
  idActe: string;
  /** `DateCourrierPref` of the préfecture's letter (AAAA-MM-JJ). */
  dateCourrierPref: string;
  /** Documents: none for the ARs, exactly one for 2-2/3-3/4-3/4-4, one or more for 3-4. */
  documents?: DocumentFile[];
}

function checkIdActe(idActe: string): void {
  if (!ID_ACTE_PATTERN.test(idActe) || !parseIdActe(idActe)) {
    throw fail(`L’identifiant d’acte « ${idActe} » n’a pas la forme attendue (par exemple 062-286200027-20231219-2023_63-DE).`, `bad IDActe ${idActe}`, {
      field: 'idActe',
    });
  }
}

export async function buildReplyArchive(kind: ReplyKind, input: ReplyInput): Promise<BuiltArchive> {
  const c = checkContext(input);
  const spec = REPLY_KINDS[kind];
  checkIdActe(input.idActe);
  const dateErr = checkIsoDate(input.dateCourrierPref, 'La date du courrier de la préfecture');
  if (dateErr) throw fail(dateErr, 'bad dateCourrierPref', { field: 'dateCourrierPref' });
  const documents = input.documents ?? [];
  if (spec.documents === 'none' && documents.length > 0) {
    throw fail(`Le message ${kind} (${spec.code}) ne porte aucun document.`, `${kind} takes no document`);
  }
  if (spec.documents === 'one' && documents.length !== 1) {
    throw fail(`Le message ${kind} (${spec.code}) porte exactement un document (reçu ${documents.length}).`, `${kind} takes one document`);
  }
  if (spec.documents === 'many' && documents.length < 1) {
    throw fail(`Le message ${kind} (${spec.code}) porte au moins un document.`, `${kind} takes at least one document`);
  }
  checkTotalSize(documents);
  const base = messageBaseName(input.idActe, spec.code);
  const docs: BuiltFile[] = documents.map((d, i) => ({
    name: messageFileName(base, i + 1, extensionOf(d, `document ${i + 1}`)),
    data: Buffer.from(d.data),
    role: 'document',
    originalName: d.fileName,
  }));
  const children: XNode[] = [];
  if (spec.documents === 'one') children.push(fichier('actes:Document', docs[0]!.name));
  if (spec.documents === 'many') children.push(el('actes:Documents', [], docs.map((d) => fichier('actes:Document', d.name))));
  const root = el(
    `actes:${kind}`,
    [...actesRootAttrs(), ['actes:IDActe', input.idActe], ['actes:DateCourrierPref', input.dateCourrierPref]],
    children,
  );
  const xml = serializeLatin1(root);
  assertSchemaValid(xml, kind);
  return pack(input, c, spec.code, { name: messageFileName(base, 0), data: xml }, docs, input.idActe);
}

export const buildReponseCourrierSimple = (i: ReplyInput): Promise<BuiltArchive> => buildReplyArchive('ReponseCourrierSimple', i);
export const buildARDemandePieceComplementaire = (i: ReplyInput): Promise<BuiltArchive> => buildReplyArchive('ARDemandePieceComplementaire', i);
export const buildRefusPieceComplementaire = (i: ReplyInput): Promise<BuiltArchive> => buildReplyArchive('RefusPieceComplementaire', i);
export const buildPieceComplementaire = (i: ReplyInput): Promise<BuiltArchive> => buildReplyArchive('PieceComplementaire', i);
export const buildARLettreObservations = (i: ReplyInput): Promise<BuiltArchive> => buildReplyArchive('ARLettreObservations', i);
export const buildRejetLettreObservations = (i: ReplyInput): Promise<BuiltArchive> => buildReplyArchive('RejetLettreObservations', i);
export const buildReponseLettreObservations = (i: ReplyInput): Promise<BuiltArchive> => buildReplyArchive('ReponseLettreObservations', i);

/** 6-1: cancels the transmission of an acte already sent. */
export async function buildAnnulationArchive(input: TransmissionContext & { idActe: string }): Promise<BuiltArchive> {
  const c = checkContext(input);
  checkIdActe(input.idActe);
  const xml = serializeLatin1(el('actes:Annulation', [...actesRootAttrs(), ['actes:IDActe', input.idActe]]));
  assertSchemaValid(xml, 'Annulation');
  const base = messageBaseName(input.idActe, '6-1');
  return pack(input, c, '6-1', { name: messageFileName(base, 0), data: xml }, [], input.idActe);
}

/**
 * 7-1: asks for the préfecture's classification. `dateClassification` is the version held; omit it (or send
 * an old date such as 2001-01-01, as Stela does) to get the full tree.
 */
export async function buildDemandeClassificationArchive(
  input: TransmissionContext & { dateClassification?: string },
): Promise<BuiltArchive> {
  const c = checkContext(input);
  const children: XNode[] = [];
  if (input.dateClassification !== undefined) {
    const dateErr = checkIsoDate(input.dateClassification, 'La date de classification');
    if (dateErr) throw fail(dateErr, 'bad dateClassification', { field: 'dateClassification' });
    children.push(el('actes:DateClassification', [], [input.dateClassification]));
  }
  const xml = serializeLatin1(el('actes:DemandeClassification', actesRootAttrs(), children));
  assertSchemaValid(xml, 'DemandeClassification');
  const base = noActeBaseName(c.departement, c.siren, '7-1');
  return pack(input, c, '7-1', { name: messageFileName(base, 0), data: xml }, []);
}
