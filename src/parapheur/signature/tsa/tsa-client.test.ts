import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki, type TestPki } from '../../../../test/support/pki.ts';
import { startTestTsa, timeStampResponseStatus, type TestTsa } from '../../../../test/support/tsa-server.ts';
import { AppError } from '../../../shared/errors.ts';
import { loadTrustAnchors } from '../certificates/trust-anchors.ts';
import { HttpTimestampClient, timestampNonce, timestampRequest } from './tsa-client.ts';
import { verifyTimestampToken } from './verify-timestamp.ts';

let dir: string;
let pki: TestPki;
let tsa: TestTsa;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paraphe-tsa-'));
  pki = await createTestPki(join(dir, 'pki'));
  tsa = await startTestTsa(pki);
});
after(async () => {
  await tsa.close();
  await pki.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('RFC 3161 time-stamping', () => {
  it('obtains a SHA-256 token whose imprint, signature and TSA certificate verify', async () => {
    const data = new TextEncoder().encode('valeur de signature');
    const token = await new HttpTimestampClient(tsa.url).timestamp(data);
    assert.equal(tsa.requests.at(-1), 'SHA-256');
    const v = await verifyTimestampToken(token, data, { trustAnchors: loadTrustAnchors(pki.trustDir) });
    assert.equal(v.valid, true, JSON.stringify(v.certificate?.failure ?? v.error));
    assert.equal(v.hashAlgorithm, 'SHA-256');
    assert.match(v.certificate!.certificate.subject, /Paraphe Test TSA/);
    assert.ok(v.genTime instanceof Date);
  });

  it('reports a token that does not stamp the given data', async () => {
    const token = await new HttpTimestampClient(tsa.url).timestamp(new TextEncoder().encode('a'));
    const v = await verifyTimestampToken(token, new TextEncoder().encode('b'), { trustAnchors: loadTrustAnchors(pki.trustDir) });
    assert.equal(v.imprintMatches, false);
    assert.equal(v.valid, false);
  });

  it('the test TSA refuses SHA-1 imprints (status rejection)', () => {
    const dataPath = join(dir, 'data.txt');
    writeFileSync(dataPath, 'bonjour');
    const q = spawnSync('openssl', ['ts', '-query', '-data', dataPath, '-sha1', '-cert']);
    if (q.error) assert.fail('openssl is required: apt-get install -y openssl');
    return fetch(tsa.url, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: q.stdout })
      .then((r) => r.arrayBuffer())
      .then((b) => {
        assert.equal(timeStampResponseStatus(new Uint8Array(b)), 2);
        assert.equal(tsa.requests.at(-1), 'SHA-1');
      });
  });

  it('every random nonce gives a request OpenSSL accepts (a first byte 0x00 or 0x80 used to make 1 request in 256 illegal)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'paraphe-tsq-'));
    try {
      for (const first of [0x00, 0x01, 0x3f, 0x7f, 0x80, 0xc0, 0xff]) {
        const file = join(dir, `q-${first}.tsq`);
        writeFileSync(file, timestampRequest(new Uint8Array(32), timestampNonce(Uint8Array.from([first, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde]))));
        const r = spawnSync('openssl', ['ts', '-query', '-in', file, '-text'], { encoding: 'utf8' });
        assert.equal(r.status, 0, `first byte ${first}: ${r.stderr}`);
        assert.match(r.stdout, /Nonce: 0x[4-7]/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('turns an unreachable or failing TSA into an AppError', async () => {
    tsa.setBroken(true);
    try {
      await assert.rejects(new HttpTimestampClient(tsa.url).timestamp(new Uint8Array([1])), (e: unknown) => e instanceof AppError && e.code === 'EXTERNAL_FAILURE');
    } finally {
      tsa.setBroken(false);
    }
    await assert.rejects(new HttpTimestampClient('http://127.0.0.1:1/tsa').timestamp(new Uint8Array([1])), (e: unknown) => e instanceof AppError);
  });
});
