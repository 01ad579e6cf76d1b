/**
 * Which bureau a person acts for at the active step: a bureau they hold among the step's pending bureaux,
 * or — through a délégation valid now and for the dossier's typologie — a pending bureau that delegates to a
 * bureau they hold ("pour le compte de"). Refusals are French and change nothing.
 */
import type { Db } from '../../platform/db/database.ts';
import type { ParapheurStepRow } from '../../platform/db/schema.ts';
import { AppError } from '../../shared/errors.ts';

export interface ActingBureau {
  /** The bureau whose turn it is (for whom the act is done). */
  bureauId: string;
  /** The delegate's own bureau, when acting under a délégation. */
  viaBureauId: string | null;
}

export async function heldBureaux(db: Db, collectiviteId: string, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('parapheur_bureau_holder').select('bureau_id').where('collectivite_id', '=', collectiviteId).where('user_id', '=', userId).execute();
  return rows.map((r) => r.bureau_id);
}

/** Active délégations (now, for this typologie) from the given bureaux: from → to. */
export async function activeDelegations(db: Db, collectiviteId: string, at: Date, typologieId: string | null, fromBureauIds?: string[]): Promise<{ from: string; to: string }[]> {
  let q = db
    .selectFrom('parapheur_delegation')
    .select(['from_bureau_id', 'to_bureau_id', 'typologie_ids'])
    .where('collectivite_id', '=', collectiviteId)
    .where('revoked_at', 'is', null)
    .where('starts_at', '<=', at)
    .where('ends_at', '>', at);
  if (fromBureauIds) {
    if (fromBureauIds.length === 0) return [];
    q = q.where('from_bureau_id', 'in', fromBureauIds);
  }
  const rows = await q.execute();
  return rows.filter((r) => !typologieId || r.typologie_ids.length === 0 || r.typologie_ids.includes(typologieId)).map((r) => ({ from: r.from_bureau_id, to: r.to_bureau_id }));
}

export async function resolveActingBureau(db: Db, collectiviteId: string, userId: string, step: ParapheurStepRow | undefined, typologieId: string, at: Date, wanted?: string): Promise<ActingBureau> {
  if (!step || step.kind === 'cachet') throw new AppError('INVALID_STATE', 'Aucune étape n’attend l’action d’un bureau sur ce dossier.', 'no human step active');
  const held = await heldBureaux(db, collectiviteId, userId);
  const pending = step.pending_bureau_ids;
  const direct = pending.filter((b) => held.includes(b)).map((b) => ({ bureauId: b, viaBureauId: null }));
  const delegated = (await activeDelegations(db, collectiviteId, at, typologieId, pending)).filter((d) => held.includes(d.to)).map((d) => ({ bureauId: d.from, viaBureauId: d.to }));
  const candidates: ActingBureau[] = [...direct, ...delegated];
  const chosen = wanted ? candidates.find((c) => c.bureauId === wanted || c.viaBureauId === wanted) : candidates[0];
  if (!chosen) {
    throw new AppError('FORBIDDEN', 'Ce dossier n’attend pas l’action d’un de vos bureaux à cette étape.', `user ${userId} holds none of the pending bureaux of step ${step.position}`);
  }
  return chosen;
}
