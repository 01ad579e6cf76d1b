/**
 * Opening a PES file safely: size limit first, then a look at the first bytes only (encoding, DOCTYPE,
 * root element and namespace), then decoded text chunks for the streaming readers. Nothing here holds
 * the whole file in memory.
 */
import { open, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import iconv from 'iconv-lite';
import { AppError } from '../../shared/errors.ts';
import { assertNoDoctype, declaredEncoding } from '../../shared/xml/safe-xml.ts';

/** A PES given as a file path (streamed) or as bytes already in memory (uploads, tests). */
export type PesSource = string | Uint8Array;

export const PES_NS = {
  aller: 'http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller',
  acquit: 'http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour/v2',
  retour: 'http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour',
} as const;

export type PesKind = 'PES_Aller' | 'PES_ACQUIT' | 'PES_Retour';

const ROOT_NS: Record<PesKind, string> = {
  PES_Aller: PES_NS.aller,
  PES_ACQUIT: PES_NS.acquit,
  PES_Retour: PES_NS.retour,
};

export interface PesSniff {
  kind: PesKind;
  /** Encoding named by the XML declaration (UTF-8 when none), upper-case. */
  encoding: string;
  rootPrefix: string | undefined;
  rootNamespace: string | undefined;
  sizeBytes: number;
}

const HEAD_BYTES = 64 * 1024;
const CHUNK_BYTES = 1024 * 1024;

export async function sourceSize(src: PesSource): Promise<number> {
  if (typeof src !== 'string') return src.byteLength;
  try {
    return (await stat(src)).size;
  } catch (e) {
    throw new AppError('NOT_FOUND', `Fichier introuvable : ${src}.`, `cannot stat ${src}: ${(e as Error).message}`, { path: src });
  }
}

async function readHead(src: PesSource): Promise<Buffer> {
  if (typeof src !== 'string') return Buffer.from(src.buffer, src.byteOffset, Math.min(src.byteLength, HEAD_BYTES));
  const fh = await open(src, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export function assertSize(sizeBytes: number, maxFileBytes: number): void {
  if (sizeBytes > maxFileBytes) {
    const mo = (n: number) => (n / 1024 / 1024).toFixed(1).replace('.', ',');
    throw new AppError(
      'PAYLOAD_TOO_LARGE',
      `Le fichier PES fait ${mo(sizeBytes)} Mo, au-delà de la taille maximale autorisée (${mo(maxFileBytes)} Mo).`,
      `PES file of ${sizeBytes} bytes exceeds the limit of ${maxFileBytes} bytes`,
      { sizeBytes, maxFileBytes },
    );
  }
}

const notXml = (why: string) =>
  new AppError('BAD_INPUT', 'Le fichier n’est pas un document XML.', `not an XML document: ${why}`);

/**
 * Checks size, encoding, DOCTYPE and root element. `expect` restricts the accepted roots.
 */
export async function sniffPes(src: PesSource, maxFileBytes: number, expect?: PesKind[]): Promise<PesSniff> {
  const sizeBytes = await sourceSize(src);
  assertSize(sizeBytes, maxFileBytes);
  const head = await readHead(src);
  if (head.length === 0) throw notXml('empty file');
  if ((head[0] === 0xfe && head[1] === 0xff) || (head[0] === 0xff && head[1] === 0xfe)) {
    throw new AppError('BAD_INPUT', 'Encodage UTF-16 non pris en charge pour un fichier PES (ISO-8859-1 ou UTF-8 attendu).', 'UTF-16 PES refused');
  }
  const encoding = declaredEncoding(head);
  if (!iconv.encodingExists(encoding)) {
    throw new AppError('BAD_INPUT', `Encodage XML inconnu : ${encoding}.`, `unknown XML encoding ${encoding}`, { encoding });
  }
  const text = iconv.decode(head, encoding).replace(/^\uFEFF/, '');
  const firstNonSpace = /\S/.exec(text);
  if (!firstNonSpace || text[firstNonSpace.index] !== '<') throw notXml('first character is not <');
  assertNoDoctype(text);
  const rootTag = /<(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)((?:\s+[^\s=>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/.exec(
    stripProlog(text),
  );
  if (!rootTag) throw notXml('no root element in the first 64 KiB');
  const [, prefix, local = '', attrs = ''] = rootTag;
  const nsAttr = prefix ? `xmlns:${prefix}` : 'xmlns';
  const nsMatch = new RegExp(`\\s${nsAttr.replace('.', '\\.')}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attrs);
  const rootNamespace = nsMatch ? (nsMatch[1] ?? nsMatch[2]) : undefined;
  const kind = (Object.keys(ROOT_NS) as PesKind[]).find((k) => k === local);
  const accepted = expect ?? (Object.keys(ROOT_NS) as PesKind[]);
  if (!kind || !accepted.includes(kind)) {
    throw new AppError(
      'BAD_INPUT',
      `Élément racine « ${local} » inattendu : ${accepted.join(' ou ')} attendu.`,
      `unexpected root element ${local} (expected ${accepted.join('|')})`,
      { root: local },
    );
  }
  if (rootNamespace !== ROOT_NS[kind]) {
    throw new AppError(
      'BAD_INPUT',
      `Espace de noms de ${kind} inconnu (« ${rootNamespace ?? 'aucun'} ») : version de PES non reconnue, « ${ROOT_NS[kind]} » attendu.`,
      `unknown ${kind} namespace ${rootNamespace ?? '(none)'}`,
      { namespace: rootNamespace },
    );
  }
  return { kind, encoding, rootPrefix: prefix, rootNamespace, sizeBytes };
}

/** Removes the XML declaration, comments and processing instructions before the root. */
function stripProlog(text: string): string {
  let t = text;
  for (;;) {
    const m = /^\s*(<\?[\s\S]*?\?>|<!--[\s\S]*?-->)/.exec(t);
    if (!m) return t;
    t = t.slice(m[0].length);
  }
}

/** A streaming decoder for the encodings PES files use; invalid UTF-8 is an error, as in libxml2. */
function makeDecoder(encoding: string): { write(b: Buffer): string; end(): string } {
  if (encoding === 'UTF-8' || encoding === 'UTF8') {
    const td = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
    const wrap = (f: () => string) => {
      try {
        return f();
      } catch {
        throw new AppError('BAD_INPUT', 'Le fichier contient des octets qui ne sont pas de l’UTF-8 valide alors qu’il déclare UTF-8.', 'invalid UTF-8 bytes');
      }
    };
    return { write: (b) => wrap(() => td.decode(b, { stream: true })), end: () => wrap(() => td.decode()) };
  }
  if (encoding === 'ISO-8859-1' || encoding === 'LATIN1') {
    return { write: (b) => b.toString('latin1'), end: () => '' };
  }
  const d = iconv.getDecoder(encoding);
  return { write: (b) => d.write(b), end: () => d.end() ?? '' };
}

/** Decoded text of the source, chunk by chunk (about 1 MiB of bytes each). */
export async function* decodedChunks(src: PesSource, encoding: string, chunkBytes = CHUNK_BYTES): AsyncGenerator<string> {
  const dec = makeDecoder(encoding);
  let first = true;
  const emit = (s: string) => {
    if (first && s.length > 0) {
      first = false;
      if (s.charCodeAt(0) === 0xfeff) return s.slice(1);
    }
    return s;
  };
  if (typeof src === 'string') {
    for await (const b of createReadStream(src, { highWaterMark: chunkBytes })) {
      const s = emit(dec.write(b as Buffer));
      if (s) yield s;
    }
  } else {
    const buf = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
    for (let off = 0; off < buf.length; off += chunkBytes) {
      const s = emit(dec.write(buf.subarray(off, off + chunkBytes)));
      if (s) yield s;
    }
  }
  const tail = emit(dec.end());
  if (tail) yield tail;
}
