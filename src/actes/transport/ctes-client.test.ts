import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../shared/errors.ts';
import { HttpsCtesClient, multipartBody } from './ctes-client.ts';

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
