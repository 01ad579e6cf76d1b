import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GENESIS_HASH, entryHash, verifyChain, canonicalJson, type StoredEntry } from './hash-chain.ts';

function chainOf(n: number): StoredEntry[] {
  const out: StoredEntry[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const e = { chain: 'c', seq: i, collectiviteId: 'c', at: new Date(Date.UTC(2026, 0, i)), actorUserId: null, actorTokenId: null, actorLabel: 'x', action: 'a', objectType: 'dossier', objectId: String(i), details: { i }, documentHashes: [], prevHash: prev };
    const hash = entryHash(e);
    out.push({ ...e, hash });
    prev = hash;
  }
  return out;
}

test('canonical JSON sorts keys at every depth', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
});

test('an intact chain verifies', () => {
  const c = chainOf(5);
  assert.deepEqual(verifyChain('c', c, { seq: 5, hash: c[4]!.hash }), []);
});

test('detects an edited entry', () => {
  const c = chainOf(5);
  c[2] = { ...c[2]!, details: { i: 99 } };
  assert.deepEqual(verifyChain('c', c, { seq: 5, hash: c[4]!.hash }).map((p) => p.kind), ['edited']);
});

test('detects a deleted entry in the middle and at the end', () => {
  const c = chainOf(5);
  const middle = [...c.slice(0, 2), ...c.slice(3)];
  assert.deepEqual(verifyChain('c', middle, { seq: 5, hash: c[4]!.hash }).map((p) => p.kind), ['missing', 'broken-link']);
  assert.deepEqual(verifyChain('c', c.slice(0, 4), { seq: 5, hash: c[4]!.hash }).map((p) => p.kind), ['head-mismatch']);
});

test('detects reordered entries', () => {
  const c = chainOf(5);
  const swapped = [c[0]!, { ...c[2]!, seq: 2 }, { ...c[1]!, seq: 3 }, c[3]!, c[4]!];
  const kinds = verifyChain('c', swapped, { seq: 5, hash: c[4]!.hash }).map((p) => p.kind);
  assert.ok(kinds.includes('broken-link'));
});
