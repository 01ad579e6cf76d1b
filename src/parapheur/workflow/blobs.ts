import { Readable } from 'node:stream';
import type { Deps } from '../../app/deps.ts';
import type { Db } from '../../platform/db/database.ts';
import { partsAsBuffers, partsLength, type PdfParts } from '../signature/pades/pdf-parts.ts';

export async function readBlob(deps: Deps, sha256: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of deps.blobs.open(sha256)) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/** Stores bytes, or consecutive parts of one file, in the blob store (without copying them). */
export async function putBlob(deps: Deps, bytes: Uint8Array | PdfParts): Promise<string> {
  const parts = bytes instanceof Uint8Array ? [bytes] : bytes;
  const stored = await deps.blobs.put(Readable.from(partsAsBuffers(parts)), { maxBytes: partsLength(parts) + 1 });
  return stored.sha256;
}

export async function recordBlob(trx: Db, sha256: string, size: number, mediaType: string): Promise<void> {
  await trx.insertInto('blob').values({ sha256, size, media_type: mediaType }).onConflict((oc) => oc.column('sha256').doNothing()).execute();
}
