/**
 * Test helpers: independent schema checks with xmllint (libxml2-utils) on the conformance copies of the
 * DGFiP schemas. A missing xmllint makes the caller fail loudly (spawn error), never skip.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conformanceDir } from '../../shared/paths.ts';

const PES_517 = join(conformanceDir, 'iparapheur-v5-xsd/src/test/resources/xsd/schemas_pes_v5.17');
export const CONFORMANCE_ACQUIT_XSD = join(PES_517, 'PES_V2/Rev0/PES_V2_Acquit_Autonome_V2.xsd');
export const CONFORMANCE_RETOUR_XSD = join(PES_517, 'PES_V2/RETOUR/Rev0/PES_Retour.xsd');
export const CONFORMANCE_ALLER_XSD = join(PES_517, 'PES_V2/Rev0/PES_Aller.xsd');

/** Runs `xmllint --noout --schema XSD file`; returns its verdict and output. */
export function xmllintSchema(bytes: Uint8Array, xsd: string): { valid: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-xmllint-'));
  const file = join(dir, 'doc.xml');
  writeFileSync(file, bytes);
  const r = spawnSync('xmllint', ['--noout', '--nonet', '--schema', xsd, file], { encoding: 'utf8' });
  if (r.error) throw new Error(`xmllint could not run (install Debian package libxml2-utils): ${r.error.message}`);
  return { valid: r.status === 0, output: `${r.stdout}${r.stderr}` };
}
