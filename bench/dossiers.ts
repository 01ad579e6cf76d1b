/**
 * `npm run bench -- dossiers [--dossiers N] [--collectivites N]`: 100,000 dossiers across 2,000
 * collectivités on PostgreSQL, then the inbox listing of one collectivité (first page, a deep page through
 * the cursor, a state filter), through the use case and through the HTTP API, as p50/p95 latencies beside
 * references measured in the same run: a `select 1` round trip and a primary-key lookup.
 */
import { sql } from 'kysely';
import { migrateToLatest } from '../src/platform/db/database.ts';
import { createDeps } from '../src/app/create-deps.ts';
import { buildApp } from '../src/http/app.ts';
import { listDossiers } from '../src/dossiers/list-dossiers.ts';
import { createApiToken } from '../src/identity/create-api-token.ts';
import { withLuhnKey } from '../src/tenancy/siren.ts';
import { ensureOperator } from '../src/tenancy/ensure-operator.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SingleBar, Presets } from 'cli-progress';
import { ms, pct, benchDatabase, sample } from './support.ts';

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
}

export async function run(args: string[]): Promise<void> {
  const nDossiers = arg(args, 'dossiers', 100_000);
  const nColl = arg(args, 'collectivites', 2_000);
  const bench = await benchDatabase('dossiers');
  const db = bench.db;
  try {
    await migrateToLatest(db);
    const deps = createDeps(db, { config: { dataDir: mkdtempSync(join(tmpdir(), 'paraphe-bench-')) } });
    const operatorId = await ensureOperator(deps);
    const bar = new SingleBar({ format: 'Données [{bar}] {value}/{total} {what}' }, Presets.shades_classic);
    bar.start(nColl + nDossiers, 0, { what: 'collectivités' });
    const t0 = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < nColl; i += 500) {
      const rows = Array.from({ length: Math.min(500, nColl - i) }, (_, k) => ({
        operator_id: operatorId,
        name: `Commune ${i + k}`,
        type: 'commune',
        siren: withLuhnKey(String(30000000 + i + k)),
        sirets: '[]',
        services: '["parapheur"]',
        departement: '062',
      }));
      ids.push(...(await db.insertInto('collectivite').values(rows).returning('id').execute()).map((r) => r.id));
      bar.increment(rows.length);
    }
    bar.update({ what: 'dossiers' });
    const states = ['brouillon', 'versement_en_cours', 'verse', 'erreur_versement', 'abandonne'];
    const perBatch = 5_000;
    for (let i = 0; i < nDossiers; i += perBatch) {
      const n = Math.min(perBatch, nDossiers - i);
      // A fifth of the dossiers belong to one large collectivité (a city), the rest spread over the others,
      // over a year of updates; one statement per batch.
      await sql`
        insert into dossier (collectivite_id, type, title, metadata, state, updated_at, created_at)
        select (${JSON.stringify(ids)}::jsonb ->> (case when g % 5 = 0 then 0 else 1 + (g * 7919) % ${ids.length - 1} end))::uuid, 'versement-ged', 'Dossier ' || g,
               '{"categorie":"bench"}'::jsonb, (${JSON.stringify(states)}::jsonb ->> ((g / 5) % 5)),
               timestamptz '2026-01-01' + (g * interval '313 seconds'), timestamptz '2026-01-01'
        from generate_series(${i}::int, ${i + n - 1}::int) as g`.execute(db);
      bar.increment(n);
    }
    bar.stop();
    await sql`analyze`.execute(db);
    const loadSeconds = (performance.now() - t0) / 1000;
    const big = ids[0]!;
    const typical = ids[1]!;
    const target = big;
    const inTarget = await db.selectFrom('dossier').select((eb) => eb.fn.countAll<number>().as('n')).where('collectivite_id', '=', target).executeTakeFirstOrThrow();
    const deepCursor = await (async () => {
      let cursor: string | undefined;
      for (let i = 0; i < 5; i++) cursor = (await listDossiers(db, target, { limit: 10, cursor })).nextCursor ?? undefined;
      return cursor;
    })();
    const { token } = await createApiToken(deps, { userId: null, tokenId: null, label: 'bench' }, target, { name: 'bench', permissions: ['dossier:read'] });
    const app = await buildApp(deps);
    await app.ready();
    const N = 400;
    const aDossierId = (await db.selectFrom('dossier').select('id').where('collectivite_id', '=', target).executeTakeFirstOrThrow()).id;
    const results: [string, number[]][] = [
      ['référence : select 1', await sample(N, () => sql`select 1`.execute(db))],
      ['référence : lecture par clé primaire', await sample(N, () => db.selectFrom('dossier').selectAll().where('id', '=', aDossierId).execute())],
      ['liste, 1re page (50)', await sample(N, () => listDossiers(db, target, { limit: 50 }))],
      ['liste, page profonde (curseur)', await sample(N, () => listDossiers(db, target, { limit: 50, cursor: deepCursor }))],
      ['liste filtrée par état', await sample(N, () => listDossiers(db, target, { limit: 50, state: 'verse' }))],
      ['liste, collectivité typique', await sample(N, () => listDossiers(db, typical, { limit: 50 }))],
      ['API HTTP GET /dossiers (jeton)', await sample(N, () => app.inject({ method: 'GET', url: `/api/collectivites/${target}/dossiers?limit=50`, headers: { authorization: `Bearer ${token}` } }))],
    ];
    await app.close();
    const ref = pct(results[0]![1], 0.5);
    console.log(`\n${nDossiers.toLocaleString('fr-FR')} dossiers, ${nColl.toLocaleString('fr-FR')} collectivités (chargement ${loadSeconds.toFixed(1)} s) ; collectivité mesurée : ${inTarget.n} dossiers ; ${N} mesures chacune`);
    console.log('mesure'.padEnd(38) + 'p50'.padStart(12) + 'p95'.padStart(12) + '  p50 / select 1');
    for (const [label, s] of results) console.log(label.padEnd(38) + ms(pct(s, 0.5)).padStart(12) + ms(pct(s, 0.95)).padStart(12) + `  ×${(pct(s, 0.5) / ref).toFixed(1)}`);
    const plan = await sql<{ 'QUERY PLAN': string }>`explain select * from dossier where collectivite_id = ${target} order by updated_at desc, id desc limit 51`.execute(db);
    console.log('\nplan : ' + plan.rows.map((r) => r['QUERY PLAN'].trim()).slice(0, 2).join(' | '));
  } finally {
    await bench.dispose();
  }
}
