import { z } from 'zod';
import { isValidDepartement, isValidSiren, isValidSiret } from './siren.ts';
import type { CollectiviteRow } from '../platform/db/schema.ts';

export const COLLECTIVITE_TYPES = ['commune', 'epci', 'syndicat', 'ccas', 'departement', 'region', 'etablissement_public', 'autre'] as const;
export const COLLECTIVITE_TYPE_LABELS: Record<(typeof COLLECTIVITE_TYPES)[number], string> = {
  commune: 'Commune',
  epci: 'EPCI',
  syndicat: 'Syndicat',
  ccas: 'CCAS',
  departement: 'Département',
  region: 'Région',
  etablissement_public: 'Établissement public',
  autre: 'Autre',
};
export const SERVICES = ['parapheur', 'actes', 'helios', 'convocation', 'mailsec', 'marches', 'chorus', 'ged', 'sae'] as const;

export const collectiviteInput = z.object({
  name: z.string().trim().min(2, 'Le nom est obligatoire.').max(200),
  type: z.enum(COLLECTIVITE_TYPES, { error: 'Type de collectivité inconnu.' }),
  siren: z.string().refine(isValidSiren, 'SIREN invalide : 9 chiffres avec une clé de Luhn correcte.'),
  sirets: z.array(z.string().refine(isValidSiret, 'SIRET invalide : 14 chiffres avec une clé correcte.')).default([]),
  insee: z.string().regex(/^(\d{5}|2[AB]\d{3})$/, 'Code INSEE invalide (5 caractères).').nullable().default(null),
  population: z.number().int().min(0).nullable().default(null),
  departement: z.string().refine(isValidDepartement, 'Département invalide : 3 caractères, par exemple 062, 02A ou 974.'),
  arrondissement: z.number().int().min(0).max(9).nullable().default(null),
  services: z.array(z.enum(SERVICES)).default([]),
  groupId: z.uuid().nullable().default(null),
});
export type CollectiviteInput = z.infer<typeof collectiviteInput>;

export const collectivitePatch = collectiviteInput.partial();

export const collectiviteView = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  typeLabel: z.string(),
  siren: z.string(),
  sirets: z.array(z.string()),
  insee: z.string().nullable(),
  population: z.number().nullable(),
  departement: z.string(),
  arrondissement: z.number().nullable(),
  services: z.array(z.string()),
  groupId: z.string().nullable(),
  createdAt: z.string(),
});
export type CollectiviteView = z.infer<typeof collectiviteView>;

export function presentCollectivite(r: CollectiviteRow): CollectiviteView {
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    typeLabel: COLLECTIVITE_TYPE_LABELS[r.type as keyof typeof COLLECTIVITE_TYPE_LABELS] ?? r.type,
    siren: r.siren,
    sirets: r.sirets,
    insee: r.insee,
    population: r.population,
    departement: r.departement,
    arrondissement: r.arrondissement,
    services: r.services,
    groupId: r.group_id,
    createdAt: r.created_at.toISOString(),
  };
}
