/**
 * Background jobs stored in PostgreSQL (works the same on PGlite): claimed with FOR UPDATE SKIP LOCKED,
 * retried with exponential back-off, deduplicated by a singleton key. A job is claimed under a lease:
 * if the process dies, the job is claimed again after the lease, and its handler receives the same job id
 * as idempotency key so the outside party can recognise a repeated request.
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { JobRow } from '../db/schema.ts';
import type { Clock } from '../clock/clock.ts';

export interface EnqueueOptions {
  queue: string;
  payload: Record<string, unknown>;
  singletonKey?: string;
  maxAttempts?: number;
  runAt?: Date;
}

export async function enqueueJob(trx: Db, clock: Clock, opts: EnqueueOptions): Promise<void> {
  await trx
    .insertInto('job')
    .values({
      queue: opts.queue,
      payload: JSON.stringify(opts.payload),
      singleton_key: opts.singletonKey ?? null,
      max_attempts: opts.maxAttempts ?? 5,
      run_at: opts.runAt ?? clock.now(),
    })
    .onConflict((oc) => oc.column('singleton_key').doNothing())
    .execute();
}

export interface JobResult {
  /** Called in the transaction that completes the job. */
  complete?: (trx: Db) => Promise<void>;
}

export type JobHandler = {
  backoffSeconds: number;
  run(job: JobRow): Promise<JobResult>;
  /** Called in a transaction when the last attempt failed. */
  exhausted?(trx: Db, job: JobRow, error: string): Promise<void>;
};

export type JobHandlers = Map<string, JobHandler>;

/** How long a claimed job is reserved to its worker; after it a crashed worker's job is claimed again. */
export function leaseSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.PARAPHE_JOB_LEASE_SECONDS ?? 300);
  return Number.isFinite(n) && n > 0 ? n : 300;
}

async function claimOne(db: Db, clock: Clock, queues: string[]): Promise<JobRow | undefined> {
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    const next = await trx
      .selectFrom('job')
      .select('id')
      .where('queue', 'in', queues)
      .where((eb) => eb.or([eb.and([eb('state', '=', 'pending'), eb('run_at', '<=', now)]), eb.and([eb('state', '=', 'running'), eb('locked_until', '<', now)])]))
      .orderBy('run_at')
      .limit(1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!next) return undefined;
    return trx
      .updateTable('job')
      .set({ state: 'running', attempts: sql`attempts + 1`, locked_until: new Date(now.getTime() + leaseSeconds() * 1000) })
      .where('id', '=', next.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/** Runs due jobs until none is left (or `max` ran); returns how many ran. */
export async function runDueJobs(db: Db, clock: Clock, handlers: JobHandlers, opts: { max?: number } = {}): Promise<number> {
  const queues = [...handlers.keys()];
  if (queues.length === 0) return 0;
  let count = 0;
  while (count < (opts.max ?? Infinity)) {
    const job = await claimOne(db, clock, queues);
    if (!job) break;
    count++;
    const handler = handlers.get(job.queue)!;
    try {
      const result = await handler.run(job);
      await db.transaction().execute(async (trx) => {
        await result.complete?.(trx);
        await trx.updateTable('job').set({ state: 'done', finished_at: clock.now(), locked_until: null, last_error: null }).where('id', '=', job.id).execute();
      });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      await db.transaction().execute(async (trx) => {
        if (job.attempts >= job.max_attempts) {
          await handler.exhausted?.(trx, job, message);
          await trx.updateTable('job').set({ state: 'failed', finished_at: clock.now(), locked_until: null, last_error: message }).where('id', '=', job.id).execute();
        } else {
          const delay = handler.backoffSeconds * 2 ** (job.attempts - 1) * 1000;
          await trx.updateTable('job').set({ state: 'pending', run_at: new Date(clock.now().getTime() + delay), locked_until: null, last_error: message }).where('id', '=', job.id).execute();
        }
      });
    }
  }
  return count;
}

/** Polls for due jobs until stopped. */
export function startJobWorker(db: Db, clock: Clock, handlers: JobHandlers, intervalMs = 1000): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    if (stopped) return;
    running = runDueJobs(db, clock, handlers)
      .catch((e) => console.error('job worker', e))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  let timer = setTimeout(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
