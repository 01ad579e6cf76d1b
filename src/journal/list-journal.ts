import { z } from 'zod';
import type { Db } from '../platform/db/database.ts';
import type { JournalEntryRow } from '../platform/db/schema.ts';

export const journalEntryView = z.object({
  seq: z.number(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  objectType: z.string(),
  objectId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  documentHashes: z.array(z.string()),
  hash: z.string(),
});

export function presentJournalEntry(r: JournalEntryRow): z.infer<typeof journalEntryView> {
  return { seq: r.seq, at: r.at.toISOString(), actor: r.actor_label, action: r.action, objectType: r.object_type, objectId: r.object_id, details: r.details, documentHashes: r.document_hashes, hash: r.hash };
}

export const listJournalQuery = z.object({
  objectType: z.string().optional(),
  objectId: z.string().optional(),
  beforeSeq: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** A collectivité's journal, newest first, paginated by sequence number. */
export async function listJournal(db: Db, collectiviteId: string, q: z.infer<typeof listJournalQuery>): Promise<{ items: JournalEntryRow[]; nextBeforeSeq: number | null }> {
  let query = db.selectFrom('journal_entry').selectAll().where('chain', '=', collectiviteId);
  if (q.objectType) query = query.where('object_type', '=', q.objectType);
  if (q.objectId) query = query.where('object_id', '=', q.objectId);
  if (q.beforeSeq) query = query.where('seq', '<', q.beforeSeq);
  const rows = await query.orderBy('seq', 'desc').limit(q.limit + 1).execute();
  const items = rows.slice(0, q.limit);
  return { items, nextBeforeSeq: rows.length > q.limit ? items[items.length - 1]!.seq : null };
}
