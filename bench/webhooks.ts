/**
 * `npm run bench -- webhooks [--changes N]`: on PostgreSQL, (a) what webhooks add to a dossier state change
 * (one transaction each, 50 dossiers in turn): without any subscriber (the reference), with the module but
 * no subscription, and with one matching subscription (delivery row + job), as p50/p95; (b) delivery
 * throughput of one job worker to a real local HTTP receiver (sign, POST, log): deliveries per second and
 * p50/p95 of the HTTP call.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { migrateToLatest } from '../src/platform/db/database.ts';
import { createDeps } from '../src/app/create-deps.ts';
import { ensureOperator } from '../src/tenancy/ensure-operator.ts';
import { withLuhnKey } from '../src/tenancy/siren.ts';
import { changeDossierState, DossierEvents } from '../src/dossiers/change-state.ts';
import { enqueueJob, runDueJobs } from '../src/platform/jobs/job-queue.ts';
import { createWebhookSubscription } from '../src/webhooks/create-subscription.ts';
import { ms, pct, benchDatabase } from './support.ts';

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
}

export async function run(args: string[]): Promise<void> {
  const n = arg(args, 'changes', 2000);
  const bench = await benchDatabase('wh');
  const db = bench.db;
  let received = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    await migrateToLatest(db);
    const deps = createDeps(db, { config: { dataDir: mkdtempSync(join(tmpdir(), 'paraphe-bench-')), webhookAllowPrivate: true } });
    const operatorId = await ensureOperator(deps);
    const coll = async (i: number) =>
      (await db.insertInto('collectivite').values({ operator_id: operatorId, name: `Commune ${i}`, type: 'commune', siren: withLuhnKey(String(31000000 + i)), sirets: '[]', services: '[]', departement: '062' }).returning('id').executeTakeFirstOrThrow()).id;
    const plain = await coll(1);
    const hooked = await coll(2);
    await createWebhookSubscription(deps, { userId: null, tokenId: null, label: 'bench' }, hooked, { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, description: '', dossierTypes: null, active: true });

    /** n state changes, each in its own transaction, round-robin over 50 versement-ged dossiers (brouillon ↔ abandonne). */
    const changes = async (cid: string, events = deps.dossierEvents): Promise<number[]> => {
      const ds = await db
        .insertInto('dossier')
        .values(Array.from({ length: 50 }, () => ({ collectivite_id: cid, type: 'versement-ged', title: 'Dossier de mesure', metadata: '{}', state: 'brouillon', updated_at: new Date() })))
        .returningAll()
        .execute();
      const out: number[] = [];
      for (let i = 0; i < n + 50; i++) {
        const d = ds[i % ds.length]!;
        const to = d.state === 'brouillon' ? 'abandonne' : 'brouillon';
        const t = performance.now();
        await db.transaction().execute((trx) => changeDossierState(trx, { clock: deps.clock, dossierEvents: events }, d, to));
        if (i >= 50) out.push(performance.now() - t);
        d.state = to;
      }
      return out.sort((a, b) => a - b);
    };
    const ref = await changes(plain, new DossierEvents());
    const none = await changes(plain);
    const withHook = await changes(hooked);
    console.log(`State change (PostgreSQL, ${n} changes, one transaction each):`);
    console.log(`  no subscriber at all (reference) p50 ${ms(pct(ref, 0.5))}  p95 ${ms(pct(ref, 0.95))}`);
    console.log(`  module on, no subscription    p50 ${ms(pct(none, 0.5))}  p95 ${ms(pct(none, 0.95))}  (x${(pct(none, 0.5) / pct(ref, 0.5)).toFixed(2)} at p50)`);
    console.log(`  one matching subscription     p50 ${ms(pct(withHook, 0.5))}  p95 ${ms(pct(withHook, 0.95))}  (x${(pct(withHook, 0.5) / pct(ref, 0.5)).toFixed(2)} at p50)`);

    // Reference: the job queue alone, the same number of jobs that do nothing.
    for (let i = 0; i < n; i++) await enqueueJob(db, deps.clock, { queue: 'bench-noop', payload: {} });
    const tq = performance.now();
    await runDueJobs(db, deps.clock, new Map([['bench-noop', { backoffSeconds: 1, run: async () => ({}) }]]));
    const noopPerSecond = n / ((performance.now() - tq) / 1000);

    const pending = Number((await db.selectFrom('webhook_delivery').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const t0 = performance.now();
    await runDueJobs(db, deps.clock, deps.jobHandlers);
    const seconds = (performance.now() - t0) / 1000;
    const delivered = Number((await db.selectFrom('webhook_delivery').select((eb) => eb.fn.countAll().as('n')).where('state', '=', 'delivered').executeTakeFirstOrThrow()).n);
    const calls = (await db.selectFrom('webhook_attempt').select('duration_ms').execute()).map((r) => r.duration_ms).sort((a, b) => a - b);
    console.log(`Delivery (one worker, local receiver): ${delivered}/${pending} delivered, ${received} calls received, in ${seconds.toFixed(1)} s = ${(delivered / seconds).toFixed(0)} deliveries/s`);
    console.log(`  reference: no-op jobs through the same queue: ${noopPerSecond.toFixed(0)} jobs/s (deliveries at x${(delivered / seconds / noopPerSecond).toFixed(2)})`);
    console.log(`  HTTP call per delivery        p50 ${ms(pct(calls, 0.5))}  p95 ${ms(pct(calls, 0.95))}`);
  } finally {
    receiver.close();
    await bench.dispose();
  }
}
