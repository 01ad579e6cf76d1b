/**
 * The outside parties of the demo started by `paraphe start`: the préfecture (`paraphe-sim prefecture`) and
 * the DGFiP Hélios gateway (`paraphe-sim helios`), each a SEPARATE child process on a free loopback port,
 * their output prefixed in the platform's log, stopped with it. Everything lives under `<dataDir>/demo-sim/`:
 *   pki/            TLS material made once with openssl (a demo CA, the @CTES server certificate, the TdT's
 *                   client certificate for mutual TLS) — trusted by nothing outside this demo;
 *   boite-retour/   the return mailbox: the préfecture's answers arrive over SMTP at the platform's small
 *                   receiver (smtp-server) and are kept there as .eml (then traites/ or rejetes/);
 *   prefecture/     what the préfecture simulator received and sent;
 *   helios/         the FTP gateway's files (ftp/entree, ftp/sortie) and what it received.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '../shared/paths.ts';
import { startSmtpReceiver, type SmtpReceiver } from './smtp-receiver.ts';

export const DEMO_RETURN_ADDRESS = 'retour-actes@demo.paraphe.test';
export const DEMO_FTP = { user: 'paraphe-demo', password: 'demo-helios', pDest: 'DEMO062', pAppli: 'GHELPES2' };
export const DEMO_CLASSIFICATION = join(repoRoot, 'src/demo/fixtures/classification-actes.xml');

export interface DemoSimPaths {
  root: string;
  pki: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
  mailbox: string;
  prefecture: string;
  helios: string;
}

export function demoSimPaths(dataDir: string): DemoSimPaths {
  const root = resolve(join(dataDir, 'demo-sim'));
  const pki = join(root, 'pki');
  return {
    root,
    pki: { ca: join(pki, 'ca.crt'), serverCert: join(pki, 'server.crt'), serverKey: join(pki, 'server.key'), clientCert: join(pki, 'client.crt'), clientKey: join(pki, 'client.key') },
    mailbox: join(root, 'boite-retour'),
    prefecture: join(root, 'prefecture'),
    helios: join(root, 'helios'),
  };
}

/** The demo was set up with its simulators in this data directory (a later `start` restarts them). */
export function hasDemoSimulators(dataDir: string): boolean {
  return existsSync(demoSimPaths(dataDir).pki.clientCert);
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`openssl est nécessaire pour la démonstration (certificats TLS des simulateurs) : ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} a échoué : ${r.stderr}`);
}

/** Creates the TLS material once (P-256 keys: a few tens of milliseconds). */
export function ensureDemoPki(p: DemoSimPaths): void {
  if (existsSync(p.pki.clientCert)) return;
  const dir = join(p.root, 'pki');
  mkdirSync(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/C=FR/O=Paraphe démonstration/CN=Paraphe DEMO simulateurs CA', '-utf8',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const leaf = (name: string, cn: string, ext: string[]): void => {
    openssl(['req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/C=FR/O=Paraphe démonstration/CN=${cn}`, '-utf8'], dir);
    writeFileSync(join(dir, `${name}.ext`), `${ext.join('\n')}\n`);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${Date.now().toString(16)}${name.length}`, '-days', '3650', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
  };
  leaf('server', 'localhost', ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  // Written last: its presence says the material is complete.
  leaf('client', 'DEM TdT Paraphe (démonstration)', ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth']);
}

interface Child {
  child: ChildProcess;
  stop(): Promise<void>;
  /** Synchronous: for process 'exit' handlers. */
  kill(): void;
}

/** Spawns `paraphe-sim <args>`, prefixes its lines, resolves with the first match of `ready` in its output. */
function spawnSim(label: string, args: string[], ready: RegExp, log: (line: string) => void): Promise<{ match: RegExpExecArray } & Child> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/paraphe-sim.mjs'), ...args], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PARAPHE_SIM_EXIT_WITH_PARENT: '1' },
  });
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    await exit;
  };
  const kill = (): void => {
    if (!exited) child.kill('SIGTERM');
  };
  return new Promise((resolvePromise, reject) => {
    let seen = '';
    let done = false;
    const onLine = (line: string): void => {
      log(`[${label}] ${line}`);
      if (done) return;
      seen += `${line}\n`;
      const m = ready.exec(seen);
      if (m) {
        done = true;
        resolvePromise({ match: m, child, stop, kill });
      }
    };
    for (const s of [child.stdout!, child.stderr!]) {
      let buf = '';
      s.on('data', (d: Buffer) => {
        buf += d.toString('utf8');
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    }
    child.once('exit', (code) => {
      if (!done) reject(new Error(`paraphe-sim ${args[0]} s’est arrêté (code ${code}) avant d’être prêt :\n${seen}`));
    });
  });
}

export interface PrefectureSim {
  ctesUrl: string;
  adminUrl: string;
  smtpPort: number;
  stop(): Promise<void>;
  kill(): void;
}

/** The SMTP receiver of the return mailbox, then the préfecture simulator delivering to it. */
export async function startPrefectureSim(p: DemoSimPaths, o: { sirensFile?: string; log: (line: string) => void }): Promise<PrefectureSim> {
  ensureDemoPki(p);
  const receiver: SmtpReceiver = await startSmtpReceiver({ dir: p.mailbox, accept: (a) => a === DEMO_RETURN_ADDRESS });
  try {
    const sim = await spawnSim(
      'préfecture',
      ['prefecture', '--port', '0', '--admin-port', '0', '--tls-cert', p.pki.serverCert, '--tls-key', p.pki.serverKey, '--client-ca', p.pki.ca,
        '--smtp', `127.0.0.1:${receiver.port}`, '--data-dir', p.prefecture, '--classification', DEMO_CLASSIFICATION, ...(o.sirensFile ? ['--sirens', o.sirensFile] : [])],
      /@CTES (https:\/\/\S+)[\s\S]*admin (http:\/\/\S+)/,
      o.log,
    );
    return {
      ctesUrl: sim.match[1]!,
      adminUrl: sim.match[2]!,
      smtpPort: receiver.port,
      kill: sim.kill,
      stop: async () => {
        await sim.stop();
        await receiver.close();
      },
    };
  } catch (e) {
    await receiver.close();
    throw e;
  }
}

export interface HeliosSimChild {
  port: number;
  stop(): Promise<void>;
  kill(): void;
}

export async function startHeliosSim(p: DemoSimPaths, o: { sirets?: string[]; trustAnchors: string[]; log: (line: string) => void }): Promise<HeliosSimChild> {
  // --retour-auto: the trésorerie's PES_Retour follows each integrated PES, so the demo's HELIOS page lists one.
  const args = ['helios', '--port', '0', '--root', p.helios, '--user', DEMO_FTP.user, '--password', DEMO_FTP.password, '--retour-auto'];
  for (const s of o.sirets ?? []) args.push('--known-siret', s);
  for (const t of o.trustAnchors) args.push('--trust-anchor', t);
  const sim = await spawnSim('hélios', args, /\{"event":"listening".*"port":(\d+)/, o.log);
  return { port: Number(sim.match[1]), stop: sim.stop, kill: sim.kill };
}

/** The operator-level connector settings pointing at the running simulators. */
export function demoTdtActesConfig(p: DemoSimPaths, sim: PrefectureSim): Record<string, unknown> {
  return {
    url: sim.ctesUrl,
    clientCertPath: p.pki.clientCert,
    clientKeyPath: p.pki.clientKey,
    caPath: p.pki.ca,
    trigramme: 'DEM',
    adressesRetour: [DEMO_RETURN_ADDRESS],
    repertoireRetour: p.mailbox,
  };
}

export function demoTdtHeliosConfig(sim: HeliosSimChild): Record<string, unknown> {
  return { host: '127.0.0.1', port: sim.port, user: DEMO_FTP.user, password: DEMO_FTP.password, secure: false, pDest: DEMO_FTP.pDest, pAppli: DEMO_FTP.pAppli };
}
