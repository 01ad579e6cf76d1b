import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../shared/paths.ts';

const paraphe = (...args: string[]) =>
  spawnSync(process.execPath, [join(repoRoot, 'bin/paraphe.mjs'), ...args], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' } });

test('paraphe pes runs the small PES program, which offers the same commands as the full program', () => {
  const small = paraphe('pes', '--help');
  assert.equal(small.status, 0, small.stderr);
  for (const c of ['validate', 'view', 'acquit', 'sign', 'verify']) assert.match(small.stdout, new RegExp(`^  ${c} `, 'm'));
  const full = paraphe('help', 'pes');
  assert.equal(full.status, 0, full.stderr);
  assert.equal(small.stdout, full.stdout);
});

test('paraphe pes validate through bin/paraphe.mjs: exit code 2 and the French message for a missing file', () => {
  const r = paraphe('pes', 'validate', join(repoRoot, 'nonexistent-file.xml'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Refusé : Fichier introuvable/);
});
