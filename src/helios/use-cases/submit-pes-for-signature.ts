/**
 * Soumettre à la signature: an unsigned PES_Aller goes through a parapheur circuit (XAdES-EPES per bordereau)
 * before it is transmitted, like an acte (src/actes/use-cases/submit-acte-for-signature.ts). In one
 * transaction: the flow moves to `a_signer`, a child `pes-a-signer` dossier is created with the PES, linked
 * to the flow (`helios_signature`) and sent into the XAdES typologie's circuit by the parapheur's own use
 * case (same checks: typologie, bureau émetteur held by the caller, variable bureaux). Any refusal rolls
 * everything back. What comes of the circuit moves the flow (see follow-pes-signature).
 */
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import type { Principal, TenantAccess } from '../../identity/principal.ts';
import { AppError, notFound } from '../../shared/errors.ts';
import { checkAction } from '../../dossiers/dossier-type.ts';
import { changeDossierState } from '../../dossiers/change-state.ts';
import { loadDossier } from '../../dossiers/load-dossier.ts';
import { snapshotOf } from '../../dossiers/presenter.ts';
import { actingAs } from '../../dossiers/run-dossier-action.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { abandonEarlierCircuit, checkCircuitChoices, circuitChoicesInput, journalSubmission, startChildCircuit } from '../../parapheur/workflow/child-circuit.ts';
import { HELIOS_TYPE } from '../dossier-type.ts';

export const soumettrePesInput = circuitChoicesInput({
  typologie: 'Typologie XAdES du parapheur de la collectivité (ex. Helios / PES) : elle choisit le circuit',
  bureauEmetteur: 'Bureau au nom duquel le flux PES entre dans le circuit',
  transmettre: 'Transmettre à la trésorerie dès la fin du circuit',
}).extend({
  porteeSignature: z
    .enum(['bordereaux', 'global'])
    .optional()
    .describe('« bordereaux » : une signature XAdES par bordereau (cas habituel) ; « global » : une seule signature de tout le PES_Aller (un Id lui est ajouté s’il n’en a pas). Absent : selon le fichier (bordereaux tous identifiés → par bordereau, sinon globale)'),
});
export type SoumettrePesInput = z.infer<typeof soumettrePesInput>;

export async function submitPesForSignature(deps: Deps, principal: Principal, access: TenantAccess, heliosDossierId: string, input: SoumettrePesInput): Promise<{ flux: DossierRow; parapheurDossierId: string }> {
  const cid = access.collectiviteId;
  const who = actingAs(access, principal.kind);
  return deps.db.transaction().execute(async (trx) => {
    const { dossier: flux, documents } = await loadDossier(trx, cid, heliosDossierId, { forUpdate: true });
    if (flux.type !== HELIOS_TYPE) throw notFound('helios', 'Flux PES');
    const def = deps.dossierTypes.get(HELIOS_TYPE);
    const check = checkAction(def, 'soumettre_signature', snapshotOf(flux, documents), who, { viaModule: true });
    if (!check.ok) throw new AppError(check.status === 403 ? 'FORBIDDEN' : 'INVALID_STATE', check.reasonFr, `soumettre_signature refused in state ${flux.state}`);
    const { typologie, metadata } = await checkCircuitChoices(trx, cid, input, 'xades', (t) => `La typologie « ${t.type} / ${t.sous_type} » signe en ${t.format.toUpperCase()} : un flux PES se signe en XAdES (une signature par bordereau), choisissez une typologie XAdES (ex. Helios / PES).`);
    const pes = documents.find((d) => d.role === 'principal')!;

    const previous = await trx.selectFrom('helios_signature').innerJoin('dossier', 'dossier.id', 'helios_signature.child_dossier_id').select(['helios_signature.child_dossier_id', 'dossier.state']).where('helios_signature.collectivite_id', '=', cid).where('helios_signature.helios_dossier_id', '=', flux.id).where('helios_signature.current', '=', true).executeTakeFirst();
    if (previous) {
      await trx.updateTable('helios_signature').set({ current: false }).where('child_dossier_id', '=', previous.child_dossier_id).execute();
      await abandonEarlierCircuit(trx, deps, principal, access, { id: previous.child_dossier_id, state: previous.state }, 'Flux PES soumis à un nouveau circuit de signature');
    }

    const to = def.actions.soumettre_signature!.to;
    await changeDossierState(trx, deps, flux, to);
    const child = await startChildCircuit(trx, deps, principal, access, {
      childType: 'pes-a-signer',
      title: `${flux.title} — ${String(flux.metadata.bordereaux ?? '?')} bordereau(x)`.slice(0, 500),
      documents: [pes],
      // What each signature step signs: every bordereau, or the whole PES_Aller (prepare-signature.ts, apply-seal.ts).
      metadata: input.porteeSignature ? { ...metadata, porteeSignature: input.porteeSignature } : metadata,
      journalDetails: { heliosDossierId: flux.id, porteeSignature: input.porteeSignature ?? 'selon le fichier' },
      link: async (childId) => {
        await trx.insertInto('helios_signature').values({ child_dossier_id: childId, helios_dossier_id: flux.id, collectivite_id: cid, transmettre_apres_signature: input.transmettreApresSignature }).execute();
      },
    });

    const updated = await journalSubmission(trx, deps, principal, { parent: flux, to, label: def.actions.soumettre_signature!.label, child, typologie, input, documentHashes: [pes.sha256] });
    return { flux: updated, parapheurDossierId: child.id };
  });
}
