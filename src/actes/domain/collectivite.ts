/**
 * Identity of the sending collectivité as the enveloppe carries it (`IDCL`, `Referent`, `AdressesRetour`,
 * PROTOCOLS A.4).
 */
import { z } from 'zod';
import { isCollectiviteNature } from './collectivite-natures.ts';
import { isValidDepartement } from './departement.ts';
import { checkActesEmail, checkSiren, isZodDefault } from './rules.ts';
import type { FieldError, ValidationResult } from './metadata.ts';
import { AppError } from '../../shared/errors.ts';

export interface CollectiviteOptions {
  /** Test platform (`TACT`): accept département 999 and a SIREN whose key is wrong (999100057). */
  testPlatform?: boolean;
}

const email = z.string({ error: 'Adresse électronique manquante.' }).superRefine((v, ctx) => {
  const m = checkActesEmail(v);
  if (m) ctx.addIssue({ code: 'custom', message: m });
});

export function collectiviteSchema(opts: CollectiviteOptions = {}) {
  return z.object({
    siren: z.string({ error: 'Le SIREN est obligatoire.' }).superRefine((v, ctx) => {
      const m = checkSiren(v, { checkLuhn: !opts.testPlatform });
      if (m) ctx.addIssue({ code: 'custom', message: m });
    }),
    departement: z.string({ error: 'Le département est obligatoire.' }).superRefine((v, ctx) => {
      if (!isValidDepartement(v, { allowTest: opts.testPlatform })) {
        ctx.addIssue({ code: 'custom', message: `Le département « ${v} » n’est pas valide (3 caractères, par exemple 062, 02A, 974).` });
      }
    }),
    arrondissement: z
      .union([z.number(), z.string()], { error: 'L’arrondissement est obligatoire (un chiffre).' })
      .transform((v, ctx) => {
        const s = String(v);
        if (!/^[0-9]$/.test(s)) {
          ctx.addIssue({ code: 'custom', message: `L’arrondissement « ${s} » doit être un seul chiffre.` });
          return z.NEVER;
        }
        return s;
      }),
    nature: z.string({ error: 'La nature de la collectivité est obligatoire (2 chiffres, par exemple 31 pour une commune).' }).superRefine((v, ctx) => {
      if (!isCollectiviteNature(v)) {
        ctx.addIssue({ code: 'custom', message: `La nature de collectivité « ${v} » est inconnue (par exemple 31 commune, 44 communauté de communes).` });
      }
    }),
    referent: z
      .object({
        nom: z.string().optional(),
        telephone: z.string().optional(),
        email: email.optional(),
      })
      .optional(),
    /** Return mailboxes for the préfecture's messages: the TdT's own first, then the user's (A.4). */
    adressesRetour: z.array(email, { error: 'Au moins une adresse de retour est obligatoire.' }).min(1, {
      error: 'Au moins une adresse de retour est obligatoire.',
    }),
  });
}

export type CollectiviteInput = z.input<ReturnType<typeof collectiviteSchema>>;
export type Collectivite = z.output<ReturnType<typeof collectiviteSchema>>;

export function validateCollectivite(input: unknown, opts: CollectiviteOptions = {}): ValidationResult<Collectivite> {
  const r = collectiviteSchema(opts).safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  const errors: FieldError[] = r.error.issues.map((i) => {
    const field = i.path.map(String).join('.') || '(racine)';
    return { field, message: isZodDefault(i.message) ? `Le champ « ${field} » est manquant ou de type incorrect.` : i.message };
  });
  return { ok: false, errors };
}

export function parseCollectivite(input: unknown, opts: CollectiviteOptions = {}): Collectivite {
  const r = validateCollectivite(input, opts);
  if (!r.ok) {
    throw new AppError(
      'VALIDATION',
      `Identité de la collectivité invalide : ${r.errors.map((e) => `${e.field} : ${e.message}`).join(' ; ')}`,
      `invalid collectivite: ${r.errors.map((e) => e.field).join(', ')}`,
      { errors: r.errors },
    );
  }
  return r.value;
}
