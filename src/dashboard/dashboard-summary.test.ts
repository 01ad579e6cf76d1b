/**
 * The dashboard's one request: the « À traiter » and « En retard » bannettes of the bureaux the user holds,
 * the same dossiers as the bureaux' own bannette routes, and the month's sendings counted; nothing for a user
 * who holds no bureau the dossiers wait for.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorld, parapheurPath as P, type Caller, type World } from '../parapheur/test-fixture.ts';

let w: World;
before(async () => {
  w = await createWorld();
});
after(async () => {
  await w?.close();
});

async function sent(): Promise<string> {
  const id = await w.createDossier(w.people.secretaire!);
  const res = await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {});
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return id;
}

const ids = (xs: unknown) => (xs as { id: string }[]).map((x) => x.id).sort();
const dashboard = async (who: Caller) => {
  const res = await w.request(who, 'GET', `/api/collectivites/${w.cid}/tableau-de-bord`);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json as { mois: string; bureaux: number; aTraiter: { id: string; title: string; stateLabel: string; deadline: string | null }[]; enRetard: { id: string }[]; envoyes: { actes: number; pes: number } };
};

test('the dashboard gives the bannettes of the bureaux the user holds and the month’s sendings in one request', async () => {
  const onTime = await sent();
  const late = await sent();
  await w.deps.db.updateTable('parapheur_dossier').set({ deadline: new Date(w.deps.clock.now().getTime() - 86400_000) }).where('dossier_id', '=', late).execute();

  const dgs = await dashboard(w.people.dgs!);
  assert.equal(dgs.bureaux, 1);
  assert.deepEqual(ids(dgs.aTraiter), [onTime, late].sort());
  assert.deepEqual(ids(dgs.enRetard), [late]);
  assert.equal(dgs.aTraiter.find((d) => d.id === late)!.title, 'Courrier au préfet');
  assert.ok(dgs.aTraiter.find((d) => d.id === late)!.deadline);
  // The same dossiers as the bureau's own bannettes.
  for (const [vue, got] of [['a-traiter', dgs.aTraiter], ['en-retard', dgs.enRetard]] as const) {
    const own = await w.request(w.people.dgs!, 'GET', `${P(w.cid)}/bureaux/${w.bureaux.dgs}/dossiers?vue=${vue}`);
    assert.deepEqual(ids(got), ids(own.json.items));
  }
  const envois = await w.request(w.people.dgs!, 'GET', `/api/collectivites/${w.cid}/envois`);
  assert.equal(dgs.mois, envois.json.mois);
  assert.deepEqual(dgs.envoyes, { actes: (envois.json.actes as unknown[]).length, pes: (envois.json.pes as unknown[]).length });

  // The maire's turn has not come: nothing waits for him; the secrétaire sent them, nothing waits for her either.
  for (const who of [w.people.maire!, w.people.secretaire!]) {
    const d = await dashboard(who);
    assert.equal(d.bureaux, 1);
    assert.deepEqual([d.aTraiter, d.enRetard], [[], []]);
  }
});
