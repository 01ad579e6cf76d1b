/**
 * What the dashboard (tableau de bord) shows besides the dossier list, in one request instead of a waterfall
 * (bureaux, then two bannettes per bureau held, plus the month's sendings): the « À traiter » and « En retard »
 * bannettes of the bureaux the user holds (merged, each dossier once) and the actes and PES flows transmitted
 * in the month.
 */
import type { Deps } from '../app/deps.ts';
import type { DossierRow } from '../platform/db/schema.ts';
import { listInbox } from '../parapheur/inbox/list-inbox.ts';
import { heldBureaux } from '../parapheur/workflow/acting-bureau.ts';
import { sentInMonth, type SentInMonth } from './sent-in-month.ts';

type InboxRow = DossierRow & { deadline: Date | null };

export interface DashboardSummary {
  /** Number of bureaux the user holds (0 for an API token). */
  bureaux: number;
  waiting: InboxRow[];
  late: InboxRow[];
  sent: SentInMonth;
}

export async function dashboardSummary(deps: Deps, collectiviteId: string, userId: string | null, month: string): Promise<DashboardSummary> {
  const bureaux = userId ? await heldBureaux(deps.db, collectiviteId, userId) : [];
  const merged = async (view: 'a-traiter' | 'en-retard'): Promise<InboxRow[]> => {
    const byId = new Map<string, InboxRow>();
    for (const b of bureaux) for (const d of await listInbox(deps, collectiviteId, b, view)) if (!byId.has(d.id)) byId.set(d.id, d);
    return [...byId.values()];
  };
  const waiting = await merged('a-traiter');
  const late = await merged('en-retard');
  return { bureaux: bureaux.length, waiting, late, sent: await sentInMonth(deps, collectiviteId, month) };
}
