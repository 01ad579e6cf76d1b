/**
 * Subscriber `actes-signature`: what happens to an acte's parapheur dossier moves the acte, in the same
 * transaction as the child's change.
 * - `signe`: the child's last signed version (PAdES, maybe sealed) is attached to the acte as its `signed`
 *   document — the one transmitted and stamped — the acte moves `a_signer` → `signe`, and, if asked, the
 *   usual `transmettre` action runs (same job, same journal entry as a person's click).
 * - `rejete`: the acte goes to `signature_refusee` with the motif; it can be submitted again or abandoned.
 * - `abandonne`, or taken back (`reprendre` → `brouillon`): the acte is a draft again; sent again from the
 *   parapheur, it waits for its signature again.
 * - the acte itself abandoned (`abandonne`) while its circuit runs: the child stops in the same transaction
 *   (`stopChildCircuit`: `abandonne`, out of every inbox, a late signature refused); its own event then closes the link.
 * Only the acte's current circuit counts, only inside the event's collectivité, and an event seen twice
 * (same or older version) changes nothing.
 */
import type { Deps } from '../../app/deps.ts';
import type { Db } from '../../platform/db/database.ts';
import type { DossierEventSubscriber, DossierStateChanged } from '../../dossiers/change-state.ts';
import { changeDossierState } from '../../dossiers/change-state.ts';
import { checkAction } from '../../dossiers/dossier-type.ts';
import { snapshotOf } from '../../dossiers/presenter.ts';
import { runDossierActionIn, systemActingAs } from '../../dossiers/run-dossier-action.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { systemActor } from '../../identity/principal.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { lastSignedVersion, rejectionOf, stopChildCircuit } from '../../parapheur/workflow/child-circuit.ts';
import { ACTES_TYPE } from '../dossier-type.ts';

export const ACTES_SIGNATURE_SUBSCRIBER = 'actes-signature';

export function followActeSignature(deps: () => Deps): DossierEventSubscriber {
  return async (trx, e) => {
    if (e.type === ACTES_TYPE) {
      if (PARENT_ENDED.includes(e.to)) await parentEnded(trx, deps(), e);
      return;
    }
    if (e.type !== 'document-a-signer') return;
    const link = await trx.selectFrom('actes_signature').selectAll().where('collectivite_id', '=', e.collectiviteId).where('child_dossier_id', '=', e.dossierId).forUpdate().executeTakeFirst();
    if (!link || !link.current || e.version <= link.last_event_version) return;
    await trx.updateTable('actes_signature').set({ last_event_version: e.version }).where('child_dossier_id', '=', e.dossierId).execute();
    // Through the event's collectivité only: a link naming another collectivité's acte finds nothing.
    const acte = await trx.selectFrom('dossier').selectAll().where('id', '=', link.acte_dossier_id).where('collectivite_id', '=', e.collectiviteId).where('type', '=', ACTES_TYPE).forUpdate().executeTakeFirst();
    if (!acte) return;
    const d = deps();
    if (e.to === 'signe' && acte.state === 'a_signer') await signed(trx, d, e, acte, link.transmettre_apres_signature);
    else if (e.to === 'rejete' && acte.state === 'a_signer') await refused(trx, d, e, acte);
    else if (e.to === 'abandonne' || (e.to === 'brouillon' && acte.state === 'a_signer')) await withdrawn(trx, d, e, acte);
    else if (e.from === 'brouillon' && ['en_cours', 'cachet_en_cours'].includes(e.to) && acte.state === 'brouillon') await resent(trx, d, e, acte);
  };
}

/** States of the acte that end its current circuit. */
const PARENT_ENDED = ['abandonne', 'annule'];

/** The acte was abandoned while its circuit runs: the child stops in this transaction (its own event then closes the link). */
async function parentEnded(trx: Db, deps: Deps, e: DossierStateChanged): Promise<void> {
  const link = await trx.selectFrom('actes_signature').select('child_dossier_id').where('collectivite_id', '=', e.collectiviteId).where('acte_dossier_id', '=', e.dossierId).where('current', '=', true).executeTakeFirst();
  if (link) await stopChildCircuit(trx, deps, e.collectiviteId, link.child_dossier_id, { id: e.dossierId, type: ACTES_TYPE, raisonFr: 'L’acte a été abandonné : son circuit de signature est interrompu.' });
}

async function journal(trx: Db, deps: Deps, e: DossierStateChanged, acte: DossierRow, action: string, to: string, details: Record<string, unknown>, hashes: string[]): Promise<void> {
  await appendJournal(trx, deps.clock, systemActor, { collectiviteId: e.collectiviteId, action, objectType: 'dossier', objectId: acte.id, details: { from: acte.state, to, parapheurDossierId: e.dossierId, ...details }, documentHashes: hashes });
}

async function signed(trx: Db, deps: Deps, e: DossierStateChanged, acte: DossierRow, transmettre: boolean): Promise<void> {
  const version = await lastSignedVersion(trx, e.collectiviteId, e.dossierId);
  const acteDocs = await trx.selectFrom('document').selectAll().where('collectivite_id', '=', e.collectiviteId).where('dossier_id', '=', acte.id).orderBy('created_at').orderBy('id').execute();
  // A circuit of visas only signs nothing: the acte's own PDF stays the one transmitted.
  if (version.role === 'signed' && !acteDocs.some((x) => x.role === 'signed' && x.sha256 === version.sha256)) {
    await trx.insertInto('document').values({ collectivite_id: e.collectiviteId, dossier_id: acte.id, role: 'signed', filename: version.filename, media_type: version.media_type, size: version.size, sha256: version.sha256, created_by: null }).execute();
  }
  await changeDossierState(trx, deps, acte, 'signe');
  await trx.updateTable('actes_signature').set({ outcome: 'signe' }).where('child_dossier_id', '=', e.dossierId).execute();
  await journal(trx, deps, e, acte, 'actes.signature.signe', 'signe', { document: version.filename, transmettreApresSignature: transmettre }, [version.sha256]);
  if (!transmettre) return;
  const fresh = await trx.selectFrom('dossier').selectAll().where('id', '=', acte.id).executeTakeFirstOrThrow();
  const docs = await trx.selectFrom('document').selectAll().where('dossier_id', '=', acte.id).execute();
  const check = checkAction(deps.dossierTypes.get(ACTES_TYPE), 'transmettre', snapshotOf(fresh, docs), systemActingAs);
  if (!check.ok) {
    // Never undo the signature for this: the acte waits, signed, and says why it was not sent.
    await journal(trx, deps, e, fresh, 'actes.transmission.non_lancee', fresh.state, { raison: check.reasonFr }, []);
    return;
  }
  await runDossierActionIn(trx, deps, systemActor, systemActingAs, e.collectiviteId, acte.id, 'transmettre', 'Transmission automatique après signature dans le parapheur');
}

async function refused(trx: Db, deps: Deps, e: DossierStateChanged, acte: DossierRow): Promise<void> {
  const { motif, par } = await rejectionOf(trx, e.collectiviteId, e.dossierId);
  await changeDossierState(trx, deps, acte, 'signature_refusee');
  await trx.updateTable('actes_signature').set({ outcome: 'rejete', motif }).where('child_dossier_id', '=', e.dossierId).execute();
  await journal(trx, deps, e, acte, 'actes.signature.refusee', 'signature_refusee', { motif, par }, []);
}

async function withdrawn(trx: Db, deps: Deps, e: DossierStateChanged, acte: DossierRow): Promise<void> {
  // Abandoned after being taken back, the acte is already a draft; an acte that moved on stays where it is.
  const to = ['a_signer', 'signature_refusee'].includes(acte.state) ? 'brouillon' : acte.state;
  if (to !== acte.state) await changeDossierState(trx, deps, acte, to);
  const outcome = e.to === 'abandonne' ? 'abandonne' : 'repris';
  // An abandoned circuit is over; a dossier taken back may still be sent again from the parapheur.
  await trx.updateTable('actes_signature').set({ outcome, ...(e.to === 'abandonne' ? { current: false } : {}) }).where('child_dossier_id', '=', e.dossierId).execute();
  await journal(trx, deps, e, acte, e.to === 'abandonne' ? 'actes.signature.abandonnee' : 'actes.signature.reprise', to, {}, []);
}

async function resent(trx: Db, deps: Deps, e: DossierStateChanged, acte: DossierRow): Promise<void> {
  await changeDossierState(trx, deps, acte, 'a_signer');
  await trx.updateTable('actes_signature').set({ outcome: null }).where('child_dossier_id', '=', e.dossierId).execute();
  await journal(trx, deps, e, acte, 'actes.signature.renvoyee', 'a_signer', {}, []);
}
