/** Queue `actes-notification`: e-mails the agents of a collectivité about a message of the préfecture. */
import type { Deps } from '../../app/deps.ts';
import type { Db } from '../../platform/db/database.ts';
import type { Clock } from '../../platform/clock/clock.ts';
import { enqueueJob, type JobHandler } from '../../platform/jobs/job-queue.ts';
import type { ActesPorts } from '../ports.ts';
import { agentsOf } from '../use-cases/support.ts';

export const ACTES_NOTIFY_QUEUE = 'actes-notification';

/** Called in the transaction that records what is notified: the mail goes only if it committed. */
export async function queueNotification(trx: Db, clock: Clock, n: { collectiviteId: string; key: string; subject: string; text: string }): Promise<void> {
  await enqueueJob(trx, clock, { queue: ACTES_NOTIFY_QUEUE, payload: n, singletonKey: `actes-notification:${n.key}`, maxAttempts: 5 });
}

export function notificationHandler(deps: () => Deps, ports: () => ActesPorts): JobHandler {
  return {
    backoffSeconds: 30,
    async run(job) {
      const p = job.payload as { collectiviteId: string; subject: string; text: string };
      const to = await agentsOf(deps().db, p.collectiviteId);
      await ports().notifier.send({ to, subject: p.subject, text: p.text });
      return {};
    },
  };
}
