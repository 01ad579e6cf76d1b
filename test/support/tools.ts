/** System tools and child programs run by the tests. */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Runs a system tool; a missing tool is a test failure naming the Debian package to install. */
export function tool(cmd: string, args: string[], pkg: string): { status: number; out: string } {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  if (res.error && (res.error as NodeJS.ErrnoException).code === 'ENOENT') assert.fail(`${cmd} is required for this test: apt-get install -y ${pkg}`);
  return { status: res.status ?? -1, out: `${res.stdout}${res.stderr}` };
}

/** Runs a program without blocking this process (its CRL, TSA or HTTP servers must keep answering). */
export function runAsync(cmd: string, args: string[], options: SpawnOptions = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(cmd, args, options);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
    child.stderr?.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** An NSS database under `dir` trusting `rootCertPath`, for `pdfsig -nssdir sql:<dir>`. */
export function nssDbTrusting(dir: string, rootCertPath: string): string {
  mkdirSync(dir, { recursive: true });
  assert.equal(tool('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password'], 'libnss3-tools').status, 0);
  assert.equal(tool('certutil', ['-A', '-d', `sql:${dir}`, '-n', 'paraphe-test-root', '-t', 'CT,C,C', '-i', rootCertPath], 'libnss3-tools').status, 0);
  return dir;
}


/** Writes `bytes` as `name` in `dir` and returns the path (files handed to the tools above). */
export function writeIn(dir: string, name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}
