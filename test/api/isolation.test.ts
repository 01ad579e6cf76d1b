/**
 * Security sweep over every registered API route (the list comes from the app itself, so a new route is
 * covered the day it is added): a user and an API token of collectivité A, given the ids of collectivité
 * B's objects, get 404 everywhere; inside A, every role lacking a route's permission gets 403.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, makeCollectivite, makeMember, makeToken, login, tokenClient, MINIMAL_PDF, type TestPlatform, type Client } from '../support/test-app.ts';
import { ROLE_PERMISSIONS, TOKEN_PERMISSIONS, type CollectiviteRole, type Permission } from '../../src/identity/roles.ts';

let p: TestPlatform;
const A: Record<string, string> = {};
const B: Record<string, string> = {};
const clients: Record<string, Client> = {};

// Parapheur objects: an id unknown everywhere (src/parapheur/rules.test.ts sweeps them with real ids of another collectivité).
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

/** Bodies that pass validation, so the sweep reaches the tenant and object checks. */
const SAMPLE_BODIES: Record<string, unknown> = {
  'POST /api/collectivites/:collectiviteId/dossiers': { type: 'versement-ged', title: 'x', metadata: { categorie: 'x' } },
  'POST /api/collectivites/:collectiviteId/dossiers/:dossierId/actions/:action': {},
  'POST /api/collectivites/:collectiviteId/users': { email: 'nouveau@a.test', displayName: 'Nouveau', role: 'agent' },
  'PATCH /api/collectivites/:collectiviteId/users/:userId': { role: 'agent' },
  'POST /api/collectivites/:collectiviteId/api-tokens': { name: 'jeton', permissions: ['dossier:read'] },
  'PATCH /api/collectivites/:collectiviteId': { name: 'Nouveau nom' },
  'PUT /api/collectivites/:collectiviteId/connectors/:connector': { config: { path: '/tmp/x' } },
  // A body that passes validation (the PKCS#12 itself is checked after the tenant and permission checks).
  'PUT /api/collectivites/:collectiviteId/cachet-serveur': { pkcs12: 'AAAA', password: 'x' },
  'POST /api/collectivites/:collectiviteId/parapheur/bureaux': { name: 'Bureau' },
  'PUT /api/collectivites/:collectiviteId/parapheur/bureaux/:bureauId/titulaires': { userIds: [] },
  'PUT /api/collectivites/:collectiviteId/parapheur/circuits/:circuitId': { name: 'Circuit modifié', steps: [{ kind: 'visa', actors: { type: 'bureaux', bureauIds: [NO_SUCH_ID] } }], version: 1 },
  'PUT /api/collectivites/:collectiviteId/parapheur/typologies/:typologieId': { type: 'Courrier', sousType: 'Modifié', circuitId: NO_SUCH_ID, version: 1 },
  'POST /api/collectivites/:collectiviteId/parapheur/dossiers/:dossierId/annoter': { text: 'note' },
  'POST /api/collectivites/:collectiviteId/parapheur/dossiers/:dossierId/avis': { toBureauId: NO_SUCH_ID, question: 'avis ?' },
  'POST /api/collectivites/:collectiviteId/parapheur/dossiers/:dossierId/transferer': { toBureauId: NO_SUCH_ID },
  'POST /api/collectivites/:collectiviteId/parapheur/dossiers/:dossierId/avis/:avisId/reponse': { answer: 'oui' },
  'POST /api/collectivites/:collectiviteId/parapheur/dossiers/:dossierId/signature/prepare': { certificateChain: ['AAAA'] },
  'POST /api/collectivites/:collectiviteId/parapheur/dossiers/:dossierId/signature/complete': { sessionId: NO_SUCH_ID, signatureValues: ['AAAA'] },
  'POST /api/collectivites/:collectiviteId/actes': { metadata: { nature: 'DE', classification: '7.1', numeroInterne: 'X1', dateDecision: '2026-01-01', objet: 'x', typologieActe: '99_DE' } },
  'POST /api/collectivites/:collectiviteId/actes/:dossierId/publication': { datePublication: '2026-01-02' },
  'POST /api/collectivites/:collectiviteId/actes/:dossierId/soumettre-signature': { typologieId: NO_SUCH_ID, bureauEmetteurId: NO_SUCH_ID },
  'POST /api/collectivites/:collectiviteId/webhooks': { url: 'https://hooks.example.com/paraphe' },
  'PATCH /api/collectivites/:collectiviteId/webhooks/:webhookId': { active: false },
  'POST /api/collectivites/:collectiviteId/helios/:dossierId/soumettre-signature': { typologieId: NO_SUCH_ID, bureauEmetteurId: NO_SUCH_ID },
};

/** Route parameters that name a collectivité's objects, and how to fill the others. */
const TENANT_PARAMS = ['collectiviteId', 'dossierId', 'documentId', 'userId', 'tokenId', 'messageId', 'bureauId', 'circuitId', 'typologieId', 'delegationId', 'retourKey', 'webhookId', 'deliveryId'];
// An avis exists only on a dossier in a circuit; an unknown id still has to be "not found".
const OTHER_PARAMS: Record<string, string> = { action: 'verser', connector: 'ged-fs', avisId: NO_SUCH_ID };

async function populate(into: Record<string, string>, name: string, prefix: string): Promise<void> {
  into.collectiviteId = await makeCollectivite(p, name);
  into.adminId = await makeMember(p, into.collectiviteId, `admin@${prefix}.test`, 'collectivite_admin');
  for (const role of ['agent', 'elu', 'read_only'] as const) into[`${role}Id`] = await makeMember(p, into.collectiviteId, `${role}@${prefix}.test`, role);
  into.userId = into.agentId!;
  const admin = await login(p, `admin@${prefix}.test`);
  const d = await admin.request('POST', `/api/collectivites/${into.collectiviteId}/dossiers`, { type: 'versement-ged', title: `Dossier ${name}`, metadata: { categorie: 'test' } });
  into.dossierId = (d.json() as { id: string }).id;
  const doc = await admin.upload(`/api/collectivites/${into.collectiviteId}/dossiers/${into.dossierId}/documents?role=principal`, 'acte.pdf', MINIMAL_PDF);
  assert.equal(doc.statusCode, 201, doc.body);
  into.documentId = (doc.json() as { id: string }).id;
  into.messageId = (await p.deps.db.insertInto('actes_message').values({ collectivite_id: into.collectiviteId, dossier_id: into.dossierId, direction: 'entrant', kind: 'CourrierSimple', code: '2-1', id_acte: null, status: 'recu', content: '{}', updated_at: new Date() }).returning('id').executeTakeFirstOrThrow()).id;
  into.retourKey = `PES2R_${prefix}_retour.xml`;
  await p.deps.db.insertInto('helios_response').values({ endpoint: 'ftp://test@127.0.0.1:21', key: into.retourKey, kind: 'PES_Retour', collectivite_id: into.collectiviteId, dossier_id: null, nom_fic: null, status: 'rattache', sha256: null, details: '{}' }).execute();
  // A webhook and one delivery in its log (written directly: the sweep needs ids, not a receiver).
  into.webhookId = (await p.deps.db.insertInto('webhook_subscription').values({ collectivite_id: into.collectiviteId, url: `https://hooks.example.com/${prefix}`, dossier_types: 'null', active: false, secret: `whsec_${prefix}`, updated_at: new Date() }).returning('id').executeTakeFirstOrThrow()).id;
  into.deliveryId = (await p.deps.db.insertInto('webhook_delivery').values({ collectivite_id: into.collectiviteId, subscription_id: into.webhookId, event_id: crypto.randomUUID(), event_type: 'dossier.state_changed', dossier_id: into.dossierId, dossier_version: 2, body: '{}', state: 'failed', created_at: new Date(), updated_at: new Date() }).returning('id').executeTakeFirstOrThrow()).id;
  const t = await admin.request('POST', `/api/collectivites/${into.collectiviteId}/api-tokens`, { name: 'jeton', permissions: ['dossier:read'] });
  into.tokenId = (t.json() as { id: string }).id;
  const P = `/api/collectivites/${into.collectiviteId}/parapheur`;
  const created = async (url: string, body: unknown): Promise<string> => {
    const res = await admin.request('POST', url, body);
    assert.equal(res.statusCode, 201, `${url}: ${res.body}`);
    return (res.json() as { id: string }).id;
  };
  into.bureauId = await created(`${P}/bureaux`, { name: 'Maire', holderUserIds: [into.eluId] });
  const other = await created(`${P}/bureaux`, { name: 'DGS', holderUserIds: [into.agentId] });
  into.circuitId = await created(`${P}/circuits`, { name: 'Visa puis signature', steps: [{ kind: 'visa', actors: { type: 'bureaux', bureauIds: [other] } }, { kind: 'signature', actors: { type: 'bureaux', bureauIds: [into.bureauId] } }] });
  into.typologieId = await created(`${P}/typologies`, { type: 'Courrier', sousType: 'Sortant', circuitId: into.circuitId });
  into.delegationId = await created(`${P}/delegations`, { fromBureauId: into.bureauId, toBureauId: other, startsAt: '2030-01-01T00:00:00Z', endsAt: '2030-01-31T00:00:00Z' });
}

before(async () => {
  p = await startTestPlatform();
  await populate(A, 'Collectivité A', 'a');
  await populate(B, 'Collectivité B', 'b');
  for (const role of ['admin', 'agent', 'elu', 'read_only']) clients[role] = await login(p, `${role}@a.test`);
  clients.token = tokenClient(p, await makeToken(p, A.collectiviteId!, [...TOKEN_PERMISSIONS]));
});
after(() => p.close());

function apiRoutes() {
  return p.app.registeredRoutes.filter((r) => r.url.startsWith('/api/') && !r.public && !r.url.startsWith('/api/docs'));
}

function paramsOf(url: string): string[] {
  return [...url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
}

function fill(url: string, ids: (name: string) => string): string {
  return url.replace(/:([A-Za-z]+)/g, (_m, name: string) => ids(name));
}

function otherParam(name: string): string {
  const v = OTHER_PARAMS[name];
  if (!v) throw new Error(`route parameter :${name} is unknown to the isolation sweep: say whether it names a tenant object`);
  return v;
}

test('every route with a tenant object answers 404 to collectivité A for the ids of collectivité B', async () => {
  let checked = 0;
  for (const route of apiRoutes()) {
    const params = paramsOf(route.url);
    const tenantParams = params.filter((x) => TENANT_PARAMS.includes(x));
    if (tenantParams.length === 0) continue;
    const body = SAMPLE_BODIES[`${route.method} ${route.url}`] ?? (route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
    const variants = [
      { own: false, url: fill(route.url, (n) => (TENANT_PARAMS.includes(n) ? B[n]! : otherParam(n))) },
      // A's own collectivité, B's objects inside it.
      ...(tenantParams.length > 1 ? [{ own: true, url: fill(route.url, (n) => (n === 'collectiviteId' ? A.collectiviteId! : TENANT_PARAMS.includes(n) ? B[n]! : otherParam(n))) }] : []),
    ];
    for (const { own, url } of variants) {
      for (const who of ['admin', 'token']) {
        // In its own collectivité a token lacking the permission is refused (403) before any lookup.
        if (own && who === 'token' && !TOKEN_PERMISSIONS.includes(route.permission as Permission)) continue;
        const res = await clients[who]!.request(route.method, url, body);
        assert.equal(res.statusCode, 404, `${who} ${route.method} ${url} → ${res.statusCode} ${res.body.slice(0, 200)}`);
        assert.equal((res.json() as { code: string }).code, 'NOT_FOUND');
        for (const id of Object.values(B)) assert.ok(!res.body.includes(id), `${route.method} ${url} leaks an id of B`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 30, `only ${checked} checks ran`);
});

test('routes without tenant ids never show collectivité B to collectivité A', async () => {
  for (const route of apiRoutes().filter((r) => r.method === 'GET' && !paramsOf(r.url).some((x) => TENANT_PARAMS.includes(x)))) {
    for (const who of ['admin', 'agent', 'elu', 'token']) {
      const res = await clients[who]!.request('GET', fill(route.url, otherParam));
      for (const id of Object.values(B)) assert.ok(!res.body.includes(id), `${who} GET ${route.url} shows an id of B`);
    }
  }
});

test('inside its own collectivité, a role lacking the route’s permission gets 403', async () => {
  let checked = 0;
  for (const route of apiRoutes()) {
    const params = paramsOf(route.url);
    if (!params.includes('collectiviteId')) continue;
    const url = fill(route.url, (n) => (TENANT_PARAMS.includes(n) ? A[n]! : otherParam(n)));
    const body = SAMPLE_BODIES[`${route.method} ${route.url}`] ?? (route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
    for (const role of ['agent', 'elu', 'read_only'] as CollectiviteRole[]) {
      const needed = route.permission as Permission | undefined;
      if (!needed) assert.fail(`${route.method} ${route.url} has no declared permission`);
      if (ROLE_PERMISSIONS[role].includes(needed)) continue;
      const res = await clients[role]!.request(route.method, url, body);
      assert.equal(res.statusCode, 403, `${role} ${route.method} ${url} → ${res.statusCode} ${res.body.slice(0, 200)}`);
      assert.match((res.json() as { message: string }).message, /rôle/);
      checked++;
    }
  }
  assert.ok(checked >= 10, `only ${checked} checks ran`);
});

test('an élu cannot create dossiers and an agent cannot manage users or tokens', async () => {
  const c = A.collectiviteId!;
  assert.equal((await clients.elu!.request('POST', `/api/collectivites/${c}/dossiers`, SAMPLE_BODIES['POST /api/collectivites/:collectiviteId/dossiers'])).statusCode, 403);
  assert.equal((await clients.agent!.request('GET', `/api/collectivites/${c}/users`)).statusCode, 403);
  assert.equal((await clients.agent!.request('POST', `/api/collectivites/${c}/api-tokens`, SAMPLE_BODIES['POST /api/collectivites/:collectiviteId/api-tokens'])).statusCode, 403);
  assert.equal((await clients.agent!.request('GET', `/api/collectivites/${c}/journal`)).statusCode, 403);
});
