/**
 * Reads every return mailbox configured for the collectivités (one poll per distinct mailbox) and hands
 * each mail to receiveActesMail. A mail that carries no readable ACTES message (DOCTYPE, hostile archive…)
 * is left in the mailbox's "inconnus" folder by the poller and recorded here with its raw bytes as
 * evidence, on the operator's journal: nothing is dispatched from it.
 */
import type { Deps } from '../../app/deps.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { systemActor } from '../../identity/principal.ts';
import { resolveConnectorConfig } from '../../connectors/connectors.ts';
import type { ActesPorts } from '../ports.ts';
import { mailboxKey, tdtActesConfig, TDT_ACTES, type TdtActesConfig } from '../tdt-connector.ts';
import { receiveActesMail } from './receive-actes-mail.ts';
import { blobRow, putBlob } from './support.ts';

export interface PollSummary {
  mailboxes: number;
  processed: number;
  rejected: { key: string; reasonFr: string }[];
  failed: { key: string; error: string }[];
}

export async function pollActesMailboxes(deps: Deps, ports: ActesPorts): Promise<PollSummary> {
  const collectivites = await deps.db.selectFrom('collectivite').select('id').execute();
  const boxes = new Map<string, TdtActesConfig>();
  for (const c of collectivites) {
    const parsed = tdtActesConfig.safeParse((await resolveConnectorConfig(deps.db, deps.connectors, c.id, TDT_ACTES)).config);
    if (!parsed.success) continue;
    boxes.set(mailboxKey(parsed.data), parsed.data);
  }
  const summary: PollSummary = { mailboxes: boxes.size, processed: 0, rejected: [], failed: [] };
  for (const config of boxes.values()) {
    const report = await ports.mailbox(config).poll(async (mail) => {
      await receiveActesMail(deps, mail);
    });
    summary.processed += report.processed.length;
    summary.failed.push(...report.failed.map((f) => ({ key: f.key, error: f.error.message })));
    for (const u of report.unknown) {
      const raw = await putBlob(deps, u.raw);
      await deps.db.transaction().execute(async (trx) => {
        const inserted = await trx.insertInto('actes_mail').values({ key: u.key, status: 'rejete', reason: u.reasonFr, raw_sha256: null }).onConflict((oc) => oc.column('key').doNothing()).returning('key').executeTakeFirst();
        if (!inserted) return;
        await blobRow(trx, raw, 'message/rfc822');
        await trx.updateTable('actes_mail').set({ raw_sha256: raw.sha256 }).where('key', '=', u.key).execute();
        await appendJournal(trx, deps.clock, systemActor, { collectiviteId: null, action: 'actes.courriel.rejete', objectType: 'actes_mail', objectId: u.key, details: { raison: u.reasonFr, sujet: u.subject ?? null, expediteur: u.from ?? null, dossierBoite: 'inconnus' }, documentHashes: [raw.sha256] });
      });
      summary.rejected.push({ key: u.key, reasonFr: u.reasonFr });
    }
  }
  return summary;
}
