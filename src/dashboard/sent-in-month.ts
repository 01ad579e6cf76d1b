/**
 * « Envoyé ce mois-ci » of the dashboard: the actes sent to the préfecture and the PES flows sent to the
 * trésorerie whose transmission date falls in a calendar month of Europe/Paris (the collectivité's month,
 * whatever the server's time zone).
 */
import type { Deps } from '../app/deps.ts';
import type { DossierRow } from '../platform/db/schema.ts';
import { badInput } from '../shared/errors.ts';

const TZ = 'Europe/Paris';

/** Offset of Paris from UTC, in minutes, at an instant. */
function parisOffsetMinutes(at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: TZ, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(at);
  const n = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return (Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute')) - Math.floor(at.getTime() / 60_000) * 60_000) / 60_000;
}

/** Midnight on the first day of the month, Paris time, as an instant (DST never changes on the 1st at midnight). */
function parisMonthStart(year: number, month: number): Date {
  const utc = new Date(Date.UTC(year, month - 1, 1));
  return new Date(utc.getTime() - parisOffsetMinutes(utc) * 60_000);
}

/** [start, end) instants of a "YYYY-MM" month in Paris. */
export function parisMonthRange(month: string): { start: Date; end: Date } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw badInput('Le mois doit être au format AAAA-MM.', `bad month ${month}`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  return { start: parisMonthStart(y, mo), end: mo === 12 ? parisMonthStart(y + 1, 1) : parisMonthStart(y, mo + 1) };
}

/** The month ("YYYY-MM") an instant falls in, in Paris. */
export function parisMonthOf(at: Date): string {
  return new Intl.DateTimeFormat('fr-CA', { timeZone: TZ, year: 'numeric', month: '2-digit' }).format(at).slice(0, 7);
}

export interface SentInMonth {
  month: string;
  actes: { dossier: DossierRow; sentAt: Date }[];
  pes: { dossier: DossierRow; sentAt: Date }[];
}

export async function sentInMonth(deps: Deps, collectiviteId: string, month: string): Promise<SentInMonth> {
  const { start, end } = parisMonthRange(month);
  const actes = await deps.db
    .selectFrom('actes_acte')
    .innerJoin('dossier', 'dossier.id', 'actes_acte.dossier_id')
    .selectAll('dossier')
    .select('actes_acte.sent_at as sent_at')
    .where('actes_acte.collectivite_id', '=', collectiviteId)
    .where('dossier.collectivite_id', '=', collectiviteId)
    .where('actes_acte.sent_at', '>=', start)
    .where('actes_acte.sent_at', '<', end)
    .orderBy('actes_acte.sent_at', 'desc')
    .execute();
  const pes = await deps.db
    .selectFrom('helios_pes')
    .innerJoin('dossier', 'dossier.id', 'helios_pes.dossier_id')
    .selectAll('dossier')
    .select('helios_pes.sent_at as sent_at')
    .where('helios_pes.collectivite_id', '=', collectiviteId)
    .where('dossier.collectivite_id', '=', collectiviteId)
    .where('helios_pes.sent_at', '>=', start)
    .where('helios_pes.sent_at', '<', end)
    .orderBy('helios_pes.sent_at', 'desc')
    .execute();
  const split = (rows: (DossierRow & { sent_at: Date | null })[]) => rows.map(({ sent_at, ...dossier }) => ({ dossier: dossier as DossierRow, sentAt: new Date(sent_at!) }));
  return { month, actes: split(actes), pes: split(pes) };
}
