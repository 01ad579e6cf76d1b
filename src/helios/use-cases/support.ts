/** Small helpers shared by the HELIOS use cases: blobs, connector configuration. */
import { Readable } from 'node:stream';
import type { Deps } from '../../app/deps.ts';
import type { Db } from '../../platform/db/database.ts';
import { connectorConfigFor } from '../../connectors/connectors.ts';
import { TDT_HELIOS, type TdtHeliosConfig } from '../tdt-connector.ts';

const MAX_EVIDENCE = 200 * 1024 * 1024;

export interface StoredBlob {
  sha256: string;
  size: number;
}

export async function putBytes(deps: Deps, bytes: Uint8Array): Promise<StoredBlob> {
  const s = await deps.blobs.put(Readable.from([Buffer.from(bytes)]), { maxBytes: MAX_EVIDENCE });
  return { sha256: s.sha256, size: s.size };
}

export async function blobRow(trx: Db, b: StoredBlob, mediaType: string): Promise<void> {
  await trx.insertInto('blob').values({ sha256: b.sha256, size: b.size, media_type: mediaType }).onConflict((oc) => oc.column('sha256').doNothing()).execute();
}

/** Records a blob as a document of the dossier. */
export async function attachDocument(trx: Db, collectiviteId: string, dossierId: string, b: StoredBlob, role: 'principal' | 'evidence', filename: string, mediaType: string, createdBy: string | null): Promise<void> {
  await blobRow(trx, b, mediaType);
  await trx.insertInto('document').values({ collectivite_id: collectiviteId, dossier_id: dossierId, role, filename, media_type: mediaType, size: b.size, sha256: b.sha256, created_by: createdBy }).execute();
}

export async function readBlob(deps: Deps, sha256: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of deps.blobs.open(sha256)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export function heliosConfig(deps: Deps, collectiviteId: string): Promise<TdtHeliosConfig> {
  return connectorConfigFor<TdtHeliosConfig>(deps.db, deps.connectors, collectiviteId, TDT_HELIOS);
}
