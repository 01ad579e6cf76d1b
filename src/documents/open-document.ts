import type { Readable } from 'node:stream';
import type { Deps } from '../app/deps.ts';
import type { DocumentRow } from '../platform/db/schema.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';

export async function openDocument(deps: Deps, collectiviteId: string, documentId: string): Promise<{ document: DocumentRow; stream: Readable }> {
  if (!isUuid(documentId)) throw notFound('document', 'Document');
  const document = await deps.db.selectFrom('document').selectAll().where('id', '=', documentId).where('collectivite_id', '=', collectiviteId).executeTakeFirst();
  if (!document) throw notFound('document', 'Document');
  return { document, stream: deps.blobs.open(document.sha256) };
}
