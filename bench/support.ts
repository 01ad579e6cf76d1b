import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { repoRoot } from '../src/shared/paths.ts';

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
