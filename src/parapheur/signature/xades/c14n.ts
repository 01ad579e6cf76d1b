/**
 * Exclusive XML canonicalization (without comments) through libxml2 compiled to WebAssembly: the same C14N
 * code as xmlsec1, not ours. Input is a standalone fragment (see standaloneFragment); output is streamed
 * into a hash or collected as bytes.
 */
import { createHash, type Hash } from 'node:crypto';
import { ParseOption, XmlDocument, XmlParseError, XmlC14NMode, type XmlOutputBufferHandler } from 'libxml2-wasm';
import { AppError } from '../../../shared/errors.ts';

function withDoc<T>(fragment: string, fn: (doc: XmlDocument) => T): T {
  let doc: XmlDocument;
  try {
    // No DTD loading, no network, no entity substitution: the input was already checked for DOCTYPE.
    doc = XmlDocument.fromBuffer(Buffer.from(fragment, 'utf8'), { option: ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_HUGE });
  } catch (e) {
    const detail = e instanceof XmlParseError ? e.details.map((d) => d.message.trim()).join('; ') : (e as Error).message;
    throw new AppError('BAD_INPUT', 'Une partie du fichier XML à signer est illisible.', `fragment parse failure: ${detail}`);
  }
  try {
    return fn(doc);
  } finally {
    doc.dispose();
  }
}

class HashHandler implements XmlOutputBufferHandler {
  constructor(readonly hash: Hash) {}
  write(buf: Uint8Array): number {
    this.hash.update(buf);
    return buf.length;
  }
  close(): boolean {
    return true;
  }
}

class BytesHandler implements XmlOutputBufferHandler {
  readonly parts: Buffer[] = [];
  write(buf: Uint8Array): number {
    this.parts.push(Buffer.from(buf));
    return buf.length;
  }
  close(): boolean {
    return true;
  }
}

const EXC = { mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0, withComments: false } as const;

/** Digest (node:crypto name, e.g. 'sha256') of the exclusive c14n of a standalone fragment. */
export function excC14nDigest(fragment: string, algorithm = 'sha256'): Buffer {
  return withDoc(fragment, (doc) => {
    const h = new HashHandler(createHash(algorithm));
    doc.canonicalize(h, EXC);
    return h.hash.digest();
  });
}

/** Exclusive c14n bytes (UTF-8) of a standalone fragment. */
export function excC14nBytes(fragment: string): Buffer {
  return withDoc(fragment, (doc) => {
    const h = new BytesHandler();
    doc.canonicalize(h, EXC);
    return Buffer.concat(h.parts);
  });
}
