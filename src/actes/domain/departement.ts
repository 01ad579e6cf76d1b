/**
 * Départements on three characters as ACTES writes them (`062`, `02A`, `974`). The XSD pattern
 * `[0|9][0-9][A|B|0-9]` also admits a literal `|`: we apply the strict form plus a whitelist.
 */
export const DEPARTEMENT_PATTERN = /^(0[0-9][0-9AB]|9[0-9][0-9AB])$/;

/** The département used by the @CTES test platforms (FAST / S²LOW samples: `999-…`). */
export const TEST_DEPARTEMENT = '999';

function buildWhitelist(): ReadonlySet<string> {
  const s = new Set<string>();
  for (let i = 1; i <= 95; i++) {
    if (i === 20) continue; // Corse is 2A / 2B
    s.add(String(i).padStart(3, '0'));
  }
  s.add('02A');
  s.add('02B');
  // Overseas: Guadeloupe, Martinique, Guyane, La Réunion, Saint-Pierre-et-Miquelon, Mayotte,
  // Saint-Barthélemy, Saint-Martin; Wallis-et-Futuna, Polynésie française, Nouvelle-Calédonie.
  for (const d of ['971', '972', '973', '974', '975', '976', '977', '978', '986', '987', '988']) s.add(d);
  return s;
}

export const DEPARTEMENTS: ReadonlySet<string> = buildWhitelist();

export interface DepartementOptions {
  /** Accept `999`, the test platform's département. */
  allowTest?: boolean;
}

export function isValidDepartement(value: string, opts: DepartementOptions = {}): boolean {
  if (!DEPARTEMENT_PATTERN.test(value)) return false;
  if (opts.allowTest && value === TEST_DEPARTEMENT) return true;
  return DEPARTEMENTS.has(value);
}

/** `62` → `062`, `2a` → `02A`, `974` → `974`; returns undefined for anything that is not a département. */
export function normalizeDepartement(value: string, opts: DepartementOptions = {}): string | undefined {
  const v = value.trim().toUpperCase();
  const padded = v.length < 3 ? v.padStart(3, '0') : v;
  return isValidDepartement(padded, opts) ? padded : undefined;
}
