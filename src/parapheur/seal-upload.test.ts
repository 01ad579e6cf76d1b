/**
 * The collectivité's administrator uploads the seal's PKCS#12 with its password (PUT …/cachet-serveur): both
 * are checked (password, key, certificate valid today), stored sealed with the platform key as the
 * collectivité's `parapheur-seal` settings and never sent back; the seal steps then use that copy, even when
 * the file the settings named before is gone. Other roles cannot.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync } from 'node:fs';
import { generatePesAller } from '../../test/support/xades-keys.ts';
import { SECRET_MASK } from '../connectors/mask-secrets.ts';
import { createWorld, parapheurPath as P, type World } from './test-fixture.ts';

let w: World;
const url = () => `/api/collectivites/${w.cid}/cachet-serveur`;
const b64 = (path: string) => readFileSync(path).toString('base64');

before(async () => {
  w = await createWorld();
});
after(async () => {
  await w?.close();
});

describe('the collectivité uploads its seal PKCS#12', () => {
  it('is checked, stored sealed, never sent back, and used by the seal step', async () => {
    const admin = w.people.admin!;
    const seal = w.pki.seal;
    const before = await w.request(admin, 'GET', url());
    assert.equal(before.status, 200, JSON.stringify(before.json));
    assert.deepEqual([before.json.source, before.json.origine], ['p12Path', 'collectivite']);
    assert.match(String((before.json.certificat as { sujet: string }).sujet), /Cachet serveur Commune de Testville/);

    // Only the collectivité's administrators.
    assert.equal((await w.request(w.people.secretaire!, 'PUT', url(), { pkcs12: b64(seal.p12Path), password: seal.p12Password })).status, 403);
    // Wrong password, expired certificate, not a PKCS#12: refused in French, nothing changes.
    const wrong = await w.request(admin, 'PUT', url(), { pkcs12: b64(seal.p12Path), password: 'pas-le-bon' });
    assert.equal(wrong.status, 400, JSON.stringify(wrong.json));
    assert.match(String(wrong.json.message), /mot de passe incorrect/);
    const expired = await w.request(admin, 'PUT', url(), { pkcs12: b64(w.pki.expired.p12Path), password: w.pki.expired.p12Password });
    assert.equal(expired.status, 400, JSON.stringify(expired.json));
    assert.match(String(expired.json.message), /n’est pas valide aujourd’hui/);
    assert.equal((await w.request(admin, 'PUT', url(), { pkcs12: Buffer.from('pas un pkcs12').toString('base64'), password: 'x' })).status, 400);
    assert.equal((await w.request(admin, 'GET', url())).json.source, 'p12Path');

    const up = await w.request(admin, 'PUT', url(), { pkcs12: b64(seal.p12Path), password: seal.p12Password });
    assert.equal(up.status, 200, JSON.stringify(up.json));
    assert.deepEqual([up.json.source, up.json.origine, up.json.erreur], ['pkcs12', 'collectivite', null]);
    assert.match(String((up.json.certificat as { sujet: string }).sujet), /Cachet serveur Commune de Testville/);

    // Stored sealed (src/platform/secrets): neither the password nor the file in clear in the database.
    const row = await w.deps.db.selectFrom('connector_config').select('config').where('scope_type', '=', 'collectivite').where('scope_id', '=', w.cid).where('connector', '=', 'parapheur-seal').executeTakeFirstOrThrow();
    const stored = row.config as Record<string, string>;
    assert.deepEqual(Object.keys(stored).sort(), ['password', 'pkcs12']);
    assert.ok(stored.pkcs12!.startsWith('enc:v1:') && stored.password!.startsWith('enc:v1:'), JSON.stringify(stored).slice(0, 200));
    const raw = JSON.stringify(row.config);
    assert.ok(!raw.includes(seal.p12Password) && !raw.includes(b64(seal.p12Path).slice(0, 40)));
    // Never sent back: every read masks them.
    for (const path of [`/api/collectivites/${w.cid}/connectors/parapheur-seal`, `/api/collectivites/${w.cid}/connectors`, url()]) {
      const res = await w.request(admin, 'GET', path);
      assert.equal(res.status, 200);
      const text = res.raw.toString('utf8');
      assert.ok(!text.includes(seal.p12Password) && !text.includes(b64(seal.p12Path).slice(0, 40)), `${path} leaks a secret`);
    }
    const eff = await w.request(admin, 'GET', `/api/collectivites/${w.cid}/connectors/parapheur-seal`);
    assert.deepEqual(eff.json.config, { pkcs12: SECRET_MASK, password: SECRET_MASK });
    const journal = await w.deps.db.selectFrom('journal_entry').select('details').where('collectivite_id', '=', w.cid).where('action', '=', 'connector.configured').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    assert.deepEqual((journal.details as { keys: string[] }).keys.sort(), ['password', 'pkcs12']);

    // The seal step signs with the uploaded copy: the file named before is gone.
    renameSync(seal.p12Path, `${seal.p12Path}.retire`);
    const circuit = await w.request(admin, 'POST', `${P(w.cid)}/circuits`, { name: 'PES : visa DGS, cachet', steps: [{ kind: 'visa', actors: { type: 'bureaux', bureauIds: [w.bureaux.dgs], mode: 'any' } }, { kind: 'cachet' }] });
    assert.equal(circuit.status, 201, JSON.stringify(circuit.json));
    const typologie = await w.request(admin, 'POST', `${P(w.cid)}/typologies`, { type: 'Helios', sousType: 'PES cacheté', circuitId: circuit.json.id, format: 'xades' });
    assert.equal(typologie.status, 201, JSON.stringify(typologie.json));
    const id = await w.createDossier(w.people.secretaire!, generatePesAller(1, 1), { typologieId: typologie.json.id }, { type: 'pes-a-signer', filename: 'PES.xml' });
    assert.equal((await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {})).status, 200);
    assert.equal((await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {})).status, 200);
    await w.runJobs();
    const view = await w.request(w.people.secretaire!, 'GET', `${P(w.cid)}/dossiers/${id}`);
    assert.equal((view.json.dossier as { state: string }).state, 'signe', JSON.stringify(view.json).slice(0, 500));
    const act = await w.deps.db.selectFrom('parapheur_act').select('actor_label').where('dossier_id', '=', id).where('action', '=', 'cachet').executeTakeFirstOrThrow();
    assert.match(act.actor_label, /Cachet serveur Commune de Testville/);
    renameSync(`${seal.p12Path}.retire`, seal.p12Path);
  });
});
