/**
 * Safe entry point for every XML that comes from outside (PES files, préfecture messages, uploads).
 * A DOCTYPE is refused before any parser sees the bytes: this rules out XXE and entity bombs at once,
 * and none of the State's formats (ACTES, PES V2) uses one.
 */
import iconv from 'iconv-lite';
import { DOMParser, type Document } from '@xmldom/xmldom';
import { AppError } from '../errors.ts';

const DECL_ENCODING = /^\uFEFF?<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/;

/** Encoding named by the XML declaration (UTF-8 when none, as XML 1.0 says). */
export function declaredEncoding(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  const m = DECL_ENCODING.exec(head);
  return (m?.[1] ?? 'UTF-8').toUpperCase();
}

/** Refuses a DOCTYPE or ENTITY declaration anywhere in the prolog (they must come before the root). */
export function assertNoDoctype(text: string): void {
  const rootStart = findRootStart(text);
  const prolog = rootStart < 0 ? text : text.slice(0, rootStart);
  if (/<!DOCTYPE/i.test(prolog) || /<!ENTITY/i.test(prolog)) {
    throw new AppError(
      'BAD_INPUT',
      'Le fichier XML contient une déclaration DOCTYPE ou ENTITY, refusée pour raison de sécurité.',
      'XML with a DOCTYPE/ENTITY declaration refused (XXE / entity expansion protection)',
    );
  }
}

function findRootStart(text: string): number {
  const re = /<([A-Za-z_])/g;
  const m = re.exec(text);
  return m ? m.index : -1;
}

/** Decodes bytes per their declaration; refuses unknown encodings. */
export function decodeXml(bytes: Uint8Array): { text: string; encoding: string } {
  const encoding = declaredEncoding(bytes);
  if (!iconv.encodingExists(encoding)) {
    throw new AppError('BAD_INPUT', `Encodage XML inconnu : ${encoding}.`, `unknown XML encoding ${encoding}`);
  }
  const text = iconv.decode(Buffer.from(bytes), encoding).replace(/^\uFEFF/, '');
  assertNoDoctype(text);
  return { text, encoding };
}

/** Encodes a serialised document back to bytes in the given encoding (PES and ACTES are ISO-8859-1). */
export function encodeXml(text: string, encoding: string): Buffer {
  return iconv.encode(text, encoding);
}

/** Parses into a DOM (for signatures and small messages); any well-formedness error is a clear refusal. */
export function parseXmlDom(bytes: Uint8Array): { doc: Document; encoding: string } {
  const { text, encoding } = decodeXml(bytes);
  const errors: string[] = [];
  const parser = new DOMParser({
    onError: (level, msg) => {
      if (level !== 'warning') errors.push(String(msg));
    },
  });
  let doc: Document | undefined;
  try {
    doc = parser.parseFromString(text, 'text/xml');
  } catch (e) {
    errors.push((e as Error).message);
  }
  if (!doc || errors.length > 0 || !doc.documentElement) {
    throw new AppError('BAD_INPUT', 'Le fichier n’est pas un XML bien formé.', `malformed XML: ${errors.join('; ')}`, {
      errors,
    });
  }
  return { doc, encoding };
}
