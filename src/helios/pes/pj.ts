/**
 * PJ content of a PES (PES_PJ/PJ/Contenu/Fichier): gzip then base64. Decoded only on demand, with a
 * zip-bomb guard: decompression streams and stops as soon as the decompressed size passes the limit or
 * the decompressed/compressed ratio passes the configured maximum.
 */
import { createGunzip } from 'node:zlib';
import { AppError } from '../../shared/errors.ts';
import type { PjLimits } from './config.ts';

export type PjContentErrorCode = 'PJ_BASE64' | 'PJ_GZIP' | 'PJ_TROP_GROSSE' | 'PJ_RATIO' | 'PJ_VIDE';

/** Below this decompressed size the ratio is not checked (tiny, very regular files compress a lot). */
const RATIO_FLOOR_BYTES = 1024 * 1024;
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

const mo = (n: number) => `${(n / 1024 / 1024).toFixed(1).replace('.', ',')} Mo`;

function pjError(code: PjContentErrorCode, name: string, fr: string, en: string, extra: Record<string, unknown> = {}): AppError {
  return new AppError('BAD_INPUT', fr, en, { code, pj: name, ...extra });
}

/** Decodes the base64 text (white space allowed) strictly: any other character is an error. */
export function decodePjBase64(b64: string, name = 'PJ'): Buffer {
  const clean = /\s/.test(b64) ? b64.replace(/\s+/g, '') : b64;
  if (clean.length === 0) throw pjError('PJ_VIDE', name, `La PJ « ${name} » n’a pas de contenu.`, `PJ ${name} has no content`);
  if (clean.length % 4 !== 0 || !B64.test(clean)) {
    throw pjError('PJ_BASE64', name, `Le contenu de la PJ « ${name} » n’est pas un base64 valide.`, `PJ ${name}: invalid base64`);
  }
  return Buffer.from(clean, 'base64');
}

/**
 * Decompresses a gzip buffer with the limits. `keep` false only measures (nothing is retained).
 */
export function gunzipBounded(gz: Buffer, limits: PjLimits, name = 'PJ', keep = true): Promise<{ bytes: number; content?: Buffer }> {
  if (gz.length < 18 || gz[0] !== 0x1f || gz[1] !== 0x8b) {
    return Promise.reject(
      pjError('PJ_GZIP', name, `Le contenu de la PJ « ${name} » n’est pas compressé au format gzip (gzip puis base64 attendu).`, `PJ ${name}: not gzip data`),
    );
  }
  return new Promise((resolve, reject) => {
    const z = createGunzip({ chunkSize: 64 * 1024 });
    const parts: Buffer[] = [];
    let total = 0;
    let failed = false;
    const fail = (e: AppError) => {
      if (failed) return;
      failed = true;
      z.destroy();
      reject(e);
    };
    z.on('data', (c: Buffer) => {
      total += c.length;
      if (total > limits.maxDecompressedBytes) {
        return fail(
          pjError('PJ_TROP_GROSSE', name, `La PJ « ${name} » dépasse, une fois décompressée, la taille maximale autorisée (${mo(limits.maxDecompressedBytes)}) : refusée (possible bombe de décompression).`, `PJ ${name}: decompressed size over ${limits.maxDecompressedBytes} bytes`, { limit: limits.maxDecompressedBytes }),
        );
      }
      if (total > RATIO_FLOOR_BYTES && total / gz.length > limits.maxRatio) {
        return fail(
          pjError('PJ_RATIO', name, `La PJ « ${name} » a un taux de compression anormal (plus de ${limits.maxRatio} pour 1) : refusée par sécurité (bombe de décompression).`, `PJ ${name}: compression ratio over ${limits.maxRatio}`, { maxRatio: limits.maxRatio }),
        );
      }
      if (keep) parts.push(c);
    });
    z.on('error', (e) =>
      fail(pjError('PJ_GZIP', name, `Le contenu gzip de la PJ « ${name} » est corrompu ou tronqué.`, `PJ ${name}: gzip error ${e.message}`)),
    );
    z.on('end', () => {
      if (!failed) resolve(keep ? { bytes: total, content: Buffer.concat(parts, total) } : { bytes: total });
    });
    z.end(gz);
  });
}

/** base64 → gzip → bytes, with all checks. */
export async function decodePjContent(b64: string, limits: PjLimits, name = 'PJ'): Promise<Buffer> {
  const r = await gunzipBounded(decodePjBase64(b64, name), limits, name, true);
  return r.content ?? Buffer.alloc(0);
}

/** Same checks without keeping the decompressed bytes; returns the decompressed size. */
export async function checkPjContent(b64: string, limits: PjLimits, name = 'PJ'): Promise<number> {
  return (await gunzipBounded(decodePjBase64(b64, name), limits, name, false)).bytes;
}
