
import type { Db } from '../platform/db/database.ts';
import type { Clock } from '../platform/clock/clock.ts';
import type { Actor } from '../identity/principal.ts';
import { GENESIS_HASH, OPERATOR_CHAIN, entryHash, type ChainedEntry } from './hash-chain.ts';

export interface JournalEvent {
  collectiviteId: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  details?: Record<string, unknown>;
  documentHashes?: string[];
}

/**
 * Appends one entry to the collectivité's chain (or the operator's). Must be called with the transaction
 * of the change it records: the head row lock serialises appends to one chain.
 */
export async function appendJournal(trx: Db, clock: Clock, actor: Actor, event: JournalEvent): Promise<{ seq: number; hash: string }> {
  const chain = event.collectiviteId ?? OPERATOR_CHAIN;
  const lockHead = () => trx.selectFrom('journal_head').select(['seq', 'hash']).where('chain', '=', chain).forUpdate().executeTakeFirst();
  let head = await lockHead();
  if (!head) {
    // First entry of the chain (or a concurrent first one): create the head, then lock it.
    await trx.insertInto('journal_head').values({ chain, seq: 0, hash: GENESIS_HASH }).onConflict((oc) => oc.column('chain').doNothing()).execute();
    head = await lockHead();
    if (!head) throw new Error(`journal head of chain ${chain} missing`);
  }
  const entry: ChainedEntry = {
    chain,
    seq: head.seq + 1,
    collectiviteId: event.collectiviteId,
    // Millisecond precision, as stored and hashed.
    at: new Date(clock.now().getTime()),
    actorUserId: actor.userId,
    actorTokenId: actor.tokenId,
    actorLabel: actor.label,
    action: event.action,
    objectType: event.objectType,
    objectId: event.objectId,
    details: event.details ?? {},
    documentHashes: event.documentHashes ?? [],
    prevHash: head.hash,
  };
  const hash = entryHash(entry);
  // The entry and the new head in one statement: the chain stays locked for one round trip (and the commit).
  await trx
    .with('entry', (db) =>
      db.insertInto('journal_entry').values({
        chain,
        seq: entry.seq,
        collectivite_id: entry.collectiviteId,
        at: entry.at,
        actor_user_id: entry.actorUserId,
        actor_token_id: entry.actorTokenId,
        actor_label: entry.actorLabel,
        action: entry.action,
        object_type: entry.objectType,
        object_id: entry.objectId,
        details: JSON.stringify(entry.details),
        document_hashes: JSON.stringify(entry.documentHashes),
        prev_hash: entry.prevHash,
        hash,
      }),
    )
    .updateTable('journal_head')
    .set({ seq: entry.seq, hash, timestamp_token: null, timestamped_at: null })
    .where('chain', '=', chain)
    .execute();
  return { seq: entry.seq, hash };
}
