/**
 * Read side of the HELIOS module: a PES dossier with its transmission and its acquittement (errors per
 * bordereau, pièce and ligne), the readable view of the stored PES_Aller, and the PES_Retour of a collectivité.
 */
import type { Deps } from '../../app/deps.ts';
import { AppError } from '../../shared/errors.ts';
import { loadDossier } from '../../dossiers/load-dossier.ts';
import type { DocumentRow, DossierRow } from '../../platform/db/schema.ts';
import { readPesView, type PesAcquit, type PesConfig, type PesView } from '../pes/index.ts';
import { HELIOS_TYPE } from '../dossier-type.ts';
import { readBlob } from './support.ts';
import { circuitProgress, type CircuitProgress } from '../../parapheur/workflow/child-circuit.ts';

export interface AcquitErreurView { code: string | null; libelle: string | null }
export interface AcquitElementView {
  domaine: string | null;
  accepte: boolean;
  bordereau: string | null;
  exercice: string | null;
  pj: string | null;
  erreurs: AcquitErreurView[];
  pieces: { piece: string | null; erreurs: AcquitErreurView[]; lignes: { ligne: string | null; erreurs: AcquitErreurView[] }[] }[];
}
export interface HeliosDossier {
  dossier: DossierRow;
  documents: DocumentRow[];
  pes: { nomFic: string; idColl: string; schemaVersion: string; fichierEnvoye: string | null; dateEnvoi: string | null };
  acquit: { statut: 'OK' | 'KO'; nombreErreurs: number; elements: AcquitElementView[] } | null;
  /** The parapheur circuit in progress (or the last one), when the flow was submitted for signature. */
  signature: CircuitProgress | null;
  /** The PES_Retour of the trésorerie linked to this flux (matched by its bordereaux). */
  retours: RetourView[];
}

const err = (e: { code?: string; libelle?: string }): AcquitErreurView => ({ code: e.code ?? null, libelle: e.libelle ?? null });

export function presentAcquit(a: PesAcquit): NonNullable<HeliosDossier['acquit']> {
  return {
    statut: a.statut,
    nombreErreurs: a.nombreErreurs,
    elements: a.elements.map((e) => ({
      domaine: e.domaineLibelle ?? e.domaineAck ?? null,
      accepte: e.accepte,
      bordereau: e.numBord ?? null,
      exercice: e.exerciceBord ?? null,
      pj: e.idUnique ?? null,
      erreurs: e.erreurs.map(err),
      pieces: e.pieces.map((p) => ({ piece: p.numPiece ?? null, erreurs: p.erreurs.map(err), lignes: p.lignes.map((l) => ({ ligne: l.numLigne ?? null, erreurs: l.erreurs.map(err) })) })),
    })),
  };
}

export async function loadHeliosDossier(deps: Deps, collectiviteId: string, dossierId: string): Promise<HeliosDossier> {
  const { dossier, documents } = await loadDossier(deps.db, collectiviteId, dossierId);
  const pes = await deps.db.selectFrom('helios_pes').selectAll().where('dossier_id', '=', dossierId).where('collectivite_id', '=', collectiviteId).executeTakeFirst();
  if (!pes || dossier.type !== HELIOS_TYPE) throw new AppError('NOT_FOUND', 'Flux PES introuvable.', 'not a helios dossier');
  const link = await deps.db.selectFrom('helios_signature').selectAll().where('collectivite_id', '=', collectiviteId).where('helios_dossier_id', '=', dossierId).orderBy('current', 'desc').orderBy('created_at', 'desc').executeTakeFirst();
  return {
    dossier,
    documents,
    pes: { nomFic: pes.nom_fic, idColl: pes.id_coll, schemaVersion: pes.schema_version, fichierEnvoye: pes.upload_name, dateEnvoi: pes.sent_at ? new Date(pes.sent_at).toISOString() : null },
    acquit: pes.acquit ? presentAcquit(pes.acquit as PesAcquit) : null,
    signature: link ? await circuitProgress(deps, collectiviteId, link) : null,
    retours: await listRetours(deps, collectiviteId, dossierId),
  };
}

/** The readable view (bordereaux, pièces, tiers, amounts, PJ) of the PES_Aller: as signed in the parapheur, else as deposited. */
export async function pesVue(deps: Deps, collectiviteId: string, dossierId: string, config: Partial<PesConfig>): Promise<PesView> {
  await loadHeliosDossier(deps, collectiviteId, dossierId);
  const pes = await deps.db.selectFrom('helios_pes').select(['pes_sha256', 'signed_sha256']).where('dossier_id', '=', dossierId).executeTakeFirstOrThrow();
  return readPesView(await readBlob(deps, pes.signed_sha256 ?? pes.pes_sha256), config);
}

/** A flux (PES_Aller) a PES_Retour was linked to at receipt, with the number of its bordereaux reported on. */
export interface RetourFluxLink { dossierId: string; nomFic: string; bordereaux: number }
export interface RetourView { cle: string; fichier: string; nomFic: string | null; sha256: string | null; recuLe: string; resume: string[]; details: Record<string, unknown>; flux: RetourFluxLink[] }

/** The French summary written at receipt (poll-helios), or the domain counts of a file received before it existed. */
function resumeOf(details: Record<string, unknown>): string[] {
  if (Array.isArray(details.resume)) return details.resume.filter((l): l is string => typeof l === 'string');
  const domaines = Array.isArray(details.domaines) ? (details.domaines as { nom?: unknown; elements?: unknown }[]) : [];
  return domaines.map((d) => `${String(d.nom)} : ${String(d.elements)} élément(s)`);
}

/** The PES_Retour of the collectivité, each with the flux it was linked to; only those of one flux with `dossierId`. */
export async function listRetours(deps: Deps, collectiviteId: string, dossierId?: string): Promise<RetourView[]> {
  let q = deps.db.selectFrom('helios_response as r').selectAll('r').where('r.collectivite_id', '=', collectiviteId).where('r.kind', '=', 'PES_Retour');
  if (dossierId) {
    q = q.where(({ exists, selectFrom }) =>
      exists(selectFrom('helios_retour_flux as l').select('l.key').whereRef('l.endpoint', '=', 'r.endpoint').whereRef('l.key', '=', 'r.key').where('l.collectivite_id', '=', collectiviteId).where('l.dossier_id', '=', dossierId)),
    );
  }
  const rows = await q.orderBy('r.received_at', 'desc').orderBy('r.key').execute();
  const links = rows.length === 0
    ? []
    : await deps.db
        .selectFrom('helios_retour_flux as l')
        .innerJoin('helios_pes as p', 'p.dossier_id', 'l.dossier_id')
        .select(['l.endpoint', 'l.key', 'l.dossier_id', 'l.bordereaux', 'p.nom_fic'])
        .where('l.collectivite_id', '=', collectiviteId)
        .where('l.key', 'in', rows.map((r) => r.key))
        .orderBy('l.bordereaux', 'desc')
        .orderBy('p.nom_fic')
        .execute();
  return rows.map((r) => ({
    cle: r.key,
    fichier: r.key,
    nomFic: r.nom_fic,
    sha256: r.sha256,
    recuLe: new Date(r.received_at).toISOString(),
    resume: resumeOf(r.details),
    details: r.details,
    flux: links.filter((l) => l.endpoint === r.endpoint && l.key === r.key).map((l) => ({ dossierId: l.dossier_id, nomFic: l.nom_fic, bordereaux: l.bordereaux })),
  }));
}

/** The raw PES_Retour file, only if it belongs to the collectivité. */
export async function retourContent(deps: Deps, collectiviteId: string, key: string): Promise<{ name: string; bytes: Buffer }> {
  const r = await deps.db.selectFrom('helios_response').select(['key', 'sha256']).where('collectivite_id', '=', collectiviteId).where('kind', '=', 'PES_Retour').where('key', '=', key).executeTakeFirst();
  if (!r?.sha256) throw new AppError('NOT_FOUND', 'PES_Retour introuvable.', 'no such retour');
  return { name: r.key, bytes: await readBlob(deps, r.sha256) };
}
