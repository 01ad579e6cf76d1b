/**
 * Client of the XSD validation worker (xsd-worker.mjs): one worker thread for the process, shared by every
 * validation, answering in the order of the requests. Running libxml2 there has two effects:
 * - the schema validation of a batch runs while the main thread scans the next text and applies the
 *   business rules (the two no longer add up in time);
 * - libxml2-wasm is loaded by Node without tsx, which saves about 170 MB of resident memory (see the
 *   worker's header).
 * The worker does not keep the process alive when idle.
 */
import { accessSync, constants } from 'node:fs';
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

let worker: Worker | undefined;
const pending = new Map<number, Pending>();
let nextId = 1;

function failAll(e: Error): void {
  const all = [...pending.values()];
  pending.clear();
  worker = undefined;
  for (const p of all) p.reject(e);
}

function theWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(join(repoRoot, 'src/helios/pes/xsd-worker.mjs'), { execArgv: [] });
  w.on('message', (m: { id: number; issues?: LibxmlIssue[]; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) w.unref();
    if (m.error !== undefined) p.reject(new Error(`XSD validation worker: ${m.error}`));
    else p.resolve(m.issues ?? []);
  });
  w.on('error', (e) => {
    if (worker === w) failAll(e);
  });
  w.on('exit', (code) => {
    if (worker === w) failAll(new Error(`XSD validation worker exited (code ${code})`));
  });
  w.unref();
  worker = w;
  return w;
}

class WorkerXsdValidator implements XsdBatchValidator {
  constructor(private readonly schemaPath: string) {}

  validate(text: string): Promise<LibxmlIssue[]> {
    const w = theWorker();
    const id = nextId++;
    return new Promise((resolve, reject) => {
      if (pending.size === 0) w.ref();
      pending.set(id, { resolve, reject });
      w.postMessage({ id, schemaPath: this.schemaPath, text });
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
