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
