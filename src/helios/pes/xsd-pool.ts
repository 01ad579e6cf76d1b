/**
 * Client of the XSD validation workers (xsd-worker.mjs): up to two worker threads for the process, shared by
 * every validation (each request answered by its own id; xsd-stream.ts puts the answers back in document
 * order). Running libxml2 there has two effects:
 * - the schema validation of a batch runs while the main thread scans the next text and applies the
 *   business rules (the two no longer add up in time);
 * - libxml2-wasm is loaded by Node without tsx, which saves about 170 MB of resident memory (see the
 *   worker's header).
 * The worker does not keep the process alive when idle.
 */
import { accessSync, constants } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import { repoRoot } from '../../shared/paths.ts';

export interface LibxmlIssue {
  line: number | undefined;
  message: string;
  fatal: boolean;
}

/** Validates one complete XML text against an XSD set. */
export interface XsdBatchValidator {
  validate(text: string): Promise<LibxmlIssue[]>;
}

interface Pending {
  resolve(issues: LibxmlIssue[]): void;
  reject(e: Error): void;
}

/**
 * Two workers at most: batches are independent, so on a machine with two cores or more two of them are
 * validated at the same time (xmllint uses one core; libxml2 in WebAssembly is the slower part of our
 * validation). Each worker costs its own libxml2 heap (about 15 MB plus the tree of one batch); the
 * scanner bounds the batches in flight (xsd-stream.ts), so memory stays bounded.
 */
const POOL_SIZE = Math.max(1, Math.min(2, availableParallelism()));

interface PoolWorker {
  w: Worker;
  pending: Map<number, Pending>;
}

const pool: (PoolWorker | undefined)[] = [];
let nextId = 1;

function failAll(slot: number, pw: PoolWorker, e: Error): void {
  if (pool[slot] === pw) pool[slot] = undefined;
  const all = [...pw.pending.values()];
  pw.pending.clear();
  for (const p of all) p.reject(e);
}

function startWorker(slot: number): PoolWorker {
  const w = new Worker(join(repoRoot, 'src/helios/pes/xsd-worker.mjs'), { execArgv: [] });
  const pw: PoolWorker = { w, pending: new Map() };
  w.on('message', (m: { id: number; issues?: LibxmlIssue[]; error?: string }) => {
    const p = pw.pending.get(m.id);
    if (!p) return;
    pw.pending.delete(m.id);
    if (pw.pending.size === 0) w.unref();
    if (m.error !== undefined) p.reject(new Error(`XSD validation worker: ${m.error}`));
    else p.resolve(m.issues ?? []);
  });
  w.on('error', (e) => failAll(slot, pw, e));
  w.on('exit', (code) => failAll(slot, pw, new Error(`XSD validation worker exited (code ${code})`)));
  w.unref();
  pool[slot] = pw;
  return pw;
}

/** The least busy worker; a second one is started only when the first is busy. */
function aWorker(): PoolWorker {
  let best: PoolWorker | undefined;
  for (let i = 0; i < POOL_SIZE; i++) {
    const pw = pool[i];
    if (!pw) {
      if (!best || best.pending.size > 0) return startWorker(i);
      continue;
    }
    if (!best || pw.pending.size < best.pending.size) best = pw;
  }
  return best!;
}

class WorkerXsdValidator implements XsdBatchValidator {
  constructor(private readonly schemaPath: string) {}

  validate(text: string): Promise<LibxmlIssue[]> {
    const pw = aWorker();
    const id = nextId++;
    return new Promise((resolve, reject) => {
      if (pw.pending.size === 0) pw.w.ref();
      pw.pending.set(id, { resolve, reject });
      pw.w.postMessage({ id, schemaPath: this.schemaPath, text });
    });
  }
}

const validators = new Map<string, XsdBatchValidator>();

/** The validator of the XSD set whose entry file is given (imports resolve through file:// URLs). */
export function xsdValidatorFor(schemaPath: string): XsdBatchValidator {
  let v = validators.get(schemaPath);
  if (v) return v;
  try {
    accessSync(schemaPath, constants.R_OK);
  } catch (e) {
    throw new AppError('INTERNAL', 'Le schéma PES configuré est introuvable.', `PES schema missing: ${schemaPath}: ${(e as Error).message}`);
  }
  v = new WorkerXsdValidator(schemaPath);
  validators.set(schemaPath, v);
  return v;
}

/** Worker threads started and alive (for tests and diagnostics). */
export function xsdWorkersAlive(): number {
  return pool.filter((pw) => pw !== undefined).length;
}
