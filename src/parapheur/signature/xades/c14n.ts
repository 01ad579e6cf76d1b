/**
 * Exclusive XML canonicalization (without comments) through libxml2 compiled to WebAssembly: the same C14N
 * code as xmlsec1, not ours. Input is a standalone fragment (see standaloneFragment); output is a digest or
 * the canonical bytes.
 *
 * libxml2 runs in a worker thread started without tsx (c14n-worker.mjs explains the ~170 MB this saves),
 * called synchronously: the request is posted, the main thread waits on a shared counter that the worker
 * raises once its reply is on the port, and takes the reply with receiveMessageOnPort. The worker does
 * not keep the process alive.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { AppError } from '../../../shared/errors.ts';
import { repoRoot } from '../../../shared/paths.ts';

interface Reply {
  bytes?: Uint8Array;
  parseError?: string;
  error?: string;
}

/** A reply not raised within this time means the worker is gone (it never takes this long). */
const WAIT_SLICE_MS = 1000;
const MAX_WAIT_MS = 120_000;

let state: { worker: Worker; port: MessagePort; signal: Int32Array; seen: number; exited?: string } | undefined;

function theWorker(): NonNullable<typeof state> {
  if (state && !state.exited) return state;
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(join(repoRoot, 'src/parapheur/signature/xades/c14n-worker.mjs'), {
    execArgv: [],
    workerData: { port: port2, signal },
    transferList: [port2],
  });
  const s: NonNullable<typeof state> = { worker, port: port1, signal, seen: 0 };
  worker.on('error', (e) => {
    s.exited = `error: ${e.message}`;
  });
  worker.on('exit', (code) => {
    s.exited ??= `exit code ${code}`;
  });
  worker.unref();
  port1.unref();
  state = s;
  return s;
}

function call(fragment: string | Uint8Array, digest?: string): Buffer {
  const s = theWorker();
  s.port.postMessage({ fragment, digest });
  let waited = 0;
  while (Atomics.load(s.signal, 0) === s.seen) {
    if (s.exited || waited >= MAX_WAIT_MS) {
      state = undefined;
      void s.worker.terminate();
      throw new Error(`c14n worker did not answer (${s.exited ?? `${MAX_WAIT_MS} ms`})`);
    }
    Atomics.wait(s.signal, 0, s.seen, WAIT_SLICE_MS);
    waited += WAIT_SLICE_MS;
  }
  s.seen++;
  const msg = receiveMessageOnPort(s.port);
  if (!msg) throw new Error('c14n worker raised its signal without a reply');
  const reply = msg.message as Reply;
  if (reply.parseError !== undefined) {
    throw new AppError('BAD_INPUT', 'Une partie du fichier XML à signer est illisible.', `fragment parse failure: ${reply.parseError}`);
  }
  if (reply.error !== undefined || !reply.bytes) throw new Error(`c14n worker: ${reply.error ?? 'empty reply'}`);
  return Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength);
}

/** Digest (node:crypto name, e.g. 'sha256') of the exclusive c14n of a standalone fragment. */
export function excC14nDigest(fragment: string | Uint8Array, algorithm = 'sha256'): Buffer {
  return call(fragment, algorithm);
}

/** Exclusive c14n bytes (UTF-8) of a standalone fragment. */
export function excC14nBytes(fragment: string | Uint8Array): Buffer {
  return call(fragment);
}

/**
 * A job of the asynchronous pool: a fragment to canonicalize (a string, or bytes of an XML document declaring
 * its own encoding: an ISO-8859-1 bordereau is sent as its original bytes, never decoded), or a SignedInfo
 * job (see c14n-worker.mjs).
 */
export type C14nJob =
  | { fragment: string | Uint8Array; digest?: string }
  | { signedProperties: string; signedInfo: [before: string, after: string] };

interface PoolWorker {
  worker: Worker;
  port: MessagePort;
  pending: Map<number, { resolve: (r: Reply[]) => void; reject: (e: Error) => void }>;
  exited?: string;
}

/** Workers of the asynchronous pool: two (the main thread scans and writes meanwhile), fewer on one core. */
export function c14nPoolSize(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

/**
 * libxml2 exclusive c14n on several worker threads at once, asynchronously: the caller keeps working (scanning
 * the rest of the file) while bordereaux are canonicalized and hashed. Each job list goes to the worker with the
 * fewest pending lists. Close it when done (the workers are terminated).
 */
export class C14nPool {
  readonly #workers: PoolWorker[] = [];
  #nextId = 1;

  constructor(size = c14nPoolSize()) {
    for (let i = 0; i < size; i++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(join(repoRoot, 'src/parapheur/signature/xades/c14n-worker.mjs'), {
        execArgv: [],
        workerData: { port: port2, signal: new Int32Array(new SharedArrayBuffer(4)) },
        transferList: [port2],
        resourceLimits: { maxYoungGenerationSizeMb: 2 },
      });
      const w: PoolWorker = { worker, port: port1, pending: new Map() };
      const fail = (why: string) => {
        w.exited ??= why;
        for (const p of w.pending.values()) p.reject(new Error(`c14n worker stopped (${why})`));
        w.pending.clear();
      };
      worker.on('error', (e) => fail(`error: ${e.message}`));
      worker.on('exit', (code) => fail(`exit code ${code}`));
      port1.on('message', (msg: { id: number; replies: Reply[] }) => {
        const p = w.pending.get(msg.id);
        if (!p) return;
        w.pending.delete(msg.id);
        if (w.pending.size === 0) port1.unref();
        p.resolve(msg.replies);
      });
      port1.unref();
      worker.unref();
      this.#workers.push(w);
    }
  }

  /** Canonicalizes the jobs in order; fragment bytes are transferred (the caller must not reuse them). */
  run(jobs: C14nJob[]): Promise<Buffer[]> {
    const live = this.#workers.filter((w) => !w.exited);
    if (live.length === 0) return Promise.reject(new Error(`c14n workers stopped (${this.#workers[0]?.exited})`));
    const w = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.#nextId++;
    const transfer = jobs.flatMap((j) => ('fragment' in j && typeof j.fragment !== 'string' ? [j.fragment.buffer as ArrayBuffer] : []));
    return new Promise<Reply[]>((resolve, reject) => {
      w.pending.set(id, { resolve, reject });
      w.port.ref();
      w.port.postMessage({ id, jobs }, transfer);
    }).then((replies) => replies.map(toBuffer));
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
  }
}

function toBuffer(reply: Reply): Buffer {
  if (reply.parseError !== undefined) {
    throw new AppError('BAD_INPUT', 'Une partie du fichier XML à signer est illisible.', `fragment parse failure: ${reply.parseError}`);
  }
  if (reply.error !== undefined || !reply.bytes) throw new Error(`c14n worker: ${reply.error ?? 'empty reply'}`);
  return Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength);
}
