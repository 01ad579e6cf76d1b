#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node:test (through tsx) and prints the totals.
// Usage: node scripts/run-tests.mjs [--label NAME] [--counts FILE] [filter...]
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdirSync, existsSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
let label = 'tests';
let countsFile;
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--label') label = args[++i];
  else if (args[i] === '--counts') countsFile = args[++i];
  else filters.push(args[i]);
}

function walk(dir, out) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else if (entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const files = [...walk('src', []), ...walk('test', [])]
  .filter((f) => filters.length === 0 || filters.some((flt) => f.includes(flt)))
  .sort();
if (files.length === 0) {
  console.error('no test file matched');
  process.exit(1);
}
mkdirSync('test-artifacts', { recursive: true });
const countPath = `test-artifacts/counts-${label}-${process.pid}.json`;
const res = spawnSync(process.execPath, [
  '--import', 'tsx',
  '--test',
  `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`,
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/count-reporter.mjs', `--test-reporter-destination=${countPath}`,
  ...files,
], { stdio: 'inherit', env: process.env });
let counts = { passed: 0, failed: 1, skipped: 0, failures: ['test runner produced no counts'] };
try { counts = JSON.parse(readFileSync(countPath, 'utf8')); } catch { /* runner crashed: counted as a failure */ }
if (res.status !== 0 && counts.failed === 0) { counts.failed = 1; counts.failures.push(`runner exited ${res.status}`); }
if (counts.failures.length) console.log(`\n[${label}] failures:\n  ` + counts.failures.join('\n  '));
if (countsFile) appendFileSync(countsFile, JSON.stringify({ label, ...counts }) + '\n');
console.log(`[${label}] ${counts.passed} passed, ${counts.failed} failed`);
if (!countsFile) console.log(`${counts.passed} passed, ${counts.failed} failed`);
process.exit(counts.failed > 0 ? 1 : 0);
