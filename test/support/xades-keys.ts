/**
 * Small test PKI for the XAdES work, made with the `openssl` CLI (a missing openssl makes the caller fail
 * loudly): a root CA, a signer certificate issued by it, its PKCS#12, and an unrelated key for negative
 * tests. Replaced by test/support/pki.ts once that lands.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { conformanceDir } from '../../src/shared/paths.ts';

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

/**
 * An unsigned PES_Aller built from the accented Pastell sample (ISO-8859-1): `bordereaux` bordereaux of
 * `pieces` pièces each, with accented text and a character reference outside Latin-1 (&#8364;) in every
 * pièce. Used by the tests (multi-bordereau) and by bench/xades.ts (50 MB).
 */

export const ACCENTED_SAMPLE = join(
  conformanceDir,
  'pastell-tdt/test/PHPUnit/connecteur-type/TdT/fixtures/HELIOS_SIMU_ALR2_LibelleColBud_avec_accent.xml',
);

export function generatePesAller(bordereaux: number, pieces: number): Buffer {
  const text = iconv.decode(readFileSync(ACCENTED_SAMPLE), 'latin1');
  const bStart = text.indexOf('<Bordereau ');
  const bEnd = text.indexOf('</Bordereau>') + '</Bordereau>'.length;
  const pStart = text.indexOf('<Piece>', bStart);
  const pEnd = text.indexOf('</Piece>', bStart) + '</Piece>'.length;
  const head = text.slice(0, bStart).replace('<IdVer V="1"/>', '<IdVer V="2"/>');
  const piece = text.slice(pStart, pEnd);
  const blocBordereau = text.slice(text.indexOf('<BlocBordereau>', bStart), pStart);
  const parts: string[] = [head];
  for (let b = 0; b < bordereaux; b++) {
    parts.push(
      `<Bordereau Id="BORD${b + 1}">\n            `,
      blocBordereau.replace('<IdBord V="1234567"/>', `<IdBord V="${b + 1}"/>`).replace('<NbrPce V="1"/>', `<NbrPce V="${pieces}"/>`),
    );
    for (let p = 0; p < pieces; p++) {
      parts.push(
        piece
          .replace('<IdPce V="832"/>', `<IdPce V="${p + 1}"/>`)
          .replace('<Obj V="TEST HOMOLOGATION"/>', `<Obj V="Réparation école n°${p + 1} – cantine &#8364; été"/>`)
          .replace('<Nom V="PAIERIE DEPART. HERAULT"/>', '<Nom V="Société Générale d’Hérault &amp; Cie"/>'),
        '\n            ',
      );
    }
    parts.push('</Bordereau>\n        ');
  }
  parts.push(text.slice(bEnd).trimStart());
  // '–' and '’' are not Latin-1: write them as character references, as a real ISO-8859-1 producer must.
  const body = parts.join('').replace(/[\u0100-\u{10ffff}]/gu, (c) => `&#${c.codePointAt(0)};`);
  return iconv.encode(body, 'latin1');
}
