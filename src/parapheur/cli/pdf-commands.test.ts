import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestPki, type TestPki } from '../../../test/support/pki.ts';
import { runAsync } from '../../../test/support/tools.ts';
import { startTestTsa, type TestTsa } from '../../../test/support/tsa-server.ts';
import { makeTestPdf } from '../signature/pades/test-pdf.ts';

let dir: string;
let pki: TestPki;
let tsa: TestTsa;
let entry: string;
let input: string;

/**
 * Runs the pdf commands in a child process through a tiny entry file, as `paraphe pdf …` would. Asynchronous:
 * the CRL and TSA servers live in this process and must keep answering.
 */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runAsync(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: resolve('.') });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paraphe-cli-'));
  pki = await createTestPki(join(dir, 'pki'));
  tsa = await startTestTsa(pki);
  entry = join(dir, 'entry.mts');
  const module = resolve('src/parapheur/cli/pdf-commands.ts');
  writeFileSync(entry, `import { createPdfProgram } from ${JSON.stringify(module)};\ncreatePdfProgram().parseAsync(process.argv).catch(() => { process.exitCode = 2; });\n`);
  input = join(dir, 'in.pdf');
  writeFileSync(input, await makeTestPdf({ lines: ['Signature : #signature#'] }));
});
after(async () => {
  await tsa.close();
  await pki.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('paraphe pdf sign / verify', () => {
  it('signs B-T with a mark, then verify prints signer, level and validity with exit code 0', async () => {
    const out = join(dir, 'signed.pdf');
    const s = await cli('pdf', 'sign', '--in', input, '--out', out, '--p12', pki.agents[0].p12Path, '--pass', pki.agents[0].p12Password,
      '--tsa', tsa.url, '--level', 'B-T', '--mark', 'Signé par Alice Martin le 23/11/2026', '--tag', '#signature#', '--trust', pki.trustDir);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /Signé : .*niveau B-T/);
    const v = await cli('pdf', 'verify', '--in', out, '--trust', pki.rootPemPath);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /Signature 1 \(Signature1\) : VALIDE/);
    assert.match(v.stdout, /Signataire : CN=Alice Martin/);
    assert.match(v.stdout, /Niveau : B-T/);
    assert.match(v.stdout, /Horodatage : OK/);
  });

  it('verify exits non-zero on a tampered PDF and on an unknown CA', async () => {
    const out = join(dir, 'signed-bb.pdf');
    assert.equal((await cli('pdf', 'sign', '--in', input, '--out', out, '--p12', pki.seal.p12Path, '--pass', pki.seal.p12Password, '--usage', 'seal', '--trust', pki.trustDir)).code, 0);
    const bytes = readFileSync(out);
    const idx = bytes.indexOf('<', bytes.indexOf('BT')) + 1;
    bytes[idx] = bytes[idx] === 0x34 ? 0x35 : 0x34;
    const tampered = join(dir, 'tampered.pdf');
    writeFileSync(tampered, bytes);
    const v = await cli('pdf', 'verify', '--in', tampered, '--trust', pki.rootPemPath);
    assert.equal(v.code, 1, v.stdout);
    assert.match(v.stdout, /INVALIDE/);
    const u = await cli('pdf', 'verify', '--in', out, '--trust', pki.untrustedRoot.certPath);
    assert.equal(u.code, 1, u.stdout);
    assert.match(u.stdout, /Autorité de certification non reconnue/);
  });

  it('sign refuses a revoked certificate and a non-PDF with the French message and exit code 2', async () => {
    const r = await cli('pdf', 'sign', '--in', input, '--out', join(dir, 'x.pdf'), '--p12', pki.revoked.p12Path, '--pass', pki.revoked.p12Password, '--trust', pki.trustDir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Certificat révoqué/);
    const notPdf = join(dir, 'image.pdf');
    writeFileSync(notPdf, 'GIF89a ceci n’est pas un PDF');
    const n = await cli('pdf', 'sign', '--in', notPdf, '--out', join(dir, 'y.pdf'), '--p12', pki.agents[1].p12Path, '--pass', pki.agents[1].p12Password, '--trust', pki.trustDir);
    assert.equal(n.code, 2);
    assert.match(n.stderr, /Le fichier n’est pas un PDF/);
  });
});
