/**
 * `npm run bench -- actes [--actes N] [--clients C] [--workers W] [--cpu-prof DIR]`: ACTES end to end on PostgreSQL with the
 * préfecture simulator as a separate process and a real Dovecot return mailbox. Each acte goes
 * create (API) → document upload → transmettre → job: archive built, schema-validated and kept with its
 * SHA-256 (the sealed evidence) → mTLS upload to @CTES → AR mailed by the simulator → mailbox polling →
 * acquitté → stamped PDF (API). C clients submit actes concurrently; the platform's job worker runs W jobs at a time (as `serve` with
 * PARAPHE_JOB_CONCURRENCY=W), woken by NOTIFY.
 * Prints actes per second and p50/p95 latency per acte, beside references measured in the same run: the
 * pack-only rate (archive build + validation) and the raw @CTES upload rate of a pre-built archive.
 * Then the CPU time each process spent per acte during the end-to-end phase (this process, the simulator,
 * Dovecot, PostgreSQL), so the floor set by the parts we do not write is visible. `--cpu-prof DIR` also
 * writes the platform's CPU profile of that phase (the simulator's: PARAPHE_SIM_NODE_ARGS="--cpu-prof
 * --cpu-prof-dir=DIR").
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { migrateToLatest } from '../src/platform/db/database.ts';
import { createDeps } from '../src/app/create-deps.ts';
import { buildApp } from '../src/http/app.ts';
import { startJobWorker } from '../src/platform/jobs/job-queue.ts';
import { createCollectivite } from '../src/tenancy/create-collectivite.ts';
import { withLuhnKey } from '../src/tenancy/siren.ts';
import { createApiToken } from '../src/identity/create-api-token.ts';
import { TOKEN_PERMISSIONS } from '../src/identity/roles.ts';
import { setConnectorConfig } from '../src/connectors/set-connector-config.ts';
import { importClassification } from '../src/actes/use-cases/import-classification.ts';
import { buildActeArchive } from '../src/actes/archive/build.ts';
import { parseRetourClassification } from '../src/actes/classification/classification.ts';
import { httpsTransport } from '../src/actes/ports.ts';
import { makeTestPdf } from '../src/parapheur/signature/pades/test-pdf.ts';
import { spawnActesSimulator } from '../src/simulators/actes/testing.ts';
import { conformanceDir } from '../src/shared/paths.ts';
import { startDovecot } from '../test/support/dovecot.ts';
import { createTestPki } from '../test/support/tls.ts';
import { multipartBody } from '../test/support/test-app.ts';
import { ms, pct, benchDatabase } from './support.ts';
import { cpuDelta, treeCpuMs } from './process-cpu.ts';

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
}

const CURRENT = join(conformanceDir, 'pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/999-1234----7-2_1.xml');
const actor = { userId: null, tokenId: null, label: 'bench' };

/** CPU profile of this process (the platform) over one phase, written as DIR/actes-plateforme.cpuprofile (Chrome DevTools format). */
async function startProfiler(): Promise<{ stop(dir: string): Promise<string> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 1000 });
  await post('Profiler.start');
  return {
    async stop(dir) {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      session.disconnect();
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'actes-plateforme.cpuprofile');
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}

export async function run(args: string[]): Promise<void> {
  const N = arg(args, 'actes', 300);
  const C = arg(args, 'clients', 32);
  const W = arg(args, 'workers', Number(process.env.PARAPHE_JOB_WORKERS ?? 4));
  process.env.PARAPHE_ACTES_POLL_SECONDS ??= '0.2';
  process.env.LOG_LEVEL = 'silent';
  delete process.env.PARAPHE_SMTP_URL;
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-bench-actes-'));
  const bench = await benchDatabase('actes');
  const db = bench.db;
  const tls = createTestPki();
  const mailbox = { user: 'retour@bench.test', password: 'bench' };
  const refMailbox = { user: 'reference@bench.test', password: 'bench' };
  const dovecot = await startDovecot([mailbox, refMailbox]);
  const stops: (() => Promise<void>)[] = [];
  try {
    await migrateToLatest(db);
    const deps = createDeps(db, { config: { dataDir: join(dir, 'data') } });
    const siren = withLuhnKey('21450249');
    const cid = (await createCollectivite(deps, actor, { name: 'Commune du banc d’essai', type: 'commune', siren, sirets: [], insee: null, population: 1000, departement: '062', arrondissement: 1, services: ['parapheur', 'actes'], groupId: null })).id;
    const { token } = await createApiToken(deps, actor, cid, { name: 'bench', permissions: [...TOKEN_PERMISSIONS] });
    await importClassification(deps, actor, cid, readFileSync(CURRENT));
    const sirens = join(dir, 'sirens.txt');
    writeFileSync(sirens, `${siren}\n`);
    const sim = await spawnActesSimulator(['--port', '0', '--tls-cert', tls.server.certPath, '--tls-key', tls.server.keyPath, '--client-ca', tls.ca.certPath, '--smtp', `127.0.0.1:${dovecot.lmtpPort}`, '--lmtp', '--data-dir', join(dir, 'sim'), '--classification', CURRENT, '--sirens', sirens]);
    stops.push(() => sim.stop());
    const tdt = {
      url: sim.ctesUrl,
      clientCertPath: tls.client.certPath,
      clientKeyPath: tls.client.keyPath,
      caPath: tls.ca.certPath,
      trigramme: 'PAR',
      adressesRetour: [mailbox.user],
      imap: { host: dovecot.host, port: dovecot.imapPort, secure: false, user: mailbox.user, password: mailbox.password },
    };
    await setConnectorConfig(deps, actor, { type: 'collectivite', id: cid }, 'tdt-actes', tdt);
    const pdf = Buffer.from(await makeTestPdf({ lines: ['Délibération du banc d’essai.', 'Le maire'] }));

    // References: pack only (build + schema validation), then raw uploads of one pre-built archive per acte.
    const classification = parseRetourClassification(readFileSync(CURRENT));
    const refN = Math.min(N, 200);
    const pack = (i: number) =>
      buildActeArchive({
        metadata: { nature: 'DE', classification: '7.1', numeroInterne: `REF_${i}`, dateDecision: '2026-03-12', objet: 'Référence', documentPapier: false, typologieActe: '99_DE', typologieAnnexes: [] } as never,
        collectivite: { siren: '214502494', departement: '062', arrondissement: '1', nature: '31', adressesRetour: [refMailbox.user] } as never,
        classificationDateVersion: classification.dateClassification,
        classification,
        trigram: 'PAR',
        sequence: i + 1,
        sentAt: new Date(),
        testPlatform: false,
        acte: { fileName: 'deliberation.pdf', data: pdf },
        annexes: [],
      });
    let t = performance.now();
    const refArchives = [];
    for (let i = 0; i < refN; i++) refArchives.push(await pack(i));
    const packRate = refN / ((performance.now() - t) / 1000);
    const transport = httpsTransport(tdt as never);
    t = performance.now();
    for (const a of refArchives) {
      const r = await transport.send({ fileName: a.archiveName, bytes: a.archive });
      if (r.status !== 'accepted') throw new Error(`reference upload: ${JSON.stringify(r)}`);
    }
    const uploadRate = refN / ((performance.now() - t) / 1000);

    // The platform: HTTP API in process, the job worker running W jobs at a time (mailbox polling is one of the jobs).
    const app = await buildApp(deps);
    await app.ready();
    stops.push(() => app.close());
    const worker = startJobWorker(db, deps.clock, deps.jobHandlers, { intervalMs: 1000, concurrency: W });
    stops.push(() => worker.stop());
    const auth = { authorization: `Bearer ${token}` };
    const acquitted = new Map<string, () => void>();
    // The bench's clients wait for "acquitté": the state change event names the candidates (it fires
    // inside the transaction, before its commit), a query confirms them once committed. Polling the
    // dossiers every few ms instead cost PostgreSQL more than the platform's own work.
    const candidates = new Set<string>();
    let nudge: (() => void) | undefined;
    deps.dossierEvents.subscribe('bench-acquitte', async (_trx, e) => {
      if (e.to === 'acquitte') {
        candidates.add(e.dossierId);
        nudge?.();
      }
    });
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        if (candidates.size) {
          const ids = [...candidates];
          const rows = await db.selectFrom('dossier').select('id').where('id', 'in', ids).where('state', '=', 'acquitte').execute();
          for (const r of rows) {
            candidates.delete(r.id);
            acquitted.get(r.id)?.();
            acquitted.delete(r.id);
          }
        }
        await new Promise<void>((r) => {
          const timer = setTimeout(r, candidates.size ? 5 : 50);
          nudge = () => (clearTimeout(timer), r());
        });
        nudge = undefined;
      }
    })();
    const latencies: number[] = [];
    const failures: string[] = [];
    const one = async (i: number) => {
      const t0 = performance.now();
      const c = await app.inject({ method: 'POST', url: `/api/collectivites/${cid}/actes`, headers: auth, payload: { metadata: { nature: 'DE', classification: '7.1', numeroInterne: `B_${i}`, dateDecision: '2026-03-12', objet: `Délibération ${i}`, documentPapier: false, typologieActe: '99_DE', typologieAnnexes: [] } } });
      if (c.statusCode !== 201) throw new Error(`create: ${c.body}`);
      const id = (c.json() as { dossier: { id: string } }).dossier.id;
      const m = multipartBody('deliberation.pdf', pdf);
      const up = await app.inject({ method: 'POST', url: `/api/collectivites/${cid}/actes/${id}/documents?role=principal`, headers: { ...auth, ...m.headers }, payload: m.payload });
      if (up.statusCode !== 201) throw new Error(`upload: ${up.body}`);
      const done = new Promise<void>((resolve) => acquitted.set(id, resolve));
      const tr = await app.inject({ method: 'POST', url: `/api/collectivites/${cid}/dossiers/${id}/actions/transmettre`, headers: auth, payload: {} });
      if (tr.statusCode !== 200) throw new Error(`transmettre: ${tr.body}`);
      await done;
      const st = await app.inject({ method: 'GET', url: `/api/collectivites/${cid}/actes/${id}/acte-tamponne`, headers: auth });
      if (st.statusCode !== 200) throw new Error(`tampon: ${st.body}`);
      latencies.push(performance.now() - t0);
    };
    // CPU per party over the end-to-end run: this process (API + jobs + mailbox polling, and the bench's
    // own clients, in process), the simulator, Dovecot (IMAP + LMTP, the SMTP side of the answers) and
    // PostgreSQL (the whole cluster: postmaster and backends).
    const pgDataDir = (await sql<{ setting: string }>`select setting from pg_settings where name = 'data_directory'`.execute(db)).rows[0]?.setting;
    let postmaster: number | undefined;
    try {
      postmaster = Number(readFileSync(join(pgDataDir ?? '', 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      postmaster = undefined; // a remote server: not measured
    }
    const roots = { simulateur: sim.pid, dovecot: dovecot.pid, postgresql: postmaster };
    const profileDir = args.includes('--cpu-prof') ? args[args.indexOf('--cpu-prof') + 1] : undefined;
    const profiler = profileDir ? await startProfiler() : undefined;
    const pgCounters = async () => (await sql<{ xacts: string; rows: string }>`select xact_commit + xact_rollback as xacts, tup_returned + tup_fetched + tup_inserted + tup_updated + tup_deleted as rows from pg_stat_database where datname = current_database()`.execute(db)).rows[0]!;
    const pg0 = await pgCounters();
    const cpu0 = { plateforme: process.cpuUsage(), trees: treeCpuMs(roots) };
    let next = 0;
    const tStart = performance.now();
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (next < N) {
          const i = next++;
          await one(i).catch((e: Error) => failures.push(e.message));
        }
      }),
    );
    const wall = (performance.now() - tStart) / 1000;
    const platformCpu = process.cpuUsage(cpu0.plateforme);
    await sql`select pg_stat_force_next_flush()`.execute(db).catch(() => undefined);
    const pg1 = await pgCounters();
    if (profiler && profileDir) console.log(`profil CPU de la plateforme (phase de bout en bout) : ${await profiler.stop(profileDir)}`);
    const cpu: Record<string, number> = { plateforme: (platformCpu.user + platformCpu.system) / 1000, ...cpuDelta(cpu0.trees, treeCpuMs(roots)) };
    watching = false;
    await watcher;
    latencies.sort((a, b) => a - b);
    const rate = latencies.length / wall;
    const received = ((await (await fetch(`${sim.adminUrl}/received`)).json()) as { idActe?: string; at: string }[]).filter((x) => x.idActe?.includes('-B_'));
    const simReceived = received.length;
    const sent = ((await (await fetch(`${sim.adminUrl}/sent`)).json()) as { idActe?: string; kind: string; at: string }[]).filter((x) => x.kind === 'ARActe');
    // Where the time goes: median of each phase, from the journal and the simulator's records.
    const idActeOf = new Map((await db.selectFrom('actes_acte').select(['dossier_id', 'id_acte']).execute()).map((r) => [String(r.dossier_id), r.id_acte]));
    const journal = (await db.selectFrom('journal_entry').select(['object_id', 'action', 'at']).where('action', 'in', ['dossier.action.transmettre', 'actes.archive.construite', 'dossier.job.transmettre.done', 'actes.ar.recu']).execute())
      .filter((j) => j.object_id && idActeOf.has(j.object_id))
      .map((j) => ({ id_acte: idActeOf.get(j.object_id!)!, action: j.action, at: j.at }));
    const at = new Map<string, Record<string, number>>();
    const put = (id: string, k: string, v: Date | string) => at.set(id, { ...(at.get(id) ?? {}), [k]: new Date(v).getTime() });
    for (const j of journal) put(j.id_acte, j.action, j.at);
    for (const r of received) put(r.idActe!, 'sim.recu', r.at);
    for (const r of sent) put(r.idActe!, 'sim.ar', r.at);
    const phases: [string, string, string][] = [
      ['action → archive construite (attente du job + pack)', 'dossier.action.transmettre', 'actes.archive.construite'],
      ['archive → reçue par le simulateur', 'actes.archive.construite', 'sim.recu'],
      ['reçue → job terminé (réponse HTTP)', 'sim.recu', 'dossier.job.transmettre.done'],
      ['reçue → AR envoyé par le simulateur', 'sim.recu', 'sim.ar'],
      ['AR envoyé → AR traité (relève)', 'sim.ar', 'actes.ar.recu'],
    ];
    const phaseLines = phases.map(([label, a, b]) => {
      const d = [...at.values()].filter((x) => x[a] !== undefined && x[b] !== undefined).map((x) => x[b]! - x[a]!).sort((x, y) => x - y);
      return `  ${label.padEnd(54)}${d.length ? `${ms(pct(d, 0.5))} / ${ms(pct(d, 0.95))}` : '—'}`;
    });
    console.log(`\nACTES de bout en bout sur PostgreSQL : ${N} actes, ${C} clients, ${W} workers, relève toutes les ${process.env.PARAPHE_ACTES_POLL_SECONDS} s`);
    console.log(`${'mesure'.padEnd(48)}${'valeur'.padStart(14)}  / référence`);
    console.log(`${'référence : pack seul (construction + XSD)'.padEnd(48)}${`${packRate.toFixed(1)} /s`.padStart(14)}`);
    console.log(`${'référence : dépôt @CTES brut (mTLS, séquentiel)'.padEnd(48)}${`${uploadRate.toFixed(1)} /s`.padStart(14)}`);
    console.log(`${'bout en bout (création → tampon)'.padEnd(48)}${`${rate.toFixed(1)} /s`.padStart(14)}  ×${(rate / uploadRate).toFixed(2)} du dépôt brut, ×${(rate / packRate).toFixed(2)} du pack seul`);
    console.log(`${'latence par acte p50'.padEnd(48)}${ms(pct(latencies, 0.5)).padStart(14)}`);
    console.log(`${'latence par acte p95'.padEnd(48)}${ms(pct(latencies, 0.95)).padStart(14)}`);
    console.log('phases (p50 / p95) :');
    for (const l of phaseLines) console.log(l);
    const done = Math.max(1, latencies.length);
    const perActe = (k: string) => (cpu[k] ?? 0) / done;
    const totalPerActe = Object.keys(cpu).reduce((a, k) => a + perActe(k), 0);
    const outside = perActe('dovecot') + perActe('postgresql');
    console.log('CPU par acte et par processus (utime + stime, /proc) :');
    for (const k of Object.keys(cpu)) console.log(`  ${k.padEnd(54)}${`${perActe(k).toFixed(1)} ms`.padStart(10)}  (${((cpu[k]! / 1000 / wall) * 100).toFixed(0)} % d’un cœur)`);
    console.log(`  ${'total'.padEnd(54)}${`${totalPerActe.toFixed(1)} ms`.padStart(10)}  → plafond sur 2 cœurs : ${(2000 / totalPerActe).toFixed(0)} actes/s`);
    console.log(`  ${'dont Dovecot + PostgreSQL (hors de notre code)'.padEnd(54)}${`${outside.toFixed(1)} ms`.padStart(10)}  → plafond sur 2 cœurs : ${outside > 0 ? (2000 / outside).toFixed(0) : '∞'} actes/s`);
    console.log(`transactions PostgreSQL par acte : ${((Number(pg1.xacts) - Number(pg0.xacts)) / done).toFixed(0)} (lignes lues ou écrites : ${((Number(pg1.rows) - Number(pg0.rows)) / done).toFixed(0)})`);
    const scans = await sql<{ relname: string; seq_scan: string; seq_tup_read: string; idx_scan: string }>`select relname, seq_scan, seq_tup_read, idx_scan from pg_stat_user_tables order by seq_tup_read desc limit 4`.execute(db);
    console.log(`lectures séquentielles (table : parcours / lignes lues, sur tout le banc) : ${scans.rows.map((r) => `${r.relname} ${r.seq_scan} / ${r.seq_tup_read}`).join(' ; ')}`);
    console.log(`durée ${wall.toFixed(1)} s ; actes reçus par le simulateur : ${simReceived} ; échecs : ${failures.length}${failures.length ? ` (${failures[0]})` : ''}`);
    if (failures.length || simReceived !== N) process.exitCode = 1;
  } finally {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    await dovecot.stop();
    tls.cleanup();
    await bench.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
