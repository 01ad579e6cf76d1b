import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../shared/paths.ts';
import { ACCENTED_SAMPLE, xadesTestKeys } from '../../test/support/xades-keys.ts';

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

test('paraphe pes sign through bin/paraphe.mjs: checks each value by default, verifies the whole output with --verify', () => {
  const keys = xadesTestKeys();
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-pes-main-'));
  try {
    const out = join(dir, 'signed.xml');
    const args = ['pes', 'sign', '--in', ACCENTED_SAMPLE, '--out', out, '--p12', keys.p12Path, '--pass', keys.p12Password, '--role', 'Ordonnateur'];
    const quick = paraphe(...args);
    assert.equal(quick.status, 0, quick.stderr);
    assert.match(quick.stdout, /PES signé écrit dans .*signed\.xml.*paraphe pes verify/);
    const verified = paraphe(...args, '--verify');
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stdout, /^1 signature\(s\) dans .*signed\.xml, toutes valides$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
