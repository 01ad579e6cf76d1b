import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestPki, type TestPki } from '../../../test/support/pki.ts';
import { runAsync } from '../../../test/support/tools.ts';
import { startTestTsa, type TestTsa } from '../../../test/support/tsa-server.ts';

let dir: string;
let pki: TestPki;
let tsa: TestTsa;
let entry: string;
let content: string;

/** Runs the cades commands in a child process (the CRL and TSA servers live in this one and must keep answering). */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runAsync(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: resolve('.') });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paraphe-cades-cli-'));
  pki = await createTestPki(join(dir, 'pki'));
  tsa = await startTestTsa(pki);
  entry = join(dir, 'entry.mts');
  const module = resolve('src/parapheur/cli/cades-commands.ts');
  writeFileSync(entry, `import { createCadesProgram } from ${JSON.stringify(module)};\ncreateCadesProgram().parseAsync(process.argv).catch(() => { process.exitCode = 2; });\n`);
  content = join(dir, 'tableau.csv');
  writeFileSync(content, 'année;dépenses\n2026;125000\n');
});
after(async () => {
  await tsa.close();
  await pki.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('paraphe cades sign / verify', () => {
  it('signs B-T; verify prints a JSON report (exit 0), openssl cms agrees, and a modified file exits 1', async () => {
    const out = join(dir, 'tableau.csv.p7s');
    const s = await cli('cades', 'sign', '--content', content, '--p12', pki.agents[0].p12Path, '--pass', pki.agents[0].p12Password, '--out', out, '--tsa', tsa.url, '--trust', pki.trustDir);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /Signé : .*CAdES B-T/);
    const v = await cli('cades', 'verify', '--signature', out, '--content', content, '--ca', pki.rootPemPath);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const report = JSON.parse(v.stdout) as { valid: boolean; signatures: { signer: { subject: string }; level: string; signingTime: string }[] };
    assert.equal(report.valid, true);
    assert.match(report.signatures[0]!.signer.subject, /CN=Alice Martin/);
    assert.equal(report.signatures[0]!.level, 'B-T');
    assert.ok(report.signatures[0]!.signingTime);
    const o = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', out, '-content', content, '-CAfile', pki.rootPemPath, '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
    assert.equal(o.status, 0, o.stderr);

    const modified = join(dir, 'tableau-modifie.csv');
    writeFileSync(modified, 'année;dépenses\n2026;925000\n');
    const bad = await cli('cades', 'verify', '--signature', out, '--content', modified, '--ca', pki.rootPemPath);
    assert.equal(bad.code, 1, bad.stdout);
    assert.equal((JSON.parse(bad.stdout) as { valid: boolean }).valid, false);
    const untrusted = await cli('cades', 'verify', '--signature', out, '--content', content, '--ca', pki.untrustedRoot.certPath);
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stdout, /Autorité de certification non reconnue/);

    // --cosign: the seal joins the agent's .p7s; verify reports both signers; a .p7s over another file is refused.
    const co = join(dir, 'tableau.csv.cosigne.p7s');
    const c = await cli('cades', 'sign', '--cosign', out, '--content', content, '--p12', pki.seal.p12Path, '--pass', pki.seal.p12Password, '--usage', 'seal', '--out', co, '--trust', pki.trustDir);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /Co-signé : .*CAdES B-B/);
    const cv = await cli('cades', 'verify', '--signature', co, '--content', content, '--ca', pki.rootPemPath);
    assert.equal(cv.code, 0, cv.stdout + cv.stderr);
    const both = JSON.parse(cv.stdout) as { valid: boolean; signatures: { signer: { subject: string }; level: string; valid: boolean }[] };
    assert.deepEqual(both.signatures.map((x) => [x.signer.subject.replace(/,.*/, ''), x.level, x.valid]), [['CN=Alice Martin', 'B-T', true], ['CN=Cachet serveur Commune de Testville', 'B-B', true]]);
    const other = await cli('cades', 'sign', '--cosign', out, '--content', modified, '--p12', pki.seal.p12Path, '--pass', pki.seal.p12Password, '--usage', 'seal', '--out', join(dir, 'y.p7s'), '--trust', pki.trustDir);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /Co-signature impossible : la signature existante porte sur un autre document/);
  });

  it('sign refuses a revoked certificate with the French message and exit code 2', async () => {
    const r = await cli('cades', 'sign', '--content', content, '--p12', pki.revoked.p12Path, '--pass', pki.revoked.p12Password, '--out', join(dir, 'x.p7s'), '--trust', pki.trustDir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Certificat révoqué/);
    const n = await cli('cades', 'verify', '--signature', content, '--content', content, '--ca', pki.rootPemPath);
    assert.equal(n.code, 1);
    assert.match(n.stdout, /Signature CMS illisible/);
  });
});
