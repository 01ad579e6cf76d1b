/**
 * The job worker: it wakes up when a job is enqueued (NOTIFY at the enqueuing transaction's commit) rather
 * than on its next poll, runs several jobs at a time, and claims the queues marked "first" before the others.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb, type TestDb } from '../support/test-db.ts';
import { systemClock } from '../../src/platform/clock/clock.ts';
import { enqueueJob, runDueJobs, startJobWorker, type JobHandlers } from '../../src/platform/jobs/job-queue.ts';

let t: TestDb;
const clock = systemClock;

before(async () => {
  t = await createTestDb();
});
after(() => t.close());

/** A promise and its resolver. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

test('a job enqueued in a transaction is picked up at its commit, without waiting for the next poll', { timeout: 60_000 }, async () => {
  const ran = deferred<string>();
  const handlers: JobHandlers = new Map([['wake-test', { backoffSeconds: 1, run: async (job) => (ran.resolve(String((job.payload as { n: string }).n)), {}) }]]);
  // The poll interval is far beyond the test's time limit: only the notification can start the job.
  const worker = startJobWorker(t.db, clock, handlers, { intervalMs: 3_600_000 });
  try {
    // Let the worker find the queue empty and go to sleep first.
    await new Promise((r) => setTimeout(r, 200));
    await t.db.transaction().execute((trx) => enqueueJob(trx, clock, { queue: 'wake-test', payload: { n: 'premier' } }));
    assert.equal(await ran.promise, 'premier');
  } finally {
    await worker.stop();
  }
  const row = await t.db.selectFrom('job').select('state').where('queue', '=', 'wake-test').executeTakeFirstOrThrow();
  assert.equal(row.state, 'done');
});

test('a worker runs several jobs at the same time', { timeout: 60_000 }, async () => {
  // Each job waits until the three have started: with one job at a time they would never finish.
  const started: string[] = [];
  const allStarted = deferred();
  const handlers: JobHandlers = new Map([
    [
      'parallel-test',
      {
        backoffSeconds: 1,
        run: async (job) => {
          started.push(String((job.payload as { n: number }).n));
          if (started.length === 3) allStarted.resolve();
          await allStarted.promise;
          return {};
        },
      },
    ],
  ]);
  for (const n of [1, 2, 3]) await enqueueJob(t.db, clock, { queue: 'parallel-test', payload: { n } });
  const worker = startJobWorker(t.db, clock, handlers, { intervalMs: 3_600_000, concurrency: 3 });
  try {
    await allStarted.promise;
  } finally {
    await worker.stop();
  }
  assert.deepEqual(started.sort(), ['1', '2', '3']);
  const rows = await t.db.selectFrom('job').select('state').where('queue', '=', 'parallel-test').execute();
  assert.deepEqual(
    rows.map((r) => r.state),
    ['done', 'done', 'done'],
  );
});

test('a queue marked "first" is claimed before older due jobs of other queues', async () => {
  const order: string[] = [];
  const handler = (name: string, first = false) => ({ backoffSeconds: 1, first, run: async () => (order.push(name), {}) });
  const handlers: JobHandlers = new Map([
    ['backlog-test', handler('backlog')],
    ['urgent-test', handler('urgent', true)],
  ]);
  const earlier = new Date(Date.now() - 60_000);
  for (let i = 0; i < 3; i++) await enqueueJob(t.db, clock, { queue: 'backlog-test', payload: { i }, runAt: earlier });
  await enqueueJob(t.db, clock, { queue: 'urgent-test', payload: {} });
  assert.equal(await runDueJobs(t.db, clock, handlers, { max: 1 }), 1);
  assert.deepEqual(order, ['urgent']);
  await runDueJobs(t.db, clock, handlers);
  assert.deepEqual(order, ['urgent', 'backlog', 'backlog', 'backlog']);
});
