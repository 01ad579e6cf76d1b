/** The parapheur's configuration data as zod schemas: one schema validates input, types the code and feeds OpenAPI. */
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

export const circuitInput = z
  .object({ name: z.string().trim().min(1, 'Le nom est obligatoire.').max(200), steps: z.array(circuitStep).min(1, 'Un circuit a au moins une étape.').max(30) })
  .superRefine((c, ctx) => {
    c.steps.forEach((s, i) => {
      if (s.kind !== 'cachet' && !s.actors) ctx.addIssue({ code: 'custom', path: ['steps', i, 'actors'], message: `L’étape ${i + 1} (${s.kind}) doit désigner qui agit.` });
    });
  });

export const markSettings = z.object({
  text: z.string().max(200).default('Signé par {signataire} le {date}').describe('{signataire}, {pourCompteDe}, {date} sont remplacés'),
  tag: z.string().max(50).optional().describe('Étiquette de placement dans le PDF, ex. #signature#'),
  page: z.number().int().min(1).optional(),
  x: z.number().min(0).optional(),
  y: z.number().min(0).optional(),
});
export type MarkSettings = z.infer<typeof markSettings>;

export const typologieInput = z.object({
  type: z.string().trim().min(1, 'Le type est obligatoire.').max(100),
  sousType: z.string().trim().min(1, 'Le sous-type est obligatoire.').max(100),
  circuitId: uuid,
  format: z.enum(['pades', 'xades', 'cades']).default('pades'),
  mark: markSettings.nullable().default(null),
});

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
});
export type DocumentASignerMetadata = z.infer<typeof documentASignerMetadata>;

/** The dossier's current document: the last signed version, else the principal. */
export function currentDocument<T extends { role: string }>(docs: T[]): T | undefined {
  return [...docs].reverse().find((d) => d.role === 'signed') ?? docs.find((d) => d.role === 'principal');
}
