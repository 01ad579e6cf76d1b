import type { Deps } from '../app/deps.ts';
import { buildApp } from '../http/app.ts';
import { jobWorkerOptionsFromEnv, startJobWorker } from '../platform/jobs/job-queue.ts';
import { timestampJournalHeads } from '../journal/timestamp-journal.ts';
import { HttpTimestampClient } from '../parapheur/signature/tsa/tsa-client.ts';
import { purgeWebhookDeliveries } from '../webhooks/purge-deliveries.ts';

/** Serves the API and runs background jobs until SIGINT/SIGTERM. */
export async function serve(deps: Deps, opts: { port: number; host: string }): Promise<string> {
  const app = await buildApp(deps, { logger: process.env.LOG_LEVEL !== 'silent' });
  const worker = startJobWorker(deps.db, deps.clock, deps.jobHandlers, jobWorkerOptionsFromEnv());
  const url = await app.listen({ port: opts.port, host: opts.host });
  // With a TSA configured, chain heads are time-stamped periodically (the journal's external anchor).
  const tsaUrl = process.env.PARAPHE_TSA_URL;
  const stamping = tsaUrl
    ? setInterval(() => {
        timestampJournalHeads(deps, new HttpTimestampClient(tsaUrl)).catch((e) => app.log.error({ err: e }, 'journal timestamping failed'));
      }, Number(process.env.PARAPHE_JOURNAL_TIMESTAMP_MINUTES ?? 60) * 60_000)
    : null;
  // Settled webhook deliveries are kept PARAPHE_WEBHOOK_RETENTION_DAYS (90 by default), checked every hour.
  const retentionDays = Number(process.env.PARAPHE_WEBHOOK_RETENTION_DAYS ?? 90) || 90;
  const purging = setInterval(() => {
    purgeWebhookDeliveries(deps, retentionDays).catch((e) => app.log.error({ err: e }, 'webhook delivery purge failed'));
  }, 3600_000);
  purging.unref();
  const shutdown = async () => {
    clearInterval(purging);
    if (stamping) clearInterval(stamping);
    await app.close();
    await worker.stop();
    await deps.db.destroy();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return url;
}
