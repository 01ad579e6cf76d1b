/**
 * Queue `actes-releve`: polls the return mailboxes, then schedules the next poll (every
 * PARAPHE_ACTES_POLL_SECONDS, 60 by default). `ensureActesPolling` starts the cycle once.
 */
import type { Deps } from '../../app/deps.ts';
import { enqueueJob, type JobHandler } from '../../platform/jobs/job-queue.ts';
import type { ActesPorts } from '../ports.ts';
import { pollActesMailboxes } from '../use-cases/poll-actes-mailboxes.ts';

export const ACTES_POLL_QUEUE = 'actes-releve';

function intervalSeconds(): number {
  const n = Number(process.env.PARAPHE_ACTES_POLL_SECONDS ?? 60);
  return Number.isFinite(n) && n > 0 ? n : 60;
}

async function scheduleNext(d: Deps, after: Date): Promise<void> {
  const runAt = new Date(Math.ceil((after.getTime() + intervalSeconds() * 1000) / 100) * 100);
  await enqueueJob(d.db, d.clock, { queue: ACTES_POLL_QUEUE, payload: {}, singletonKey: `actes-releve:${runAt.toISOString()}`, maxAttempts: 1, runAt });
}

export async function ensureActesPolling(d: Deps): Promise<void> {
  const pending = await d.db.selectFrom('job').select('id').where('queue', '=', ACTES_POLL_QUEUE).where('state', 'in', ['pending', 'running']).executeTakeFirst();
  if (!pending) await enqueueJob(d.db, d.clock, { queue: ACTES_POLL_QUEUE, payload: {}, singletonKey: `actes-releve:${d.clock.now().toISOString()}`, maxAttempts: 1 });
}

export function pollHandler(deps: () => Deps, ports: () => ActesPorts): JobHandler {
  return {
    backoffSeconds: 60,
    // The answers of every transmission wait for it: it must not queue behind the transmissions.
    first: true,
    async run() {
      const d = deps();
      try {
        await pollActesMailboxes(d, ports());
      } finally {
        await scheduleNext(d, d.clock.now());
      }
      return {};
    },
  };
}
