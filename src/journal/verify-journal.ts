import type { Db } from '../platform/db/database.ts';
import { verifyChain, type ChainProblem, type StoredEntry } from './hash-chain.ts';
import type { JournalEntryRow } from '../platform/db/schema.ts';
import { inspectTimestampToken } from '../parapheur/signature/tsa/verify-timestamp.ts';
import { headImprintData } from './timestamp-journal.ts';

export interface JournalVerification {
  chains: number;
  entries: number;
  /** RFC 3161 timestamps checked (token signature, imprint, and the entry it covers). */
  timestamps: number;
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
  let timestamps = 0;
  for (const chain of chains) {
    const head = (await db.selectFrom('journal_head').select(['seq', 'hash']).where('chain', '=', chain).executeTakeFirst()) ?? null;
    const collected: StoredEntry[] = [];
    // Read in batches; one collectivité’s chain fits in memory.
    for await (const e of entriesOf(db, chain)) collected.push(e);
    entries += collected.length;
    problems.push(...verifyChain(chain, collected, head));
    const stamps = await db.selectFrom('journal_timestamp').selectAll().where('chain', '=', chain).orderBy('seq').execute();
    for (const t of stamps) {
      timestamps++;
      const info = await inspectTimestampToken(new Uint8Array(t.token), headImprintData(chain, t.seq, t.hash));
      if (!info.imprintMatches || !info.signatureValid) {
        problems.push({ chain, seq: t.seq, kind: 'timestamp-invalid', messageFr: `Horodatage de l’entrée n° ${t.seq} invalide (jeton altéré ou ne portant pas sur cette entrée).` });
      } else if (collected[t.seq - 1]?.hash !== t.hash) {
        problems.push({ chain, seq: t.seq, kind: 'timestamp-mismatch', messageFr: `L’entrée n° ${t.seq} ne correspond plus à son horodatage du ${info.genTime?.toISOString() ?? '?'} : le journal a été réécrit.` });
      }
    }
    opts.onChain?.(chain);
  }
  return { chains: chains.length, entries, timestamps, problems };
}
