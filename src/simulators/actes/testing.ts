/**
 * Test support only: runs `paraphe-sim actes` as a separate process (`node bin/paraphe-sim.mjs actes …`)
 * and reads the URLs it prints at start-up.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../shared/paths.ts';

export interface SimulatorProcess {
  ctesUrl: string;
  adminUrl: string;
  /** Process id of the simulator. */
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

export async function spawnActesSimulator(args: string[]): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, [...(process.env.PARAPHE_SIM_NODE_ARGS ?? '').split(' ').filter(Boolean), join(repoRoot, 'bin/paraphe-sim.mjs'), 'actes', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  process.on('exit', () => {
    if (!exited) child.kill('SIGTERM');
  });
  const urls = await new Promise<{ ctesUrl: string; adminUrl: string }>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      const c = /@CTES (https:\/\/\S+)/.exec(out);
      const a = /admin (http:\/\/\S+)/.exec(out);
      if (c && a) resolve({ ctesUrl: c[1]!, adminUrl: a[1]! });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`paraphe-sim exited (${code}) before start-up:\n${out}`)));
  });
  return {
    ...urls,
    pid: child.pid!,
    output: () => out,
    stop: async () => {
      if (!exited) {
        child.kill('SIGTERM');
        await exit;
      }
    },
  };
}
