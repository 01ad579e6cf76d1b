/**
 * The README's start command, as a new user runs it: `node bin/paraphe.mjs start` as a process on a new
 * data directory and a free port. With the simulators (default), the demo acte reaches "Acquittement reçu"
 * through the préfecture simulator and the demo PES through the Hélios simulator, both separate child
 * processes that stop with the platform; with `--no-simulators` none is started and the demo logins work.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../src/shared/paths.ts';
import { DEMO_PASSWORD } from '../../src/demo/seed-demo.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dirs: string[] = [];

after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Started {
  child: ChildProcess;
  url: string;
  dataDir: string;
  output(): string;
  stop(): Promise<number | null>;
}

async function start(args: string[] = []): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'paraphe-start-'));
  dirs.push(dataDir);
  const port = await freePort();
  const child = spawn(process.execPath, [join(repoRoot, 'bin/paraphe.mjs'), 'start', '--port', String(port), ...args], {
    cwd: repoRoot,
    env: { ...process.env, PARAPHE_DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL: '', PORT: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const check = setInterval(() => {
      const m = /Paraphe est prêt : (http:\/\/\S+)/.exec(out);
      if (m) {
        clearInterval(check);
        resolve(m[1]!);
      }
    }, 100);
    void exit.then((code) => {
      clearInterval(check);
      reject(new Error(`paraphe start exited (${code}) before being ready:\n${out}`));
    });
  });
  return {
    child,
    url,
    dataDir,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
}

/** Command lines of the direct children of a process. */
function childrenOf(pid: number): string[] {
  const r = spawnSync('ps', ['-o', 'args=', '--ppid', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function login(url: string, email: string): Promise<(path: string) => Promise<unknown>> {
  const r = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: DEMO_PASSWORD }) });
  assert.equal(r.status, 200, await r.clone().text());
  const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('paraphe_session='));
  assert.ok(cookie, 'session cookie');
  return async (path) => {
    const res = await fetch(`${url}${path}`, { headers: { cookie } });
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    return res.json();
  };
}

interface DossierItem {
  type: string;
  state: string;
  title: string;
}

describe('paraphe start (the README’s command)', () => {
  test('starts the simulators as separate processes; the demo acte and the demo PES are acknowledged through them', async () => {
    const app = await start();
    try {
      const children = childrenOf(app.child.pid!);
      const sims = children.filter((c) => c.includes('paraphe-sim'));
      assert.equal(sims.length, 2, children.join('\n'));
      assert.ok(sims.some((c) => / prefecture /.test(c)) && sims.some((c) => / helios /.test(c)), sims.join('\n'));
      assert.match(app.output(), /^\[préfecture\] /m);
      assert.match(app.output(), /^\[hélios\] /m);
      assert.ok(existsSync(join(app.dataDir, 'demo-sim', 'pki', 'client.crt')));

      const get = await login(app.url, 'agent@saint-exemple.paraphe.test');
      const session = (await get('/api/auth/session')) as { memberships: { collectiviteId: string }[] };
      const cid = session.memberships[0]!.collectiviteId;
      // The classification is there: the acte form offers its matières.
      const cls = (await get(`/api/collectivites/${cid}/actes-classification`)) as { dateClassification: string; matieres: { code: string }[] };
      assert.equal(cls.dateClassification, '2019-04-18');
      assert.ok(cls.matieres.some((m) => m.code === '7.1'));

      let items: DossierItem[] = [];
      for (let i = 0; i < 600; i++) {
        items = ((await get(`/api/collectivites/${cid}/dossiers`)) as { items: DossierItem[] }).items;
        if (items.filter((d) => d.state === 'acquitte').length === 2) break;
        await sleep(250);
      }
      const acte = items.find((d) => d.type === 'actes');
      const pes = items.find((d) => d.type === 'helios');
      assert.equal(acte?.state, 'acquitte', `${JSON.stringify(items)}\n${app.output()}`);
      assert.equal(pes?.state, 'acquitte', `${JSON.stringify(items)}\n${app.output()}`);
      // The préfecture's answer came over SMTP into the directory mailbox and was filed, not deleted.
      assert.ok(readdirSync(join(app.dataDir, 'demo-sim', 'boite-retour', 'traites')).length >= 1);
      assert.ok(readdirSync(join(app.dataDir, 'demo-sim', 'helios', 'received')).length >= 1);
      // The demo's Hélios simulator answers an integrated PES with a PES_Retour too (--retour-auto): listed with its summary.
      let retours: { fichier: string; resume: string[] }[] = [];
      for (let i = 0; i < 120 && retours.length === 0; i++) {
        retours = (await get(`/api/collectivites/${cid}/helios-retours`)) as typeof retours;
        if (retours.length === 0) await sleep(250);
      }
      assert.equal(retours.length, 1, app.output());
      assert.match(retours[0]!.fichier, /^PES2R_/);
      assert.match(retours[0]!.resume.join('\n'), /bordereau n° 1 : 1 pièce \(1 prise en charge\)/);
    } finally {
      const pids = childrenOf(app.child.pid!).length ? spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(app.child.pid)], { encoding: 'utf8' }).stdout : '';
      await app.stop();
      const simPids = pids.split('\n').filter((l) => l.includes('paraphe-sim')).map((l) => Number(l.trim().split(/\s+/)[0]));
      for (let i = 0; i < 100 && simPids.some(alive); i++) await sleep(100);
      assert.deepEqual(simPids.filter(alive), [], 'the simulators stop with the platform');
    }
  });

  test('--no-simulators starts none; the demo logins work', async () => {
    const app = await start(['--no-simulators']);
    try {
      assert.deepEqual(childrenOf(app.child.pid!).filter((c) => c.includes('paraphe-sim')), []);
      assert.doesNotMatch(app.output(), /^\[(préfecture|hélios)\]/m);
      assert.equal(existsSync(join(app.dataDir, 'demo-sim')), false);
      const get = await login(app.url, 'admin@beaumont.paraphe.test');
      const session = (await get('/api/auth/session')) as { memberships: { collectiviteId: string }[] };
      const cid = session.memberships[0]!.collectiviteId;
      const cls = (await get(`/api/collectivites/${cid}/actes-classification`)) as { dateClassification: string };
      assert.equal(cls.dateClassification, '2019-04-18');
      assert.deepEqual(((await get(`/api/collectivites/${cid}/dossiers`)) as { items: unknown[] }).items, []);
    } finally {
      await app.stop();
    }
  });
});
