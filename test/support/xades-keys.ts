/**
 * Small test PKI for the XAdES work, made with the `openssl` CLI (a missing openssl makes the caller fail
 * loudly): a root CA, a signer certificate issued by it, its PKCS#12, and an unrelated key for negative
 * tests. Replaced by test/support/pki.ts once that lands.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface XadesTestKeys {
  dir: string;
  caCertPem: string;
  caCertPath: string;
  signerCertPem: string;
  signerCertPath: string;
  signerKeyPem: string;
  signerKeyPath: string;
  p12Path: string;
  p12Password: string;
  otherKeyPem: string;
}

let cached: XadesTestKeys | undefined;

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function xadesTestKeys(): XadesTestKeys {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-xades-keys-'));
  writeFileSync(
    join(dir, 'signer.ext'),
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  );
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650',
    '-subj', '/C=FR/O=Paraphe Test/CN=Paraphe Test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'signer.key', '-out', 'signer.csr', '-utf8',
    '-subj', '/C=FR/O=Commune de Saint-Étienne-de-Tinée/CN=Hélène Ordonnateur'], dir);
  openssl(['x509', '-req', '-in', 'signer.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '0x1f2e3d4c5b6a79880102',
    '-days', '825', '-out', 'signer.pem', '-extfile', 'signer.ext'], dir);
  const p12Password = 'mot de passe é';
  openssl(['pkcs12', '-export', '-inkey', 'signer.key', '-in', 'signer.pem', '-certfile', 'ca.pem', '-out', 'signer.p12',
    '-passout', `pass:${p12Password}`, '-name', 'signataire'], dir);
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'other.key'], dir);
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  cached = {
    dir,
    caCertPem: read('ca.pem'),
    caCertPath: join(dir, 'ca.pem'),
    signerCertPem: read('signer.pem'),
    signerCertPath: join(dir, 'signer.pem'),
    signerKeyPem: read('signer.key'),
    signerKeyPath: join(dir, 'signer.key'),
    p12Path: join(dir, 'signer.p12'),
    p12Password,
    otherKeyPem: read('other.key'),
  };
  return cached;
}
