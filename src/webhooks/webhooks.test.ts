/**
 * Outgoing webhooks, end to end against a REAL local HTTP server (no mock of the HTTP port): the receiver
 * checks the signature with node:crypto, fails on demand to prove retries, back-off and the delivery log,
 * and records what it got so isolation, disabled subscriptions and ordering are checked on what arrived.
 * The job runner and a fixed clock make the back-off observable without waiting.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { startTestPlatform, makeCollectivite, makeMember, makeToken, login, tokenClient, MINIMAL_PDF, type TestPlatform, type Client } from '../../test/support/test-app.ts';
import { conformancePath } from '../actes/archive/testing.ts';
import { FixedClock } from '../platform/clock/clock.ts';
import { runDueJobs } from '../platform/jobs/job-queue.ts';
import { setWebhookPorts, webhookPorts } from './install.ts';
import { sealLegacySecrets } from '../app/seal-legacy-secrets.ts';
import { purgeWebhookDeliveries } from './purge-deliveries.ts';
import type { DossierTypeDef } from '../dossiers/dossier-type.ts';

const clock = new FixedClock('2026-11-23T09:00:00Z');
let p: TestPlatform;
let server: Server;
let base: string;

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
const received: Received[] = [];
/** Per path: how many of the next calls answer 500. */
const failNext = new Map<string, number>();

const hits = (path: string) => received.filter((r) => r.path === path);
const run = () => runDueJobs(p.deps.db, p.deps.clock, p.deps.jobHandlers);

/** What a receiver does: HMAC-SHA256(secret, timestamp + "." + raw body), compared in constant time. */
function signatureValid(secret: string, r: Received): boolean {
  const ts = String(r.headers['x-paraphe-timestamp']);
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex')}`);
  const given = Buffer.from(String(r.headers['x-paraphe-signature']));
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A small dossier type whose states carry S²LOW codes (as the actes type does), changed through the API. */
const courrierType: DossierTypeDef = {
  type: 'courrier-test',
  label: 'Courrier (test)',
  metadata: z.object({}),
  documents: { principal: { mediaTypes: ['application/pdf'], maxBytes: 1024 }, annexe: { mediaTypes: ['application/pdf'], maxBytes: 1024 }, maxAnnexes: 0 },
  initialState: 'brouillon',
  states: { brouillon: { label: 'Brouillon' }, envoye: { label: 'Envoyé', s2lowCode: 3 }, archive: { label: 'Archivé', s2lowCode: 4, final: true } },
  actions: {
    envoyer: { label: 'Envoyer', from: ['brouillon'], to: 'envoye', roles: ['collectivite_admin'], api: true },
    archiver: { label: 'Archiver', from: ['envoye'], to: 'archive', roles: ['collectivite_admin'], api: true },
  },
};

before(async () => {
  p = await startTestPlatform({ clock });
  p.deps.config.webhookAllowPrivate = true;
  p.deps.dossierTypes.register(courrierType);
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const fails = failNext.get(path) ?? 0;
      if (path === '/slow') return; // never answers
      if (path === '/redirect') return void res.writeHead(302, { location: `${base}/moved` }).end();
      if (path === '/long') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('é'.repeat(10_000));
      if (fails > 0) {
        failNext.set(path, fails - 1);
        res.writeHead(500, { 'content-type': 'text/plain' }).end('le logiciel métier est indisponible');
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('bien reçu');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await p.close();
});

let n = 0;
let sharedAdmin: Client | undefined;
/**
 * A fresh collectivité, so each test sees only its own subscriptions. Its admin is one account shared by
 * the tests (logins are rate-limited), or its own account when the test compares two collectivités.
 */
async function collectivite(opts: { ownAdmin?: boolean } = {}): Promise<{ cid: string; admin: Client }> {
  n++;
  const cid = await makeCollectivite(p, `Commune ${n}`);
  const email = opts.ownAdmin ? `admin${n}@webhooks.test` : 'admin@webhooks.test';
  await makeMember(p, cid, email, 'collectivite_admin');
  if (opts.ownAdmin) return { cid, admin: await login(p, email) };
  sharedAdmin ??= await login(p, email);
  return { cid, admin: sharedAdmin };
}

async function subscribe(c: Client, cid: string, path: string, extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const res = await c.request('POST', `/api/collectivites/${cid}/webhooks`, { url: `${base}${path}`, ...extra });
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as { id: string; secret: string };
}

async function dossier(c: Client, cid: string, title = 'Courrier au préfet'): Promise<string> {
  const res = await c.request('POST', `/api/collectivites/${cid}/dossiers`, { type: 'courrier-test', title, metadata: {} });
  assert.equal(res.statusCode, 201, res.body);
  return (res.json() as { id: string }).id;
}

async function act(c: Client, cid: string, id: string, action: string): Promise<void> {
  const res = await c.request('POST', `/api/collectivites/${cid}/dossiers/${id}/actions/${action}`, {});
  assert.equal(res.statusCode, 200, res.body);
}

async function deliveries(c: Client, cid: string, hook: string): Promise<{ id: string; state: string; attempts: number; dossierVersion: number; dossierTitle: string; transition: string; nextAttemptAt: string | null; lastStatusCode: number | null }[]> {
  const res = await c.request('GET', `/api/collectivites/${cid}/webhooks/${hook}/deliveries`);
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { items: never[] }).items;
}

async function detail(c: Client, cid: string, hook: string, delivery: string) {
  const res = await c.request('GET', `/api/collectivites/${cid}/webhooks/${hook}/deliveries/${delivery}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { state: string; payload: Record<string, unknown>; attemptLog: { attempt: number; manual: boolean; statusCode: number | null; error: string | null; responseBody: string | null; durationMs: number }[] };
}

test('a state change is POSTed once, signed with the secret shown at creation, with the frozen payload', async () => {
  const { cid, admin } = await collectivite();
  const hook = await subscribe(admin, cid, '/signed', { description: 'Logiciel d’urbanisme' });
  assert.match(hook.secret, /^whsec_/);
  const list = (await admin.request('GET', `/api/collectivites/${cid}/webhooks`)).json() as { items: Record<string, unknown>[] };
  assert.equal(list.items.length, 1);
  assert.ok(!JSON.stringify(list).includes(hook.secret), 'the secret is shown only once');

  const id = await dossier(admin, cid, 'Permis de construire PC 062 001 26 00042');
  assert.equal(hits('/signed').length, 0, 'creating a dossier is not a state change');
  await act(admin, cid, id, 'envoyer');
  assert.equal(hits('/signed').length, 0, 'nothing is sent inside the request: the job does it');
  await run();
  const [got] = hits('/signed');
  assert.ok(got);
  assert.equal(hits('/signed').length, 1);
  assert.equal(got.headers['content-type'], 'application/json');
  assert.equal(got.headers['x-paraphe-event'], 'dossier.state_changed');
  assert.equal(got.headers['x-paraphe-timestamp'], String(Math.floor(clock.now().getTime() / 1000)));
  assert.ok(signatureValid(hook.secret, got), 'the receiver verifies the signature with the secret');
  assert.ok(!signatureValid(`${hook.secret}x`, got), 'a wrong secret does not verify');
  assert.ok(!signatureValid(hook.secret, { ...got, body: got.body.replace('Envoyé', 'Envoye') }), 'a tampered body does not verify');

  const body = JSON.parse(got.body);
  assert.deepEqual(body, {
    id: body.id,
    type: 'dossier.state_changed',
    occurredAt: clock.now().toISOString(),
    collectiviteId: cid,
    dossier: { id, type: 'courrier-test', title: 'Permis de construire PC 062 001 26 00042', version: 2 },
    from: { state: 'brouillon', label: 'Brouillon' },
    to: { state: 'envoye', label: 'Envoyé', s2lowCode: 3 },
    links: { dossier: `/api/collectivites/${cid}/dossiers/${id}` },
  });
  const [d] = await deliveries(admin, cid, hook.id);
  assert.equal(got.headers['x-paraphe-delivery'], d!.id);
  assert.equal(d!.state, 'delivered');
  assert.deepEqual([d!.dossierTitle, d!.transition], ['Permis de construire PC 062 001 26 00042', 'Brouillon → Envoyé']);
  const log = await detail(admin, cid, hook.id, d!.id);
  assert.deepEqual(log.payload, body);
  assert.equal(log.attemptLog.length, 1);
  assert.equal(log.attemptLog[0]!.statusCode, 200);
  assert.equal(log.attemptLog[0]!.responseBody, 'bien reçu');
  assert.equal(await run(), 0, 'delivered once');
});

test('a failing receiver is retried with growing delays, each attempt logged, until it answers 2xx', async () => {
  const { cid, admin } = await collectivite();
  const hook = await subscribe(admin, cid, '/flaky');
  failNext.set('/flaky', 2);
  await act(admin, cid, await dossier(admin, cid), 'envoyer');
  assert.equal(await run(), 1);
  let [d] = await deliveries(admin, cid, hook.id);
  assert.equal(d!.state, 'pending');
  assert.equal(d!.lastStatusCode, 500);
  assert.equal(d!.nextAttemptAt, new Date(clock.now().getTime() + 30_000).toISOString());
  assert.equal(await run(), 0, 'not before its back-off');
  clock.advance(30_000);
  assert.equal(await run(), 1, 'second attempt after 30 s');
  clock.advance(30_000);
  assert.equal(await run(), 0, 'the next delay is longer (60 s)');
  clock.advance(30_000);
  assert.equal(await run(), 1);
  [d] = await deliveries(admin, cid, hook.id);
  assert.equal(d!.state, 'delivered');
  assert.equal(d!.attempts, 3);
  const calls = hits('/flaky');
  assert.equal(calls.length, 3);
  assert.equal(new Set(calls.map((c) => c.headers['x-paraphe-delivery'])).size, 1, 'same delivery id: the receiver can deduplicate');
  assert.equal(new Set(calls.map((c) => c.body)).size, 1, 'the same body every time');
  const log = await detail(admin, cid, hook.id, d!.id);
  assert.deepEqual(log.attemptLog.map((a) => [a.attempt, a.statusCode, a.error]), [[1, 500, 'réponse HTTP 500'], [2, 500, 'réponse HTTP 500'], [3, 200, null]]);
  assert.equal(log.attemptLog[0]!.responseBody, 'le logiciel métier est indisponible');
  assert.ok(log.attemptLog.every((a) => Number.isInteger(a.durationMs) && a.durationMs >= 0));
});

test('after the last attempt the delivery is failed, visible in the log, and a retry by hand delivers it', async () => {
  const { cid, admin } = await collectivite();
  const hook = await subscribe(admin, cid, '/down');
  failNext.set('/down', 1000);
  await act(admin, cid, await dossier(admin, cid), 'envoyer');
  for (let i = 0; i < 8; i++) {
    assert.equal(await run(), 1, `attempt ${i + 1}`);
    clock.advance(2_000_000); // beyond the longest back-off (30 s × 2⁶)
  }
  assert.equal(await run(), 0, 'eight attempts, no more');
  const [d] = await deliveries(admin, cid, hook.id);
  assert.equal(d!.state, 'failed');
  assert.equal(d!.attempts, 8);
  assert.equal(d!.nextAttemptAt, null);
  assert.equal(hits('/down').length, 8);
  const failedList = (await admin.request('GET', `/api/collectivites/${cid}/webhooks/${hook.id}/deliveries?state=failed`)).json() as { items: unknown[] };
  assert.equal(failedList.items.length, 1);

  failNext.set('/down', 0);
  const retry = await admin.request('POST', `/api/collectivites/${cid}/webhooks/${hook.id}/deliveries/${d!.id}/retry`, {});
  assert.equal(retry.statusCode, 202, retry.body);
  const again = await admin.request('POST', `/api/collectivites/${cid}/webhooks/${hook.id}/deliveries/${d!.id}/retry`, {});
  assert.equal(again.statusCode, 409, 'already being sent');
  assert.match((again.json() as { message: string }).message, /déjà en cours/);
  assert.equal(await run(), 1);
  const log = await detail(admin, cid, hook.id, d!.id);
  assert.equal(log.state, 'delivered');
  assert.equal(log.attemptLog.length, 9);
  assert.deepEqual([log.attemptLog[8]!.statusCode, log.attemptLog[8]!.manual], [200, true]);
  assert.equal(hits('/down').at(-1)!.headers['x-paraphe-delivery'], d!.id);
  const journal = await p.deps.db.selectFrom('journal_entry').select('action').where('collectivite_id', '=', cid).where('object_type', '=', 'webhook').orderBy('seq').execute();
  assert.deepEqual(journal.map((j) => j.action), ['webhook.created', 'webhook.delivery-retried']);
});

test('nothing is sent for another collectivité’s dossiers, nor to a disabled subscription, nor for other dossier types', async () => {
  const a = await collectivite({ ownAdmin: true });
  const b = await collectivite({ ownAdmin: true });
  const hookA = await subscribe(a.admin, a.cid, '/iso-a');
  const gedOnly = await subscribe(a.admin, a.cid, '/iso-a-ged', { dossierTypes: ['versement-ged'] });
  const hookB = await subscribe(b.admin, b.cid, '/iso-b');
  const off = await subscribe(b.admin, b.cid, '/iso-b-off');
  const patched = await b.admin.request('PATCH', `/api/collectivites/${b.cid}/webhooks/${off.id}`, { active: false });
  assert.equal(patched.statusCode, 200, patched.body);
  assert.equal((patched.json() as { active: boolean }).active, false);

  await act(b.admin, b.cid, await dossier(b.admin, b.cid, 'Dossier de B'), 'envoyer');
  await run();
  assert.equal(hits('/iso-b').length, 1);
  assert.ok(signatureValid(hookB.secret, hits('/iso-b')[0]!));
  assert.equal(hits('/iso-a').length, 0, 'A hears nothing of B');
  assert.equal(hits('/iso-b-off').length, 0, 'a disabled subscription gets nothing');
  assert.equal((await deliveries(b.admin, b.cid, off.id)).length, 0);

  await act(a.admin, a.cid, await dossier(a.admin, a.cid, 'Dossier de A'), 'envoyer');
  await run();
  assert.equal(hits('/iso-a').length, 1);
  assert.equal(hits('/iso-a-ged').length, 0, 'filtered on the dossier type');
  assert.equal((await deliveries(a.admin, a.cid, gedOnly.id)).length, 0);
  assert.ok(!signatureValid(hookB.secret, hits('/iso-a')[0]!), 'each subscription has its own secret');
  assert.ok(signatureValid(hookA.secret, hits('/iso-a')[0]!));
  assert.equal(JSON.parse(hits('/iso-a')[0]!.body).collectiviteId, a.cid);

  // A's admin does not reach B's subscription nor its log.
  assert.equal((await a.admin.request('GET', `/api/collectivites/${a.cid}/webhooks/${hookB.id}/deliveries`)).statusCode, 404);
  assert.equal((await a.admin.request('GET', `/api/collectivites/${b.cid}/webhooks`)).statusCode, 404);
});

test('deliveries of one dossier keep their order: a later change waits while an earlier one is retried', async () => {
  const { cid, admin } = await collectivite();
  const hook = await subscribe(admin, cid, '/ordered');
  failNext.set('/ordered', 1);
  const id = await dossier(admin, cid);
  await act(admin, cid, id, 'envoyer');
  await act(admin, cid, id, 'archiver');
  await run();
  const states = Object.fromEntries((await deliveries(admin, cid, hook.id)).map((d) => [d.dossierVersion, d.state]));
  assert.deepEqual(states, { 2: 'pending', 3: 'waiting' });
  clock.advance(30_000);
  await run();
  const versions = hits('/ordered').map((r) => [JSON.parse(r.body).dossier.version, JSON.parse(r.body).to.state]);
  assert.deepEqual(versions, [
    [2, 'envoye'],
    [2, 'envoye'],
    [3, 'archive'],
  ]);
  assert.ok((await deliveries(admin, cid, hook.id)).every((d) => d.state === 'delivered'));
});

test('an API token with webhooks:manage registers a hook; without it, it is refused', async () => {
  const { cid } = await collectivite();
  const software = tokenClient(p, await makeToken(p, cid, ['dossier:read', 'dossier:write', 'dossier:act', 'webhooks:manage']));
  const res = await software.request('POST', `/api/collectivites/${cid}/webhooks`, { url: `${base}/software`, dossierTypes: ['courrier-test'] });
  assert.equal(res.statusCode, 201, res.body);
  const hook = res.json() as { id: string; secret: string };
  const dossierId = (await software.request('POST', `/api/collectivites/${cid}/dossiers`, { type: 'courrier-test', title: 'Depuis le logiciel', metadata: {} })).json().id as string;
  assert.equal((await software.request('POST', `/api/collectivites/${cid}/dossiers/${dossierId}/actions/envoyer`, {})).statusCode, 200);
  await run();
  assert.equal(hits('/software').length, 1);
  assert.ok(signatureValid(hook.secret, hits('/software')[0]!));
  const reader = tokenClient(p, await makeToken(p, cid, ['dossier:read']));
  assert.equal((await reader.request('GET', `/api/collectivites/${cid}/webhooks`)).statusCode, 403);
  const journal = await p.deps.db.selectFrom('journal_entry').select(['action', 'actor_token_id']).where('collectivite_id', '=', cid).where('action', '=', 'webhook.created').executeTakeFirstOrThrow();
  assert.ok(journal.actor_token_id, 'journaled as done by the token');
});

test('a rotated secret signs what follows; a deleted subscription and its log are gone', async () => {
  const { cid, admin } = await collectivite();
  const hook = await subscribe(admin, cid, '/rotated');
  const rotated = await admin.request('POST', `/api/collectivites/${cid}/webhooks/${hook.id}/secret`, {});
  assert.equal(rotated.statusCode, 200, rotated.body);
  const secret = (rotated.json() as { secret: string }).secret;
  assert.notEqual(secret, hook.secret);
  await act(admin, cid, await dossier(admin, cid), 'envoyer');
  await run();
  const [got] = hits('/rotated');
  assert.ok(signatureValid(secret, got!));
  assert.ok(!signatureValid(hook.secret, got!), 'the old secret no longer verifies');

  // Deleted while a delivery waits for its back-off: the job finds nothing to send.
  failNext.set('/rotated', 1);
  await act(admin, cid, await dossier(admin, cid), 'envoyer');
  await run();
  assert.equal((await admin.request('DELETE', `/api/collectivites/${cid}/webhooks/${hook.id}`)).statusCode, 204);
  clock.advance(60_000);
  await run();
  assert.equal(hits('/rotated').length, 2);
  assert.equal((await admin.request('GET', `/api/collectivites/${cid}/webhooks/${hook.id}/deliveries`)).statusCode, 404);
  const journal = await p.deps.db.selectFrom('journal_entry').select('action').where('collectivite_id', '=', cid).where('object_type', '=', 'webhook').orderBy('seq').execute();
  assert.deepEqual(journal.map((j) => j.action), ['webhook.created', 'webhook.secret-rotated', 'webhook.deleted']);
});

test('only http(s) URLs; internal addresses are refused unless the operator allows them, at registration and when connecting', async () => {
  const { cid, admin } = await collectivite();
  const create = (url: string, extra: Record<string, unknown> = {}) => admin.request('POST', `/api/collectivites/${cid}/webhooks`, { url, ...extra });
  for (const url of ['ftp://hooks.example.com/x', 'file:///etc/passwd', 'javascript:alert(1)', 'pas une url']) {
    const res = await create(url);
    assert.equal(res.statusCode, 400, url);
    assert.match((res.json() as { message: string }).message, /http|URL/, url);
  }
  assert.equal((await create('https://user:pass@hooks.example.com/x')).statusCode, 400);
  const unknownType = await create('https://hooks.example.com/x', { dossierTypes: ['inconnu'] });
  assert.equal(unknownType.statusCode, 400);
  assert.match((unknownType.json() as { message: string }).message, /inconnu/);

  // Registered while allowed, then the operator setting is off: the connection itself is refused.
  const hook = await subscribe(admin, cid, '/private');
  p.deps.config.webhookAllowPrivate = false;
  try {
    for (const url of ['http://127.0.0.1/x', 'http://localhost:8080/x', 'http://10.1.2.3/x', 'http://192.168.1.10/x', 'http://[::1]/x', 'http://169.254.169.254/latest/meta-data', 'http://[::ffff:127.0.0.1]/x']) {
      const res = await create(url);
      assert.equal(res.statusCode, 400, url);
      assert.match((res.json() as { message: string }).message, /interne/, url);
    }
    assert.equal((await create('https://hooks.example.com/paraphe', { active: false })).statusCode, 201, 'a public address is accepted');
    await act(admin, cid, await dossier(admin, cid), 'envoyer');
    await run();
    assert.equal(hits('/private').length, 0);
    const [d] = await deliveries(admin, cid, hook.id);
    const log = await detail(admin, cid, hook.id, d!.id);
    assert.match(log.attemptLog[0]!.error!, /adresse interne refusée/);
    assert.equal(log.attemptLog[0]!.statusCode, null);
  } finally {
    p.deps.config.webhookAllowPrivate = true;
  }
});

test('redirects are not followed, a slow receiver times out, and only the beginning of a long answer is kept', async () => {
  const { cid, admin } = await collectivite();
  const redirect = await subscribe(admin, cid, '/redirect');
  const slow = await subscribe(admin, cid, '/slow');
  const long = await subscribe(admin, cid, '/long');
  const before = webhookPorts(p.deps).timeoutMs;
  setWebhookPorts(p.deps, { timeoutMs: 300 });
  try {
    await act(admin, cid, await dossier(admin, cid), 'envoyer');
    assert.equal(await run(), 3);
  } finally {
    setWebhookPorts(p.deps, { timeoutMs: before });
  }
  const attempt = async (hook: string) => {
    const [d] = await deliveries(admin, cid, hook);
    return { delivery: d!, attempt: (await detail(admin, cid, hook, d!.id)).attemptLog[0]! };
  };
  const r = await attempt(redirect.id);
  assert.deepEqual([r.delivery.state, r.attempt.statusCode, r.attempt.error], ['pending', 302, 'réponse HTTP 302']);
  assert.equal(hits('/moved').length, 0, 'the redirect was not followed');
  const s = await attempt(slow.id);
  assert.deepEqual([s.delivery.state, s.attempt.statusCode, s.attempt.error], ['pending', null, 'délai de 0.3 s dépassé']);
  assert.equal(hits('/slow').length, 1);
  const l = await attempt(long.id);
  assert.equal(l.delivery.state, 'delivered');
  assert.ok(l.attempt.responseBody!.length > 500 && Buffer.byteLength(l.attempt.responseBody!) <= 2048 + 3, `kept ${Buffer.byteLength(l.attempt.responseBody!)} bytes`);
});

test('business software follows an acte it created: each change arrives with its S²LOW code', async () => {
  const { cid, admin } = await collectivite();
  const up = await admin.upload(`/api/collectivites/${cid}/actes-classification`, 'classification.xml', readFileSync(conformancePath('pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/999-1234----7-2_1.xml')));
  assert.equal(up.statusCode, 200, up.body);
  const software = tokenClient(p, await makeToken(p, cid, ['dossier:read', 'dossier:write', 'dossier:act', 'document:read', 'webhooks:manage']));
  const reg = await software.request('POST', `/api/collectivites/${cid}/webhooks`, { url: `${base}/urbanisme`, dossierTypes: ['actes'], description: 'Application d’urbanisme' });
  assert.equal(reg.statusCode, 201, reg.body);
  const { secret } = reg.json() as { secret: string };
  const created = await software.request('POST', `/api/collectivites/${cid}/actes`, {
    metadata: { nature: 'AR', classification: '2.2', numeroInterne: 'PC2026_042', dateDecision: '2026-11-20', objet: 'Permis de construire PC 062 001 26 00042', documentPapier: false, typologieActe: '99_AR', typologieAnnexes: [] },
  });
  assert.equal(created.statusCode, 201, created.body);
  const acteId = (created.json() as { dossier: { id: string } }).dossier.id;
  const doc = await software.upload(`/api/collectivites/${cid}/actes/${acteId}/documents?role=principal`, 'arrete.pdf', MINIMAL_PDF);
  assert.equal(doc.statusCode, 201, doc.body);
  // Sending to the parapheur needs its choices (own route, tested in actes-signature.test.ts); the generic
  // action endpoint refuses it, so the software abandons its draft here.
  const refused = await software.request('POST', `/api/collectivites/${cid}/dossiers/${acteId}/actions/soumettre_signature`, {});
  assert.equal(refused.statusCode, 409, refused.body);
  const r = await software.request('POST', `/api/collectivites/${cid}/dossiers/${acteId}/actions/abandonner`, {});
  assert.equal(r.statusCode, 200, r.body);
  await run();
  const calls = hits('/urbanisme');
  assert.equal(calls.length, 1);
  assert.ok(calls.every((c) => signatureValid(secret, c)));
  assert.deepEqual(
    calls.map((c) => JSON.parse(c.body) as { dossier: { type: string; version: number }; from: unknown; to: unknown }).map((b) => [b.dossier.type, b.dossier.version, b.from, b.to]),
    [
      // The version counts every change of the dossier (the upload too), so it is 3.
      ['actes', 3, { state: 'brouillon', label: 'En attente d’être posté', s2lowCode: 17 }, { state: 'abandonne', label: 'Abandonné', s2lowCode: 16 }],
    ],
  );
  // The link in the payload is the API resource the software reads with its token.
  const link = (JSON.parse(calls[0]!.body) as { links: { dossier: string } }).links.dossier;
  const followed = await software.request('GET', link);
  assert.equal(followed.statusCode, 200, followed.body);
  assert.equal((followed.json() as { state: string }).state, 'abandonne');
});

test('a delivery still pending when its subscription is disabled is not sent, and cannot be retried until re-enabled', async () => {
  const { cid, admin } = await collectivite();
  const hook = await subscribe(admin, cid, '/disabled-later');
  failNext.set('/disabled-later', 1);
  await act(admin, cid, await dossier(admin, cid), 'envoyer');
  await run();
  assert.equal((await admin.request('PATCH', `/api/collectivites/${cid}/webhooks/${hook.id}`, { active: false })).statusCode, 200);
  clock.advance(30_000);
  await run();
  assert.equal(hits('/disabled-later').length, 1, 'only the attempt made before it was disabled');
  const [d] = await deliveries(admin, cid, hook.id);
  assert.equal(d!.state, 'failed');
  const refused = await admin.request('POST', `/api/collectivites/${cid}/webhooks/${hook.id}/deliveries/${d!.id}/retry`, {});
  assert.equal(refused.statusCode, 409);
  assert.match((refused.json() as { message: string }).message, /Réactivez le webhook/);
  assert.equal((await admin.request('PATCH', `/api/collectivites/${cid}/webhooks/${hook.id}`, { active: true })).statusCode, 200);
  assert.equal((await admin.request('POST', `/api/collectivites/${cid}/webhooks/${hook.id}/deliveries/${d!.id}/retry`, {})).statusCode, 202);
  await run();
  assert.equal(hits('/disabled-later').length, 2);
  assert.equal((await deliveries(admin, cid, hook.id))[0]!.state, 'delivered');
  const journal = await p.deps.db.selectFrom('journal_entry').select('action').where('collectivite_id', '=', cid).where('object_type', '=', 'webhook').orderBy('seq').execute();
  assert.deepEqual(journal.map((j) => j.action), ['webhook.created', 'webhook.updated', 'webhook.updated', 'webhook.delivery-retried']);
});

test('the secret is stored sealed with the platform key, not in clear, and still signs every delivery', async () => {
  const { cid, admin } = await collectivite();
  const hook = await subscribe(admin, cid, '/sealed');
  const row = await p.deps.db.selectFrom('webhook_subscription').select(['secret', 'secret_hint']).where('id', '=', hook.id).executeTakeFirstOrThrow();
  assert.ok(!row.secret.includes(hook.secret) && row.secret.startsWith('enc:v1:'), 'a database dump does not give the secret away');
  assert.equal(row.secret_hint, hook.secret.slice(0, 10));
  const list = await admin.request('GET', `/api/collectivites/${cid}/webhooks`);
  assert.ok(list.body.includes(`${hook.secret.slice(0, 10)}…`), 'the hint still lets the admin recognise the secret');

  // A secret written in clear by an earlier version is sealed at start-up and keeps signing.
  await p.deps.db.updateTable('webhook_subscription').set({ secret: hook.secret }).where('id', '=', hook.id).execute();
  assert.ok((await sealLegacySecrets(p.deps)) >= 1);
  assert.equal(await sealLegacySecrets(p.deps), 0, 'idempotent');
  const resealed = await p.deps.db.selectFrom('webhook_subscription').select('secret').where('id', '=', hook.id).executeTakeFirstOrThrow();
  assert.ok(resealed.secret.startsWith('enc:v1:'));
  await act(admin, cid, await dossier(admin, cid), 'envoyer');
  await run();
  assert.ok(signatureValid(hook.secret, hits('/sealed')[0]!));

  // A value sealed for a connector does not open as a webhook secret (the purpose is bound).
  const foreign = p.deps.connectors.sealSecrets('parapheur-seal', { password: hook.secret }).password as string;
  assert.throws(() => p.deps.secrets.open(foreign, 'webhook-secret'), (e: Error & { messageFr?: string }) => /ne peut pas être déchiffré/.test(e.messageFr ?? ''));
});

test('a ping is sent on demand, signed like any delivery, logged, and refused for a disabled webhook', async () => {
  const { cid, admin } = await collectivite();
  const hook = await subscribe(admin, cid, '/ping');
  const res = await admin.request('POST', `/api/collectivites/${cid}/webhooks/${hook.id}/ping`, {});
  assert.equal(res.statusCode, 202, res.body);
  assert.equal((res.json() as { dossierId: string | null }).dossierId, null);
  await run();
  const [got] = hits('/ping');
  assert.ok(got, 'the ping reached the receiver');
  assert.equal(got.headers['x-paraphe-event'], 'ping');
  assert.ok(signatureValid(hook.secret, got));
  assert.equal((JSON.parse(got.body) as { type: string; webhookId: string }).webhookId, hook.id);
  const [logged] = await deliveries(admin, cid, hook.id);
  assert.equal(logged!.state, 'delivered');
  assert.equal(logged!.transition, 'Test de réception');

  assert.equal((await admin.request('PATCH', `/api/collectivites/${cid}/webhooks/${hook.id}`, { active: false })).statusCode, 200);
  const refused = await admin.request('POST', `/api/collectivites/${cid}/webhooks/${hook.id}/ping`, {});
  assert.equal(refused.statusCode, 409);
  assert.match((refused.json() as { message: string }).message, /Réactivez/);
  const other = await collectivite({ ownAdmin: true });
  assert.equal((await other.admin.request('POST', `/api/collectivites/${other.cid}/webhooks/${hook.id}/ping`, {})).statusCode, 404, 'another collectivité cannot ping it');
});

test('settled deliveries older than the retention are purged with their attempts; pending ones and recent ones stay', async () => {
  const { cid, admin } = await collectivite();
  const hook = await subscribe(admin, cid, '/purge');
  await act(admin, cid, await dossier(admin, cid, 'Ancien courrier'), 'envoyer');
  await run();
  failNext.set('/purge', 100);
  await act(admin, cid, await dossier(admin, cid, 'Courrier en échec'), 'envoyer');
  await run();
  const both = await deliveries(admin, cid, hook.id);
  const delivered = both.find((d) => d.state === 'delivered');
  const pending = both.find((d) => d.state === 'pending');
  assert.ok(delivered && pending, JSON.stringify(both));
  clock.advance(91 * 24 * 3600_000);
  // (sessions do not last 91 days: read the log from the database)
  const log = () => p.deps.db.selectFrom('webhook_delivery').select('id').where('subscription_id', '=', hook.id).execute();
  await purgeWebhookDeliveries(p.deps, 92); // the whole platform's settled deliveries older than 92 days
  assert.equal((await log()).length, 2, '91 days old: kept under a 92-day retention');
  assert.ok((await purgeWebhookDeliveries(p.deps, 90)) >= 1);
  const left = await log();
  assert.deepEqual(left.map((d) => d.id), [pending.id], 'the delivery still being retried stays');
  const attempts = await p.deps.db.selectFrom('webhook_attempt').select('id').where('delivery_id', '=', delivered.id).execute();
  assert.equal(attempts.length, 0, 'its attempts went with it');
  failNext.delete('/purge');
});
