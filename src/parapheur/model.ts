/** The parapheur's configuration data as zod schemas: one schema validates input, types the code and feeds OpenAPI. */
import type { SignatureScope } from './signature/xades/global.ts';
import { z } from 'zod';

const uuid = z.uuid('Identifiant invalide.');

/** Who acts at a step: fixed bureaux (all/any), the émetteur's bureau, its superior, or a bureau chosen at creation. */
export const stepActors = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bureaux'), bureauIds: z.array(uuid).min(1, 'Indiquez au moins un bureau.').max(20), mode: z.enum(['all', 'any']).default('any') }),
  z.object({ type: z.literal('emetteur') }),
  z.object({ type: z.literal('superieur') }),
  z.object({ type: z.literal('variable'), key: z.string().trim().min(1).max(50).describe('Nom du bureau à choisir à la création (métadonnée bureauxVariables)') }),
]);
export type StepActors = z.infer<typeof stepActors>;

export const circuitStep = z.object({
  kind: z.enum(['visa', 'signature', 'cachet']),
  actors: stepActors.optional().describe('Absent pour un cachet (appliqué par le serveur)'),
});
export type CircuitStep = z.infer<typeof circuitStep>;

const circuitFields = { name: z.string().trim().min(1, 'Le nom est obligatoire.').max(200), steps: z.array(circuitStep).min(1, 'Un circuit a au moins une étape.').max(30) };
const everyStepSaysWhoActs = (c: { steps: CircuitStep[] }, ctx: z.RefinementCtx) => {
  c.steps.forEach((s, i) => {
    if (s.kind !== 'cachet' && !s.actors) ctx.addIssue({ code: 'custom', path: ['steps', i, 'actors'], message: `L’étape ${i + 1} (${s.kind}) doit désigner qui agit.` });
  });
};

export const circuitInput = z.object(circuitFields).superRefine(everyStepSaysWhoActs);

/** The version an edit started from: `version` of the circuit or typologie as it was read. */
const expectedVersion = z.number().int().min(1).describe('Version lue avant la modification (un autre enregistrement entre-temps : 409)');

/** Edit in place (PUT): the same fields and rules as creation, plus the version read. */
export const circuitUpdateInput = z.object({ ...circuitFields, version: expectedVersion }).superRefine(everyStepSaysWhoActs);

export const markSettings = z.object({
  text: z.string().max(200).default('Signé par {signataire} le {date}').describe('{signataire}, {pourCompteDe}, {date} sont remplacés'),
  tag: z.string().max(50).optional().describe('Étiquette de placement dans le PDF, ex. #signature#'),
  page: z.number().int().min(1).optional(),
  x: z.number().min(0).optional(),
  y: z.number().min(0).optional(),
});
export type MarkSettings = z.infer<typeof markSettings>;

/** PAdES baseline levels a typologie may ask for (ETSI EN 319 142-1); B-T and above need the collectivité's TSA. */
export const PADES_LEVELS = ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const;
export const padesLevel = z.enum(PADES_LEVELS);

const typologieFields = {
  type: z.string().trim().min(1, 'Le type est obligatoire.').max(100),
  sousType: z.string().trim().min(1, 'Le sous-type est obligatoire.').max(100),
  circuitId: uuid,
  format: z.enum(['pades', 'xades', 'cades']).default('pades'),
  mark: markSettings.nullable().default(null),
  niveauPades: padesLevel.nullable().default(null).describe('Niveau PAdES des signatures (format pades seulement, ignoré sinon) ; absent : B-T si un horodatage est configuré, sinon B-B'),
};
export const typologieInput = z.object(typologieFields);
export const typologieUpdateInput = z.object({ ...typologieFields, version: expectedVersion });

export const bureauInput = z.object({
  name: z.string().trim().min(1, 'Le nom est obligatoire.').max(200),
  superiorId: uuid.nullable().default(null),
  holderUserIds: z.array(uuid).max(50).default([]),
});

export const delegationInput = z.object({
  fromBureauId: uuid,
  toBureauId: uuid,
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }),
  typologieIds: z.array(uuid).max(100).default([]).describe('Vide : toutes les typologies'),
});

/** Metadata of a `document-a-signer` dossier. */
export const documentASignerMetadata = z.object({
  typologieId: uuid.describe('Typologie (type × sous-type) qui choisit le circuit'),
  bureauEmetteurId: uuid.describe('Bureau au nom duquel le dossier est émis'),
  bureauxVariables: z.record(z.string(), uuid).default({}).describe('Bureaux choisis pour les étapes « variable »'),
  dateLimite: z.iso.datetime({ offset: true }).optional().describe('Date limite de traitement'),
  porteeSignature: z.enum(['bordereaux', 'global']).optional().describe('Flux PES (XAdES) : une signature par bordereau, ou une signature globale du PES_Aller ; absent : selon le fichier'),
});
export type DocumentASignerMetadata = z.infer<typeof documentASignerMetadata>;

/** A PES's signature scope asked at submission (`porteeSignature`), else 'auto': the file decides (xades/global.ts). */
export function xadesScopeOf(metadata: Record<string, unknown>): SignatureScope {
  return metadata.porteeSignature === 'global' || metadata.porteeSignature === 'bordereaux' ? metadata.porteeSignature : 'auto';
}

/**
 * The scope of a signing step on a PES: the one asked at submission, except after an earlier signing step of
 * the circuit (its output is the current document): a Bordereau carries one Signature only (schema), so the
 * next signer or the seal signs the whole PES_Aller, over the earlier signatures.
 */
export function xadesScopeOfStep<T extends { role: string; media_type: string }>(metadata: Record<string, unknown>, docs: T[]): SignatureScope {
  return currentDocument(docs)?.role === 'signed' ? 'global' : xadesScopeOf(metadata);
}

/**
 * Files a `document-a-signer` dossier with a CAdES typologie may carry as principal document, as the
 * documents sniffer names them: PDF, XML, OpenDocument, Office Open XML, images, plain text (TXT, CSV).
 */
export const CADES_CONTENT_MEDIA_TYPES: readonly string[] = [
  'application/pdf',
  'application/xml',
  'text/plain',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'image/png',
  'image/jpeg',
  'image/tiff',
];

/** Media type of the detached CAdES signatures (.p7s) stored beside the signed file (role `signed`). */
export const DETACHED_SIGNATURE_MEDIA_TYPE = 'application/pkcs7-signature';

/**
 * The dossier's current document: the last signed version (PAdES, XAdES), else the principal. Detached
 * CAdES signatures (.p7s) are not versions of the document: with CAdES the principal stays the signed content.
 */
export function currentDocument<T extends { role: string; media_type: string }>(docs: T[]): T | undefined {
  return [...docs].reverse().find((d) => d.role === 'signed' && d.media_type !== DETACHED_SIGNATURE_MEDIA_TYPE) ?? docs.find((d) => d.role === 'principal');
}

/** The detached CAdES signatures of a dossier, in signing order. */
export function detachedSignatures<T extends { role: string; media_type: string }>(docs: T[]): T[] {
  return docs.filter((d) => d.role === 'signed' && d.media_type === DETACHED_SIGNATURE_MEDIA_TYPE);
}

/**
 * Name of what a signing step produces: `arrete-signe-2.pdf` for a new PDF/PES version, and for a
 * detached CAdES signature the signed file's name plus the step: `budget.csv.signature-2.p7s`.
 */
export function signedFilename(sourceFilename: string, position: number, extension: string): string {
  if (extension === 'p7s') return `${sourceFilename}.signature-${position}.p7s`;
  return `${sourceFilename.replace(/(-signe(-\d+)?)?\.(pdf|xml)$/i, '')}-signe-${position}.${extension}`;
}
