import type { Db } from '../platform/db/database.ts';
import { verifyChain, type ChainProblem, type StoredEntry } from './hash-chain.ts';
import type { JournalEntryRow } from '../platform/db/schema.ts';

export interface JournalVerification {
  chains: number;
  entries: number;
  problems: ChainProblem[];
}

export function storedEntryOf(r: JournalEntryRow): StoredEntry {
  return {
    chain: r.chain,
    seq: r.seq,
    collectiviteId: r.collectivite_id,
    at: r.at,
    actorUserId: r.actor_user_id,
    actorTokenId: r.actor_token_id,
    actorLabel: r.actor_label,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    details: r.details,
    documentHashes: r.document_hashes,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

const BATCH = 5000;

async function* entriesOf(db: Db, chain: string): AsyncGenerator<StoredEntry> {
  let after = 0;
  for (;;) {
    const rows = await db.selectFrom('journal_entry').selectAll().where('chain', '=', chain).where('seq', '>', after).orderBy('seq').limit(BATCH).execute();
    for (const r of rows) yield storedEntryOf(r);
    if (rows.length < BATCH) return;
    after = rows[rows.length - 1]!.seq;
  }
}

/** Verifies one chain, or every chain (heads and entries both enumerate chains, so a lost head shows). */
export async function verifyJournal(db: Db, opts: { chain?: string; onChain?: (chain: string) => void } = {}): Promise<JournalVerification> {
  let chains: string[];
  if (opts.chain) chains = [opts.chain];
  else {
    const fromHeads = await db.selectFrom('journal_head').select('chain').execute();
    const fromEntries = await db.selectFrom('journal_entry').select('chain').distinct().execute();
    chains = [...new Set([...fromHeads, ...fromEntries].map((r) => r.chain))].sort();
  }
  const problems: ChainProblem[] = [];
  let entries = 0;
  for (const chain of chains) {
    const head = (await db.selectFrom('journal_head').select(['seq', 'hash']).where('chain', '=', chain).executeTakeFirst()) ?? null;
    const collected: StoredEntry[] = [];
    // Read in batches; one collectivité’s chain fits in memory.
    for await (const e of entriesOf(db, chain)) collected.push(e);
    entries += collected.length;
    problems.push(...verifyChain(chain, collected, head));
    opts.onChain?.(chain);
  }
  return { chains: chains.length, entries, problems };
}
