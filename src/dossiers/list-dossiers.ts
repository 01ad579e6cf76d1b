import { z } from 'zod';
import type { Db } from '../platform/db/database.ts';
import type { DossierRow } from '../platform/db/schema.ts';
import { AppError } from '../shared/errors.ts';

export const listDossiersQuery = z.object({
  type: z.string().optional(),
  state: z.string().optional(),
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional(),
});

interface Cursor {
  u: string;
  i: string;
}

function decodeCursor(c: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Cursor;
    if (typeof v.u !== 'string' || typeof v.i !== 'string' || Number.isNaN(Date.parse(v.u))) throw new Error('shape');
    return v;
  } catch {
    throw new AppError('BAD_INPUT', 'Curseur de pagination invalide.', 'invalid cursor');
  }
}

/** Keyset pagination on (updated_at, id), newest first: constant cost however deep the page. */
export async function listDossiers(db: Db, collectiviteId: string, query: z.infer<typeof listDossiersQuery>): Promise<{ items: DossierRow[]; nextCursor: string | null }> {
  let q = db.selectFrom('dossier').selectAll().where('collectivite_id', '=', collectiviteId);
  if (query.type) q = q.where('type', '=', query.type);
  if (query.state) q = q.where('state', '=', query.state);
  if (query.q) q = q.where('title', 'ilike', `%${query.q.replace(/[%_\\]/g, (m) => `\\${m}`)}%`);
  if (query.cursor) {
    const c = decodeCursor(query.cursor);
    const u = new Date(c.u);
    q = q.where((eb) => eb.or([eb('updated_at', '<', u), eb.and([eb('updated_at', '=', u), eb('id', '<', c.i)])]));
  }
  const rows = await q.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute();
  const items = rows.slice(0, query.limit);
  const last = items[items.length - 1];
  const nextCursor = rows.length > query.limit && last ? Buffer.from(JSON.stringify({ u: last.updated_at.toISOString(), i: last.id })).toString('base64url') : null;
  return { items, nextCursor };
}
