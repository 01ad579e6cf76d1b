/**
 * « Mon parapheur » in one request: every bannette (all the views of list-inbox.ts) of each bureau the user
 * holds, instead of the bureaux list then one request per bureau and view (8 requests for one bureau, in two
 * rounds). The same dossiers as the bureau's own bannette route, view by view.
 */
import type { Deps } from '../../app/deps.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { INBOX_VIEWS, listInbox, type InboxView } from './list-inbox.ts';

type InboxRow = DossierRow & { deadline: Date | null };

export interface HeldBureauBannettes {
  bureau: { id: string; name: string; superiorId: string | null; holderUserIds: string[] };
  views: Record<InboxView, InboxRow[]>;
}

/** The bureaux `userId` holds (by name), each with its bannettes; none for an API token (null). */
export async function myBannettes(deps: Deps, collectiviteId: string, userId: string | null): Promise<HeldBureauBannettes[]> {
  if (!userId) return [];
  const bureaux = await deps.db
    .selectFrom('parapheur_bureau')
    .innerJoin('parapheur_bureau_holder as h', (j) => j.onRef('h.bureau_id', '=', 'parapheur_bureau.id').on('h.user_id', '=', userId))
    .select(['parapheur_bureau.id', 'parapheur_bureau.name', 'parapheur_bureau.superior_id'])
    .where('parapheur_bureau.collectivite_id', '=', collectiviteId)
    .orderBy('parapheur_bureau.name')
    .execute();
  if (bureaux.length === 0) return [];
  const holders = await deps.db
    .selectFrom('parapheur_bureau_holder')
    .select(['bureau_id', 'user_id'])
    .where('collectivite_id', '=', collectiviteId)
    .where('bureau_id', 'in', bureaux.map((b) => b.id))
    .execute();
  const out: HeldBureauBannettes[] = [];
  for (const b of bureaux) {
    const views = {} as Record<InboxView, InboxRow[]>;
    for (const v of INBOX_VIEWS) views[v] = await listInbox(deps, collectiviteId, b.id, v);
    out.push({ bureau: { id: b.id, name: b.name, superiorId: b.superior_id, holderUserIds: holders.filter((h) => h.bureau_id === b.id).map((h) => h.user_id) }, views });
  }
  return out;
}
