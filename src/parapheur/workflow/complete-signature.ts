/**
 * Phase 2 of a personal signature: the device's signature value is checked against the prepared data and
 * the certificate (checked again: it may have been revoked between the phases), the CMS is assembled
 * (with a timestamp when a TSA is configured), the signed PDF becomes the dossier's new version and the
 * circuit moves on. A wrong value or a refused certificate leaves the dossier exactly as it was.
 */
import type { Deps } from '../../app/deps.ts';
import type { Principal, TenantAccess } from '../../identity/principal.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { AppError, badInput, notFound } from '../../shared/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { loadDossier } from '../../dossiers/load-dossier.ts';
import type { CertificateEvidence } from '../signature/certificates/verify-certificate.ts';
import { assemblePadesSignature, type PreparedPadesSignature } from '../signature/pades/sign-pdf.ts';
import { currentDocument } from '../model.ts';
import { signingSources, trustAnchorsFor } from '../signing-config.ts';
import { putBlob, readBlob, recordBlob } from './blobs.ts';
import { recordStepAct } from './circuit-progress.ts';
import { checkSignatureTurn } from './prepare-signature.ts';
import { insertAct, runParapheurAction } from './run-parapheur-action.ts';

const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

function deserialize(p: Record<string, unknown>, pdf: Uint8Array): PreparedPadesSignature {
  return {
    pdf,
    fieldName: p.fieldName as string,
    byteRange: p.byteRange as [number, number, number, number],
    documentDigest: fromB64(p.documentDigest as string),
    signedAttributesDer: fromB64(p.signedAttributesDer as string),
    signedAttributesDigest: fromB64(p.signedAttributesDigest as string),
    certificateChain: (p.certificateChain as string[]).map(fromB64),
    level: p.level as 'B-B' | 'B-T',
    ...(p.tsaUrl ? { tsaUrl: p.tsaUrl as string } : {}),
    certificate: p.certificate as CertificateEvidence,
    ...(p.mark ? { mark: p.mark as PreparedPadesSignature['mark'] } : {}),
    preparedAt: p.preparedAt as string,
  };
}

export async function completeSignature(deps: Deps, principal: Principal, access: TenantAccess, dossierId: string, input: { sessionId: string; signatureValue: string }): Promise<DossierRow> {
  const cid = access.collectiviteId;
  await loadDossier(deps.db, cid, dossierId); // another collectivité's dossier: not found, whatever the body
  if (!isUuid(input.sessionId)) throw notFound('signature session', 'Préparation de signature');
  const session = await deps.db.selectFrom('parapheur_signature_session').selectAll().where('collectivite_id', '=', cid).where('dossier_id', '=', dossierId).where('id', '=', input.sessionId).executeTakeFirst();
  if (!session || principal.kind !== 'user' || session.user_id !== principal.userId) throw notFound('signature session', 'Préparation de signature');
  if (session.used_at) throw new AppError('CONFLICT', 'Cette préparation de signature a déjà servi.', 'session used');
  const turn = await checkSignatureTurn(deps.db, deps, principal, access, dossierId, session.bureau_id);
  if (turn.stepId !== session.step_id || turn.source.sha256 !== session.source_sha256) throw new AppError('CONFLICT', 'Le dossier a changé depuis la préparation : préparez à nouveau la signature.', 'dossier moved since preparation');
  const value = Buffer.from(input.signatureValue, 'base64');
  if (value.length === 0) throw badInput('Valeur de signature absente.', 'empty signature value');
  const prepared = deserialize(session.prepared, await readBlob(deps, session.prepared_sha256));
  const signed = await assemblePadesSignature(prepared, new Uint8Array(value), {
    recheckCertificate: { trustAnchors: await trustAnchorsFor(deps, cid), usage: 'personal', crlSource: signingSources(deps).crlSource },
  });
  const signedSha = await putBlob(deps, signed.pdf);
  return runParapheurAction(deps, principal, access, dossierId, 'signer', { needsTurn: true, bureauId: session.bureau_id }, async (ctx) => {
    const fresh = await ctx.trx.selectFrom('parapheur_signature_session').select('used_at').where('id', '=', session.id).forUpdate().executeTakeFirstOrThrow();
    const current = currentDocument(ctx.documents)!;
    if (fresh.used_at || ctx.step?.id !== session.step_id || current.sha256 !== session.source_sha256) throw new AppError('CONFLICT', 'Le dossier a changé depuis la préparation : préparez à nouveau la signature.', 'dossier moved since preparation');
    await recordBlob(ctx.trx, signedSha, signed.pdf.length, 'application/pdf');
    const base = current.filename.replace(/(-signe(-\d+)?)?\.pdf$/i, '');
    const doc = await ctx.trx
      .insertInto('document')
      .values({ collectivite_id: cid, dossier_id: dossierId, role: 'signed', filename: `${base}-signe-${ctx.step!.position}.pdf`, media_type: 'application/pdf', size: signed.pdf.length, sha256: signedSha, created_by: ctx.actor.userId })
      .returning('id')
      .executeTakeFirstOrThrow();
    await ctx.trx.updateTable('parapheur_signature_session').set({ used_at: deps.clock.now() }).where('id', '=', session.id).execute();
    const evidence = signed.certificate as unknown as Record<string, unknown>;
    await insertAct(ctx, 'signer', { certificate: { ...evidence, level: signed.level, ...(signed.timestampTime ? { timestampTime: signed.timestampTime } : {}) }, signedSha256: session.source_sha256, documentHashes: [session.source_sha256, signedSha] });
    const progress = await recordStepAct(ctx.trx, deps, ctx.step!, ctx.acting!.bureauId);
    return { state: progress.state, details: { step: ctx.step!.position, documentId: doc.id, level: signed.level, certificate: signed.certificate.certificate }, documentHashes: [session.source_sha256, signedSha] };
  });
}
