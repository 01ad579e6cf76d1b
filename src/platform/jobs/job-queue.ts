/**
 * Background jobs stored in PostgreSQL (works the same on PGlite): claimed with FOR UPDATE SKIP LOCKED,
 * retried with exponential back-off, deduplicated by a singleton key. A job is claimed under a lease:
 * if the process dies, the job is claimed again after the lease, and its handler receives the same job id
 * as idempotency key so the outside party can recognise a repeated request. Workers run several jobs at
 * a time and are woken by NOTIFY when a job is enqueued, instead of polling.
 */
import { sql } from 'kysely';
import { notificationListener, type Db } from '../db/database.ts';
import type { JobRow } from '../db/schema.ts';
import type { Clock } from '../clock/clock.ts';

export interface EnqueueOptions {
  queue: string;
  payload: Record<string, unknown>;
  singletonKey?: string;
  maxAttempts?: number;
  runAt?: Date;
}

/** NOTIFY channel of new jobs: the workers wake up at the enqueuing transaction's commit. */
export const JOB_CHANNEL = 'paraphe_jobs';

export async function enqueueJob(trx: Db, clock: Clock, opts: EnqueueOptions): Promise<void> {
  // One statement: the insert, and the notification when a row was inserted (delivered at commit).
  await trx
    .with('inserted', (db) =>
      db
        .insertInto('job')
        .values({
          queue: opts.queue,
          payload: JSON.stringify(opts.payload),
          singleton_key: opts.singletonKey ?? null,
          max_attempts: opts.maxAttempts ?? 5,
          run_at: opts.runAt ?? clock.now(),
        })
        .onConflict((oc) => oc.column('singleton_key').doNothing())
        .returning('queue'),
    )
    .selectFrom('inserted')
    .select(sql<string>`pg_notify(${JOB_CHANNEL}, inserted.queue)`.as('notified'))
    .execute();
}

export interface JobResult {
  /** Called in the transaction that completes the job. */
  complete?: (trx: Db) => Promise<void>;
}

export type JobHandler = {
  backoffSeconds: number;
  /**
   * Claimed before the other due jobs: a short job others wait on (the mailbox poll that brings the
   * answers), which must not queue behind a backlog of long ones.
   */
  first?: boolean;
  run(job: JobRow): Promise<JobResult>;
  /** Called in a transaction when the last attempt failed. */
  exhausted?(trx: Db, job: JobRow, error: string): Promise<void>;
  /** An error another attempt cannot cure (the job's input or settings): the job ends at once, as exhausted. */
  isPermanent?(error: unknown): boolean;
};

export type JobHandlers = Map<string, JobHandler>;

/** How long a claimed job is reserved to its worker; after it a crashed worker's job is claimed again. */
export function leaseSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.PARAPHE_JOB_LEASE_SECONDS ?? 300);
  return Number.isFinite(n) && n > 0 ? n : 300;
}

/** Claims the next due job (or one whose lease expired) in one statement. */
async function claimOne(db: Db, clock: Clock, handlers: JobHandlers): Promise<JobRow | undefined> {
  const now = clock.now();
  const queues = [...handlers.keys()];
  const first = queues.filter((q) => handlers.get(q)!.first);
  return db
    .updateTable('job')
    .set({ state: 'running', attempts: sql`attempts + 1`, locked_until: new Date(now.getTime() + leaseSeconds() * 1000) })
    .where('id', '=', (eb) =>
      eb
        .selectFrom('job')
        .select('id')
        .where('queue', 'in', queues)
        .where((w) => w.or([w.and([w('state', '=', 'pending'), w('run_at', '<=', now)]), w.and([w('state', '=', 'running'), w('locked_until', '<', now)])]))
        .$if(first.length > 0, (q) => q.orderBy(sql`case when queue in (${sql.join(first)}) then 0 else 1 end`))
        .orderBy('run_at')
        .limit(1)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .executeTakeFirst();
}

/** Runs one claimed job and records its outcome (done, retried later, or failed). */
async function runClaimed(db: Db, clock: Clock, handler: JobHandler, job: JobRow): Promise<void> {
  try {
    const result = await handler.run(job);
    await db.transaction().execute(async (trx) => {
      await result.complete?.(trx);
      await trx.updateTable('job').set({ state: 'done', finished_at: clock.now(), locked_until: null, last_error: null }).where('id', '=', job.id).execute();
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await db.transaction().execute(async (trx) => {
      if (job.attempts >= job.max_attempts || handler.isPermanent?.(e) === true) {
        await handler.exhausted?.(trx, job, message);
        await trx.updateTable('job').set({ state: 'failed', finished_at: clock.now(), locked_until: null, last_error: message }).where('id', '=', job.id).execute();
      } else {
        const delay = handler.backoffSeconds * 2 ** (job.attempts - 1) * 1000;
        await trx.updateTable('job').set({ state: 'pending', run_at: new Date(clock.now().getTime() + delay), locked_until: null, last_error: message }).where('id', '=', job.id).execute();
      }
    });
  }
}

/** Runs due jobs until none is left (or `max` ran); returns how many ran. */
export async function runDueJobs(db: Db, clock: Clock, handlers: JobHandlers, opts: { max?: number } = {}): Promise<number> {
  const queues = [...handlers.keys()];
  if (queues.length === 0) return 0;
  let count = 0;
  while (count < (opts.max ?? Infinity)) {
    const job = await claimOne(db, clock, handlers);
    if (!job) break;
    count++;
    await runClaimed(db, clock, handlers.get(job.queue)!, job);
  }
  return count;
}

export interface JobWorkerOptions {
  /** Longest wait before looking at the queue again when nothing woke the worker (default 1000 ms). */
  intervalMs?: number;
  /** Jobs run at the same time (default 1). */
  concurrency?: number;
}

/** Worker options from PARAPHE_JOB_POLL_MS and PARAPHE_JOB_CONCURRENCY (4 by default: jobs mostly wait on the network). */
export function jobWorkerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): JobWorkerOptions {
  const interval = Number(env.PARAPHE_JOB_POLL_MS ?? 1000);
  const concurrency = Number(env.PARAPHE_JOB_CONCURRENCY ?? 4);
  return { intervalMs: interval > 0 ? interval : 1000, concurrency: Number.isInteger(concurrency) && concurrency > 0 ? concurrency : 4 };
}

/**
 * Runs jobs until stopped, up to `concurrency` at a time. The worker sleeps while there is nothing to do
 * and wakes up at once when a job is enqueued (LISTEN/NOTIFY, at the commit of the enqueuing
 * transaction, from any process), when one of its jobs ends, when the next scheduled job is due, or after
 * `intervalMs` at the latest (expired leases, a lost notification connection).
 */
export function startJobWorker(db: Db, clock: Clock, handlers: JobHandlers, options: number | JobWorkerOptions = {}): { stop(): Promise<void> } {
  const opts = typeof options === 'number' ? { intervalMs: options } : options;
  const intervalMs = opts.intervalMs ?? 1000;
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const queues = [...handlers.keys()];
  const running = new Set<Promise<void>>();
  let stopped = false;
  let poked = false;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    poked = true;
    wake?.();
  };
  const nextDueIn = async (): Promise<number> => {
    const row = await db.selectFrom('job').select((eb) => eb.fn.min('run_at').as('next')).where('queue', 'in', queues).where('state', '=', 'pending').executeTakeFirst();
    if (!row?.next) return intervalMs;
    // At least a few ms: a due job another worker holds locked must not make this one spin.
    return Math.max(5, Math.min(intervalMs, new Date(row.next as Date).getTime() - clock.now().getTime()));
  };
  const loop = async (): Promise<void> => {
    if (queues.length === 0) return;
    const listen = notificationListener(db);
    const unlisten = listen ? await listen(JOB_CHANNEL, poke).catch((e: Error) => (console.error('job worker: no notifications, polling only:', e.message), undefined)) : undefined;
    try {
      while (!stopped) {
        poked = false;
        let delay = intervalMs;
        try {
          let idle = false;
          while (!stopped && running.size < concurrency) {
            const job = await claimOne(db, clock, handlers);
            if (!job) {
              idle = true;
              break;
            }
            const p: Promise<void> = runClaimed(db, clock, handlers.get(job.queue)!, job)
              .catch((e) => console.error('job worker', e))
              .finally(() => {
                running.delete(p);
                poke();
              });
            running.add(p);
          }
          if (idle) delay = await nextDueIn();
        } catch (e) {
          console.error('job worker', e);
        }
        if (stopped) break;
        if (poked) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    } finally {
      await Promise.allSettled([...running]);
      await unlisten?.();
    }
  };
  const done = loop();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await done;
    },
  };
}
