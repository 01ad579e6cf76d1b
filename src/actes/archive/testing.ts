/**
 * Test support only (imported by *.test.ts): conformance paths and the real `xmllint`. A missing tool
 * makes the calling test fail, never skip.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conformanceDir } from '../../shared/paths.ts';

export const CONFORMANCE_ACTES_XSD = join(conformanceDir, 'sictiam-stela/acte-service/src/main/resources/schemas/actesv1_1.xsd');

export function conformancePath(rel: string): string {
  return join(conformanceDir, rel);
}

export interface XmllintResult {
  valid: boolean;
  output: string;
}

/** Runs `xmllint --noout --schema XSD FILE`; throws if xmllint is not installed. */
export function xmllintSchema(xsd: string, fileOrBytes: string | Uint8Array): XmllintResult {
  let file = typeof fileOrBytes === 'string' ? fileOrBytes : '';
  let dir: string | undefined;
  if (typeof fileOrBytes !== 'string') {
    dir = mkdtempSync(join(tmpdir(), 'actes-xmllint-'));
    file = join(dir, 'doc.xml');
    writeFileSync(file, fileOrBytes);
  }
  try {
    const r = spawnSync('xmllint', ['--noout', '--schema', xsd, file], { encoding: 'utf8' });
    if (r.error) throw new Error(`xmllint is required for this test (apt-get install -y libxml2-utils): ${r.error.message}`);
    return { valid: r.status === 0, output: `${r.stdout}${r.stderr}` };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** `tar tzf` of an archive on disk or in memory (uses the system's tar). */
export function tarList(bytes: Uint8Array): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'actes-tar-'));
  try {
    const file = join(dir, 'a.tar.gz');
    writeFileSync(file, bytes);
    const r = spawnSync('tar', ['tzf', file], { encoding: 'utf8' });
    if (r.error) throw new Error(`tar is required for this test: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`tar tzf failed: ${r.stderr}`);
    return r.stdout.split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
