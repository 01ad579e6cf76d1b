import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox } from './secret-box.ts';
import { platformKey } from './platform-key.ts';

const frenchMessage = (re: RegExp) => (e: unknown) => re.test((e as { messageFr?: string }).messageFr ?? '');

test('a sealed secret opens with the same key and purpose, and reveals nothing of the secret', () => {
  const box = new SecretBox(randomBytes(32));
  const a = box.seal('mot-de-passe-du-cachet', 'connector:parapheur-seal');
  const b = box.seal('mot-de-passe-du-cachet', 'connector:parapheur-seal');
  assert.match(a, /^enc:v1:[A-Za-z0-9_-]+$/);
  assert.notEqual(a, b, 'a fresh IV each time');
  assert.ok(!a.includes('mot-de-passe'));
  assert.equal(box.open(a, 'connector:parapheur-seal'), 'mot-de-passe-du-cachet');
  assert.equal(box.seal(a, 'connector:parapheur-seal'), a, 'sealing twice is a no-op');
});

test('another key, another purpose or a modified value does not open, with a French explanation', () => {
  const box = new SecretBox(randomBytes(32));
  const sealed = box.seal('1234', 'connector:parapheur-seal');
  assert.throws(() => new SecretBox(randomBytes(32)).open(sealed, 'connector:parapheur-seal'), frenchMessage(/clé de la plateforme/));
  assert.throws(() => box.open(sealed, 'webhook-secret'), frenchMessage(/ne peut pas être déchiffré/));
  const flipped = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'B' : 'A') + sealed.slice(-1);
  assert.throws(() => box.open(flipped, 'connector:parapheur-seal'), frenchMessage(/ne peut pas être déchiffré/));
  assert.throws(() => box.open('enc:v1:AAAA', 'connector:parapheur-seal'), frenchMessage(/ne peut pas être déchiffré/));
});

test('a value stored before sealing existed is returned as it is (then sealed at start-up)', () => {
  assert.equal(new SecretBox(randomBytes(32)).open('ancien-mot-de-passe', 'connector:tdt-actes'), 'ancien-mot-de-passe');
});

test('the platform key comes from PARAPHE_SECRET_KEY, or from a 0600 file created once in the data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-key-'));
  const k1 = platformKey(dir, undefined);
  assert.equal(k1.length, 32);
  assert.equal(statSync(join(dir, 'secret.key')).mode & 0o777, 0o600);
  assert.deepEqual(platformKey(dir, undefined), k1, 'the same key at the next start');
  assert.ok(readFileSync(join(dir, 'secret.key'), 'utf8').trim().length > 0);

  const hex = randomBytes(32).toString('hex');
  assert.deepEqual(platformKey(dir, hex), Buffer.from(hex, 'hex'));
  const b64 = randomBytes(32).toString('base64');
  assert.deepEqual(platformKey(dir, b64), Buffer.from(b64, 'base64'));
  assert.throws(() => platformKey(dir, 'trop-court'), /32-byte key/);
});
