/**
 * A bureau's inbox views: à traiter (its turn), en retard (its turn, past the deadline), délégués (the turn
 * of a bureau delegating to it now), brouillons / terminés / rejetés (dossiers it emitted), récupérables
 * (sent by it, nobody acted yet: reprendre is possible).
 */
import { sql } from 'kysely';
import type { Deps } from '../../app/deps.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { activeDelegations } from '../workflow/acting-bureau.ts';
import { PARAPHEUR_TYPES } from '../workflow/run-parapheur-action.ts';

export const INBOX_VIEWS = ['a-traiter', 'en-retard', 'delegues', 'brouillons', 'termines', 'rejetes', 'recuperables'] as const;
export type InboxView = (typeof INBOX_VIEWS)[number];

export async function listInbox(deps: Deps, collectiviteId: string, bureauId: string, view: InboxView): Promise<(DossierRow & { deadline: Date | null })[]> {
  const now = deps.clock.now();
  const base = deps.db
    .selectFrom('dossier')
    .innerJoin('parapheur_dossier as pd', 'pd.dossier_id', 'dossier.id')
    .selectAll('dossier')
    .select('pd.deadline')
    .where('dossier.collectivite_id', '=', collectiviteId)
    .orderBy('dossier.updated_at', 'desc')
    .limit(200);
  const pendingFor = (ids: string[]) =>
    base.where('dossier.state', '=', 'en_cours').where((eb) =>
      eb.exists(
        eb.selectFrom('parapheur_step as s')
          .select('s.id')
          .whereRef('s.dossier_id', '=', 'dossier.id')
          .where('s.state', '=', 'active')
          .where((e2) => e2.or(ids.map((id) => sql<boolean>`s.pending_bureau_ids @> ${JSON.stringify([id])}::jsonb`))),
      ),
    );
  switch (view) {
    case 'a-traiter':
      return pendingFor([bureauId]).execute();
    case 'en-retard':
      return pendingFor([bureauId]).where('pd.deadline', '<', now).execute();
    case 'delegues': {
      const from = (await activeDelegations(deps.db, collectiviteId, now, null)).filter((d) => d.to === bureauId).map((d) => d.from);
      if (from.length === 0) return [];
      const rows = await pendingFor(from).execute();
      // a délégation limited to some typologies only covers those dossiers
      const ok: typeof rows = [];
      for (const r of rows) {
        const pd = await deps.db.selectFrom('parapheur_dossier').select('typologie_id').where('dossier_id', '=', r.id).executeTakeFirstOrThrow();
        if ((await activeDelegations(deps.db, collectiviteId, now, pd.typologie_id, from)).some((d) => d.to === bureauId)) ok.push(r);
      }
      return ok;
    }
    case 'brouillons':
      // a draft has no circuit instance yet: its émetteur bureau is in its metadata
      return deps.db
        .selectFrom('dossier')
        .selectAll()
        .select(sql<Date | null>`null`.as('deadline'))
        .where('collectivite_id', '=', collectiviteId)
        .where('type', 'in', [...PARAPHEUR_TYPES])
        .where('state', '=', 'brouillon')
        .where(sql<string>`metadata->>'bureauEmetteurId'`, '=', bureauId)
        .orderBy('updated_at', 'desc')
        .limit(200)
        .execute();
    case 'termines':
      return base.where('pd.emetteur_bureau_id', '=', bureauId).where('dossier.state', '=', 'signe').execute();
    case 'rejetes':
      return base.where('pd.emetteur_bureau_id', '=', bureauId).where('dossier.state', '=', 'rejete').execute();
    case 'recuperables':
      return base
        .where('pd.emetteur_bureau_id', '=', bureauId)
        .where('dossier.state', '=', 'en_cours')
        .where((eb) => eb.not(eb.exists(eb.selectFrom('parapheur_step as s').select('s.id').whereRef('s.dossier_id', '=', 'dossier.id').where('s.state', '=', 'done'))))
        .where((eb) => eb.not(eb.exists(eb.selectFrom('parapheur_act as a').select('a.id').whereRef('a.dossier_id', '=', 'dossier.id').where('a.step_id', 'is not', null))))
        .execute();
  }
}
