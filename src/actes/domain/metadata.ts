/**
 * Metadata of an acte to transmit, as the user or the business software gives it. One zod schema for
 * validation and types; `validateActeMetadata` adds the cross-field and classification checks and returns
 * French messages naming the field.
 */
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import type { Classification } from '../classification/classification.ts';
import {
  findMatiere,
  formatMatiereCode,
  hasTypologie,
  isTypologieValidForNature,
  parseMatiereCode,
  typologiesForNature,
} from '../classification/classification.ts';
import { ID_ACTE_PATTERN, parseIdActe } from './id-acte.ts';
import { natureByAbbr, natureByCode, type NatureCode } from './natures.ts';
import { checkIsoDate, checkNumeroInterne, checkObjet, checkTypologieFormat, isZodDefault } from './rules.ts';

export interface FieldError {
  /** Dotted path of the field, e.g. `typologieAnnexes.1`. */
  field: string;
  message: string;
}

function refineWith(check: (v: string) => string | undefined) {
  return (v: string, ctx: z.RefinementCtx): void => {
    const msg = check(v);
    if (msg) ctx.addIssue({ code: 'custom', message: msg });
  };
}

const natureInput = z
  .union([z.number(), z.string()], { error: 'La nature de l’acte est obligatoire (code 1 à 6 ou DE, AR, AI, CC, BF, AU).' })
  .transform((v, ctx): NatureCode => {
    const n = typeof v === 'number' ? natureByCode(v) : (natureByAbbr(v.toUpperCase()) ?? natureByCode(Number(v)));
    if (!n) {
      ctx.addIssue({ code: 'custom', message: `La nature d’acte « ${v} » n’existe pas (1 à 6 ou DE, AR, AI, CC, BF, AU).` });
      return z.NEVER;
    }
    return n.code;
  });

const classificationInput = z
  .union([z.string(), z.array(z.number())], { error: 'La classification (matière) de l’acte est obligatoire, par exemple « 7.1 ».' })
  .transform((v, ctx): number[] => {
    const path = typeof v === 'string' ? parseMatiereCode(v) : v;
    if (!path || path.length < 2 || path.length > 5 || path.some((c) => !Number.isInteger(c) || c < 0 || c > 999)) {
      ctx.addIssue({
        code: 'custom',
        message: `La classification « ${Array.isArray(v) ? v.join('.') : v} » doit compter de 2 à 5 niveaux numériques (par exemple 7.1 ou 7.1.2).`,
      });
      return z.NEVER;
    }
    return path;
  });

const requiredString = (msg: string) => z.string({ error: msg });

export const acteMetadataSchema = z.object({
  nature: natureInput.describe('Nature de l’acte'),
  classification: classificationInput.describe('Classification (matière)'),
  numeroInterne: requiredString('Le numéro interne est obligatoire.').superRefine(refineWith(checkNumeroInterne)).describe('Numéro de l’acte'),
  dateDecision: requiredString('La date de décision est obligatoire.').superRefine(
    refineWith((v) => checkIsoDate(v, 'La date de décision')),
  ).describe('Date de la décision'),
  objet: requiredString('L’objet de l’acte est obligatoire.').superRefine(refineWith(checkObjet)).describe('Objet'),
  documentPapier: z.boolean({ error: 'L’indication « document papier » doit valoir vrai ou faux.' }).default(false).describe('Document papier'),
  typologieActe: requiredString('Le type de pièce (typologie) de l’acte est obligatoire, par exemple 99_DE.').superRefine(
    refineWith(checkTypologieFormat),
  ).describe('Type de pièce de l’acte'),
  typologieAnnexes: z
    .array(requiredString('Chaque annexe doit avoir un type de pièce (typologie).').superRefine(refineWith(checkTypologieFormat)), {
      error: 'Les typologies des annexes doivent être une liste.',
    })
    .default([])
    .describe('Types de pièce des annexes'),
  precedentIdActe: requiredString('L’identifiant de l’acte précédent doit être un texte.')
    .superRefine(
      refineWith((v) =>
        ID_ACTE_PATTERN.test(v) && parseIdActe(v)
          ? undefined
          : `L’identifiant de l’acte précédent « ${v} » n’a pas la forme attendue (par exemple 062-286200027-20231219-2023_63-DE).`,
      ),
    )
    .optional()
    .describe('Identifiant de l’acte précédent'),
});

export type ActeMetadataInput = z.input<typeof acteMetadataSchema>;
export type ActeMetadata = z.output<typeof acteMetadataSchema>;

export interface ValidateOptions {
  /** The préfecture's current classification: when given, the matière path and typologies are checked against it. */
  classification?: Classification;
  /** Number of annexes actually attached: when given, must equal the number of annex typologies. */
  annexCount?: number;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };


function zodToFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((i) => {
    const field = i.path.map(String).join('.') || '(racine)';
    let message = i.message;
    // Built-in zod messages are English: replace the ones a user can trigger by a French one.
    if (isZodDefault(message)) message = `Le champ « ${field} » est manquant ou de type incorrect.`;
    else if (i.code === 'unrecognized_keys') message = `Champs inconnus : ${i.keys.join(', ')}.`;
    return { field, message };
  });
}

/** Checks the metadata alone, then against the classification when one is given. */
export function validateActeMetadata(input: unknown, opts: ValidateOptions = {}): ValidationResult<ActeMetadata> {
  const parsed = acteMetadataSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: zodToFieldErrors(parsed.error) };
  const m = parsed.data;
  const errors: FieldError[] = [];
  if (opts.annexCount !== undefined && opts.annexCount !== m.typologieAnnexes.length) {
    errors.push({
      field: 'typologieAnnexes',
      message: `${opts.annexCount} annexe(s) jointe(s) mais ${m.typologieAnnexes.length} typologie(s) d’annexe indiquée(s) : il en faut une par annexe.`,
    });
  }
  const cls = opts.classification;
  if (cls) {
    if (!findMatiere(cls, m.classification)) {
      errors.push({
        field: 'classification',
        message: `La matière ${formatMatiereCode(m.classification)} n’existe pas dans la classification de la préfecture du ${cls.dateClassification}.`,
      });
    }
    if (hasTypologie(cls, m.nature)) {
      const nature = natureByCode(m.nature)!;
      const allowed = typologiesForNature(cls, m.nature)!.map((t) => t.code);
      const check = (code: string, field: string, what: string): void => {
        if (!isTypologieValidForNature(cls, m.nature, code)) {
          errors.push({
            field,
            message: `Le type de pièce « ${code} » ${what} n’est pas admis pour la nature « ${nature.label} » (admis : ${allowed.join(', ')}).`,
          });
        }
      };
      check(m.typologieActe, 'typologieActe', 'de l’acte');
      m.typologieAnnexes.forEach((code, i) => check(code, `typologieAnnexes.${i}`, `de l’annexe ${i + 1}`));
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: m };
}

/** Same as validateActeMetadata but throws an AppError('VALIDATION') carrying every field error. */
export function parseActeMetadata(input: unknown, opts: ValidateOptions = {}): ActeMetadata {
  const r = validateActeMetadata(input, opts);
  if (!r.ok) throw metadataError(r.errors);
  return r.value;
}

export function metadataError(errors: FieldError[]): AppError {
  return new AppError(
    'VALIDATION',
    `Métadonnées de l’acte invalides : ${errors.map((e) => `${e.field} : ${e.message}`).join(' ; ')}`,
    `invalid acte metadata: ${errors.map((e) => e.field).join(', ')}`,
    { errors },
  );
}
