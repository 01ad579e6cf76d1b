import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../shared/errors.ts';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTestPki } from '../../../test/support/tls.ts';
import { closeCtesConnections, HttpsCtesClient, multipartBody } from './ctes-client.ts';

const creds = { clientCert: 'CERT', clientKey: 'KEY' };

test('a non-https @CTES URL is refused with a French message', () => {
  assert.throws(
    () => new HttpsCtesClient({ url: 'http://ctes.example/upload', ...creds }),
    (e: unknown) => e instanceof AppError && e.code === 'VALIDATION' && /https/.test(e.messageFr),
  );
  assert.throws(
    () => new HttpsCtesClient({ url: 'https://ctes.example/upload', rescueUrl: 'pas une url', ...creds }),
    (e: unknown) => e instanceof AppError && /de secours/.test(e.messageFr),
  );
});

test('a client without certificate cannot be configured', () => {
  assert.throws(
    () => new HttpsCtesClient({ url: 'https://ctes.example/upload', clientCert: '', clientKey: '' }),
    (e: unknown) => e instanceof AppError && /certificat client/.test(e.messageFr),
  );
});

test('an archive whose name @CTES would not accept is refused before any connection', async () => {
  const c = new HttpsCtesClient({ url: 'https://127.0.0.1:1/upload', ...creds });
  await assert.rejects(
    c.send({ fileName: 'acte.tar.gz', bytes: Buffer.from('x') }),
    (e: unknown) => e instanceof AppError && /TRI-EACT--SIREN/.test(e.messageFr),
  );
});

test('the multipart body carries the archive bytes unchanged in the field "file"', () => {
  const bytes = Buffer.from([0x1f, 0x8b, 0x00, 0xff, 0x0d, 0x0a]);
  const { body, contentType } = multipartBody('PAR-EACT--214400152--20240306-1.tar.gz', bytes);
  const boundary = /boundary=(.+)$/.exec(contentType)![1]!;
  const text = body.toString('latin1');
  assert.ok(text.startsWith(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="PAR-EACT--214400152--20240306-1.tar.gz"\r\n`));
  assert.ok(text.endsWith(`\r\n--${boundary}--\r\n`));
  const start = body.indexOf('\r\n\r\n') + 4;
  assert.deepEqual(body.subarray(start, start + bytes.length), bytes);
});

test('successive sendings reuse one mutual-TLS connection instead of a handshake each', async () => {
  const pki = createTestPki();
  const connections: string[] = [];
  const server = createServer({ key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    req.resume();
    req.on('end', () => res.end('OK\n'));
  });
  server.on('secureConnection', (s) => connections.push(String(s.getPeerCertificate().subject?.CN)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/ctes`;
    const credentials = { clientCert: pki.client.cert, clientKey: pki.client.key, ca: pki.ca.cert };
    // Two clients with the same credentials, as the transmission jobs create one per sending.
    for (const [i, c] of [new HttpsCtesClient({ url, ...credentials }), new HttpsCtesClient({ url, ...credentials })].entries()) {
      const r = await c.send({ fileName: `PAR-EACT--214400152--20240306-${i + 1}.tar.gz`, bytes: Buffer.from('archive') });
      assert.equal(r.status, 'accepted');
    }
    assert.equal(connections.length, 1, 'one TLS connection for both sendings');
  } finally {
    closeCtesConnections();
    await new Promise((r) => server.close(r));
    pki.cleanup();
  }
});
