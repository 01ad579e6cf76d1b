/**
 * Amounts of a PES are decimal strings ("1234.56", "-12.5"). They are summed as integers of 10^-6 units
 * (BigInt), so that no rounding of binary floating point can make a correct bordereau look wrong.
 */
const SCALE_DIGITS = 6;
const AMOUNT = /^\s*([+-]?)(\d+)(?:\.(\d{1,6}))?\s*$/;

export function parseAmount(s: string | undefined): bigint | undefined {
  if (s === undefined) return undefined;
  const m = AMOUNT.exec(s);
  if (!m) return undefined;
  const frac = (m[3] ?? '').padEnd(SCALE_DIGITS, '0');
  const v = BigInt(m[2]! + frac);
  return m[1] === '-' ? -v : v;
}

export function addAmount(acc: bigint, v: bigint | undefined): bigint {
  return v === undefined ? acc : acc + v;
}

/** "1234.56" (two decimals at least, more when needed). */
export function formatAmount(v: bigint): string {
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const s = abs.toString().padStart(SCALE_DIGITS + 1, '0');
  let int = s.slice(0, -SCALE_DIGITS);
  let frac = s.slice(-SCALE_DIGITS).replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  int = int.replace(/^0+(?=\d)/, '');
  return `${neg ? '-' : ''}${int}.${frac}`;
}

/** French display: "1 234,56 €". */
export function formatAmountFr(v: bigint | string | undefined): string {
  if (v === undefined) return '—';
  const b = typeof v === 'string' ? parseAmount(v) : v;
  if (b === undefined) return String(v);
  const [i, f] = formatAmount(b).split('.');
  const neg = i!.startsWith('-');
  const digits = neg ? i!.slice(1) : i!;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
  return `${neg ? '-' : ''}${grouped},${f} €`;
}
