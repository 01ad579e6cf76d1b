/**
 * Unique ID of an acte (IDActe, PROTOCOLS A.3): `{dépt}-{SIREN}-{AAAAMMJJ}-{numéro}-{NA}`, built from the
 * decision date (not the sending date).
 */
import { AppError } from '../../shared/errors.ts';
import { isValidDepartement } from './departement.ts';
import { natureByAbbr, natureByCode, type NatureAbbr } from './natures.ts';
import { checkIsoDate, checkNumeroInterne, checkSiren, compactDate } from './rules.ts';

/** Loose form as the XSD and préfectures write it (lowercase numbers appear in old messages). */
export const ID_ACTE_PATTERN = /^([09][0-9][0-9AB])-([0-9]{9})-([0-9]{8})-([a-zA-Z0-9_]{1,15})-([A-Z]{2})$/;

export interface IdActeParts {
  departement: string;
  siren: string;
  /** AAAA-MM-JJ */
  dateDecision: string;
  numeroInterne: string;
  nature: NatureAbbr;
}

export interface BuildIdActeInput {
  departement: string;
  siren: string;
  dateDecision: string;
  numeroInterne: string;
  /** Nature code 1..6 */
  nature: number;
  /** Test platform: accept département 999 and a SIREN without a valid key. */
  testPlatform?: boolean;
}

export function buildIdActe(input: BuildIdActeInput): string {
  const errors: { field: string; message: string }[] = [];
  if (!isValidDepartement(input.departement, { allowTest: input.testPlatform })) {
    errors.push({ field: 'departement', message: `Le département « ${input.departement} » n’est pas valide (3 caractères, par exemple 062, 02A, 974).` });
  }
  const sirenErr = checkSiren(input.siren, { checkLuhn: !input.testPlatform });
  if (sirenErr) errors.push({ field: 'siren', message: sirenErr });
  const dateErr = checkIsoDate(input.dateDecision, 'La date de décision');
  if (dateErr) errors.push({ field: 'dateDecision', message: dateErr });
  const numErr = checkNumeroInterne(input.numeroInterne);
  if (numErr) errors.push({ field: 'numeroInterne', message: numErr });
  const nature = natureByCode(input.nature);
  if (!nature) errors.push({ field: 'nature', message: `La nature d’acte « ${input.nature} » n’existe pas (1 à 6).` });
  if (errors.length > 0 || !nature) {
    throw new AppError(
      'VALIDATION',
      `Identifiant d’acte impossible à construire : ${errors.map((e) => e.message).join(' ')}`,
      `cannot build IDActe: ${errors.map((e) => e.field).join(', ')}`,
      { errors },
    );
  }
  return `${input.departement}-${input.siren}-${compactDate(input.dateDecision)}-${input.numeroInterne}-${nature.abbr}`;
}

export function parseIdActe(id: string): IdActeParts | undefined {
  const m = ID_ACTE_PATTERN.exec(id);
  if (!m) return undefined;
  const nature = natureByAbbr(m[5]!);
  if (!nature) return undefined;
  const d = m[3]!;
  return {
    departement: m[1]!,
    siren: m[2]!,
    dateDecision: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`,
    numeroInterne: m[4]!,
    nature: nature.abbr,
  };
}
