/**
 * Worker thread of c14n.ts: exclusive XML canonicalization (without comments) by libxml2-wasm, the same C14N
 * code as xmlsec1. Called synchronously by the main thread (see c14n.ts): each request comes on the port,
 * the reply is posted on the port, then the shared signal is raised.
 *
 * Plain JavaScript on purpose: the worker is started without tsx (`execArgv: []`), because libxml2-wasm
 * imported through tsx's loader costs about 170 MB of resident memory (tsx rewrites its 1 MB module,
 * which embeds the WebAssembly binary, and builds a source map for it); imported by Node, about 15 MB.
 *
 * Request: { fragment: string | Uint8Array, digest?: string }  (digest: node:crypto name; absent = return the
 *          bytes; a Uint8Array fragment is an XML document in bytes that declares its own encoding)
 * Reply:   { bytes: Uint8Array } or { parseError: string } or { error: string }
 * Batches (the asynchronous pool of c14n.ts): { id, jobs: Job[] } answered by { id, replies: Reply[] }, where a
 * Job is a request as above or a SignedInfo job { signedProperties, signedInfo: [before, after] }: the digest
 * of the SignedProperties is written between `before` and `after`, and the reply's bytes are the canonical
 * SignedInfo followed by that digest's 32 bytes.
 */
import { workerData } from 'node:worker_threads';
import { createHash } from 'node:crypto';

const { port, signal } = workerData;
// loaded here so that a failure is answered (the caller waits synchronously and cannot see an 'error' event)
let lib;
let loadError;
try {
  lib = await import('libxml2-wasm');
} catch (e) {
  loadError = e instanceof Error ? e.message : String(e);
}

function canonicalize(fragment, digest) {
  if (loadError) throw new Error(`libxml2-wasm failed to load: ${loadError}`);
  const { ParseOption, XmlDocument, XmlParseError, XmlC14NMode } = lib;
  const EXC = { mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0, withComments: false };
  let doc;
  try {
    // No DTD loading, no network, no entity substitution: the input was already checked for DOCTYPE.
    doc = XmlDocument.fromBuffer(typeof fragment === 'string' ? Buffer.from(fragment, 'utf8') : fragment, { option: ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_HUGE });
  } catch (e) {
    const detail = e instanceof XmlParseError ? e.details.map((d) => d.message.trim()).join('; ') : e.message;
    return { parseError: detail };
  }
  try {
    if (digest) {
      const hash = createHash(digest);
      doc.canonicalize({ write: (buf) => (hash.update(buf), buf.length), close: () => true }, EXC);
      return { bytes: hash.digest() };
    }
    const parts = [];
    doc.canonicalize({ write: (buf) => (parts.push(Buffer.from(buf)), buf.length), close: () => true }, EXC);
    return { bytes: Buffer.concat(parts) };
  } finally {
    doc.dispose();
  }
}

function answer(req) {
  try {
    if (req.signedInfo) {
      const sp = canonicalize(req.signedProperties, 'sha256');
      if (!sp.bytes) return sp;
      const [before, after] = req.signedInfo;
      const si = canonicalize(before + Buffer.from(sp.bytes).toString('base64') + after);
      return si.bytes ? { bytes: Buffer.concat([si.bytes, sp.bytes]) } : si;
    }
    return canonicalize(req.fragment, req.digest);
  } catch (e) {
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

port.on('message', (req) => {
  if (req.jobs) {
    // exact-size copies, transferred: a Buffer may be a view on Node's shared pool, never transfer that
    const replies = req.jobs.map(answer).map((r) => (r.bytes ? { bytes: new Uint8Array(r.bytes) } : r));
    port.postMessage({ id: req.id, replies }, replies.flatMap((r) => (r.bytes ? [r.bytes.buffer] : [])));
    return;
  }
  port.postMessage(answer(req));
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
