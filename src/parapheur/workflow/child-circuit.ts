/**
 * A dossier of another module (an acte, a PES flow) signed through a parapheur circuit, the way Pastell hands
 * a document to i-Parapheur but inside one platform. The module's « soumettre à la signature » use case checks
 * its own rules, then, in its transaction: `checkCircuitChoices` (typologie of the right format, parapheur
 * metadata), `abandonEarlierCircuit` for a rejected or taken-back earlier child, and `startChildCircuit`
 * (child dossier with the parent's documents, the module's link row, journal, `sendDossier`). The module's
 * subscriber then follows the child with `lastSignedVersion` / `rejectionOf`; its read side shows
 * `circuitProgress`. When the parent itself is abandoned, the module's subscriber stops the child with
 * `stopChildCircuit`. The link tables (`actes_signature`, `helios_signature`) stay in their modules.
 */
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import type { Principal, TenantAccess } from '../../identity/principal.ts';
import { actorOf, systemActor } from '../../identity/principal.ts';
import { changeDossierState } from '../../dossiers/change-state.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { AppError } from '../../shared/errors.ts';
import { actingAs, runDossierActionIn } from '../../dossiers/run-dossier-action.ts';
import type { Db } from '../../platform/db/database.ts';
import type { DocumentRow, DossierRow, ParapheurTypologieRow } from '../../platform/db/schema.ts';
import { currentDocument, documentASignerMetadata, type DocumentASignerMetadata } from '../model.ts';
import { sendDossier } from './send-dossier.ts';
import { PARAPHEUR_TYPES } from './run-parapheur-action.ts';

const uuid = z.uuid('Identifiant invalide.');

/** The parapheur choices of a « soumettre à la signature » body; the descriptions name the module's document. */
export function circuitChoicesInput(d: { typologie: string; bureauEmetteur: string; transmettre: string }) {
  return z.object({
    typologieId: uuid.describe(d.typologie),
    bureauEmetteurId: uuid.describe(d.bureauEmetteur),
    bureauxVariables: z.record(z.string(), uuid).default({}).describe('Bureaux choisis pour les étapes « variable » du circuit'),
    dateLimite: z.iso.datetime({ offset: true }).optional().describe('Date limite de traitement dans le parapheur'),
    transmettreApresSignature: z.boolean().default(true).describe(d.transmettre),
  });
}
export type CircuitChoices = z.infer<ReturnType<typeof circuitChoicesInput>>;

const refuse = (fr: string, en: string) => new AppError('UNPROCESSABLE', fr, en);

/** The typologie exists in the collectivité and signs in `format`; the choices make valid parapheur metadata. */
export async function checkCircuitChoices(trx: Db, collectiviteId: string, input: CircuitChoices, format: 'pades' | 'xades', wrongFormatFr: (t: ParapheurTypologieRow) => string): Promise<{ typologie: ParapheurTypologieRow; metadata: DocumentASignerMetadata }> {
  const typologie = await trx.selectFrom('parapheur_typologie').selectAll().where('collectivite_id', '=', collectiviteId).where('id', '=', input.typologieId).executeTakeFirst();
  if (!typologie) throw refuse('La typologie choisie n’existe pas dans le parapheur de cette collectivité.', 'unknown typologie');
  if (typologie.format !== format) throw refuse(wrongFormatFr(typologie), `typologie is not ${format}`);
  const parsed = documentASignerMetadata.safeParse({ typologieId: input.typologieId, bureauEmetteurId: input.bureauEmetteurId, bureauxVariables: input.bureauxVariables, ...(input.dateLimite ? { dateLimite: input.dateLimite } : {}) });
  if (!parsed.success) {
    throw new AppError('VALIDATION', 'Les choix du parapheur sont invalides.', 'parapheur metadata failed', { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
  }
  return { typologie, metadata: parsed.data };
}

/** Child states from which an earlier circuit is abandoned when the parent is submitted again. */
const ABANDONABLE = ['brouillon', 'rejete'];

/** An earlier circuit of the parent (rejected, or taken back) no longer decides anything: it is abandoned. */
export async function abandonEarlierCircuit(trx: Db, deps: Deps, principal: Principal, access: TenantAccess, child: { id: string; state: string }, reason: string): Promise<void> {
  if (ABANDONABLE.includes(child.state)) await runDossierActionIn(trx, deps, actorOf(principal), actingAs(access, principal.kind), access.collectiviteId, child.id, 'abandonner', reason);
}

/** Child states in which the circuit may still move (or be sent again): stopped when the parent is abandoned. */
const STOPPABLE = ['brouillon', 'en_cours', 'cachet_en_cours', 'erreur_cachet', 'rejete'];

/**
 * The parent (an acte, a PES flow) was abandoned while its child circuit runs: the child is abandoned too, in
 * the caller's transaction (the parent's state change). Its steps still to do are `stopped` with no pending
 * bureau, so it leaves every inbox; an `interrompre` act (bordereau, dossier page) and a journal entry say why.
 * A late signature (prepare or complete of an earlier session) is refused by the `abandonne` state, and a
 * queued seal job finds no active cachet step. Returns whether the child was stopped.
 */
export async function stopChildCircuit(trx: Db, deps: Deps, collectiviteId: string, childId: string, parent: { id: string; type: string; raisonFr: string }): Promise<boolean> {
  const child = await trx.selectFrom('dossier').selectAll().where('collectivite_id', '=', collectiviteId).where('id', '=', childId).forUpdate().executeTakeFirst();
  if (!child || !PARAPHEUR_TYPES.has(child.type) || !STOPPABLE.includes(child.state)) return false;
  const now = deps.clock.now();
  const hashes = (await trx.selectFrom('document').select('sha256').where('collectivite_id', '=', collectiviteId).where('dossier_id', '=', childId).orderBy('created_at').orderBy('id').execute()).map((d) => d.sha256);
  const stopped = await trx.updateTable('parapheur_step').set({ state: 'stopped', pending_bureau_ids: JSON.stringify([]) }).where('collectivite_id', '=', collectiviteId).where('dossier_id', '=', childId).where('state', 'in', ['active', 'waiting']).returning('position').execute();
  await trx.updateTable('parapheur_dossier').set({ current_position: null, finished_at: now }).where('collectivite_id', '=', collectiviteId).where('dossier_id', '=', childId).execute();
  await trx.insertInto('parapheur_act').values({ collectivite_id: collectiviteId, dossier_id: childId, step_id: null, action: 'interrompre', bureau_id: null, via_bureau_id: null, user_id: null, actor_label: systemActor.label, at: now, comment: parent.raisonFr, certificate: null, signed_sha256: null, document_hashes: JSON.stringify(hashes) }).execute();
  await changeDossierState(trx, deps, child, 'abandonne');
  await appendJournal(trx, deps.clock, systemActor, {
    collectiviteId,
    action: 'parapheur.interrompre',
    objectType: 'dossier',
    objectId: childId,
    details: { from: child.state, to: 'abandonne', raison: parent.raisonFr, parentDossierId: parent.id, parentType: parent.type, stoppedSteps: stopped.map((s) => s.position).sort((a, b) => a - b) },
    documentHashes: hashes,
  });
  return true;
}

export interface ChildCircuit {
  childType: 'document-a-signer' | 'pes-a-signer';
  title: string;
  /** The parent's documents the child carries (same blobs), in order. */
  documents: DocumentRow[];
  metadata: DocumentASignerMetadata;
  /** Extra details of the child's `dossier.created` journal entry (e.g. `{ acteDossierId }`). */
  journalDetails: Record<string, unknown>;
  /** Writes the module's link row (before the child is sent, so that its subscriber follows every event). */
  link: (childId: string) => Promise<void>;
}

/** Creates the child dossier with the parent's documents, links it, journals it and sends it into its circuit. */
export async function startChildCircuit(trx: Db, deps: Deps, principal: Principal, access: TenantAccess, c: ChildCircuit): Promise<DossierRow> {
  const cid = access.collectiviteId;
  const actor = actorOf(principal);
  const childDef = deps.dossierTypes.get(c.childType);
  const child = await trx
    .insertInto('dossier')
    .values({ collectivite_id: cid, type: c.childType, title: c.title, metadata: JSON.stringify(c.metadata), state: childDef.initialState, created_by: actor.userId, updated_at: deps.clock.now() })
    .returningAll()
    .executeTakeFirstOrThrow();
  for (const d of c.documents) {
    await trx.insertInto('document').values({ collectivite_id: cid, dossier_id: child.id, role: d.role, filename: d.filename, media_type: d.media_type, size: d.size, sha256: d.sha256, created_by: actor.userId }).execute();
  }
  await c.link(child.id);
  await appendJournal(trx, deps.clock, actor, { collectiviteId: cid, action: 'dossier.created', objectType: 'dossier', objectId: child.id, details: { type: c.childType, title: c.title, state: childDef.initialState, metadata: c.metadata, ...c.journalDetails }, documentHashes: c.documents.map((d) => d.sha256) });
  await sendDossier(deps, principal, access, child.id, trx);
  return child;
}

/** The parent's `dossier.action.soumettre_signature` journal entry; returns the parent as it is now. */
export async function journalSubmission(trx: Db, deps: Deps, principal: Principal, c: { parent: DossierRow; to: string; label: string; child: DossierRow; typologie: ParapheurTypologieRow; input: CircuitChoices; documentHashes: string[] }): Promise<DossierRow> {
  const { parent, input } = c;
  await appendJournal(trx, deps.clock, actorOf(principal), {
    collectiviteId: parent.collectivite_id,
    action: 'dossier.action.soumettre_signature',
    objectType: 'dossier',
    objectId: parent.id,
    details: { from: parent.state, to: c.to, label: c.label, parapheurDossierId: c.child.id, typologie: `${c.typologie.type} / ${c.typologie.sous_type}`, bureauEmetteurId: input.bureauEmetteurId, transmettreApresSignature: input.transmettreApresSignature },
    documentHashes: c.documentHashes,
  });
  return trx.selectFrom('dossier').selectAll().where('id', '=', parent.id).executeTakeFirstOrThrow();
}

/** The child's current document: its last signed version, or its principal when the circuit signed nothing (visas only). */
export async function lastSignedVersion(trx: Db, collectiviteId: string, childId: string): Promise<DocumentRow> {
  const docs = await trx.selectFrom('document').selectAll().where('collectivite_id', '=', collectiviteId).where('dossier_id', '=', childId).orderBy('created_at').orderBy('id').execute();
  return currentDocument(docs)!;
}

/** Who rejected the child, and why. */
export async function rejectionOf(trx: Db, collectiviteId: string, childId: string): Promise<{ motif: string | null; par: string | null }> {
  const act = await trx.selectFrom('parapheur_act').select(['comment', 'actor_label']).where('collectivite_id', '=', collectiviteId).where('dossier_id', '=', childId).where('action', '=', 'rejeter').orderBy('at', 'desc').orderBy('id', 'desc').executeTakeFirst();
  return { motif: act?.comment ?? null, par: act?.actor_label ?? null };
}

export const circuitProgressView = z.object({
  parapheurDossierId: z.string(),
  etat: z.string(),
  etatLibelle: z.string(),
  transmettreApresSignature: z.boolean(),
  motifRefus: z.string().nullable(),
  etapes: z.array(z.object({ position: z.number(), kind: z.string(), state: z.string(), bureaux: z.array(z.object({ id: z.string(), name: z.string(), pending: z.boolean() })) })),
});

export type CircuitProgress = z.infer<typeof circuitProgressView>;

/** The child's state and steps (whose turn) for the parent's page. */
export async function circuitProgress(deps: Deps, collectiviteId: string, link: { child_dossier_id: string; transmettre_apres_signature: boolean; motif: string | null }): Promise<CircuitProgress> {
  const child = await deps.db.selectFrom('dossier').select(['state', 'type']).where('collectivite_id', '=', collectiviteId).where('id', '=', link.child_dossier_id).executeTakeFirstOrThrow();
  const steps = await deps.db.selectFrom('parapheur_step').selectAll().where('collectivite_id', '=', collectiviteId).where('dossier_id', '=', link.child_dossier_id).orderBy('position').execute();
  const names = new Map((await deps.db.selectFrom('parapheur_bureau').select(['id', 'name']).where('collectivite_id', '=', collectiviteId).execute()).map((b) => [b.id, b.name]));
  return {
    parapheurDossierId: link.child_dossier_id,
    etat: child.state,
    etatLibelle: deps.dossierTypes.get(child.type).states[child.state]?.label ?? child.state,
    transmettreApresSignature: link.transmettre_apres_signature,
    motifRefus: link.motif,
    etapes: steps.map((x) => ({ position: x.position, kind: x.kind, state: x.state, bureaux: x.bureau_ids.map((b) => ({ id: b, name: names.get(b) ?? b, pending: x.pending_bureau_ids.includes(b) })) })),
  };
}
