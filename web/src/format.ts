/** Dates in French, always in the Europe/Paris time zone (whatever the browser's own zone). */
const TZ = 'Europe/Paris';
const dateTime = new Intl.DateTimeFormat('fr-FR', { timeZone: TZ, dateStyle: 'short', timeStyle: 'short' });
const dateLong = new Intl.DateTimeFormat('fr-FR', { timeZone: TZ, day: 'numeric', month: 'long', year: 'numeric' });
const monthYear = new Intl.DateTimeFormat('fr-FR', { timeZone: TZ, month: 'long', year: 'numeric' });
const ym = new Intl.DateTimeFormat('fr-CA', { timeZone: TZ, year: 'numeric', month: '2-digit' });

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}
export function formatDate(iso: string): string {
  return dateLong.format(new Date(iso));
}
export function formatMonth(d: Date): string {
  return monthYear.format(d);
}
/** "2026-11" for the month a date falls in, in Paris. */
export function parisMonth(d: Date): string {
  return ym.format(d).slice(0, 7);
}

const nf = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} o`;
  if (bytes < 1024 * 1024) return `${nf.format(bytes / 1024)} Ko`;
  return `${nf.format(bytes / 1024 / 1024)} Mo`;
}
export function formatNumber(n: number): string {
  return new Intl.NumberFormat('fr-FR').format(n);
}

const euro = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });
/** "39724.75" (PES amounts, dot decimal) → « 39 724,75 € »; missing or unreadable → « — ». */
export function formatEuros(amount: string | null | undefined): string {
  if (amount === null || amount === undefined || amount === '') return '—';
  const n = Number(amount);
  return Number.isFinite(n) ? euro.format(n) : amount;
}

/** Offset of Paris from UTC at an instant, as "+01:00" / "+02:00". */
function parisOffset(at: Date): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: TZ, timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT+01:00';
  const m = /GMT([+-]\d{2}:\d{2})/.exec(name);
  return m ? m[1]! : '+00:00';
}
/** "2026-11-23" → the ISO instant of midnight that day in Paris ("2026-11-23T00:00:00+01:00"). */
export function parisMidnight(day: string): string {
  return `${day}T00:00:00${parisOffset(new Date(`${day}T12:00:00Z`))}`;
}
/** The calendar day ("2026-11-23") an instant falls on in Paris. */
export function parisDay(iso: string | Date): string {
  return new Intl.DateTimeFormat('fr-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}
/** The day after a "YYYY-MM-DD" day. */
export function nextDay(day: string): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
/** « novembre 2026 » for "2026-11". */
export function formatMonthKey(month: string): string {
  return formatMonth(new Date(`${month}-15T12:00:00Z`));
}
