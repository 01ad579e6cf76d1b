/**
 * Soumettre à la signature: the acte goes through a parapheur circuit before it is transmitted, the way
 * Pastell hands an acte to i-Parapheur, but inside one platform. In one transaction: the acte moves to
 * `a_signer`, a child `document-a-signer` dossier is created with the acte's PDF (and its annexes as
 * annexes), linked to the acte (`actes_signature`), and sent into the typologie's circuit by the
 * parapheur's own use case (same checks: typologie, bureau émetteur held by the caller, variable bureaux).
 * Any refusal rolls everything back. What comes of the circuit moves the acte (see follow-acte-signature).
 */
import type { Deps } from '../../app/deps.ts';
import type { Principal, TenantAccess } from '../../identity/principal.ts';
import { AppError, notFound } from '../../shared/errors.ts';
import { checkAction } from '../../dossiers/dossier-type.ts';
import { changeDossierState } from '../../dossiers/change-state.ts';
import { loadDossier } from '../../dossiers/load-dossier.ts';
import { snapshotOf } from '../../dossiers/presenter.ts';
import { actingAs } from '../../dossiers/run-dossier-action.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { abandonEarlierCircuit, checkCircuitChoices, circuitChoicesInput, journalSubmission, startChildCircuit, type CircuitChoices } from '../../parapheur/workflow/child-circuit.ts';
import { ACTES_TYPE } from '../dossier-type.ts';

export const soumettreSignatureInput = circuitChoicesInput({
  typologie: 'Typologie PAdES du parapheur de la collectivité (ex. Actes / Délibération) : elle choisit le circuit',
  bureauEmetteur: 'Bureau au nom duquel l’acte entre dans le circuit',
  transmettre: 'Transmettre en préfecture dès la fin du circuit',
});
export type SoumettreSignatureInput = CircuitChoices;

/** The child's parapheur type and its limits. */
const CHILD_TYPE = 'document-a-signer';

const refuse = (fr: string, en: string) => new AppError('UNPROCESSABLE', fr, en);

export function childTitle(metadata: Record<string, unknown>): string {
  const objet = String(metadata.objet ?? '');
  return `Acte n° ${String(metadata.numeroInterne ?? '')} — ${objet}`.slice(0, 500);
}

export async function submitActeForSignature(deps: Deps, principal: Principal, access: TenantAccess, acteDossierId: string, input: SoumettreSignatureInput): Promise<{ acte: DossierRow; parapheurDossierId: string }> {
  const cid = access.collectiviteId;
  const who = actingAs(access, principal.kind);
  return deps.db.transaction().execute(async (trx) => {
    const { dossier: acte, documents } = await loadDossier(trx, cid, acteDossierId, { forUpdate: true });
    if (acte.type !== ACTES_TYPE) throw notFound('acte', 'Acte');
    const def = deps.dossierTypes.get(ACTES_TYPE);
    const check = checkAction(def, 'soumettre_signature', snapshotOf(acte, documents), who, { viaModule: true });
    if (!check.ok) throw new AppError(check.status === 403 ? 'FORBIDDEN' : 'INVALID_STATE', check.reasonFr, `soumettre_signature refused in state ${acte.state}`);

    const { typologie, metadata } = await checkCircuitChoices(trx, cid, input, 'pades', (t) => `La typologie « ${t.type} / ${t.sous_type} » signe en ${t.format.toUpperCase()} : un acte PDF se signe en PAdES, choisissez une typologie PAdES (ex. Actes / Délibération).`);
    const principalDoc = documents.find((d) => d.role === 'principal')!;
    if (principalDoc.media_type !== 'application/pdf') {
      throw refuse('Seul un acte PDF passe par le circuit de signature (PAdES). Un acte XML se transmet directement.', 'principal is not a pdf');
    }
    const annexes = documents.filter((d) => d.role === 'annexe');
    const childDef = deps.dossierTypes.get(CHILD_TYPE);
    if (annexes.length > childDef.documents.maxAnnexes) {
      throw refuse(`Le parapheur accepte au plus ${childDef.documents.maxAnnexes} annexes : cet acte en a ${annexes.length}.`, 'too many annexes for the parapheur');
    }
    // An earlier circuit of this acte (rejected, or taken back) no longer decides anything.
    const previous = await trx.selectFrom('actes_signature').innerJoin('dossier', 'dossier.id', 'actes_signature.child_dossier_id').select(['actes_signature.child_dossier_id', 'dossier.state']).where('actes_signature.collectivite_id', '=', cid).where('actes_signature.acte_dossier_id', '=', acte.id).where('actes_signature.current', '=', true).executeTakeFirst();
    if (previous) {
      await trx.updateTable('actes_signature').set({ current: false }).where('child_dossier_id', '=', previous.child_dossier_id).execute();
      await abandonEarlierCircuit(trx, deps, principal, access, { id: previous.child_dossier_id, state: previous.state }, 'Acte soumis à un nouveau circuit de signature');
    }

    const to = def.actions.soumettre_signature!.to;
    await changeDossierState(trx, deps, acte, to);

    const child = await startChildCircuit(trx, deps, principal, access, {
      childType: CHILD_TYPE,
      title: childTitle(acte.metadata),
      // The PDF to sign and the annexes, in the acte's order.
      documents: [principalDoc, ...annexes],
      metadata,
      journalDetails: { acteDossierId: acte.id },
      link: async (childId) => {
        await trx.insertInto('actes_signature').values({ child_dossier_id: childId, acte_dossier_id: acte.id, collectivite_id: cid, transmettre_apres_signature: input.transmettreApresSignature }).execute();
      },
    });

    const updated = await journalSubmission(trx, deps, principal, { parent: acte, to, label: def.actions.soumettre_signature!.label, child, typologie, input, documentHashes: documents.map((d) => d.sha256) });
    return { acte: updated, parapheurDossierId: child.id };
  });
}
