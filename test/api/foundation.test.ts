/** The platform's HTTP contract: sessions, CSRF, tokens, dossiers and their rules, uploads, errors, idempotency. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestPlatform, makeCollectivite, makeMember, makeOperator, makeToken, login, tokenClient, MINIMAL_PDF, PASSWORD, type TestPlatform, type Client } from '../support/test-app.ts';
import { runDueJobs } from '../../src/platform/jobs/job-queue.ts';
import { setConnectorConfig } from '../../src/connectors/set-connector-config.ts';
import { ensureOperator } from '../../src/tenancy/ensure-operator.ts';

let p: TestPlatform;
let cid: string;
let agent: Client;
let elu: Client;
const system = { userId: null, tokenId: null, label: 'test' };

before(async () => {
  p = await startTestPlatform();
  cid = await makeCollectivite(p, 'Commune de Test');
  await makeMember(p, cid, 'agent@test.fr', 'agent');
  await makeMember(p, cid, 'elu@test.fr', 'elu');
  agent = await login(p, 'agent@test.fr');
  elu = await login(p, 'elu@test.fr');
  await setConnectorConfig(p.deps, system, { type: 'operator', id: await ensureOperator(p.deps) }, 'ged-fs', { path: join(p.dataDir, 'ged') });
});
after(() => p.close());

const dossiersUrl = () => `/api/collectivites/${cid}/dossiers`;

async function newDossier(client = agent): Promise<string> {
  const res = await client.request('POST', dossiersUrl(), { type: 'versement-ged', title: 'Arrêté de voirie', metadata: { categorie: 'Voirie' } });
  assert.equal(res.statusCode, 201, res.body);
  return (res.json() as { id: string }).id;
}

test('a wrong password is refused in French and journaled; a good one opens a session', async () => {
  const bad = await p.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'agent@test.fr', password: 'nope' } });
  assert.equal(bad.statusCode, 401);
  assert.equal(bad.json().message, 'Adresse e-mail ou mot de passe incorrect.');
  const entries = await p.deps.db.selectFrom('journal_entry').select('action').where('chain', '=', 'operator').execute();
  assert.ok(entries.some((e) => e.action === 'login.failed'));
  assert.ok(entries.some((e) => e.action === 'login.succeeded'));
});

test('logins are rate limited per address', async () => {
  let last = 0;
  for (let i = 0; i < 12; i++) {
    last = (await p.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.9.9.9', payload: { email: 'victim@test.fr', password: 'x' } })).statusCode;
  }
  assert.equal(last, 429);
});

test('a cookie-authenticated write without the CSRF token is refused', async () => {
  const res = await p.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'agent@test.fr', password: PASSWORD } });
  const cookie = `paraphe_session=${res.cookies.find((c) => c.name === 'paraphe_session')!.value}`;
  const write = await p.app.inject({ method: 'POST', url: dossiersUrl(), headers: { cookie }, payload: { type: 'versement-ged', title: 'x', metadata: { categorie: 'x' } } });
  assert.equal(write.statusCode, 403);
  assert.match(write.json().message, /CSRF/);
  const read = await p.app.inject({ method: 'GET', url: dossiersUrl(), headers: { cookie } });
  assert.equal(read.statusCode, 200);
});

test('a dossier goes through its external step to the GED and the API lists what the user may do now', async () => {
  const id = await newDossier();
  const fresh = (await agent.request('GET', `${dossiersUrl()}/${id}`)).json();
  assert.deepEqual(fresh.actions.map((a: { name: string }) => a.name), ['abandonner']);
  const up = await agent.upload(`${dossiersUrl()}/${id}/documents?role=principal`, 'arrêté.pdf', MINIMAL_PDF);
  assert.equal(up.statusCode, 201, up.body);
  const withDoc = (await agent.request('GET', `${dossiersUrl()}/${id}`)).json();
  assert.deepEqual(withDoc.actions.map((a: { name: string }) => a.name).sort(), ['abandonner', 'verser']);
  assert.deepEqual((await elu.request('GET', `${dossiersUrl()}/${id}`)).json().actions, []);
  const sent = await agent.request('POST', `${dossiersUrl()}/${id}/actions/verser`, {});
  assert.equal(sent.json().state, 'versement_en_cours');
  assert.equal(await runDueJobs(p.deps.db, p.deps.clock, p.deps.jobHandlers), 1);
  const done = (await agent.request('GET', `${dossiersUrl()}/${id}`)).json();
  assert.equal(done.state, 'verse');
  assert.equal(done.stateLabel, 'Versé en GED');
  const deposits = readdirSync(join(p.dataDir, 'ged'));
  assert.equal(deposits.length, 1);
  assert.ok(existsSync(join(p.dataDir, 'ged', deposits[0]!, 'arrêté.pdf')));
  const history = (await agent.request('GET', `${dossiersUrl()}/${id}/history`)).json().items.map((e: { action: string }) => e.action);
  assert.deepEqual(history, ['dossier.created', 'document.added', 'dossier.action.verser', 'dossier.job.deposer.done']);
  const verser = (await agent.request('GET', `${dossiersUrl()}/${id}/history`)).json().items[2];
  assert.deepEqual(verser.documentHashes, [up.json().sha256]);
});

test('actions outside the current state or the role are refused with a French reason, nothing changes', async () => {
  const id = await newDossier();
  const noDoc = await agent.request('POST', `${dossiersUrl()}/${id}/actions/verser`, {});
  assert.equal(noDoc.statusCode, 409);
  assert.equal(noDoc.json().message, 'Ajoutez d’abord le document principal.');
  const wrongState = await agent.request('POST', `${dossiersUrl()}/${id}/actions/relancer`, {});
  assert.equal(wrongState.statusCode, 409);
  assert.match(wrongState.json().message, /n’est pas possible dans l’état « Brouillon »/);
  const wrongRole = await elu.request('POST', `${dossiersUrl()}/${id}/actions/abandonner`, {});
  assert.equal(wrongRole.statusCode, 403);
  const unknown = await agent.request('POST', `${dossiersUrl()}/${id}/actions/envoler`, {});
  assert.equal(unknown.statusCode, 409);
  assert.equal((await agent.request('GET', `${dossiersUrl()}/${id}`)).json().state, 'brouillon');
});

test('bad input gets a clear 4xx in French', async () => {
  const cases: [string, string, unknown, number, RegExp][] = [
    ['POST', dossiersUrl(), { type: 'inconnu', title: 't' }, 400, /Type de dossier inconnu/],
    ['POST', dossiersUrl(), { type: 'versement-ged', title: 't', metadata: { categorie: '' } }, 400, /métadonnées/],
    ['POST', dossiersUrl(), { type: 'versement-ged' }, 400, /invalide/],
    // Types with their own creation route: the generic one would skip their checks (acte ID, PES validation).
    ['POST', dossiersUrl(), { type: 'actes', title: 't', metadata: {} }, 422, /Un acte se crée par POST/],
    ['POST', dossiersUrl(), { type: 'helios', title: 't', metadata: {} }, 422, /Un flux PES se dépose par POST/],
    ['GET', `${dossiersUrl()}/not-a-uuid`, undefined, 404, /Dossier introuvable/],
    ['GET', `${dossiersUrl()}/00000000-0000-4000-8000-000000000000`, undefined, 404, /Dossier introuvable/],
    ['GET', `${dossiersUrl()}?cursor=zzz`, undefined, 400, /Curseur/],
    ['GET', '/api/nope', undefined, 404, /introuvable/],
  ];
  for (const [method, url, body, status, message] of cases) {
    const res = await agent.request(method, url, body);
    assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`);
    assert.match(res.json().message, message, url);
    assert.deepEqual(Object.keys(res.json()).sort(), ['code', 'details', 'message']);
  }
  const malformed = await agent.request('POST', dossiersUrl(), '{"type":', { 'content-type': 'application/json' });
  assert.equal(malformed.statusCode, 400);
  assert.equal(malformed.json().message, 'Le corps de la requête n’est pas un JSON valide.');
});

test('an invalid SIREN is refused when an operator creates a collectivité', async () => {
  await makeOperator(p, 'ops@cdg.fr', 'operator_admin');
  const ops = await login(p, 'ops@cdg.fr');
  const res = await ops.request('POST', '/api/collectivites', { name: 'Commune X', type: 'commune', siren: '123456789', departement: '062' });
  assert.equal(res.statusCode, 400);
  assert.match(res.json().message, /SIREN invalide/);
  const dept = await ops.request('POST', '/api/collectivites', { name: 'Commune X', type: 'commune', siren: '286200027', departement: '62' });
  assert.match(dept.json().message, /Département invalide/);
  const ok = await ops.request('POST', '/api/collectivites', { name: 'Commune X', type: 'commune', siren: '286200027', departement: '02A' });
  assert.equal(ok.statusCode, 201, ok.body);
  assert.equal((await agent.request('POST', '/api/collectivites', { name: 'Commune Y', type: 'commune', siren: '210600730', departement: '006' })).statusCode, 403);
});

test('uploads are sniffed, size-limited and deduplicated; refused ones leave nothing', async () => {
  const id = await newDossier();
  const url = `${dossiersUrl()}/${id}/documents?role=principal`;
  const fake = await agent.upload(url, 'acte.pdf', Buffer.from('MZ\x90\x00 this is an executable renamed .pdf'));
  assert.equal(fake.statusCode, 415);
  assert.match(fake.json().message, /Type de fichier refusé/);
  const empty = await agent.upload(url, 'vide.pdf', Buffer.alloc(0));
  assert.equal(empty.statusCode, 415);
  assert.equal((await p.deps.db.selectFrom('document').select('id').where('dossier_id', '=', id).execute()).length, 0);
  const first = await agent.upload(url, 'a.pdf', MINIMAL_PDF);
  const second = await agent.upload(`${dossiersUrl()}/${id}/documents?role=annexe`, 'b.pdf', MINIMAL_PDF);
  assert.equal(first.json().sha256, second.json().sha256);
  assert.equal((await p.deps.db.selectFrom('blob').select('sha256').where('sha256', '=', first.json().sha256).execute()).length, 1);
  const again = await agent.upload(url, 'c.pdf', MINIMAL_PDF);
  assert.equal(again.statusCode, 409);
  const download = await agent.request('GET', `/api/collectivites/${cid}/documents/${first.json().id}/content`);
  assert.equal(download.statusCode, 200);
  assert.deepEqual(download.rawPayload, MINIMAL_PDF);
});

test('an upload over the type’s limit is refused with 413 and stores nothing', async () => {
  const def = p.deps.dossierTypes.get('versement-ged');
  const saved = def.documents.annexe.maxBytes;
  def.documents.annexe.maxBytes = 64 * 1024;
  try {
    const id = await newDossier();
    const big = Buffer.concat([MINIMAL_PDF, Buffer.alloc(200 * 1024, 0x20)]);
    const res = await agent.upload(`${dossiersUrl()}/${id}/documents?role=annexe`, 'gros.pdf', big);
    assert.equal(res.statusCode, 413, res.body);
    assert.match(res.json().message, /trop volumineux/);
    assert.deepEqual(readdirSync(join(p.dataDir, 'blobs', 'tmp')), []);
  } finally {
    def.documents.annexe.maxBytes = saved;
  }
});

test('Idempotency-Key replays the first answer and refuses reuse for another request', async () => {
  const body = { type: 'versement-ged', title: 'Idempotent', metadata: { categorie: 'x' } };
  const a = await agent.request('POST', dossiersUrl(), body, { 'idempotency-key': 'k-1' });
  const b = await agent.request('POST', dossiersUrl(), body, { 'idempotency-key': 'k-1' });
  assert.equal(a.statusCode, 201);
  assert.equal(b.statusCode, 201);
  assert.equal(b.headers['idempotent-replayed'], 'true');
  assert.equal(a.json().id, b.json().id);
  const count = await p.deps.db.selectFrom('dossier').select('id').where('title', '=', 'Idempotent').execute();
  assert.equal(count.length, 1);
  const c = await agent.request('POST', dossiersUrl(), { ...body, title: 'Autre' }, { 'idempotency-key': 'k-1' });
  assert.equal(c.statusCode, 409);
});

test('API tokens act within their collectivité and permissions, and stop working once revoked', async () => {
  const token = await makeToken(p, cid, ['dossier:read']);
  const software = tokenClient(p, token);
  assert.equal((await software.request('GET', dossiersUrl())).statusCode, 200);
  assert.equal((await software.request('POST', dossiersUrl(), { type: 'versement-ged', title: 't', metadata: { categorie: 'x' } })).statusCode, 403);
  const row = await p.deps.db.selectFrom('api_token').select(['id', 'token_hash']).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
  assert.ok(!row.token_hash.includes(token.slice(4, 12)) && row.token_hash.length === 64, 'only a hash is stored');
  await makeMember(p, cid, 'admin@test.fr', 'collectivite_admin');
  const admin = await login(p, 'admin@test.fr');
  assert.equal((await admin.request('DELETE', `/api/collectivites/${cid}/api-tokens/${row.id}`)).statusCode, 204);
  const after = await software.request('GET', dossiersUrl());
  assert.equal(after.statusCode, 401);
  assert.match(after.json().message, /révoqué/);
});

test('operator staff enter a collectivité only through a journaled impersonation with a reason', async () => {
  await makeOperator(p, 'support@cdg.fr', 'operator_support');
  const support = await login(p, 'support@cdg.fr');
  assert.equal((await support.request('GET', dossiersUrl())).statusCode, 404);
  const noReason = await support.request('POST', '/api/auth/impersonation', { collectiviteId: cid, reason: '' });
  assert.equal(noReason.statusCode, 400);
  assert.equal((await support.request('POST', '/api/auth/impersonation', { collectiviteId: cid, reason: 'Ticket 4521 : dossier bloqué' })).statusCode, 204);
  assert.equal((await support.request('GET', dossiersUrl())).statusCode, 200);
  assert.equal((await support.request('POST', dossiersUrl(), { type: 'versement-ged', title: 't', metadata: { categorie: 'x' } })).statusCode, 403, 'support is read-only');
  const entry = await p.deps.db.selectFrom('journal_entry').selectAll().where('chain', '=', cid).where('action', '=', 'impersonation.started').executeTakeFirstOrThrow();
  assert.equal(entry.details.reason, 'Ticket 4521 : dossier bloqué');
  assert.equal((await support.request('DELETE', '/api/auth/impersonation')).statusCode, 204);
  assert.equal((await support.request('GET', dossiersUrl())).statusCode, 404);
});

test('connector settings are inherited operator → group → collectivité, each key from the nearest level', async () => {
  const opId = await ensureOperator(p.deps);
  await setConnectorConfig(p.deps, system, { type: 'operator', id: opId }, 'ged-fs', { path: '/srv/ged', format: 'pdf' });
  const group = await p.deps.db.insertInto('collectivite_group').values({ operator_id: opId, name: 'Groupe test' }).returning('id').executeTakeFirstOrThrow();
  const other = await makeCollectivite(p, 'Commune du groupe');
  await p.deps.db.updateTable('collectivite').set({ group_id: group.id }).where('id', '=', other).execute();
  await setConnectorConfig(p.deps, system, { type: 'group', id: group.id }, 'ged-fs', { path: '/srv/ged-groupe' });
  await makeMember(p, other, 'admin@groupe.fr', 'collectivite_admin');
  const admin = await login(p, 'admin@groupe.fr');
  const url = `/api/collectivites/${other}/connectors/ged-fs`;
  assert.deepEqual((await admin.request('GET', url)).json(), { connector: 'ged-fs', config: { path: '/srv/ged-groupe', format: 'pdf' }, origin: { path: 'group', format: 'operator' } });
  assert.equal((await admin.request('PUT', url, { config: { format: 'pdfa' } })).statusCode, 204);
  assert.deepEqual((await admin.request('GET', url)).json().origin, { path: 'group', format: 'collectivite' });
  await setConnectorConfig(p.deps, system, { type: 'operator', id: opId }, 'ged-fs', { path: join(p.dataDir, 'ged') });
});

test('the OpenAPI 3.1 document describes the routes and the health check answers', async () => {
  const doc = (await p.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.paths['/api/collectivites/{collectiviteId}/dossiers'].post.requestBody);
  assert.equal((await p.app.inject({ method: 'GET', url: '/api/health' })).json().status, 'ok');
  const metrics = await p.app.inject({ method: 'GET', url: '/metrics' });
  assert.match(metrics.body, /paraphe_http_request_duration_seconds/);
});

test('dossier lists paginate with a cursor and filter by state', async () => {
  for (let i = 0; i < 5; i++) await newDossier();
  const seen = new Set<string>();
  let cursor: string | null = null;
  do {
    const page: { items: { id: string; state: string }[]; nextCursor: string | null } = (await agent.request('GET', `${dossiersUrl()}?limit=2&state=brouillon${cursor ? `&cursor=${cursor}` : ''}`)).json();
    for (const d of page.items) {
      assert.ok(!seen.has(d.id));
      assert.equal(d.state, 'brouillon');
      seen.add(d.id);
    }
    cursor = page.nextCursor;
  } while (cursor);
  const all = await p.deps.db.selectFrom('dossier').select('id').where('collectivite_id', '=', cid).where('state', '=', 'brouillon').execute();
  assert.equal(seen.size, all.length);
});
