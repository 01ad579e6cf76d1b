/**
 * Queue `helios-releve`: reads the gateway's responses, then schedules the next poll (every
 * PARAPHE_HELIOS_POLL_SECONDS, 60 by default). `ensureHeliosPolling` starts the cycle once.
 */
import type { Deps } from '../../app/deps.ts';
import { enqueueJob, type JobHandler } from '../../platform/jobs/job-queue.ts';
import type { HeliosPorts } from '../ports.ts';
import { pollHelios } from '../use-cases/poll-helios.ts';

export const HELIOS_POLL_QUEUE = 'helios-releve';

function intervalSeconds(): number {
  const n = Number(process.env.PARAPHE_HELIOS_POLL_SECONDS ?? 60);
  return Number.isFinite(n) && n > 0 ? n : 60;
}

async function scheduleNext(d: Deps, after: Date): Promise<void> {
  const runAt = new Date(Math.ceil((after.getTime() + intervalSeconds() * 1000) / 1000) * 1000);
  await enqueueJob(d.db, d.clock, { queue: HELIOS_POLL_QUEUE, payload: {}, singletonKey: `helios-releve:${runAt.toISOString()}`, maxAttempts: 1, runAt });
}

export async function ensureHeliosPolling(d: Deps): Promise<void> {
  const pending = await d.db.selectFrom('job').select('id').where('queue', '=', HELIOS_POLL_QUEUE).where('state', 'in', ['pending', 'running']).executeTakeFirst();
  if (!pending) await enqueueJob(d.db, d.clock, { queue: HELIOS_POLL_QUEUE, payload: {}, singletonKey: `helios-releve:${d.clock.now().toISOString()}`, maxAttempts: 1 });
}

export function heliosPollHandler(deps: () => Deps, ports: () => HeliosPorts): JobHandler {
  return {
    backoffSeconds: 60,
    async run() {
      const d = deps();
      try {
        await pollHelios(d, ports());
      } finally {
        await scheduleNext(d, d.clock.now());
      }
      return {};
    },
  };
}
