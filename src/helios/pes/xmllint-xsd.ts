/**
 * The XSD verdict on a whole PES_Aller from libxml2's own `xmllint --stream --schema` (Debian's
 * libxml2-utils), when the machine has it. It runs in its own process, on the other core, while the fast
 * path (aller-fast.ts) reads the same file for the business rules: the verdict is xmllint's by definition,
 * and the WebAssembly libxml2 of the batches (xsd-pool.ts) is left for machines without xmllint and for the
 * exact path, which places and words each finding. Only a yes or no is taken from xmllint: any complaint
 * sends the file to the exact path.
 *
 * Hostile input: no network (--nonet), no DTD loading or entity substitution (xmllint's defaults), the file
 * is read by xmllint itself (a path) or from a pipe (bytes), and the process is killed as soon as the fast
 * path gives up or the time limit passes.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { PesSource } from './input.ts';

export interface WholeFileXsd {
  /** Starts the validation of `src`; resolves true when xmllint says it is valid. */
  validate(src: PesSource, schemaPath: string): { verdict: Promise<boolean>; cancel(): void };
}

let found: string | null | undefined;

/** `xmllint` on the PATH (checked once), unless PARAPHE_PES_XMLLINT=off. */
export function findXmllint(): string | null {
  if (process.env.PARAPHE_PES_XMLLINT === 'off') return null;
  if (found === undefined) {
    const res = spawnSync('xmllint', ['--version'], { encoding: 'utf8', timeout: 10_000 });
    found = !res.error && res.status === 0 ? 'xmllint' : null;
  }
  return found;
}

export class XmllintXsd implements WholeFileXsd {
  constructor(
    private readonly command: string,
    private readonly timeoutMs = 10 * 60_000,
  ) {}

  validate(src: PesSource, schemaPath: string): { verdict: Promise<boolean>; cancel(): void } {
    const child = spawn(this.command, ['--stream', '--noout', '--nonet', '--schema', schemaPath, typeof src === 'string' ? src : '-'], {
      stdio: [typeof src === 'string' ? 'ignore' : 'pipe', 'ignore', 'ignore'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), this.timeoutMs);
    const verdict = new Promise<boolean>((resolve) => {
      child.on('error', () => resolve(false));
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve(code === 0);
      });
    });
    if (typeof src !== 'string') {
      child.stdin!.on('error', () => undefined); // xmllint may stop reading early (killed, or a fatal error)
      child.stdin!.end(src);
    }
    return { verdict, cancel: () => child.kill('SIGKILL') };
  }
}
