/** Small helpers shared by the ACTES use cases: evidence blobs, transmission context, current classification. */
import { Readable } from 'node:stream';
import type { Deps } from '../../app/deps.ts';
import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../shared/errors.ts';
import { connectorConfigFor } from '../../connectors/connectors.ts';
import { parisDate, type TransmissionContext } from '../archive/build.ts';
import type { Classification } from '../classification/classification.ts';
import { natureOfCollectiviteType, TDT_ACTES, type TdtActesConfig } from '../tdt-connector.ts';

const MAX_EVIDENCE = 200 * 1024 * 1024;

export interface StoredEvidence {
  sha256: string;
  size: number;
}

/** Writes bytes to the blob store (content-addressed: writing twice is harmless); the row comes with the transaction. */
export async function putBlob(deps: Deps, bytes: Uint8Array): Promise<StoredEvidence> {
  const s = await deps.blobs.put(Readable.from([Buffer.from(bytes)]), { maxBytes: MAX_EVIDENCE });
  return { sha256: s.sha256, size: s.size };
}

export async function blobRow(trx: Db, b: StoredEvidence, mediaType: string): Promise<void> {
  await trx.insertInto('blob').values({ sha256: b.sha256, size: b.size, media_type: mediaType }).onConflict((oc) => oc.column('sha256').doNothing()).execute();
}

/** Records a blob as a document of the dossier (evidence or generated). */
export async function attachEvidence(trx: Db, collectiviteId: string, dossierId: string, b: StoredEvidence, filename: string, mediaType: string): Promise<void> {
  await blobRow(trx, b, mediaType);
  await trx.insertInto('document').values({ collectivite_id: collectiviteId, dossier_id: dossierId, role: 'evidence', filename, media_type: mediaType, size: b.size, sha256: b.sha256, created_by: null }).execute();
}

export async function readBlob(deps: Deps, sha256: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of deps.blobs.open(sha256)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export function tdtConfig(deps: Deps, collectiviteId: string): Promise<TdtActesConfig> {
  return connectorConfigFor<TdtActesConfig>(deps.db, deps.connectors, collectiviteId, TDT_ACTES);
}

/** The enveloppe's sender and counters for one sending. */
export async function transmissionContext(deps: Deps, collectiviteId: string, config: TdtActesConfig): Promise<TransmissionContext> {
  const c = await deps.db.selectFrom('collectivite').selectAll().where('id', '=', collectiviteId).executeTakeFirstOrThrow();
  if (c.arrondissement === null) {
    throw new AppError('UNPROCESSABLE', 'L’arrondissement de la collectivité n’est pas renseigné : il est nécessaire pour l’enveloppe ACTES.', 'collectivite has no arrondissement');
  }
  const sentAt = deps.clock.now();
  const day = parisDate(sentAt);
  // The TdT's daily counter per SIREN (`n` of EACT--SIREN--date-n.xml).
  const row = await deps.db
    .insertInto('actes_counter')
    .values({ siren: c.siren, day, n: 1 })
    .onConflict((oc) => oc.columns(['siren', 'day']).doUpdateSet((eb) => ({ n: eb('actes_counter.n', '+', 1) })))
    .returning('n')
    .executeTakeFirstOrThrow();
  return {
    collectivite: {
      siren: c.siren,
      departement: c.departement,
      arrondissement: String(c.arrondissement),
      nature: config.natureCollectivite ?? natureOfCollectiviteType(c.type),
      adressesRetour: config.adressesRetour,
    },
    trigram: config.trigramme ?? deps.config.operatorTrigram,
    sequence: row.n,
    sentAt,
    testPlatform: config.plateformeTest,
  };
}

export async function currentClassification(db: Db, collectiviteId: string): Promise<Classification | undefined> {
  const row = await db.selectFrom('actes_classification').select('content').where('collectivite_id', '=', collectiviteId).executeTakeFirst();
  return row ? (row.content as Classification) : undefined;
}

/** People of the collectivité who follow its actes (agents and administrators). */
export async function agentsOf(db: Db, collectiviteId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('membership')
    .innerJoin('app_user', 'app_user.id', 'membership.user_id')
    .select('app_user.email')
    .where('membership.collectivite_id', '=', collectiviteId)
    .where('membership.role', 'in', ['agent', 'collectivite_admin'])
    .where('app_user.disabled', '=', false)
    .execute();
  return rows.map((r) => r.email);
}

/**
 * The acte's document as transmitted and stamped: its last signed version (the parapheur's PAdES output,
 * maybe sealed), else the principal as deposited (signed on paper or elsewhere).
 */
export async function acteDocument(db: Db, collectiviteId: string, dossierId: string): Promise<{ role: string; filename: string; sha256: string; media_type: string } | undefined> {
  const docs = await db.selectFrom('document').select(['role', 'filename', 'sha256', 'media_type']).where('collectivite_id', '=', collectiviteId).where('dossier_id', '=', dossierId).where('role', 'in', ['principal', 'signed']).orderBy('created_at').orderBy('id').execute();
  return docs.filter((d) => d.role === 'signed').pop() ?? docs.find((d) => d.role === 'principal');
}
