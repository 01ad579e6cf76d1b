/**
 * Job `transmettre`: builds the acte's archive (validated against the schema), keeps it as evidence with its
 * SHA-256, then posts it to @CTES over mutual TLS (rescue URL). The archive is built once: a retry (after a
 * crash, a network failure or a manual relaunch) sends the identical stored archive, so the préfecture
 * receives the acte once, or the same bytes again.
 */
import type { DossierJobDef } from '../../dossiers/dossier-type.ts';
import type { Deps } from '../../app/deps.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { systemActor } from '../../identity/principal.ts';
import { AppError } from '../../shared/errors.ts';
import { buildActeArchive, type DocumentFile } from '../archive/build.ts';
import type { ActesPorts } from '../ports.ts';
import { ensureActesPolling } from './poll-job.ts';
import { checkBudgetDocumentRule, looksLikeXml } from '../budget/document-budgetaire.ts';
import { acteDocument, attachEvidence, currentClassification, putBlob, readBlob, tdtConfig, transmissionContext } from '../use-cases/support.ts';

async function buildAndKeep(deps: Deps, ports: ActesPorts, collectiviteId: string, dossierId: string, metadata: Record<string, unknown>): Promise<{ name: string; bytes: Buffer; sha256: string }> {
  const acte = await deps.db.selectFrom('actes_acte').selectAll().where('dossier_id', '=', dossierId).executeTakeFirst();
  if (!acte) throw new AppError('UNPROCESSABLE', 'Cet acte n’a pas été créé par l’API ACTES : son identifiant n’est pas enregistré.', 'no actes_acte row');
  if (acte.archive_sha256 && acte.archive_name) {
    return { name: acte.archive_name, bytes: await readBlob(deps, acte.archive_sha256), sha256: acte.archive_sha256 };
  }
  const config = await tdtConfig(deps, collectiviteId);
  const docs = await deps.db.selectFrom('document').select(['role', 'filename', 'sha256', 'media_type']).where('dossier_id', '=', dossierId).where('role', '=', 'annexe').orderBy('created_at').orderBy('id').execute();
  const file = async (d: { filename: string; sha256: string; media_type: string }): Promise<DocumentFile> => ({ fileName: d.filename, data: await readBlob(deps, d.sha256) });
  // The signed version when the acte went through the parapheur.
  const acteDoc = await acteDocument(deps.db, collectiviteId, dossierId);
  if (!acteDoc) throw new AppError('UNPROCESSABLE', 'Le document de l’acte manque.', 'no principal');
  const principal = await file(acteDoc);
  const annexes = await Promise.all(docs.map(file));
  // A budget document is checked again before it leaves (it may have come through another route).
  checkBudgetDocumentRule(metadata.nature, 'principal', principal.fileName, principal.data, looksLikeXml(principal.data));
  for (const f of annexes) checkBudgetDocumentRule(metadata.nature, 'annexe', f.fileName, f.data, looksLikeXml(f.data));
  for (const [i, f] of [principal, ...annexes].entries()) {
    if (/\.pdf$/i.test(f.fileName) && ports.isEncryptedPdf(f.data)) {
      throw new AppError('VALIDATION', `Le PDF « ${f.fileName} » (${i === 0 ? 'acte' : `annexe ${i}`}) est chiffré ou verrouillé : la préfecture le refuserait.`, 'encrypted pdf');
    }
  }
  const classification = await currentClassification(deps.db, collectiviteId);
  const ctx = await transmissionContext(deps, collectiviteId, config);
  const built = await buildActeArchive({
    ...ctx,
    metadata: metadata as never,
    classificationDateVersion: classification?.dateClassification ?? acte.classification_date,
    ...(classification ? { classification } : {}),
    acte: principal,
    annexes,
  });
  if (built.idActe !== acte.id_acte) throw new AppError('UNPROCESSABLE', `L’identifiant calculé (${built.idActe}) ne correspond pas à celui de l’acte (${acte.id_acte}).`, 'IDActe mismatch');
  const stored = await putBlob(deps, built.archive);
  await deps.db.transaction().execute(async (trx) => {
    const locked = await trx.selectFrom('actes_acte').select('archive_sha256').where('dossier_id', '=', dossierId).forUpdate().executeTakeFirstOrThrow();
    if (locked.archive_sha256) return; // another attempt kept its archive first
    await attachEvidence(trx, collectiviteId, dossierId, stored, built.archiveName, 'application/gzip');
    await trx.updateTable('actes_acte').set({ archive_sha256: stored.sha256, archive_name: built.archiveName, enveloppe_name: built.enveloppeName, sent_at: ctx.sentAt }).where('dossier_id', '=', dossierId).execute();
    await appendJournal(trx, deps.clock, systemActor, { collectiviteId, action: 'actes.archive.construite', objectType: 'dossier', objectId: dossierId, details: { idActe: acte.id_acte, archive: built.archiveName, fichiers: built.files.map((f) => f.name) }, documentHashes: [stored.sha256] });
  });
  const kept = await deps.db.selectFrom('actes_acte').select(['archive_sha256', 'archive_name']).where('dossier_id', '=', dossierId).executeTakeFirstOrThrow();
  return { name: kept.archive_name!, bytes: await readBlob(deps, kept.archive_sha256!), sha256: kept.archive_sha256! };
}

export function transmitActeJob(ports: () => ActesPorts): DossierJobDef {
  return {
    label: 'Transmission à la préfecture',
    maxAttempts: 5,
    backoffSeconds: 30,
    whileIn: 'transmission_en_cours',
    onExhausted: 'erreur_transmission',
    async run({ deps, dossier }) {
      let archive;
      try {
        archive = await buildAndKeep(deps, ports(), dossier.collectiviteId, dossier.id, dossier.metadata);
      } catch (e) {
        // Invalid content will not get better by retrying: the error state says why.
        if (e instanceof AppError && (e.code === 'VALIDATION' || e.code === 'UNPROCESSABLE')) return { to: 'erreur_transmission', details: { erreur: e.messageFr } };
        throw e;
      }
      const config = await tdtConfig(deps, dossier.collectiviteId);
      // The préfecture answers by mail: make sure the return mailboxes are read (also after a restart).
      await ensureActesPolling(deps);
      // Counted before posting: a crash right after the post still leaves the count of what may have arrived.
      await deps.db.updateTable('actes_acte').set((eb) => ({ send_count: eb('send_count', '+', 1) })).where('dossier_id', '=', dossier.id).execute();
      const r = await ports().transport(config).send({ fileName: archive.name, bytes: archive.bytes });
      if (r.status === 'unreachable') throw new AppError('EXTERNAL_FAILURE', r.messageFr, r.messageEn);
      if (r.status === 'refused') return { to: 'erreur_transmission', details: { erreur: r.messageFr, httpStatus: r.httpStatus, archive: archive.name }, documentHashes: [archive.sha256] };
      return { to: 'transmis', details: { archive: archive.name, url: r.url, secours: r.usedRescue }, documentHashes: [archive.sha256] };
    },
  };
}
