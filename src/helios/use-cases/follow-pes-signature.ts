/**
 * Subscriber `helios-signature`: what happens to a PES flow's `pes-a-signer` dossier moves the flow, in the
 * same transaction as the child's change (the design of src/actes/use-cases/follow-acte-signature.ts).
 * - `signe`: the child's last signed version (XAdES per bordereau, maybe sealed) becomes the flow's `signed`
 *   document and `helios_pes.signed_sha256` — the file transmitted —, the flow moves `a_signer` → `signe`
 *   and, if asked, the usual `transmettre` action runs (same job, same journal entry as a person's click).
 *   A circuit of visas only signs nothing: the flow is `signature_refusee`, the PES still unsigned.
 * - `rejete`: the flow goes to `signature_refusee` with the motif; it can be submitted again or abandoned.
 * - `abandonne`, or taken back (`reprendre` → `brouillon`): the flow is `poste` again; sent again from the
 *   parapheur, it waits for its signature again.
 * - the flow itself abandoned (`abandonne`, « Annulé ») while its circuit runs: the child stops in the same
 *   transaction (`stopChildCircuit`: `abandonne`, out of every inbox, a late signature refused); its own event then closes the link.
 * Only the flow's current circuit counts, only inside the event's collectivité, and an event seen twice
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
import { HELIOS_TYPE } from '../dossier-type.ts';

export const HELIOS_SIGNATURE_SUBSCRIBER = 'helios-signature';
const CHILD_TYPE = 'pes-a-signer';

export function followPesSignature(deps: () => Deps): DossierEventSubscriber {
  return async (trx, e) => {
    if (e.type === HELIOS_TYPE) {
      if (PARENT_ENDED.includes(e.to)) await parentEnded(trx, deps(), e);
      return;
    }
    if (e.type !== CHILD_TYPE) return;
    const link = await trx.selectFrom('helios_signature').selectAll().where('collectivite_id', '=', e.collectiviteId).where('child_dossier_id', '=', e.dossierId).forUpdate().executeTakeFirst();
    if (!link || !link.current || e.version <= link.last_event_version) return;
    await trx.updateTable('helios_signature').set({ last_event_version: e.version }).where('child_dossier_id', '=', e.dossierId).execute();
    // Through the event's collectivité only: a link naming another collectivité's flow finds nothing.
    const flux = await trx.selectFrom('dossier').selectAll().where('id', '=', link.helios_dossier_id).where('collectivite_id', '=', e.collectiviteId).where('type', '=', HELIOS_TYPE).forUpdate().executeTakeFirst();
    if (!flux) return;
    const d = deps();
    if (e.to === 'signe' && flux.state === 'a_signer') await signed(trx, d, e, flux, link.transmettre_apres_signature);
    else if (e.to === 'rejete' && flux.state === 'a_signer') await refused(trx, d, e, flux);
    else if (e.to === 'abandonne' || (e.to === 'brouillon' && flux.state === 'a_signer')) await withdrawn(trx, d, e, flux);
    else if (e.from === 'brouillon' && ['en_cours', 'cachet_en_cours'].includes(e.to) && flux.state === 'poste') await resent(trx, d, e, flux);
  };
}

/** States of the flow that end its current circuit. */
const PARENT_ENDED = ['abandonne', 'annule'];

/** The flow was abandoned while its circuit runs: the child stops in this transaction (its own event then closes the link). */
async function parentEnded(trx: Db, deps: Deps, e: DossierStateChanged): Promise<void> {
  const link = await trx.selectFrom('helios_signature').select('child_dossier_id').where('collectivite_id', '=', e.collectiviteId).where('helios_dossier_id', '=', e.dossierId).where('current', '=', true).executeTakeFirst();
  if (link) await stopChildCircuit(trx, deps, e.collectiviteId, link.child_dossier_id, { id: e.dossierId, type: HELIOS_TYPE, raisonFr: 'Le flux PES a été abandonné : son circuit de signature est interrompu.' });
}

async function journal(trx: Db, deps: Deps, e: DossierStateChanged, flux: DossierRow, action: string, to: string, details: Record<string, unknown>, hashes: string[]): Promise<void> {
  await appendJournal(trx, deps.clock, systemActor, { collectiviteId: e.collectiviteId, action, objectType: 'dossier', objectId: flux.id, details: { from: flux.state, to, parapheurDossierId: e.dossierId, ...details }, documentHashes: hashes });
}

async function signed(trx: Db, deps: Deps, e: DossierStateChanged, flux: DossierRow, transmettre: boolean): Promise<void> {
  const version = await lastSignedVersion(trx, e.collectiviteId, e.dossierId);
  if (version.role !== 'signed') {
    const motif = 'Le circuit ne comportait aucune étape de signature : le PES n’est pas signé. Soumettez-le à un circuit qui le signe.';
    await changeDossierState(trx, deps, flux, 'signature_refusee');
    await trx.updateTable('helios_signature').set({ outcome: 'sans_signature', motif }).where('child_dossier_id', '=', e.dossierId).execute();
    await journal(trx, deps, e, flux, 'helios.signature.sans_signature', 'signature_refusee', { motif }, []);
    return;
  }
  const docs = await trx.selectFrom('document').select(['role', 'sha256']).where('collectivite_id', '=', e.collectiviteId).where('dossier_id', '=', flux.id).execute();
  if (!docs.some((x) => x.role === 'signed' && x.sha256 === version.sha256)) {
    await trx.insertInto('document').values({ collectivite_id: e.collectiviteId, dossier_id: flux.id, role: 'signed', filename: version.filename, media_type: version.media_type, size: version.size, sha256: version.sha256, created_by: null }).execute();
  }
  await trx.updateTable('helios_pes').set({ signed_sha256: version.sha256 }).where('dossier_id', '=', flux.id).where('collectivite_id', '=', e.collectiviteId).execute();
  // Every bordereau now carries its XAdES signature (the parapheur signs them all), or the file its global one.
  await trx.updateTable('dossier').set({ metadata: JSON.stringify({ ...flux.metadata, signe: true }) }).where('id', '=', flux.id).execute();
  await changeDossierState(trx, deps, flux, 'signe');
  await trx.updateTable('helios_signature').set({ outcome: 'signe' }).where('child_dossier_id', '=', e.dossierId).execute();
  await journal(trx, deps, e, flux, 'helios.signature.signe', 'signe', { document: version.filename, transmettreApresSignature: transmettre }, [version.sha256]);
  if (!transmettre) return;
  const fresh = await trx.selectFrom('dossier').selectAll().where('id', '=', flux.id).executeTakeFirstOrThrow();
  const freshDocs = await trx.selectFrom('document').selectAll().where('dossier_id', '=', flux.id).execute();
  const check = checkAction(deps.dossierTypes.get(HELIOS_TYPE), 'transmettre', snapshotOf(fresh, freshDocs), systemActingAs);
  if (!check.ok) {
    // Never undo the signature for this: the flow waits, signed, and says why it was not sent.
    await journal(trx, deps, e, fresh, 'helios.transmission.non_lancee', fresh.state, { raison: check.reasonFr }, []);
    return;
  }
  await runDossierActionIn(trx, deps, systemActor, systemActingAs, e.collectiviteId, flux.id, 'transmettre', 'Transmission automatique après signature dans le parapheur');
}

async function refused(trx: Db, deps: Deps, e: DossierStateChanged, flux: DossierRow): Promise<void> {
  const { motif, par } = await rejectionOf(trx, e.collectiviteId, e.dossierId);
  await changeDossierState(trx, deps, flux, 'signature_refusee');
  await trx.updateTable('helios_signature').set({ outcome: 'rejete', motif }).where('child_dossier_id', '=', e.dossierId).execute();
  await journal(trx, deps, e, flux, 'helios.signature.refusee', 'signature_refusee', { motif, par }, []);
}

async function withdrawn(trx: Db, deps: Deps, e: DossierStateChanged, flux: DossierRow): Promise<void> {
  // A flow that moved on (signed, transmitted, abandoned) stays where it is.
  const to = ['a_signer', 'signature_refusee'].includes(flux.state) ? 'poste' : flux.state;
  if (to !== flux.state) await changeDossierState(trx, deps, flux, to);
  const outcome = e.to === 'abandonne' ? 'abandonne' : 'repris';
  await trx.updateTable('helios_signature').set({ outcome, ...(e.to === 'abandonne' ? { current: false } : {}) }).where('child_dossier_id', '=', e.dossierId).execute();
  await journal(trx, deps, e, flux, e.to === 'abandonne' ? 'helios.signature.abandonnee' : 'helios.signature.reprise', to, {}, []);
}

async function resent(trx: Db, deps: Deps, e: DossierStateChanged, flux: DossierRow): Promise<void> {
  await changeDossierState(trx, deps, flux, 'a_signer');
  await trx.updateTable('helios_signature').set({ outcome: null }).where('child_dossier_id', '=', e.dossierId).execute();
  await journal(trx, deps, e, flux, 'helios.signature.renvoyee', 'a_signer', {}, []);
}
