/**
 * Soumettre à la signature: the acte goes through a parapheur circuit before it is transmitted, the way
 * Pastell hands an acte to i-Parapheur, but inside one platform. In one transaction: the acte moves to
 * `a_signer`, a child `document-a-signer` dossier is created with the acte's PDF (and its annexes as
 * annexes), linked to the acte (`actes_signature`), and sent into the typologie's circuit by the
 * parapheur's own use case (same checks: typologie, bureau émetteur held by the caller, variable bureaux).
 * Any refusal rolls everything back. What comes of the circuit moves the acte (see follow-acte-signature).
 */
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import type { Principal, TenantAccess } from '../../identity/principal.ts';
import { actorOf } from '../../identity/principal.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { AppError, notFound } from '../../shared/errors.ts';
import { checkAction } from '../../dossiers/dossier-type.ts';
import { changeDossierState } from '../../dossiers/change-state.ts';
import { loadDossier } from '../../dossiers/load-dossier.ts';
import { snapshotOf } from '../../dossiers/presenter.ts';
import { actingAs, runDossierActionIn } from '../../dossiers/run-dossier-action.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { documentASignerMetadata } from '../../parapheur/model.ts';
import { sendDossier } from '../../parapheur/workflow/send-dossier.ts';
import { ACTES_TYPE } from '../dossier-type.ts';

const uuid = z.uuid('Identifiant invalide.');

export const soumettreSignatureInput = z.object({
  typologieId: uuid.describe('Typologie PAdES du parapheur de la collectivité (ex. Actes / Délibération) : elle choisit le circuit'),
  bureauEmetteurId: uuid.describe('Bureau au nom duquel l’acte entre dans le circuit'),
  bureauxVariables: z.record(z.string(), uuid).default({}).describe('Bureaux choisis pour les étapes « variable » du circuit'),
  dateLimite: z.iso.datetime({ offset: true }).optional().describe('Date limite de traitement dans le parapheur'),
  transmettreApresSignature: z.boolean().default(true).describe('Transmettre en préfecture dès la fin du circuit'),
});
export type SoumettreSignatureInput = z.infer<typeof soumettreSignatureInput>;

/** The child's parapheur type and its limits. */
const CHILD_TYPE = 'document-a-signer';
/** Child states from which an earlier circuit is abandoned when the acte is submitted again. */
const ABANDONABLE = ['brouillon', 'rejete'];

const refuse = (fr: string, en: string) => new AppError('UNPROCESSABLE', fr, en);

export function childTitle(metadata: Record<string, unknown>): string {
  const objet = String(metadata.objet ?? '');
  return `Acte n° ${String(metadata.numeroInterne ?? '')} — ${objet}`.slice(0, 500);
}

export async function submitActeForSignature(deps: Deps, principal: Principal, access: TenantAccess, acteDossierId: string, input: SoumettreSignatureInput): Promise<{ acte: DossierRow; parapheurDossierId: string }> {
  const cid = access.collectiviteId;
  const actor = actorOf(principal);
  const who = actingAs(access, principal.kind);
  return deps.db.transaction().execute(async (trx) => {
    const { dossier: acte, documents } = await loadDossier(trx, cid, acteDossierId, { forUpdate: true });
    if (acte.type !== ACTES_TYPE) throw notFound('acte', 'Acte');
    const def = deps.dossierTypes.get(ACTES_TYPE);
    const check = checkAction(def, 'soumettre_signature', snapshotOf(acte, documents), who, { viaModule: true });
    if (!check.ok) throw new AppError(check.status === 403 ? 'FORBIDDEN' : 'INVALID_STATE', check.reasonFr, `soumettre_signature refused in state ${acte.state}`);

    const typologie = await trx.selectFrom('parapheur_typologie').selectAll().where('collectivite_id', '=', cid).where('id', '=', input.typologieId).executeTakeFirst();
    if (!typologie) throw refuse('La typologie choisie n’existe pas dans le parapheur de cette collectivité.', 'unknown typologie');
    if (typologie.format !== 'pades') {
      throw refuse(`La typologie « ${typologie.type} / ${typologie.sous_type} » signe en ${typologie.format.toUpperCase()} : un acte PDF se signe en PAdES, choisissez une typologie PAdES (ex. Actes / Délibération).`, 'typologie is not pades');
    }
    const principalDoc = documents.find((d) => d.role === 'principal')!;
    if (principalDoc.media_type !== 'application/pdf') {
      throw refuse('Seul un acte PDF passe par le circuit de signature (PAdES). Un acte XML se transmet directement.', 'principal is not a pdf');
    }
    const annexes = documents.filter((d) => d.role === 'annexe');
    const childDef = deps.dossierTypes.get(CHILD_TYPE);
    if (annexes.length > childDef.documents.maxAnnexes) {
      throw refuse(`Le parapheur accepte au plus ${childDef.documents.maxAnnexes} annexes : cet acte en a ${annexes.length}.`, 'too many annexes for the parapheur');
    }
    const parsed = documentASignerMetadata.safeParse({ typologieId: input.typologieId, bureauEmetteurId: input.bureauEmetteurId, bureauxVariables: input.bureauxVariables, ...(input.dateLimite ? { dateLimite: input.dateLimite } : {}) });
    if (!parsed.success) {
      throw new AppError('VALIDATION', 'Les choix du parapheur sont invalides.', 'parapheur metadata failed', { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
    }

    // An earlier circuit of this acte (rejected, or taken back) no longer decides anything.
    const previous = await trx.selectFrom('actes_signature').innerJoin('dossier', 'dossier.id', 'actes_signature.child_dossier_id').select(['actes_signature.child_dossier_id', 'dossier.state']).where('actes_signature.collectivite_id', '=', cid).where('actes_signature.acte_dossier_id', '=', acte.id).where('actes_signature.current', '=', true).executeTakeFirst();
    if (previous) {
      await trx.updateTable('actes_signature').set({ current: false }).where('child_dossier_id', '=', previous.child_dossier_id).execute();
      if (ABANDONABLE.includes(previous.state)) await runDossierActionIn(trx, deps, actor, who, cid, previous.child_dossier_id, 'abandonner', 'Acte soumis à un nouveau circuit de signature');
    }

    const to = def.actions.soumettre_signature!.to;
    await changeDossierState(trx, deps, acte, to);

    const title = childTitle(acte.metadata);
    const child = await trx
      .insertInto('dossier')
      .values({ collectivite_id: cid, type: CHILD_TYPE, title, metadata: JSON.stringify(parsed.data), state: childDef.initialState, created_by: actor.userId, updated_at: deps.clock.now() })
      .returningAll()
      .executeTakeFirstOrThrow();
    // The same blobs, as the child's documents: the PDF to sign and the annexes, in the acte's order.
    for (const d of [principalDoc, ...annexes]) {
      await trx.insertInto('document').values({ collectivite_id: cid, dossier_id: child.id, role: d.role, filename: d.filename, media_type: d.media_type, size: d.size, sha256: d.sha256, created_by: actor.userId }).execute();
    }
    await trx.insertInto('actes_signature').values({ child_dossier_id: child.id, acte_dossier_id: acte.id, collectivite_id: cid, transmettre_apres_signature: input.transmettreApresSignature }).execute();
    const hashes = [principalDoc, ...annexes].map((d) => d.sha256);
    await appendJournal(trx, deps.clock, actor, { collectiviteId: cid, action: 'dossier.created', objectType: 'dossier', objectId: child.id, details: { type: CHILD_TYPE, title, state: childDef.initialState, metadata: parsed.data, acteDossierId: acte.id }, documentHashes: hashes });

    await sendDossier(deps, principal, access, child.id, trx);

    const updated = await trx.selectFrom('dossier').selectAll().where('id', '=', acte.id).executeTakeFirstOrThrow();
    await appendJournal(trx, deps.clock, actor, {
      collectiviteId: cid,
      action: 'dossier.action.soumettre_signature',
      objectType: 'dossier',
      objectId: acte.id,
      details: { from: acte.state, to, label: def.actions.soumettre_signature!.label, parapheurDossierId: child.id, typologie: `${typologie.type} / ${typologie.sous_type}`, bureauEmetteurId: input.bureauEmetteurId, transmettreApresSignature: input.transmettreApresSignature },
      documentHashes: documents.map((d) => d.sha256),
    });
    return { acte: updated, parapheurDossierId: child.id };
  });
}
