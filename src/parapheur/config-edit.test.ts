/**
 * Circuits and typologies edited in place through the API: a dossier already in its circuit keeps the steps,
 * the signature format and the mark it started with, the next one uses the new settings; the rules of
 * creation apply (French messages); a stale edit gets a 409; each edit is journaled with before and after.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Pkcs12KeySource } from './signature/pades/key-source.ts';
import { createWorld, parapheurPath as P, type World } from './test-fixture.ts';

let w: World;

before(async () => {
  w = await createWorld();
});
after(async () => {
  await w?.close();
});

type Circuit = { id: string; name: string; steps: { kind: string; actors?: { type: string; bureauIds?: string[]; mode?: string } }[]; version: number };
type Typologie = { id: string; type: string; sousType: string; circuitId: string; format: string; mark: unknown; version: number };
type Steps = { kind: string; state: string; bureaux: { id: string }[] }[];

async function circuit(id: string): Promise<Circuit> {
  const res = await w.request(w.people.admin!, 'GET', `${P(w.cid)}/circuits`);
  return (res.json.items as Circuit[]).find((c) => c.id === id)!;
}

async function typologie(id: string): Promise<Typologie> {
  const res = await w.request(w.people.admin!, 'GET', `${P(w.cid)}/typologies`);
  return (res.json.items as Typologie[]).find((t) => t.id === id)!;
}

async function sent(): Promise<string> {
  const id = await w.createDossier(w.people.secretaire!);
  const res = await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {});
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return id;
}

async function stepsOf(id: string): Promise<{ kind: string; bureaux: string[] }[]> {
  const res = await w.request(w.people.admin!, 'GET', `${P(w.cid)}/dossiers/${id}`);
  return (res.json.steps as Steps).map((s) => ({ kind: s.kind, bureaux: s.bureaux.map((b) => b.id) }));
}

async function journal(action: string, objectId: string): Promise<Record<string, unknown>[]> {
  const rows = await w.deps.db.selectFrom('journal_entry').select('details').where('action', '=', action).where('object_id', '=', objectId).orderBy('seq').execute();
  return rows.map((r) => r.details as Record<string, unknown>);
}

async function prepareFormat(id: string): Promise<string> {
  const key = await Pkcs12KeySource.fromFile(w.pki.agents[2].p12Path, w.pki.agents[2].p12Password);
  const chain = await key.getCertificateChain();
  const res = await w.request(w.people.maire!, 'POST', `${P(w.cid)}/dossiers/${id}/signature/prepare`, { certificateChain: chain.map((c) => Buffer.from(c).toString('base64')) });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return String(res.json.format);
}

describe('editing a circuit in place', () => {
  it('leaves a dossier already in the circuit on its steps and applies to the next dossier', async () => {
    const { bureaux, people, cid } = w;
    const running = await sent();
    const before = await circuit(w.circuitId);
    assert.equal(before.version, 1);
    const newSteps = [
      { kind: 'visa', actors: { type: 'bureaux', bureauIds: [bureaux.urbanisme, bureaux.dgs], mode: 'all' } },
      { kind: 'signature', actors: { type: 'superieur' } },
    ];
    const put = await w.request(people.admin!, 'PUT', `${P(cid)}/circuits/${w.circuitId}`, { name: 'Visas conjoints, signature du supérieur', steps: newSteps, version: before.version });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    assert.equal(put.json.version, 2);
    assert.equal(put.json.name, 'Visas conjoints, signature du supérieur');
    assert.deepEqual((await circuit(w.circuitId)).steps, newSteps);

    // The running dossier: still visa DGS → signature maire → cachet, and the DGS alone moves it on.
    assert.deepEqual(await stepsOf(running), [{ kind: 'visa', bureaux: [bureaux.dgs] }, { kind: 'signature', bureaux: [bureaux.maire] }, { kind: 'cachet', bureaux: [] }]);
    const urbanismeInbox = await w.request(people.urbanisme!, 'GET', `${P(cid)}/bureaux/${bureaux.urbanisme}/dossiers?vue=a-traiter`);
    assert.ok(!(urbanismeInbox.json.items as { id: string }[]).some((d) => d.id === running));
    const visa = await w.request(people.dgs!, 'POST', `${P(cid)}/dossiers/${running}/viser`, {});
    assert.equal(visa.status, 200, JSON.stringify(visa.json));
    assert.deepEqual((visa.json.steps as Steps).map((s) => s.state), ['done', 'active', 'waiting']);

    // The next dossier: both visas, then the secrétariat's superior (the DGS) signs.
    const next = await sent();
    assert.deepEqual(await stepsOf(next), [{ kind: 'visa', bureaux: [bureaux.urbanisme, bureaux.dgs] }, { kind: 'signature', bureaux: [bureaux.dgs] }]);
    const urbanismeNow = await w.request(people.urbanisme!, 'GET', `${P(cid)}/bureaux/${bureaux.urbanisme}/dossiers?vue=a-traiter`);
    assert.deepEqual((urbanismeNow.json.items as { id: string }[]).map((d) => d.id), [next]);

    const entries = await journal('parapheur.circuit.updated', w.circuitId);
    assert.equal(entries.length, 1);
    assert.deepEqual(entries[0], { version: 2, before: { name: before.name, steps: before.steps }, after: { name: 'Visas conjoints, signature du supérieur', steps: newSteps } });
  });

  it('refuses a stale edit with a 409 and a French message, and changes nothing', async () => {
    const current = await circuit(w.circuitId);
    const res = await w.request(w.people.admin!, 'PUT', `${P(w.cid)}/circuits/${w.circuitId}`, { name: 'Écrasement', steps: [{ kind: 'cachet' }], version: current.version - 1 });
    assert.equal(res.status, 409);
    assert.equal(res.json.code, 'CONFLICT');
    assert.match(String(res.json.message), /modifié par quelqu’un d’autre depuis que vous l’avez ouvert/);
    assert.deepEqual(await circuit(w.circuitId), current);
  });

  it('applies the rules of creation, with French messages', async () => {
    const { bureaux, cid, people } = w;
    const current = await circuit(w.circuitId);
    const put = (body: Record<string, unknown>) => w.request(people.admin!, 'PUT', `${P(cid)}/circuits/${w.circuitId}`, { name: current.name, steps: current.steps, version: current.version, ...body });
    const noActors = await put({ steps: [{ kind: 'signature' }] });
    assert.equal(noActors.status, 400);
    assert.match(JSON.stringify(noActors.json), /L’étape 1 \(signature\) doit désigner qui agit/);
    const empty = await put({ steps: [] });
    assert.equal(empty.status, 400);
    assert.match(JSON.stringify(empty.json), /Un circuit a au moins une étape/);
    const noName = await put({ name: '  ' });
    assert.equal(noName.status, 400);
    assert.match(JSON.stringify(noName.json), /Le nom est obligatoire/);
    const unknownBureau = await put({ steps: [{ kind: 'visa', actors: { type: 'bureaux', bureauIds: ['00000000-0000-4000-8000-000000000000'], mode: 'any' } }] });
    assert.equal(unknownBureau.status, 422);
    assert.match(String(unknownBureau.json.message), /bureaux indiqués n’existe pas/);
    const other = await w.request(people.admin!, 'POST', `${P(cid)}/circuits`, { name: 'Autre circuit', steps: [{ kind: 'visa', actors: { type: 'bureaux', bureauIds: [bureaux.dgs], mode: 'any' } }] });
    assert.equal(other.status, 201);
    const taken = await put({ name: 'Autre circuit' });
    assert.equal(taken.status, 409);
    assert.match(String(taken.json.message), /Un circuit « Autre circuit » existe déjà/);
    assert.deepEqual(await circuit(w.circuitId), current, 'nothing changed');
    const missing = await w.request(people.admin!, 'PUT', `${P(cid)}/circuits/00000000-0000-4000-8000-000000000000`, { name: 'x', steps: [{ kind: 'cachet' }], version: 1 });
    assert.equal(missing.status, 404);
    assert.match(String(missing.json.message), /Circuit introuvable/);
  });
});

describe('editing a typologie in place', () => {
  it('leaves a sent dossier on its format and mark, applies to the next one, journals before/after, refuses stale edits', async () => {
    const { cid, people, bureaux } = w;
    // Back to a circuit with a signature by the maire for this test.
    const c = await circuit(w.circuitId);
    const reset = await w.request(people.admin!, 'PUT', `${P(cid)}/circuits/${w.circuitId}`, { name: c.name, steps: [{ kind: 'signature', actors: { type: 'bureaux', bureauIds: [bureaux.maire], mode: 'any' } }], version: c.version });
    assert.equal(reset.status, 200, JSON.stringify(reset.json));
    const running = await sent();
    const before = await typologie(w.typologieId);
    assert.equal(before.format, 'pades');
    const put = await w.request(people.admin!, 'PUT', `${P(cid)}/typologies/${w.typologieId}`, { type: 'Courrier', sousType: 'Sortant signé à part', circuitId: w.circuitId, format: 'cades', mark: null, version: before.version });
    assert.equal(put.status, 200, JSON.stringify(put.json));
    assert.deepEqual({ ...put.json }, { id: w.typologieId, type: 'Courrier', sousType: 'Sortant signé à part', circuitId: w.circuitId, format: 'cades', mark: null, niveauPades: null, version: before.version + 1 });

    assert.equal(await prepareFormat(running), 'pades', 'the dossier sent before the edit is signed as it started');
    const next = await sent();
    assert.equal(await prepareFormat(next), 'cades', 'the next dossier uses the new format');

    const entries = await journal('parapheur.typologie.updated', w.typologieId);
    assert.deepEqual(entries, [{ version: before.version + 1, before: { type: 'Courrier', sousType: 'Sortant', circuitId: w.circuitId, format: 'pades', mark: before.mark, niveauPades: null }, after: { type: 'Courrier', sousType: 'Sortant signé à part', circuitId: w.circuitId, format: 'cades', mark: null, niveauPades: null } }]);

    const stale = await w.request(people.admin!, 'PUT', `${P(cid)}/typologies/${w.typologieId}`, { type: 'Courrier', sousType: 'Sortant', circuitId: w.circuitId, format: 'pades', version: before.version });
    assert.equal(stale.status, 409);
    assert.match(String(stale.json.message), /La typologie « Courrier \/ Sortant signé à part » a été modifiée par quelqu’un d’autre/);
    const unknownCircuit = await w.request(people.admin!, 'PUT', `${P(cid)}/typologies/${w.typologieId}`, { type: 'Courrier', sousType: 'Sortant', circuitId: '00000000-0000-4000-8000-000000000000', version: before.version + 1 });
    assert.equal(unknownCircuit.status, 422);
    assert.match(String(unknownCircuit.json.message), /Le circuit indiqué n’existe pas/);
    const noType = await w.request(people.admin!, 'PUT', `${P(cid)}/typologies/${w.typologieId}`, { type: '', sousType: 'Sortant', circuitId: w.circuitId, version: before.version + 1 });
    assert.equal(noType.status, 400);
    assert.match(JSON.stringify(noType.json), /Le type est obligatoire/);
    assert.equal((await typologie(w.typologieId)).version, before.version + 1, 'refused edits change nothing');
  });

  it('is only for the collectivité’s administrators', async () => {
    const t = await typologie(w.typologieId);
    const res = await w.request(w.people.dgs!, 'PUT', `${P(w.cid)}/typologies/${w.typologieId}`, { type: t.type, sousType: t.sousType, circuitId: t.circuitId, format: t.format, version: t.version });
    assert.equal(res.status, 403);
    const c = await circuit(w.circuitId);
    const res2 = await w.request(w.people.dgs!, 'PUT', `${P(w.cid)}/circuits/${w.circuitId}`, { name: c.name, steps: c.steps, version: c.version });
    assert.equal(res2.status, 403);
  });
});
