/**
 * Outgoing messages other than the acte (6-1 annulation, replies 2-2…4-4, 7-1 classification request) are
 * rows of `actes_message`: the archive is built once and kept (evidence + SHA-256) before the first
 * attempt, so every retry sends the identical bytes.
 */
import type { Deps } from '../../app/deps.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { systemActor } from '../../identity/principal.ts';
import { AppError } from '../../shared/errors.ts';
import type { BuiltArchive } from '../archive/build.ts';
import type { ActesPorts } from '../ports.ts';
import { attachEvidence, blobRow, putBlob, readBlob, tdtConfig } from '../use-cases/support.ts';

export async function keepArchiveOnce(deps: Deps, messageId: string, build: () => Promise<BuiltArchive>): Promise<{ name: string; bytes: Buffer; sha256: string }> {
  const msg = await deps.db.selectFrom('actes_message').selectAll().where('id', '=', messageId).executeTakeFirstOrThrow();
  if (!msg.archive_sha256) {
    const built = await build();
    const stored = await putBlob(deps, built.archive);
    await deps.db.transaction().execute(async (trx) => {
      const locked = await trx.selectFrom('actes_message').select('archive_sha256').where('id', '=', messageId).forUpdate().executeTakeFirstOrThrow();
      if (locked.archive_sha256) return;
      if (msg.dossier_id && msg.collectivite_id) await attachEvidence(trx, msg.collectivite_id, msg.dossier_id, stored, built.archiveName, 'application/gzip');
      else await blobRow(trx, stored, 'application/gzip');
      await trx.updateTable('actes_message').set({ archive_sha256: stored.sha256, content: JSON.stringify({ ...msg.content, archive: built.archiveName }), updated_at: deps.clock.now() }).where('id', '=', messageId).execute();
      await appendJournal(trx, deps.clock, systemActor, { collectiviteId: msg.collectivite_id, action: 'actes.archive.construite', objectType: msg.dossier_id ? 'dossier' : 'actes_message', objectId: msg.dossier_id ?? msg.id, details: { message: msg.kind, code: msg.code, archive: built.archiveName }, documentHashes: [stored.sha256] });
    });
  }
  const kept = await deps.db.selectFrom('actes_message').select(['archive_sha256', 'content']).where('id', '=', messageId).executeTakeFirstOrThrow();
  return { name: String((kept.content as { archive?: string }).archive), bytes: await readBlob(deps, kept.archive_sha256!), sha256: kept.archive_sha256! };
}

/** Posts the kept archive; throws (to be retried) when @CTES cannot be reached, returns the refusal otherwise. */
export async function postArchive(deps: Deps, ports: ActesPorts, collectiviteId: string, archive: { name: string; bytes: Buffer }): Promise<{ ok: true; url: string } | { ok: false; messageFr: string }> {
  const r = await ports.transport(await tdtConfig(deps, collectiviteId)).send({ fileName: archive.name, bytes: archive.bytes });
  if (r.status === 'unreachable') throw new AppError('EXTERNAL_FAILURE', r.messageFr, r.messageEn);
  if (r.status === 'refused') return { ok: false, messageFr: r.messageFr };
  return { ok: true, url: r.url };
}
