/** SIREN (9 digits) and SIRET (14 digits) carry a Luhn key. La Poste's SIRETs (SIREN 356000000) use a digit sum instead. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function isValidSiren(value: string): boolean {
  return /^\d{9}$/.test(value) && luhnValid(value);
}

const LA_POSTE_SIREN = '356000000';

export function isValidSiret(value: string): boolean {
  if (!/^\d{14}$/.test(value)) return false;
  if (value.startsWith(LA_POSTE_SIREN)) {
    const sum = [...value].reduce((s, c) => s + Number(c), 0);
    return sum % 5 === 0;
  }
  return luhnValid(value);
}

/** Appends the Luhn key to 8 digits: used to mint demo SIRENs. */
export function withLuhnKey(base: string): string {
  for (let k = 0; k <= 9; k++) if (luhnValid(base + k)) return base + k;
  throw new Error('unreachable');
}

/** Département code on 3 characters as ACTES wants it: 001–095, 02A, 02B, 971–976. */
export function isValidDepartement(value: string): boolean {
  if (value === '02A' || value === '02B') return true;
  if (!/^\d{3}$/.test(value)) return false;
  const n = Number(value);
  return (n >= 1 && n <= 95 && n !== 20) || (n >= 971 && n <= 976);
}
