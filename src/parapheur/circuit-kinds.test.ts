/**
 * Circuit semantics and administration: an `all` step waits for every bureau, an `any` step for one; the
 * émetteur and a bureau chosen at creation resolve per dossier; en retard and brouillons views; the
 * administration refuses what would break running configuration, and only the collectivité admin manages it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createWorld, parapheurPath as P, type World } from './test-fixture.ts';
import { makeTestPdf } from './signature/pades/test-pdf.ts';

let w: World;
before(async () => {
  w = await createWorld();
});
after(async () => {
  await w?.close();
});

async function typologie(name: string, steps: unknown[]): Promise<string> {
  const c = await w.request(w.people.admin!, 'POST', `${P(w.cid)}/circuits`, { name, steps });
  assert.equal(c.status, 201, JSON.stringify(c.json));
  const t = await w.request(w.people.admin!, 'POST', `${P(w.cid)}/typologies`, { type: 'Test', sousType: name, circuitId: c.json.id, format: 'pades' });
  assert.equal(t.status, 201, JSON.stringify(t.json));
  return String(t.json.id);
}

const ids = (res: { json: Record<string, unknown> }) => (res.json.items as { id: string }[]).map((d) => d.id);

describe('step semantics', () => {
  it('all: every bureau must visa; any: the first one moves the circuit', async () => {
    const t = await typologie('parallèle', [
      { kind: 'visa', actors: { type: 'bureaux', bureauIds: [w.bureaux.dgs, w.bureaux.urbanisme], mode: 'all' } },
      { kind: 'visa', actors: { type: 'bureaux', bureauIds: [w.bureaux.maire, w.bureaux.adjoint], mode: 'any' } },
    ]);
    const id = await w.createDossier(w.people.secretaire!, undefined, { typologieId: t });
    assert.equal((await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {})).status, 200);
    const first = await w.request(w.people.urbanisme!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {});
    assert.deepEqual((first.json.steps as { state: string }[]).map((s) => s.state), ['active', 'waiting'], 'the DGS has not acted yet');
    const again = await w.request(w.people.urbanisme!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {});
    assert.equal(again.status, 403, 'a bureau acts once per step');
    const second = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {});
    assert.deepEqual((second.json.steps as { state: string }[]).map((s) => s.state), ['done', 'active']);
    const any = await w.request(w.people.adjoint!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {});
    assert.equal((any.json.dossier as { state: string }).state, 'signe');
    const late = await w.request(w.people.maire!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {});
    assert.equal(late.status, 409);
  });

  it('émetteur and a bureau chosen at creation resolve per dossier; a missing choice is refused', async () => {
    const t = await typologie('variable', [
      { kind: 'visa', actors: { type: 'emetteur' } },
      { kind: 'visa', actors: { type: 'variable', key: 'service' } },
    ]);
    const missing = await w.createDossier(w.people.secretaire!, undefined, { typologieId: t });
    const refused = await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${missing}/envoyer`, {});
    assert.equal(refused.status, 422);
    assert.equal(refused.json.message, 'Choisissez le bureau « service » de l’étape 2 à la création du dossier.');
    const id = await w.createDossier(w.people.secretaire!, undefined, { typologieId: t, bureauxVariables: { service: w.bureaux.urbanisme } });
    const sent = await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {});
    assert.deepEqual((sent.json.steps as { bureaux: { name: string }[] }[]).map((s) => s.bureaux.map((b) => b.name)), [['Secrétariat'], ['Service urbanisme']]);
    assert.equal((await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {})).status, 200);
    const done = await w.request(w.people.urbanisme!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {});
    assert.equal((done.json.dossier as { state: string }).state, 'signe');
  });

  it('someone who does not hold the émetteur bureau cannot send in its name', async () => {
    const id = await w.createDossier(w.people.intrus!);
    const res = await w.request(w.people.intrus!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {});
    assert.equal(res.status, 403);
    assert.equal(res.json.message, 'Vous ne tenez pas le bureau émetteur de ce dossier.');
  });
});

describe('business software', () => {
  it('an API token creates, fills and sends a dossier in a bureau’s name, and may take it back', async () => {
    const tokenRes = await w.request(w.people.admin!, 'POST', `/api/collectivites/${w.cid}/api-tokens`, { name: 'Logiciel métier', permissions: ['dossier:read', 'dossier:write', 'dossier:act', 'document:read'] });
    assert.equal(tokenRes.status, 201, JSON.stringify(tokenRes.json));
    const auth = { authorization: `Bearer ${String(tokenRes.json.token)}` };
    const created = await w.app.inject({ method: 'POST', url: `/api/collectivites/${w.cid}/dossiers`, headers: auth, payload: { type: 'document-a-signer', title: 'Arrêté du logiciel métier', metadata: { typologieId: w.typologieId, bureauEmetteurId: w.bureaux.secretariat } } });
    assert.equal(created.statusCode, 201, created.body);
    const id = (created.json() as { id: string }).id;
    const pdf = await makeTestPdf();
    const boundary = '----pph';
    const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="arrete.pdf"\r\nContent-Type: application/pdf\r\n\r\n`), Buffer.from(pdf), Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const up = await w.app.inject({ method: 'POST', url: `/api/collectivites/${w.cid}/dossiers/${id}/documents?role=principal`, headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body });
    assert.equal(up.statusCode, 201, up.body);
    const sent = await w.app.inject({ method: 'POST', url: `${P(w.cid)}/dossiers/${id}/envoyer`, headers: auth, payload: {} });
    assert.equal(sent.statusCode, 200, sent.body);
    const visa = await w.app.inject({ method: 'POST', url: `${P(w.cid)}/dossiers/${id}/viser`, headers: auth, payload: {} });
    assert.equal(visa.statusCode, 403, 'a token holds no bureau');
    const back = await w.app.inject({ method: 'POST', url: `${P(w.cid)}/dossiers/${id}/reprendre`, headers: auth, payload: {} });
    assert.equal(back.statusCode, 200, back.body);
    assert.equal((back.json() as { dossier: { state: string } }).dossier.state, 'brouillon');
  });
});

describe('inbox views', () => {
  it('brouillons, en retard (past the deadline) and à traiter', async () => {
    const draft = await w.createDossier(w.people.secretaire!);
    const brouillons = await w.request(w.people.secretaire!, 'GET', `${P(w.cid)}/bureaux/${w.bureaux.secretariat}/dossiers?vue=brouillons`);
    assert.ok(ids(brouillons).includes(draft));
    const late = await w.createDossier(w.people.secretaire!, undefined, { dateLimite: new Date(Date.now() - 3600_000).toISOString() });
    const onTime = await w.createDossier(w.people.secretaire!, undefined, { dateLimite: new Date(Date.now() + 30 * 24 * 3600_000).toISOString() });
    for (const id of [late, onTime]) assert.equal((await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {})).status, 200);
    const enRetard = await w.request(w.people.dgs!, 'GET', `${P(w.cid)}/bureaux/${w.bureaux.dgs}/dossiers?vue=en-retard`);
    assert.deepEqual(ids(enRetard), [late]);
    const aTraiter = await w.request(w.people.dgs!, 'GET', `${P(w.cid)}/bureaux/${w.bureaux.dgs}/dossiers?vue=a-traiter`);
    assert.ok(ids(aTraiter).includes(late) && ids(aTraiter).includes(onTime));
    const notMine = await w.request(w.people.urbanisme!, 'GET', `${P(w.cid)}/bureaux/${w.bureaux.dgs}/dossiers?vue=a-traiter`);
    assert.equal(notMine.status, 403);
  });
});

describe('administration', () => {
  it('only the collectivité admin manages bureaux, circuits and typologies', async () => {
    for (const who of ['dgs', 'maire'] as const) {
      const res = await w.request(w.people[who]!, 'POST', `${P(w.cid)}/bureaux`, { name: 'Bureau pirate' });
      assert.equal(res.status, 403);
    }
  });

  it('refuses to delete what is in use, duplicates, unknown bureaux and holders from elsewhere', async () => {
    const inUse = await w.request(w.people.admin!, 'DELETE', `${P(w.cid)}/bureaux/${w.bureaux.dgs}`);
    assert.equal(inUse.status, 409);
    assert.match(String(inUse.json.message), /est utilisé/);
    assert.equal((await w.request(w.people.admin!, 'DELETE', `${P(w.cid)}/circuits/${w.circuitId}`)).status, 409);
    assert.equal((await w.request(w.people.admin!, 'POST', `${P(w.cid)}/bureaux`, { name: 'DGS' })).status, 409);
    const foreignHolder = await w.request(w.people.admin!, 'POST', `${P(w.cid)}/bureaux`, { name: 'Bureau X', holderUserIds: [w.people.ailleurs!.userId] });
    assert.equal(foreignHolder.status, 422);
    const unknown = await w.request(w.people.admin!, 'POST', `${P(w.cid)}/circuits`, { name: 'Inconnu', steps: [{ kind: 'visa', actors: { type: 'bureaux', bureauIds: ['00000000-0000-4000-8000-000000000000'] } }] });
    assert.equal(unknown.status, 422);
    const noActors = await w.request(w.people.admin!, 'POST', `${P(w.cid)}/circuits`, { name: 'Sans acteur', steps: [{ kind: 'visa' }] });
    assert.equal(noActors.status, 400);
    const cades = await w.request(w.people.admin!, 'POST', `${P(w.cid)}/typologies`, { type: 'Courrier', sousType: 'Tableur', circuitId: w.circuitId, format: 'cades' });
    assert.equal(cades.status, 201, 'detached CAdES typologies are accepted (files other than PDF and PES)');
    assert.equal(cades.json.format, 'cades');
    assert.equal((await w.request(w.people.admin!, 'POST', `${P(w.cid)}/typologies`, { type: 'Courrier', sousType: 'Tableur', circuitId: w.circuitId, format: 'cades' })).status, 409);
    const free = await w.request(w.people.admin!, 'POST', `${P(w.cid)}/bureaux`, { name: 'Bureau éphémère' });
    assert.equal((await w.request(w.people.admin!, 'DELETE', `${P(w.cid)}/bureaux/${free.json.id}`)).status, 204);
  });
});
