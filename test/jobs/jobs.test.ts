/**
 * Background jobs: retries with back-off then an explicit error state, a retry action, and crash safety —
 * a job whose process died is claimed again after its lease with the same idempotency key, so the GED
 * deposit happens once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestPlatform, makeCollectivite, makeMember, login, MINIMAL_PDF, type TestPlatform, type Client } from '../support/test-app.ts';
import { FixedClock } from '../../src/platform/clock/clock.ts';
import { runDueJobs } from '../../src/platform/jobs/job-queue.ts';
import { setConnectorConfig } from '../../src/connectors/set-connector-config.ts';
import { ensureOperator } from '../../src/tenancy/ensure-operator.ts';
import { FsGed } from '../../src/ged/ged-connector.ts';
import { loadDossier } from '../../src/dossiers/load-dossier.ts';

const clock = new FixedClock('2026-03-02T08:00:00Z');
let p: TestPlatform;
let cid: string;
let agent: Client;
const system = { userId: null, tokenId: null, label: 'test' };

before(async () => {
  p = await startTestPlatform({ clock });
  cid = await makeCollectivite(p, 'Commune aux tâches');
  await makeMember(p, cid, 'agent@jobs.fr', 'agent');
  agent = await login(p, 'agent@jobs.fr');
});
after(() => p.close());

async function readyDossier(): Promise<string> {
  const id = (await agent.request('POST', `/api/collectivites/${cid}/dossiers`, { type: 'versement-ged', title: 'Courrier', metadata: { categorie: 'x' } })).json().id as string;
  await agent.upload(`/api/collectivites/${cid}/dossiers/${id}/documents?role=principal`, 'courrier.pdf', MINIMAL_PDF);
  return id;
}

const run = () => runDueJobs(p.deps.db, p.deps.clock, p.deps.jobHandlers);
const state = async (id: string) => (await loadDossier(p.deps.db, cid, id)).dossier.state;

test('a failing external step is retried with growing delays, then lands in the error state with a retry action', async () => {
  // The GED path is a file, so every deposit fails.
  await setConnectorConfig(p.deps, system, { type: 'operator', id: await ensureOperator(p.deps) }, 'ged-fs', { path: '/dev/null/impossible' });
  const id = await readyDossier();
  await agent.request('POST', `/api/collectivites/${cid}/dossiers/${id}/actions/verser`, {});
  assert.equal(await run(), 1);
  assert.equal(await state(id), 'versement_en_cours');
  assert.equal(await run(), 0, 'not due before its back-off');
  clock.advance(5_000);
  assert.equal(await run(), 1);
  clock.advance(5_000);
  assert.equal(await run(), 0, 'second delay is longer');
  clock.advance(5_000);
  assert.equal(await run(), 1);
  assert.equal(await state(id), 'erreur_versement');
  const job = await p.deps.db.selectFrom('job').selectAll().executeTakeFirstOrThrow();
  assert.equal(job.state, 'failed');
  assert.equal(job.attempts, 3);
  const view = (await agent.request('GET', `/api/collectivites/${cid}/dossiers/${id}`)).json();
  assert.deepEqual(view.actions.map((a: { name: string }) => a.name).sort(), ['abandonner', 'relancer']);
  const history = await p.deps.db.selectFrom('journal_entry').select('action').where('object_id', '=', id).orderBy('seq').execute();
  assert.equal(history.at(-1)!.action, 'dossier.job.deposer.failed');

  await setConnectorConfig(p.deps, system, { type: 'operator', id: await ensureOperator(p.deps) }, 'ged-fs', { path: join(p.dataDir, 'ged') });
  await agent.request('POST', `/api/collectivites/${cid}/dossiers/${id}/actions/relancer`, {});
  assert.equal(await run(), 1);
  assert.equal(await state(id), 'verse');
});

test('a job whose worker died is claimed again after its lease and does not deposit twice', async () => {
  const id = await readyDossier();
  await agent.request('POST', `/api/collectivites/${cid}/dossiers/${id}/actions/verser`, {});
  const job = await p.deps.db.selectFrom('job').selectAll().where('state', '=', 'pending').executeTakeFirstOrThrow();
  // The first worker deposited, then died before recording the result: the job stays "running" under lease.
  await new FsGed(join(p.dataDir, 'ged')).deposit({ idempotencyKey: job.id, metadata: {}, files: [] });
  await p.deps.db.updateTable('job').set({ state: 'running', attempts: 1, locked_until: new Date(clock.now().getTime() + 300_000) }).where('id', '=', job.id).execute();
  const before = readdirSync(join(p.dataDir, 'ged')).length;
  assert.equal(await run(), 0, 'still leased');
  clock.advance(301_000);
  assert.equal(await run(), 1);
  assert.equal(await state(id), 'verse');
  assert.equal(readdirSync(join(p.dataDir, 'ged')).length, before, 'the repeated deposit was recognised');
  const done = await p.deps.db.selectFrom('journal_entry').select('details').where('object_id', '=', id).where('action', '=', 'dossier.job.deposer.done').executeTakeFirstOrThrow();
  assert.equal(done.details.repeated, true);
});

test('one transition starts its job once, however often it is enqueued', async () => {
  const id = await readyDossier();
  await agent.request('POST', `/api/collectivites/${cid}/dossiers/${id}/actions/verser`, {});
  const again = await agent.request('POST', `/api/collectivites/${cid}/dossiers/${id}/actions/verser`, {});
  assert.equal(again.statusCode, 409);
  const jobs = await p.deps.db.selectFrom('job').select('id').where('payload', '@>', JSON.stringify({ dossierId: id }) as never).execute();
  assert.equal(jobs.length, 1);
});
