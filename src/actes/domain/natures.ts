/**
 * ACTES nature codes (attribute `actes:CodeNatureActe`, 1..6) and their two-letter abbreviation used in the
 * unique ID and in file names (PROTOCOLS A.2).
 */
export const NATURES = [
  { code: 1, abbr: 'DE', label: 'Délibérations' },
  { code: 2, abbr: 'AR', label: 'Actes réglementaires' },
  { code: 3, abbr: 'AI', label: 'Actes individuels' },
  { code: 4, abbr: 'CC', label: 'Contrats, conventions et avenants' },
  { code: 5, abbr: 'BF', label: 'Documents budgétaires et financiers' },
  { code: 6, abbr: 'AU', label: 'Autres' },
] as const;

export type NatureCode = (typeof NATURES)[number]['code'];
export type NatureAbbr = (typeof NATURES)[number]['abbr'];
export interface Nature {
  code: NatureCode;
  abbr: NatureAbbr;
  label: string;
}

export function isNatureCode(v: unknown): v is NatureCode {
  return typeof v === 'number' && NATURES.some((n) => n.code === v);
}

export function natureByCode(code: number): Nature | undefined {
  return NATURES.find((n) => n.code === code);
}

export function natureByAbbr(abbr: string): Nature | undefined {
  return NATURES.find((n) => n.abbr === abbr);
}
