/**
 * Reliability of the transmission: the platform runs as a real separate process (`paraphe serve`), the
 * préfecture is `paraphe-sim actes` (another process), the return mailbox a real Dovecot. The server is
 * killed with SIGKILL at several moments of the transmission of several actes and restarted; in the end
 * every acte is acknowledged, none is left in an intermediate state, and the préfecture received each acte
 * once, or again only as the byte-identical archive (the SHA-256 the simulator recorded).
 *
 * On PGlite (default) the database is a data directory the server process opens; with DATABASE_URL a
 * throw-away database of that server is used.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { conformancePath } from './archive/testing.ts';
import { spawnActesSimulator, type SimulatorProcess } from '../simulators/actes/testing.ts';
import { createTestPki, type TestPki } from '../../test/support/tls.ts';
import { startDovecot, type DovecotInstance } from '../../test/support/dovecot.ts';
import { openDatabase, migrateToLatest } from '../platform/db/database.ts';
import { createDeps } from '../app/create-deps.ts';
import { createCollectivite } from '../tenancy/create-collectivite.ts';
import { withLuhnKey } from '../tenancy/siren.ts';
import { createApiToken } from '../identity/create-api-token.ts';
import { TOKEN_PERMISSIONS } from '../identity/roles.ts';
import { setConnectorConfig } from '../connectors/set-connector-config.ts';
import { importClassification } from './use-cases/import-classification.ts';
import { makeTestPdf } from '../parapheur/signature/pades/test-pdf.ts';
import { repoRoot } from '../shared/paths.ts';

const CURRENT = conformancePath('pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/999-1234----7-2_1.xml');
const MAILBOX = { user: 'retour@crash.test', password: 'secret-crash' };
const actor = { userId: null, tokenId: null, label: 'test' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let tls: TestPki;
let dovecot: DovecotInstance;
let sim: SimulatorProcess;
let serverEnv: NodeJS.ProcessEnv;
let dropDatabase: (() => Promise<void>) | undefined;
let server: { child: ChildProcess; url: string; out: () => string } | undefined;
let serverLog = '';
let cid: string;
let token: string;
let pdf: Buffer;

/** Starts `paraphe serve` as a separate process and waits for its URL. */
async function startServer(): Promise<void> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/paraphe.mjs'), 'serve', '--port', '0'], { cwd: dir, env: serverEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /Paraphe écoute sur (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, signal) => reject(new Error(`paraphe serve exited (${code ?? signal}) before listening:\n${out}`)));
  });
  child.removeAllListeners('exit');
  server = { child, url, out: () => out };
}

/** SIGKILL: no shutdown handler runs, whatever was in flight is cut. */
async function killServer(): Promise<void> {
  const s = server!;
  server = undefined;
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => s.child.once('exit', () => resolve()));
  s.child.kill('SIGKILL');
  await exited;
  serverLog += `\n--- killed ---\n${s.out()}`;
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${server!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, json: await r.json().catch(() => null) };
}

interface ActeView {
  idActe: string;
  archive: { nom: string; sha256: string } | null;
  dossier: { id: string; state: string };
}

async function createActe(numeroInterne: string): Promise<ActeView> {
  const r = await api('POST', `/api/collectivites/${cid}/actes`, {
    metadata: { nature: 'DE', classification: '7.1', numeroInterne, dateDecision: '2026-03-12', objet: `Délibération ${numeroInterne}`, documentPapier: false, typologieActe: '99_DE', typologieAnnexes: [] },
  });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  const a = r.json as ActeView;
  const form = new FormData();
  form.append('file', new Blob([pdf], { type: 'application/pdf' }), 'deliberation.pdf');
  const up = await fetch(`${server!.url}/api/collectivites/${cid}/actes/${a.dossier.id}/documents?role=principal`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  assert.equal(up.status, 201, await up.text());
  return a;
}

async function transmit(a: ActeView): Promise<void> {
  const r = await api('POST', `/api/collectivites/${cid}/dossiers/${a.dossier.id}/actions/transmettre`, {});
  assert.equal(r.status, 200, JSON.stringify(r.json));
}

interface Received {
  idActe?: string;
  sha256: string;
  verdict: string;
}

async function simReceived(): Promise<Received[]> {
  return (await fetch(`${sim.adminUrl}/received`)).json() as Promise<Received[]>;
}

/** Waits (without a timed assertion: a bounded number of rounds) until the simulator recorded `n` uploads of the acte. */
async function untilReceived(idActe: string, n = 1): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await simReceived()).filter((x) => x.idActe === idActe).length >= n) return;
    await sleep(50);
  }
  throw new Error(`the simulator never received ${idActe}\n${sim.output()}\n${server?.out() ?? serverLog}`);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paraphe-actes-crash-'));
  tls = createTestPki();
  pdf = Buffer.from(await makeTestPdf({ lines: ['Délibération transmise malgré les pannes.'] }));
  dovecot = await startDovecot([MAILBOX]);

  // The database the server process will use, prepared here and then closed (PGlite has one owner).
  let databaseUrl: string | undefined;
  if (process.env.DATABASE_URL) {
    const name = `paraphe_crash_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  const dataDir = join(dir, 'data');
  const db = await openDatabase(databaseUrl ? { kind: 'postgres', url: databaseUrl } : { kind: 'pglite', dataDir: join(dataDir, 'pglite') });
  await migrateToLatest(db);
  const deps = createDeps(db, { config: { dataDir } });
  const siren = withLuhnKey(String(31000000 + (process.pid % 1000000)).slice(-8));
  cid = (await createCollectivite(deps, actor, { name: 'Commune Résiliente', type: 'commune', siren, sirets: [], insee: null, population: 1000, departement: '062', arrondissement: 1, services: ['parapheur', 'actes'], groupId: null })).id;
  token = (await createApiToken(deps, actor, cid, { name: 'logiciel métier', permissions: [...TOKEN_PERMISSIONS] })).token;
  await importClassification(deps, actor, cid, readFileSync(CURRENT));

  const sirens = join(dir, 'sirens.txt');
  writeFileSync(sirens, `${siren}\n`);
  // The préfecture holds its HTTP answer 1.5 s after recording an archive: the window where the platform
  // does not know yet that the upload went through.
  sim = await spawnActesSimulator(['--port', '0', '--tls-cert', tls.server.certPath, '--tls-key', tls.server.keyPath, '--client-ca', tls.ca.certPath, '--smtp', `127.0.0.1:${dovecot.lmtpPort}`, '--lmtp', '--data-dir', join(dir, 'sim'), '--classification', CURRENT, '--sirens', sirens, '--response-delay-ms', '1500']);
  await setConnectorConfig(deps, actor, { type: 'collectivite', id: cid }, 'tdt-actes', {
    url: sim.ctesUrl,
    clientCertPath: tls.client.certPath,
    clientKeyPath: tls.client.keyPath,
    caPath: tls.ca.certPath,
    trigramme: 'PAR',
    adressesRetour: [MAILBOX.user],
    imap: { host: dovecot.host, port: dovecot.imapPort, secure: false, user: MAILBOX.user, password: MAILBOX.password },
  });
  await db.destroy();

  serverEnv = {
    ...process.env,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    PARAPHE_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    // A killed worker's job is claimed again after 2 s (300 s in production), jobs and mailbox polled often.
    PARAPHE_JOB_LEASE_SECONDS: '2',
    PARAPHE_JOB_POLL_MS: '100',
    PARAPHE_ACTES_POLL_SECONDS: '1',
  };
  if (!databaseUrl) delete serverEnv.DATABASE_URL;
  delete serverEnv.PARAPHE_SMTP_URL;
  await startServer();
});

after(async () => {
  if (server) await killServer();
  await sim?.stop();
  await dovecot?.stop();
  await dropDatabase?.();
  tls?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ACTES transmission survives a killed server', () => {
  test('killed at several moments of several transmissions: each acte acknowledged, received once or as the identical archive, none stuck', async (t) => {
    const actes: ActeView[] = [];

    // 1. Killed right after the action: the job is queued, nothing sent yet (or just starting).
    const a1 = await createActe('CRASH_1');
    const a2 = await createActe('CRASH_2');
    actes.push(a1, a2);
    await transmit(a1);
    await transmit(a2);
    await killServer();
    await startServer();

    // 2. Killed while the upload is in flight: the préfecture recorded the archive, the answer is held.
    const a3 = await createActe('CRASH_3');
    actes.push(a3);
    await transmit(a3);
    await untilReceived(a3.idActe);
    await killServer();
    await startServer();

    // 3. Several actes in the queue; killed after the first upload, then again after a later one.
    const batch = [];
    for (let i = 4; i <= 7; i++) batch.push(await createActe(`CRASH_${i}`));
    actes.push(...batch);
    for (const a of batch) await transmit(a);
    await untilReceived(batch[0]!.idActe);
    await killServer();
    await startServer();
    await untilReceived(batch[2]!.idActe);
    await sleep(1600); // the held answer has come back: the job's completion is what is cut now
    await killServer();
    await startServer();

    // Everything settles without any help but the running server.
    const final = new Map<string, ActeView>();
    for (let round = 0; round < 900 && final.size < actes.length; round++) {
      for (const a of actes) {
        if (final.has(a.idActe)) continue;
        const r = await api('GET', `/api/collectivites/${cid}/actes/${a.dossier.id}`);
        const v = r.json as ActeView;
        if (v.dossier.state === 'acquitte') final.set(a.idActe, v);
      }
      if (final.size < actes.length) await sleep(100);
    }
    const states = await Promise.all(actes.map(async (a) => `${a.idActe}: ${((await api('GET', `/api/collectivites/${cid}/actes/${a.dossier.id}`)).json as ActeView).dossier.state}`));
    assert.equal(final.size, actes.length, `not all acknowledged:\n${states.join('\n')}\n${sim.output()}\n${serverLog}\n${server?.out()}`);

    const received = await simReceived();
    const simActes = (await (await fetch(`${sim.adminUrl}/actes`)).json()) as { idActe: string }[];
    for (const a of actes) {
      const v = final.get(a.idActe)!;
      assert.ok(v.archive, `${a.idActe}: archive kept`);
      const uploads = received.filter((x) => x.idActe === a.idActe);
      assert.ok(uploads.length >= 1, `${a.idActe} never received`);
      // Once, or again only as the very same bytes, which are the archive the platform kept as evidence.
      assert.deepEqual([...new Set(uploads.map((u) => u.sha256))], [v.archive.sha256], `${a.idActe}: uploads ${JSON.stringify(uploads)}`);
      assert.equal(uploads[0]!.verdict, 'accepte');
      assert.equal(simActes.filter((x) => x.idActe === a.idActe).length, 1);
    }
    t.diagnostic(`uploads per acte: ${actes.map((a) => `${a.idActe.split('-').slice(-2).join('-')}=${received.filter((x) => x.idActe === a.idActe).length}`).join(' ')}`);
  });
});
