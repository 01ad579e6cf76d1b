import type { Readable } from 'node:stream';
import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import type { Actor } from '../identity/principal.ts';
import { AppError } from '../shared/errors.ts';
import { loadDossier } from '../dossiers/load-dossier.ts';
import type { DocumentRow } from '../platform/db/schema.ts';
import { sniffMediaType } from './sniff.ts';

const EDITABLE_STATES_HINT = 'Les documents ne peuvent être ajoutés qu’à un dossier en brouillon.';

export function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? 'document';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
  const cleaned = base.replace(/[\u0000-\u001f\u007f"<>|:*?]/g, '_').trim().slice(0, 200);
  return cleaned.length > 0 && cleaned !== '.' && cleaned !== '..' ? cleaned : 'document';
}

/**
 * Streams an upload into the blob store (bounded by the type's size limit), checks its real type, then
 * records it on the dossier with its journal entry. A refused upload leaves no row behind.
 */
export async function addDocument(
  deps: Deps,
  actor: Actor,
  collectiviteId: string,
  dossierId: string,
  upload: { role: 'principal' | 'annexe'; filename: string; stream: Readable },
): Promise<DocumentRow> {
  const { dossier } = await loadDossier(deps.db, collectiviteId, dossierId);
  const def = deps.dossierTypes.get(dossier.type);
  if (dossier.state !== def.initialState) throw new AppError('INVALID_STATE', EDITABLE_STATES_HINT, 'documents only in initial state');
  const rule = upload.role === 'principal' ? def.documents.principal : def.documents.annexe;
  const stored = await deps.blobs.put(upload.stream, { maxBytes: rule.maxBytes });
  const mediaType = await sniffMediaType(stored.head);
  const discard = async () => {
    if (stored.deduplicated) return;
    const used = await deps.db.selectFrom('blob').select('sha256').where('sha256', '=', stored.sha256).executeTakeFirst();
    if (!used) await deps.blobs.remove(stored.sha256);
  };
  if (stored.size === 0 || !rule.mediaTypes.includes(mediaType)) {
    await discard();
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Type de fichier refusé (${mediaType}) : formats acceptés ${rule.mediaTypes.join(', ')}.`, `media type ${mediaType} not accepted`, { mediaType, accepted: rule.mediaTypes });
  }
  const refusal = await def.documents.check?.({ deps, collectiviteId, metadata: dossier.metadata, role: upload.role, mediaType });
  if (refusal) {
    await discard();
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', refusal, `media type ${mediaType} refused by the ${def.type} rule`, { mediaType });
  }
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const { dossier: locked, documents } = await loadDossier(trx, collectiviteId, dossierId, { forUpdate: true });
      if (locked.state !== def.initialState) throw new AppError('INVALID_STATE', EDITABLE_STATES_HINT, 'documents only in initial state');
      if (upload.role === 'principal' && documents.some((d) => d.role === 'principal')) {
        throw new AppError('CONFLICT', 'Le dossier a déjà un document principal.', 'principal document already present');
      }
      if (upload.role === 'annexe' && documents.filter((d) => d.role === 'annexe').length >= def.documents.maxAnnexes) {
        throw new AppError('CONFLICT', `Un dossier de ce type accepte au plus ${def.documents.maxAnnexes} annexes.`, 'too many annexes');
      }
      await trx.insertInto('blob').values({ sha256: stored.sha256, size: stored.size, media_type: mediaType }).onConflict((oc) => oc.column('sha256').doNothing()).execute();
      const row = await trx
        .insertInto('document')
        .values({ collectivite_id: collectiviteId, dossier_id: dossierId, role: upload.role, filename: safeFilename(upload.filename), media_type: mediaType, size: stored.size, sha256: stored.sha256, created_by: actor.userId })
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx.updateTable('dossier').set({ updated_at: deps.clock.now(), version: (eb) => eb('version', '+', 1) }).where('id', '=', dossierId).execute();
      await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'document.added', objectType: 'dossier', objectId: dossierId, details: { documentId: row.id, role: upload.role, filename: row.filename, mediaType, size: stored.size }, documentHashes: [stored.sha256] });
      return row;
    });
  } catch (e) {
    await discard();
    throw e;
  }
}
