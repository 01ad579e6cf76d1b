#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node:test (through tsx) and prints the totals.
// Usage: node scripts/run-tests.mjs [--label NAME] [--counts FILE] [--db-only] [--list] [filter...]
// --db-only keeps the files that reach the test database (test/support/test-db.ts) through their imports: the
// PostgreSQL pass runs those; pure library tests (PDF, XML, crypto...) do not depend on the database.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdirSync, existsSync, appendFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';

const args = process.argv.slice(2);
let label = 'tests';
let countsFile;
const filters = [];
let dbOnly = false;
let listOnly = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--label') label = args[++i];
  else if (args[i] === '--db-only') dbOnly = true;
  else if (args[i] === '--list') listOnly = true;
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
  .sort()
  .filter((f) => !dbOnly || reachesTestDb(f));
if (files.length === 0) {
  console.error('no test file matched');
  process.exit(1);
}
/** Whether the file imports (at run time, transitively) the test database support. */
function reachesTestDb(file) {
  const target = resolve('test/support/test-db.ts');
  const seen = new Set();
  const stack = [resolve(file)];
  while (stack.length) {
    const f = stack.pop();
    if (f === target) return true;
    if (seen.has(f) || !existsSync(f)) continue;
    seen.add(f);
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) {
      stack.push(resolve(dirname(f), m[1] ?? m[2]));
    }
  }
  return false;
}

if (listOnly) {
  console.log(files.join('\n'));
  process.exit(0);
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
