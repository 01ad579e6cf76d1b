/**
 * « Mon parapheur » in one request: every view of every bureau the user holds, the same dossiers as the
 * bureau's own bannette route; nothing for a user who holds no bureau.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorld, parapheurPath as P, type Caller, type World } from './test-fixture.ts';

let w: World;
before(async () => {
  w = await createWorld();
});
after(async () => {
  await w?.close();
});

type Bannettes = { items: { bureau: { id: string; name: string; holderUserIds: string[] }; vues: Record<string, { id: string }[]> }[] };
const bannettes = async (who: Caller): Promise<Bannettes> => {
  const res = await w.request(who, 'GET', `${P(w.cid)}/bannettes`);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json as unknown as Bannettes;
};
const ids = (xs: { id: string }[]) => xs.map((x) => x.id).sort();

test('mon parapheur gets every bannette of the bureaux the user holds in one request, as the bureaux’ own routes give them', async () => {
  const id = await w.createDossier(w.people.secretaire!);
  const sent = await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {});
  assert.equal(sent.status, 200, JSON.stringify(sent.json));

  for (const [who, bureau] of [['dgs', 'dgs'], ['secretaire', 'secretariat']] as const) {
    const got = await bannettes(w.people[who]!);
    assert.deepEqual(got.items.map((x) => x.bureau.id), [w.bureaux[bureau]]);
    assert.deepEqual(got.items[0]!.bureau.holderUserIds, [w.people[who]!.userId]);
    for (const vue of ['a-traiter', 'en-retard', 'delegues', 'brouillons', 'termines', 'rejetes', 'recuperables']) {
      const own = await w.request(w.people[who]!, 'GET', `${P(w.cid)}/bureaux/${w.bureaux[bureau]}/dossiers?vue=${vue}`);
      assert.equal(own.status, 200);
      assert.deepEqual(ids(got.items[0]!.vues[vue]!), ids(own.json.items as { id: string }[]), `${who} ${vue}`);
    }
  }
  assert.deepEqual(ids((await bannettes(w.people.dgs!)).items[0]!.vues['a-traiter']!), [id]);
  assert.deepEqual(ids((await bannettes(w.people.secretaire!)).items[0]!.vues.recuperables!), [id]);
  // The administratrice holds no bureau.
  assert.deepEqual((await bannettes(w.people.admin!)).items, []);
});
