/** Chain heads time-stamped by an RFC 3161 TSA: the tokens verify, and a journal rewritten afterwards is caught. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestPlatform, makeCollectivite, type TestPlatform } from '../support/test-app.ts';
import { createTestPki, type TestPki } from '../support/pki.ts';
import { startTestTsa, type TestTsa } from '../support/tsa-server.ts';
import { appendJournal } from '../../src/journal/append-journal.ts';
import { verifyJournal } from '../../src/journal/verify-journal.ts';
import { timestampJournalHeads } from '../../src/journal/timestamp-journal.ts';
import { entryHash } from '../../src/journal/hash-chain.ts';
import { storedEntryOf } from '../../src/journal/verify-journal.ts';
import { HttpTimestampClient } from '../../src/parapheur/signature/tsa/tsa-client.ts';

let p: TestPlatform;
let pki: TestPki;
let tsa: TestTsa;
let dir: string;
let chain: string;
const actor = { userId: null, tokenId: null, label: 'test' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paraphe-tsa-'));
  pki = await createTestPki(dir);
  tsa = await startTestTsa(pki);
  p = await startTestPlatform();
  chain = await makeCollectivite(p, 'Commune horodatée');
  for (let i = 0; i < 3; i++) await p.deps.db.transaction().execute((trx) => appendJournal(trx, p.deps.clock, actor, { collectiviteId: chain, action: 'test', objectType: 'x', objectId: String(i) }));
});
after(async () => {
  await p.close();
  await tsa.close();
  await pki.close();
  rmSync(dir, { recursive: true, force: true });
});

test('heads are time-stamped with SHA-256 imprints and the tokens verify', async () => {
  const first = await timestampJournalHeads(p.deps, new HttpTimestampClient(tsa.url));
  assert.ok(first.stamped >= 2, 'the collectivité chain and the operator chain');
  assert.ok(tsa.requests.every((a) => a === 'SHA-256'));
  assert.equal((await timestampJournalHeads(p.deps, new HttpTimestampClient(tsa.url))).stamped, 0, 'nothing moved');
  const res = await verifyJournal(p.deps.db);
  assert.deepEqual(res.problems, []);
  assert.equal(res.timestamps, first.stamped);
});

test('a TSA failure is an error and stamps nothing', async () => {
  await p.deps.db.transaction().execute((trx) => appendJournal(trx, p.deps.clock, actor, { collectiviteId: chain, action: 'test', objectType: 'x', objectId: 'late' }));
  tsa.setBroken(true);
  await assert.rejects(timestampJournalHeads(p.deps, new HttpTimestampClient(tsa.url)), (e: { messageFr?: string }) => /horodatage a échoué/.test(e.messageFr ?? ''));
  tsa.setBroken(false);
  const stamps = await p.deps.db.selectFrom('journal_timestamp').select('seq').where('chain', '=', chain).execute();
  assert.deepEqual(stamps.map((s) => s.seq), [3]);
});

test('rewriting the journal consistently (recomputed hashes) is still caught by the timestamp', async () => {
  // An intruder edits entry 2 and recomputes every hash after it, and the head: the chain alone looks intact.
  const rows = await p.deps.db.selectFrom('journal_entry').selectAll().where('chain', '=', chain).orderBy('seq').execute();
  let prev = rows[0]!.hash;
  for (const r of rows.slice(1)) {
    const e = { ...storedEntryOf(r), prevHash: prev, ...(r.seq === 2 ? { actorLabel: 'quelqu’un d’autre' } : {}) };
    const hash = entryHash(e);
    await p.deps.db.updateTable('journal_entry').set({ actor_label: e.actorLabel, prev_hash: prev, hash }).where('id', '=', r.id).execute();
    prev = hash;
  }
  await p.deps.db.updateTable('journal_head').set({ hash: prev }).where('chain', '=', chain).execute();
  const res = await verifyJournal(p.deps.db, { chain });
  assert.deepEqual(res.problems.map((x) => x.kind), ['timestamp-mismatch']);
  assert.match(res.problems[0]!.messageFr, /réécrit/);
});
