/**
 * Envoyer: instantiates the typologie's circuit for this dossier (each step's bureaux resolved now: fixed
 * bureaux, the émetteur's bureau, its superior, or the bureau chosen at creation), checks the document can
 * be signed in the typologie's format, and activates the first step.
 */
import type { Deps } from '../../app/deps.ts';
import type { Principal, TenantAccess } from '../../identity/principal.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../shared/errors.ts';
import { loadPdf } from '../signature/pades/pdf-input.ts';
import { CADES_CONTENT_MEDIA_TYPES, circuitStep, documentASignerMetadata, xadesScopeOf, type CircuitStep } from '../model.ts';
import { heldBureaux } from './acting-bureau.ts';
import { readBlob } from './blobs.ts';
import { activateStep } from './circuit-progress.ts';
import { FORMATS_OF_TYPE, insertAct, runParapheurAction } from './run-parapheur-action.ts';
import { decodePes } from '../signature/xades/encoding.ts';
import { scanPes } from '../signature/xades/scan.ts';

const refuse = (fr: string, en: string) => new AppError('UNPROCESSABLE', fr, en);

/** `trx`: send inside the caller's transaction (an acte submitted for signature creates its child dossier and sends it at once). */
export async function sendDossier(deps: Deps, principal: Principal, access: TenantAccess, dossierId: string, trx?: Db): Promise<DossierRow> {
  return runParapheurAction(deps, principal, access, dossierId, 'envoyer', { needsTurn: false, ...(trx ? { trx } : {}) }, async (ctx) => {
    const { trx, dossier, documents } = ctx;
    const cid = dossier.collectivite_id;
    const meta = documentASignerMetadata.parse(dossier.metadata);
    const typologie = await trx.selectFrom('parapheur_typologie').selectAll().where('collectivite_id', '=', cid).where('id', '=', meta.typologieId).executeTakeFirst();
    if (!typologie) throw refuse('La typologie du dossier n’existe pas dans cette collectivité.', 'unknown typologie');
    const circuit = await trx.selectFrom('parapheur_circuit').selectAll().where('collectivite_id', '=', cid).where('id', '=', typologie.circuit_id).executeTakeFirstOrThrow();
    const bureaux = await trx.selectFrom('parapheur_bureau').select(['id', 'superior_id']).where('collectivite_id', '=', cid).execute();
    const known = new Map(bureaux.map((b) => [b.id, b]));
    const emetteur = known.get(meta.bureauEmetteurId);
    if (!emetteur) throw refuse('Le bureau émetteur n’existe pas dans cette collectivité.', 'unknown emitting bureau');
    if (principal.kind === 'user' && !(await heldBureaux(trx, cid, principal.userId)).includes(emetteur.id)) {
      throw new AppError('FORBIDDEN', 'Vous ne tenez pas le bureau émetteur de ce dossier.', 'sender does not hold the emitting bureau');
    }
    if (!FORMATS_OF_TYPE[dossier.type]?.includes(typologie.format)) {
      throw refuse(`La typologie « ${typologie.type} / ${typologie.sous_type} » signe en ${typologie.format.toUpperCase()} : elle ne convient pas à ce type de dossier.`, 'typologie format does not match the dossier type');
    }
    const steps = (circuit.steps as unknown[]).map((s) => circuitStep.parse(s) as CircuitStep);
    const principalDoc = documents.find((d) => d.role === 'principal')!;
    const bytes = await readBlob(deps, principalDoc.sha256);
    if (typologie.format === 'pades') {
      if (principalDoc.media_type !== 'application/pdf') throw refuse(`La typologie « ${typologie.type} / ${typologie.sous_type} » signe en PAdES : le document principal doit être un PDF.`, `PAdES typologie with a ${principalDoc.media_type} principal`);
      await loadPdf(bytes, 'sign'); // encrypted / corrupt PDF: refused here
    }
    if (typologie.format === 'cades' && !CADES_CONTENT_MEDIA_TYPES.includes(principalDoc.media_type)) {
      throw refuse(`Ce type de fichier (${principalDoc.media_type}) ne peut pas être signé en CAdES.`, `CAdES of ${principalDoc.media_type}`);
    }
    if (typologie.format === 'xades') {
      let root = '';
      try {
        root = scanPes(decodePes(Buffer.from(bytes)).text).root.local;
      } catch (e) {
        throw refuse('Le fichier PES est illisible (XML mal formé, DOCTYPE ou encodage non pris en charge).', `PES unreadable: ${(e as Error).message}`);
      }
      if (root !== 'PES_Aller') throw refuse('Le fichier n’est pas un PES_Aller : seuls les bordereaux d’un PES_Aller sont signés.', `root ${root}`);
      // One Signature per Bordereau and one global one (schema): per-bordereau signatures, then a global one over them.
      const signing = steps.filter((s) => s.kind !== 'visa').length;
      if (signing > 2) throw refuse('Un PES porte au plus une signature par bordereau puis une signature globale : le circuit doit avoir au plus deux étapes de signature ou de cachet.', 'more than two signing steps for a PES');
      if (signing > 1 && xadesScopeOf(dossier.metadata) === 'global') throw refuse('Une signature globale du PES a été demandée : le circuit doit avoir une seule étape de signature ou de cachet.', 'several signing steps for a globally signed PES');
    }
    const resolved = steps.map((s, i) => {
      if (s.kind === 'cachet' || !s.actors) return { kind: s.kind, mode: 'any' as const, ids: [] as string[] };
      const a = s.actors;
      let ids: string[];
      if (a.type === 'bureaux') ids = a.bureauIds;
      else if (a.type === 'emetteur') ids = [emetteur.id];
      else if (a.type === 'superieur') {
        if (!emetteur.superior_id) throw refuse(`L’étape ${i + 1} demande le supérieur du bureau émetteur, qui n’en a pas.`, 'no superior bureau');
        ids = [emetteur.superior_id];
      } else {
        const chosen = meta.bureauxVariables[a.key];
        if (!chosen) throw refuse(`Choisissez le bureau « ${a.key} » de l’étape ${i + 1} à la création du dossier.`, `variable bureau ${a.key} missing`);
        ids = [chosen];
      }
      for (const id of ids) if (!known.has(id)) throw refuse(`Un bureau de l’étape ${i + 1} n’existe plus.`, `bureau ${id} missing`);
      return { kind: s.kind, mode: a.type === 'bureaux' ? a.mode : ('any' as const), ids };
    });
    // The typologie's format, mark and PAdES level are copied, like the steps: editing the typologie applies to the next dossiers.
    const signing = { format: typologie.format, mark: typologie.mark ? JSON.stringify(typologie.mark) : null, niveau_pades: typologie.niveau_pades };
    await trx.insertInto('parapheur_dossier')
      .values({ dossier_id: dossier.id, collectivite_id: cid, typologie_id: typologie.id, emetteur_user_id: principal.kind === 'user' ? principal.userId : null, emetteur_bureau_id: emetteur.id, current_position: null, deadline: meta.dateLimite ? new Date(meta.dateLimite) : null, sent_at: deps.clock.now(), finished_at: null, ...signing })
      .onConflict((oc) => oc.column('dossier_id').doUpdateSet({ typologie_id: typologie.id, emetteur_bureau_id: emetteur.id, emetteur_user_id: principal.kind === 'user' ? principal.userId : null, deadline: meta.dateLimite ? new Date(meta.dateLimite) : null, sent_at: deps.clock.now(), finished_at: null, ...signing }))
      .execute();
    await trx.insertInto('parapheur_step')
      .values(resolved.map((s, i) => ({ collectivite_id: cid, dossier_id: dossier.id, position: i + 1, kind: s.kind, mode: s.mode, state: 'waiting', bureau_ids: JSON.stringify(s.ids), pending_bureau_ids: JSON.stringify([]) })))
      .execute();
    await insertAct(ctx, 'envoyer', { bureauId: emetteur.id, viaBureauId: null });
    const progress = await activateStep(trx, deps, cid, dossier.id, 1);
    return { state: progress.state, details: { circuit: circuit.name, typologie: `${typologie.type} / ${typologie.sous_type}`, steps: resolved.map((s) => ({ kind: s.kind, mode: s.mode, bureauIds: s.ids })) } };
  });
}
