/**
 * Local RFC 3161 time-stamping authority on 127.0.0.1, answering through `openssl ts -reply` with the test
 * PKI's TSA certificate. It only accepts SHA-256/384/512 message imprints: a SHA-1 request gets a
 * `rejection` / `badAlg` response (openssl builds it from the `digests` list), as a strict real TSA would.
 * Every request's imprint algorithm is recorded so tests can check what the client sent.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { TestPki } from './pki.ts';

const HASH_NAMES: Record<string, string> = {
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};

export interface TestTsa {
  url: string;
  /** Imprint hash algorithm of every request received, in order ('SHA-256', 'SHA-1', ...). */
  requests: string[];
  /** Make the next requests fail with HTTP 500 (to test that a TSA failure is not silently ignored). */
  setBroken(broken: boolean): void;
  close(): Promise<void>;
}

function openssl(args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { encoding: 'buffer', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        reject(new Error(code === 'ENOENT' ? 'openssl is required by the test TSA (apt-get install -y openssl)' : `openssl ts failed: ${stderr.toString()}`));
      } else resolve(stdout);
    });
  });
}

export async function startTestTsa(pki: TestPki): Promise<TestTsa> {
  const dir = mkdtempSync(join(pki.dir, 'tsa-'));
  const serialPath = join(dir, 'serial');
  writeFileSync(serialPath, '01\n');
  const chainPath = join(dir, 'tsa-chain.pem');
  writeFileSync(chainPath, readFileSync(pki.intermediate.certPath, 'utf8') + readFileSync(pki.root.certPath, 'utf8'));
  const configPath = join(dir, 'tsa.cnf');
  writeFileSync(configPath, [
    '[ tsa ]',
    'default_tsa = tsa_config',
    '[ tsa_config ]',
    `serial = ${serialPath}`,
    'crypto_device = builtin',
    `signer_cert = ${pki.tsa.certPath}`,
    `certs = ${chainPath}`,
    `signer_key = ${pki.tsa.keyPath}`,
    'signer_digest = sha256',
    'default_policy = 1.2.250.1.999.1.1',
    'other_policies = 1.2.250.1.999.1.2',
    'digests = sha256, sha384, sha512',
    'accuracy = secs:1',
    'ordering = no',
    'tsa_name = no',
    'ess_cert_id_chain = no',
    'ess_cert_id_alg = sha256',
    '',
  ].join('\n'));

  const requests: string[] = [];
  let broken = false;
  let counter = 0;
  // openssl increments the serial file: serialise the calls.
  let queue: Promise<unknown> = Promise.resolve();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') {
        res.writeHead(400).end();
        return;
      }
      if (broken) {
        res.writeHead(500).end('broken on purpose');
        return;
      }
      try {
        const tsq = pkijs.TimeStampReq.fromBER(body);
        const oid = tsq.messageImprint.hashAlgorithm.algorithmId;
        requests.push(HASH_NAMES[oid] ?? oid);
      } catch {
        requests.push('unparseable');
      }
      counter += 1;
      const queryPath = join(dir, `q${counter}.tsq`);
      writeFileSync(queryPath, body);
      const job = queue.then(() => openssl(['ts', '-reply', '-config', configPath, '-queryfile', queryPath]));
      queue = job.catch(() => undefined);
      job.then(
        (reply) => {
          res.writeHead(200, { 'content-type': 'application/timestamp-reply', 'content-length': reply.length });
          res.end(reply);
        },
        (err: Error) => {
          res.writeHead(500).end(err.message);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('TSA server did not bind');
  return {
    url: `http://127.0.0.1:${addr.port}/tsa`,
    requests,
    setBroken: (b) => { broken = b; },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Status of an RFC 3161 response (0 granted, 2 rejection...), for tests of the server itself. */
export function timeStampResponseStatus(der: Uint8Array): number {
  const resp = new pkijs.TimeStampResp({ schema: asn1js.fromBER(der).result });
  return resp.status.status;
}
