/**
 * Read routes added for the web screens: connector settings shown with their origin and never their
 * secrets (and a masked secret sent back keeps the stored one), the operator's defaults, and the
 * dashboard's « envoyé ce mois-ci » (actes and PES by transmission date, month of Europe/Paris).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, makeCollectivite, makeMember, makeOperator, login, makeToken, tokenClient, type TestPlatform } from '../support/test-app.ts';
import { setConnectorConfig } from '../../src/connectors/set-connector-config.ts';
import { SECRET_MASK, keepMaskedSecrets, maskSecrets } from '../../src/connectors/mask-secrets.ts';
import { ensureOperator } from '../../src/tenancy/ensure-operator.ts';
import { parisMonthRange } from '../../src/dashboard/sent-in-month.ts';
import { testPesAller } from '../../src/simulators/helios/testing.ts';
import { withLuhnKey } from '../../src/tenancy/siren.ts';
import { TOKEN_PERMISSIONS } from '../../src/identity/roles.ts';

const system = { userId: null, tokenId: null, label: 'test' };
let p: TestPlatform;
let cid: string;

before(async () => {
  p = await startTestPlatform();
  cid = await makeCollectivite(p, 'Commune des écrans');
  await makeMember(p, cid, 'admin@ecrans.test', 'collectivite_admin');
  await makeMember(p, cid, 'agent@ecrans.test', 'agent');
  await makeOperator(p, 'op@ecrans.test', 'operator_admin');
});
after(() => p.close());

test('secrets are masked at any depth, and a masked value sent back keeps the stored secret', () => {
  const stored = { p12Path: '/srv/cachet.p12', password: 'tres-secret', pkcs11: { module: '/usr/lib/x.so', pin: '1234' }, empty: { password: '' } };
  const masked = maskSecrets(stored);
  assert.deepEqual(masked, { p12Path: '/srv/cachet.p12', password: SECRET_MASK, pkcs11: { module: '/usr/lib/x.so', pin: SECRET_MASK }, empty: { password: '' } });
  assert.ok(!JSON.stringify(masked).includes('tres-secret') && !JSON.stringify(masked).includes('1234'));
  assert.deepEqual(keepMaskedSecrets(stored, { ...masked, p12Path: '/srv/nouveau.p12' }), { ...stored, p12Path: '/srv/nouveau.p12' });
  assert.deepEqual(keepMaskedSecrets(stored, { p12Path: '/a', password: 'nouveau' }), { p12Path: '/a', password: 'nouveau' });
  assert.deepEqual(keepMaskedSecrets(undefined, { password: SECRET_MASK }), {});
});

test('the collectivité sees every connector’s effective settings with their origin, secrets masked; a masked PUT keeps the password', async () => {
  const opId = await ensureOperator(p.deps);
  await setConnectorConfig(p.deps, system, { type: 'operator', id: opId }, 'parapheur-seal', { p12Path: '/srv/cachet-operateur.p12', password: 'mot-de-passe-operateur' });
  await setConnectorConfig(p.deps, system, { type: 'collectivite', id: cid }, 'tsa', { url: 'http://tsa.example.test/' });
  const admin = await login(p, 'admin@ecrans.test');
  const res = await admin.request('GET', `/api/collectivites/${cid}/connectors`);
  assert.equal(res.statusCode, 200, res.body);
  assert.ok(!res.body.includes('mot-de-passe-operateur'), 'the password never leaves the platform');
  const items = (res.json() as { items: { connector: string; config: Record<string, unknown>; origin: Record<string, string>; complete: boolean; problems: unknown[] }[] }).items;
  const seal = items.find((i) => i.connector === 'parapheur-seal')!;
  assert.deepEqual(seal.config, { p12Path: '/srv/cachet-operateur.p12', password: SECRET_MASK });
  assert.deepEqual(seal.origin, { p12Path: 'operator', password: 'operator' });
  assert.equal(seal.complete, true);
  const tsa = items.find((i) => i.connector === 'tsa')!;
  assert.deepEqual(tsa.origin, { url: 'collectivite' });
  const trust = items.find((i) => i.connector === 'parapheur-certificats')!;
  assert.equal(trust.complete, false);
  assert.ok(trust.problems.length > 0);
  const one = await admin.request('GET', `/api/collectivites/${cid}/connectors/parapheur-seal`);
  assert.ok(!one.body.includes('mot-de-passe-operateur'));

  // The operator edits its default without retyping the password: the masked value keeps it.
  const op = await login(p, 'op@ecrans.test');
  const defaults = await op.request('GET', '/api/connectors');
  assert.equal(defaults.statusCode, 200, defaults.body);
  assert.ok(!defaults.body.includes('mot-de-passe-operateur'));
  const sealDefault = (defaults.json() as { items: { connector: string; config: Record<string, unknown> }[] }).items.find((i) => i.connector === 'parapheur-seal')!;
  assert.equal((await op.request('PUT', '/api/connectors/parapheur-seal', { config: { ...sealDefault.config, p12Path: '/srv/cachet-2027.p12' } })).statusCode, 204);
  const row = await p.deps.db.selectFrom('connector_config').select('config').where('scope_type', '=', 'operator').where('connector', '=', 'parapheur-seal').executeTakeFirstOrThrow();
  assert.deepEqual(p.deps.connectors.openSecrets('parapheur-seal', row.config as Record<string, unknown>), { p12Path: '/srv/cachet-2027.p12', password: 'mot-de-passe-operateur' });
  assert.ok(!JSON.stringify(row.config).includes('mot-de-passe-operateur'), 'the password is stored sealed, not in clear');

  // Only the operator's staff read the defaults.
  assert.equal((await admin.request('GET', '/api/connectors')).statusCode, 403);
});

test('« envoyé ce mois-ci » lists the actes and PES transmitted in the Paris month, not before nor after', async () => {
  assert.deepEqual(parisMonthRange('2026-11'), { start: new Date('2026-10-31T23:00:00Z'), end: new Date('2026-11-30T23:00:00Z') });
  assert.deepEqual(parisMonthRange('2026-07'), { start: new Date('2026-06-30T22:00:00Z'), end: new Date('2026-07-31T22:00:00Z') });
  const acte = async (title: string, sentAt: Date | null) => {
    const d = await p.deps.db.insertInto('dossier').values({ collectivite_id: cid, type: 'actes', title, metadata: '{}', state: 'transmis', created_by: null, updated_at: new Date() }).returning('id').executeTakeFirstOrThrow();
    await p.deps.db.insertInto('actes_acte').values({ dossier_id: d.id, collectivite_id: cid, id_acte: `ACTE-${title}`, classification_date: '2026-01-01', sent_at: sentAt }).execute();
    return d.id;
  };
  const inMonth = await acte('dans le mois', new Date('2026-10-31T23:30:00Z')); // 1er novembre 0 h 30 à Paris
  await acte('le mois d’avant', new Date('2026-10-31T22:30:00Z')); // 31 octobre 23 h 30 à Paris
  await acte('jamais envoyé', null);
  const c = await p.deps.db.selectFrom('collectivite').select('siren').where('id', '=', cid).executeTakeFirstOrThrow();
  const api = tokenClient(p, await makeToken(p, cid, [...TOKEN_PERMISSIONS]));
  const dep = await api.upload(`/api/collectivites/${cid}/helios`, 'flux.xml', testPesAller({ siret: withLuhnKey(`${c.siren}0001`), nomFic: 'PES_ECRANS_1' }));
  assert.equal(dep.statusCode, 201, dep.body);
  const pesId = (dep.json() as { dossier: { id: string } }).dossier.id;
  await p.deps.db.updateTable('helios_pes').set({ sent_at: new Date('2026-11-15T10:00:00Z') }).where('dossier_id', '=', pesId).execute();

  const agent = await login(p, 'agent@ecrans.test');
  const res = await agent.request('GET', `/api/collectivites/${cid}/envois?mois=2026-11`);
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json() as { mois: string; actes: { id: string; sentAt: string }[]; pes: { id: string; type: string }[] };
  assert.equal(body.mois, '2026-11');
  assert.deepEqual(body.actes.map((a) => a.id), [inMonth]);
  assert.deepEqual(body.pes.map((x) => [x.id, x.type]), [[pesId, 'helios']]);
  assert.equal((await agent.request('GET', `/api/collectivites/${cid}/envois?mois=2026-13`)).statusCode, 400);
});
