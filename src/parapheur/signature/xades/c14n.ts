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

function call(fragment: string, digest?: string): Buffer {
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
export function excC14nDigest(fragment: string, algorithm = 'sha256'): Buffer {
  return call(fragment, algorithm);
}

/** Exclusive c14n bytes (UTF-8) of a standalone fragment. */
export function excC14nBytes(fragment: string): Buffer {
  return call(fragment);
}
