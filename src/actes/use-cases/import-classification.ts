/**
 * Stores the préfecture's classification for a collectivité (from a RetourClassification file imported by
 * hand, or received as message 7-2). A classification older than the one held is not applied.
 */
import type { Deps } from '../../app/deps.ts';
import type { Db } from '../../platform/db/database.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import type { Actor } from '../../identity/principal.ts';
import { AppError } from '../../shared/errors.ts';
import { parseRetourClassification, type Classification } from '../classification/classification.ts';
import { blobRow, putBlob } from './support.ts';

export async function storeClassification(trx: Db, deps: Deps, actor: Actor, collectiviteId: string, cls: Classification, source: string, raw?: { sha256: string; size: number }): Promise<{ applied: boolean }> {
  const held = await trx.selectFrom('actes_classification').select('date_classification').where('collectivite_id', '=', collectiviteId).forUpdate().executeTakeFirst();
  if (held && held.date_classification > cls.dateClassification && source !== 'import') return { applied: false };
  if (raw) await blobRow(trx, raw, 'application/xml');
  const values = { date_classification: cls.dateClassification, content: JSON.stringify(cls), source, raw_sha256: raw?.sha256 ?? null, updated_at: deps.clock.now() };
  await trx.insertInto('actes_classification').values({ collectivite_id: collectiviteId, ...values }).onConflict((oc) => oc.column('collectivite_id').doUpdateSet(values)).execute();
  await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'actes.classification.maj', objectType: 'collectivite', objectId: collectiviteId, details: { dateClassification: cls.dateClassification, precedente: held?.date_classification ?? null, source }, documentHashes: raw ? [raw.sha256] : [] });
  return { applied: true };
}

export async function importClassification(deps: Deps, actor: Actor, collectiviteId: string, bytes: Buffer): Promise<Classification> {
  let cls: Classification;
  try {
    cls = parseRetourClassification(bytes);
  } catch (e) {
    const fr = e instanceof AppError ? e.messageFr : 'Ce fichier n’est pas une classification ACTES (RetourClassification) lisible.';
    throw new AppError('VALIDATION', fr, `bad classification file: ${(e as Error).message}`);
  }
  const raw = await putBlob(deps, bytes);
  await deps.db.transaction().execute((trx) => storeClassification(trx, deps, actor, collectiviteId, cls, 'import', raw));
  return cls;
}
