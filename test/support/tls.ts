/**
 * Test PKI made with the real `openssl` CLI: a CA, a server certificate for 127.0.0.1/localhost, a client
 * certificate for the TdT (mutual TLS with @CTES), and a client certificate from another CA that a
 * correctly configured server must refuse. A missing `openssl` makes the calling test fail, never skip.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
}

export interface TestPki {
  dir: string;
  ca: KeyPair;
  server: KeyPair;
  client: KeyPair;
  /** A CA unknown to the server, and a client certificate it issued. */
  rogueCa: KeyPair;
  rogueClient: KeyPair;
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`openssl is required for this test (apt-get install -y openssl): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

function pair(dir: string, name: string): KeyPair {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  return { certPath, keyPath, cert: readFileSync(certPath), key: readFileSync(keyPath) };
}

function makeCa(dir: string, name: string, cn: string): KeyPair {
  openssl(
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2',
      '-subj', `/C=FR/O=Paraphe tests/CN=${cn}`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return pair(dir, name);
}

function makeLeaf(dir: string, ca: string, name: string, cn: string, ext: string[]): KeyPair {
  openssl(
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/C=FR/O=Paraphe tests/CN=${cn}`],
    dir,
  );
  writeFileSync(join(dir, `${name}.ext`), ext.join('\n') + '\n');
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`],
    dir,
  );
  return pair(dir, name);
}

/** Creates a fresh PKI in a temporary directory (a few hundred milliseconds with P-256 keys). */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-pki-'));
  mkdirSync(dir, { recursive: true });
  const ca = makeCa(dir, 'ca', 'Paraphe test CA');
  const server = makeLeaf(dir, 'ca', 'server', 'localhost', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  const client = makeLeaf(dir, 'ca', 'client', 'PAR TdT Paraphe (test)', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=clientAuth',
  ]);
  const rogueCa = makeCa(dir, 'rogue-ca', 'Unknown CA');
  const rogueClient = makeLeaf(dir, 'rogue-ca', 'rogue-client', 'Intrus', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=clientAuth',
  ]);
  return {
    dir,
    ca,
    server,
    client,
    rogueCa,
    rogueClient,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
