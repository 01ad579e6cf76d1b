import type { Deps } from '../app/deps.ts';
import type { TimestampClient } from '../parapheur/signature/tsa/tsa-client.ts';

/** The bytes a head timestamp covers: chain, sequence number and hash of the last entry. */
export function headImprintData(chain: string, seq: number, hash: string): Buffer {
  return Buffer.from(`paraphe-journal:${chain}:${seq}:${hash}`, 'utf8');
}

/**
 * Time-stamps every chain head that moved since its last timestamp (RFC 3161). A TSA failure stops the
 * run with its error: no head is ever marked as stamped without a token.
 */
export async function timestampJournalHeads(deps: Pick<Deps, 'db' | 'clock'>, tsa: TimestampClient): Promise<{ stamped: number }> {
  const heads = await deps.db
    .selectFrom('journal_head')
    .select(['chain', 'seq', 'hash'])
    .where('seq', '>', 0)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('journal_timestamp').select('id').whereRef('journal_timestamp.chain', '=', 'journal_head.chain').whereRef('journal_timestamp.seq', '=', 'journal_head.seq'))),
    )
    .execute();
  for (const h of heads) {
    const token = await tsa.timestamp(headImprintData(h.chain, h.seq, h.hash));
    await deps.db.insertInto('journal_timestamp').values({ chain: h.chain, seq: h.seq, hash: h.hash, token: Buffer.from(token), stamped_at: deps.clock.now() }).onConflict((oc) => oc.columns(['chain', 'seq']).doNothing()).execute();
  }
  return { stamped: heads.length };
}
