import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { repoRoot } from '../src/shared/paths.ts';
import { openDatabase } from '../src/platform/db/database.ts';
import type { Db } from '../src/platform/db/database.ts';

/** DATABASE_URL if set, else a throw-away PostgreSQL cluster started for the run. */
export function postgresForBench(): { url: string; stop(): void } {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop() {} };
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-bench-pg-'));
  const port = String(56000 + (process.pid % 1000));
  execFileSync('bash', [join(repoRoot, 'scripts/pg-cluster.sh'), 'start', dir, port], { stdio: 'inherit' });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      execFileSync('bash', [join(repoRoot, 'scripts/pg-cluster.sh'), 'stop', dir], { stdio: 'inherit' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh database named after the benchmark on the bench's PostgreSQL; `dispose` closes and drops it. */
export async function benchDatabase(name: string): Promise<{ db: Db; url: string; dispose(): Promise<void> }> {
  const server = postgresForBench();
  const dbName = `paraphe_bench_${name}_${process.pid}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const u = new URL(server.url);
  u.pathname = `/${dbName}`;
  const db = await openDatabase({ kind: 'postgres', url: u.toString() });
  return {
    db,
    url: u.toString(),
    async dispose() {
      await db.destroy();
      await admin.query(`drop database if exists ${dbName} with (force)`);
      await admin.end();
      server.stop();
    },
  };
}

export async function sample(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(20, n); i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

export function pct(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export const ms = (v: number) => `${v.toFixed(2)} ms`;
