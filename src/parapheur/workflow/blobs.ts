import { Readable } from 'node:stream';
import type { Deps } from '../../app/deps.ts';
import type { Db } from '../../platform/db/database.ts';

export async function readBlob(deps: Deps, sha256: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of deps.blobs.open(sha256)) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/** Stores bytes in the blob store and records the blob row in the caller's transaction. */
export async function putBlob(deps: Deps, bytes: Uint8Array): Promise<string> {
  const stored = await deps.blobs.put(Readable.from([Buffer.from(bytes)]), { maxBytes: bytes.length + 1 });
  return stored.sha256;
}

export async function recordBlob(trx: Db, sha256: string, size: number, mediaType: string): Promise<void> {
  await trx.insertInto('blob').values({ sha256, size, media_type: mediaType }).onConflict((oc) => oc.column('sha256').doNothing()).execute();
}
