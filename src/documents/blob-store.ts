/**
 * Content-addressed storage: a blob's name is its SHA-256, so identical uploads are stored once and a
 * stored blob can be checked against the journal at any time. The file-system store is the default; an
 * S3-compatible store can implement the same interface.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../shared/errors.ts';

export interface StoredBlob {
  sha256: string;
  size: number;
  /** First bytes, for type sniffing. */
  head: Buffer;
  /** True when the same content was already stored. */
  deduplicated: boolean;
}

export interface BlobStore {
  put(source: Readable, opts: { maxBytes: number }): Promise<StoredBlob>;
  open(sha256: string): Readable;
  exists(sha256: string): Promise<boolean>;
  /** Removes a blob no row references any more (called after a rejected upload). */
  remove(sha256: string): Promise<void>;
}

const HEAD_BYTES = 4100;

export class TooLargeError extends AppError {
  constructor(maxBytes: number) {
    super('PAYLOAD_TOO_LARGE', `Fichier trop volumineux : ${formatBytesFr(maxBytes)} au plus.`, `upload larger than ${maxBytes} bytes`);
  }
}

export function formatBytesFr(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Mo`;
  if (n >= 1024) return `${(n / 1024).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Ko`;
  return `${n} octets`;
}

export class FsBlobStore implements BlobStore {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
    mkdirSync(join(root, 'tmp'), { recursive: true });
  }

  #path(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new AppError('BAD_INPUT', 'Empreinte de document invalide.', 'invalid sha256');
    return join(this.#root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async put(source: Readable, opts: { maxBytes: number }): Promise<StoredBlob> {
    const tmp = join(this.#root, 'tmp', randomBytes(12).toString('hex'));
    const hash = createHash('sha256');
    let size = 0;
    const headChunks: Buffer[] = [];
    let headLen = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > opts.maxBytes) return cb(new TooLargeError(opts.maxBytes));
        if (headLen < HEAD_BYTES) {
          headChunks.push(chunk.subarray(0, HEAD_BYTES - headLen));
          headLen += Math.min(chunk.length, HEAD_BYTES - headLen);
        }
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(tmp, { flags: 'wx' }));
    } catch (e) {
      await rm(tmp, { force: true });
      // Drain what the client still sends so the HTTP layer can answer cleanly.
      source.resume();
      throw e;
    }
    const sha256 = hash.digest('hex');
    const finalPath = this.#path(sha256);
    const deduplicated = existsSync(finalPath);
    if (deduplicated) await rm(tmp, { force: true });
    else {
      mkdirSync(join(finalPath, '..'), { recursive: true });
      await rename(tmp, finalPath);
    }
    return { sha256, size, head: Buffer.concat(headChunks), deduplicated };
  }

  open(sha256: string): Readable {
    return createReadStream(this.#path(sha256));
  }

  async exists(sha256: string): Promise<boolean> {
    try {
      await stat(this.#path(sha256));
      return true;
    } catch {
      return false;
    }
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.#path(sha256), { force: true });
  }
}
