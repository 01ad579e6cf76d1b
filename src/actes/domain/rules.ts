/**
 * Field rules of ACTES metadata (PROTOCOLS A.2, A.3, A.8). Each check returns a French message, or
 * undefined when the value is acceptable, so callers can collect every problem at once.
 */

export const NUMERO_INTERNE_PATTERN = /^[A-Z0-9_]{1,15}$/;
export const SIREN_PATTERN = /^[0-9]{9}$/;
export const TYPOLOGIE_PATTERN = /^[0-9]{2}_[A-Z0-9]{2}$/;
export const ISO_DATE_PATTERN = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
/** Pattern of `actes:Email` in the XSD: no `+`, TLD of 2 to 6 letters. */
export const ACTES_EMAIL_PATTERN =
  /^[_a-zA-Z0-9-]+(\.[_a-zA-Z0-9-]+)*@[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*\.[a-zA-Z]{2,6}$/;
export const OBJET_MAX_LENGTH = 499;

export function checkNumeroInterne(value: string): string | undefined {
  if (value.length === 0) return 'Le numéro interne est obligatoire.';
  if (value.length > 15) return `Le numéro interne fait ${value.length} caractères, 15 au plus sont admis.`;
  if (!NUMERO_INTERNE_PATTERN.test(value)) {
    const bad = [...value].find((c) => !/[A-Z0-9_]/.test(c)) ?? '';
    if (/[a-z]/.test(bad)) {
      return `Le numéro interne « ${value} » contient des minuscules : utilisez des majuscules, des chiffres et « _ » (par exemple « ${value.toUpperCase().replace(/[^A-Z0-9_]/g, '_')} »).`;
    }
    const shown = bad === ' ' ? 'une espace' : `le caractère « ${bad} »`;
    return `Le numéro interne « ${value} » contient ${shown} : seuls les majuscules sans accent, les chiffres et « _ » sont admis.`;
  }
  return undefined;
}

/** Characters typed in office software that ISO-8859-1 cannot carry, with a safe replacement. */
const LATIN1_REPLACEMENTS: Record<string, string> = {
  '\u2018': "'", '\u2019': "'", '\u201A': "'", '\u201B': "'", '\u2032': "'",
  '\u201C': '"', '\u201D': '"', '\u201E': '"', '\u2033': '"',
  '\u2013': '-', '\u2014': '-', '\u2010': '-', '\u2011': '-', '\u2212': '-',
  '\u2026': '...', '\u0153': 'oe', '\u0152': 'OE', '\u20AC': 'EUR', '\u2022': '-',
  '\u00A0': ' ', '\u202F': ' ', '\u2009': ' ',
};

/**
 * Replaces the usual typographic characters that ISO-8859-1 lacks (’ “ ” – — … œ Œ €) and folds line
 * breaks into spaces. Offered to the user before the check, never applied silently to a sent acte.
 */
export function normalizeObjet(value: string): string {
  return [...value.replace(/\s*[\r\n]+\s*/g, ' ')].map((c) => LATIN1_REPLACEMENTS[c] ?? c).join('').trim();
}

export function isLatin1Representable(value: string): boolean {
  for (const c of value) if (c.codePointAt(0)! > 0xff) return false;
  return true;
}

export function checkObjet(value: string): string | undefined {
  if (value.trim().length === 0) return 'L’objet de l’acte est obligatoire.';
  if (value.length > OBJET_MAX_LENGTH) {
    return `L’objet fait ${value.length} caractères, ${OBJET_MAX_LENGTH} au plus sont admis.`;
  }
  if (/[\r\n]/.test(value)) return 'L’objet ne doit pas contenir de retour à la ligne.';
  for (const c of value) {
    const cp = c.codePointAt(0)!;
    if (cp > 0xff) {
      return `L’objet contient le caractère « ${c} » (U+${cp.toString(16).toUpperCase().padStart(4, '0')}) que la préfecture ne peut pas recevoir (ISO-8859-1) ; remplacez-le (par exemple ’ par ', œ par oe, € par EUR).`;
    }
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
      return `L’objet contient un caractère de contrôle invisible (U+${cp.toString(16).toUpperCase().padStart(4, '0')}).`;
    }
  }
  return undefined;
}

/** Luhn key of a SIREN (true for 000000000; the test platform's SIREN 999100057 fails it). */
export function isSirenLuhnValid(siren: string): boolean {
  let sum = 0;
  for (let i = 0; i < siren.length; i++) {
    let d = Number(siren[siren.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function checkSiren(value: string, opts: { checkLuhn?: boolean } = {}): string | undefined {
  if (!SIREN_PATTERN.test(value)) return `Le SIREN « ${value} » doit comporter exactement 9 chiffres.`;
  if (opts.checkLuhn !== false && !isSirenLuhnValid(value)) {
    return `Le SIREN « ${value} » n’est pas valide (clé de contrôle incorrecte).`;
  }
  return undefined;
}

export function isValidIsoDate(value: string): boolean {
  const m = ISO_DATE_PATTERN.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

export function checkIsoDate(value: string, labelFr: string): string | undefined {
  if (!isValidIsoDate(value)) return `${labelFr} « ${value} » n’est pas une date valide (format AAAA-MM-JJ).`;
  return undefined;
}

export function checkTypologieFormat(value: string): string | undefined {
  if (!TYPOLOGIE_PATTERN.test(value)) {
    return `Le code de typologie « ${value} » n’a pas la forme attendue (deux chiffres, « _ », deux majuscules ou chiffres, par exemple 99_DE).`;
  }
  return undefined;
}

export function checkActesEmail(value: string): string | undefined {
  if (!ACTES_EMAIL_PATTERN.test(value)) {
    return `L’adresse électronique « ${value} » n’est pas acceptée par @CTES (pas de « + », extension de 2 à 6 lettres).`;
  }
  return undefined;
}

/** `AAAA-MM-JJ` → `AAAAMMJJ`. */
export function compactDate(isoDate: string): string {
  return isoDate.replaceAll('-', '');
}

/** True for zod's built-in (English) messages, which are replaced by a French one before reaching a user. */
export function isZodDefault(message: string): boolean {
  return /^(Invalid|Expected|Too (big|small)|Unrecognized|Required)/.test(message);
}
