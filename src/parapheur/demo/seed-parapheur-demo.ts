/**
 * Parapheur demo data for one collectivité: bureaux (Maire, DGS, Secrétariat), the circuit visa DGS →
 * signature du maire → cachet, typologies, and — generated now with openssl — a self-signed DEMO
 * certification authority, the collectivité's seal (PKCS#12) and a personal certificate for the maire
 * (PKCS#12, to try `paraphe sign-client`). The demo CA is not trusted by anything outside this platform.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Deps } from '../../app/deps.ts';
import type { Actor } from '../../identity/principal.ts';
import { setConnectorConfig } from '../../connectors/set-connector-config.ts';
import { createBureau } from '../admin/create-bureau.ts';
import { createCircuit } from '../admin/create-circuit.ts';
import { createTypologie } from '../admin/create-typologie.ts';
import { CONNECTOR_SEAL, CONNECTOR_TRUST } from '../signing-config.ts';

export const DEMO_P12_PASSWORD = 'paraphe-demo-p12';

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `-key FILE` when the RSA key was made in advance (pregenerateDemoKeys), else a new one. */
function keyArgs(key: string): string[] {
  return existsSync(key) ? ['-new', '-key', key] : ['-newkey', 'rsa:2048', '-nodes', '-keyout', key];
}

const keyRuns = new Map<string, Promise<void>>();

/**
 * Makes the RSA keys of the demo PKI in advance, in parallel and off the event loop (RSA key generation is
 * most of the demo's certificate cost): `paraphe start` runs this while the database is being opened.
 * Names are those used below: `demo-ca`, `cachet-<slug>`, `maire-<slug>`. Idempotent.
 */
export function pregenerateDemoKeys(dir: string, names: string[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  return Promise.all(
    names.map((name) => {
      const key = join(dir, `${name}.key`);
      let run = keyRuns.get(key);
      if (!run) {
        run = existsSync(key)
          ? Promise.resolve()
          : new Promise<void>((resolve, reject) => {
              const tmp = `${key}.${process.pid}.tmp`;
              execFile('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', tmp], (e) => {
                if (e) return reject(e);
                renameSync(tmp, key);
                resolve();
              });
            });
        keyRuns.set(key, run);
      }
      return run;
    }),
  ).then(() => undefined);
}

/** The demo CA of `<dataDir>/demo-pki` (made once; the Hélios simulator of the demo trusts it too). */
export function demoCa(dir: string): { key: string; cert: string; trustDir: string } {
  const key = join(dir, 'demo-ca.key');
  const cert = join(dir, 'demo-ca.pem');
  const trustDir = join(dir, 'trust');
  if (!existsSync(cert)) {
    mkdirSync(trustDir, { recursive: true });
    openssl(['req', '-x509', '-utf8', ...keyArgs(key), '-out', cert, '-days', '3650', '-subj', '/CN=Paraphe DEMO CA (non qualifiée)/O=Paraphe démonstration/C=FR',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    openssl(['x509', '-in', cert, '-out', join(trustDir, 'demo-ca.pem')]);
  }
  return { key, cert, trustDir };
}

function issueP12(dir: string, ca: { key: string; cert: string }, name: string, subject: string, keyUsage: string): string {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  const p12 = join(dir, `${name}.p12`);
  writeFileSync(ext, `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,${keyUsage}\n`);
  openssl(['req', '-utf8', ...keyArgs(key), '-out', csr, '-subj', subject]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`, '-days', '825', '-extfile', ext, '-out', cert]);
  openssl(['pkcs12', '-export', '-inkey', key, '-in', cert, '-certfile', ca.cert, '-name', name, '-passout', `pass:${DEMO_P12_PASSWORD}`, '-out', p12]);
  return p12;
}

export async function seedParapheurDemo(deps: Deps, actor: Actor, operatorId: string, c: { id: string; name: string; slug: string; users: Record<'admin' | 'agent' | 'maire', string> }): Promise<void> {
  const dir = resolve(join(deps.config.dataDir, 'demo-pki'));
  mkdirSync(dir, { recursive: true });
  const ca = demoCa(dir);
  await setConnectorConfig(deps, actor, { type: 'operator', id: operatorId }, CONNECTOR_TRUST, { trustAnchorsPath: ca.trustDir });
  const org = c.name.replace(/[/=,+]/g, ' ');
  const seal = issueP12(dir, ca, `cachet-${c.slug}`, `/CN=Cachet serveur ${org}/O=${org}/C=FR`, 'digitalSignature');
  issueP12(dir, ca, `maire-${c.slug}`, `/CN=Maire de démonstration/O=${org}/C=FR`, 'digitalSignature,nonRepudiation');
  await setConnectorConfig(deps, actor, { type: 'collectivite', id: c.id }, CONNECTOR_SEAL, { p12Path: seal, password: DEMO_P12_PASSWORD });

  const maire = await createBureau(deps, actor, c.id, { name: 'Maire', superiorId: null, holderUserIds: [c.users.maire] });
  const dgs = await createBureau(deps, actor, c.id, { name: 'DGS', superiorId: maire.id, holderUserIds: [c.users.agent] });
  await createBureau(deps, actor, c.id, { name: 'Secrétariat', superiorId: dgs.id, holderUserIds: [c.users.agent, c.users.admin] });
  const circuit = await createCircuit(deps, actor, c.id, {
    name: 'Visa DGS, signature du maire, cachet',
    steps: [
      { kind: 'visa', actors: { type: 'bureaux', bureauIds: [dgs.id], mode: 'any' } },
      { kind: 'signature', actors: { type: 'bureaux', bureauIds: [maire.id], mode: 'any' } },
      { kind: 'cachet' },
    ],
  });
  const mark = { text: 'Signé par {signataire} le {date}', tag: '#signature#' };
  for (const [type, sousType] of [['Actes', 'Délibération'], ['Actes', 'Arrêté'], ['Courrier', 'Sortant']] as const) {
    await createTypologie(deps, actor, c.id, { type, sousType, circuitId: circuit.id, format: 'pades', mark, niveauPades: null });
  }
}
