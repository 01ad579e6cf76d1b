/**
 * Phase 2 of a personal signature: the device's signature values are checked against the prepared data and
 * the certificate (checked again: it may have been revoked between the phases), then assembled — PAdES:
 * the CMS (with a timestamp when a TSA is configured) written into the prepared PDF, then for B-LT / B-LTA the
 * DSS and the document timestamp appended before the PDF is stored; XAdES: the file is
 * prepared again from the session's parameters (deterministic, checked against the digests given to the
 * device) and each bordereau's signature spliced in; CAdES: the .p7s built over the unchanged file. The
 * signed file becomes the dossier's new version (CAdES: the .p7s, a co-signature holding every signer so far, is added beside the principal, which stays
 * the signed content) and the circuit moves on. A wrong value or a refused certificate leaves the dossier exactly as it was.
 */
import type { Deps } from '../../app/deps.ts';
import type { Principal, TenantAccess } from '../../identity/principal.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { AppError, badInput, notFound } from '../../shared/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { loadDossier } from '../../dossiers/load-dossier.ts';
import { assertCertificateAcceptable, type CertificateEvidence } from '../signature/certificates/verify-certificate.ts';
import { assemblePadesSignature, extendSignedPdf, type PreparedPadesSignature } from '../signature/pades/sign-pdf.ts';
import { assembleXadesSignature, prepareXadesSignature } from '../signature/xades/sign.ts';
import { assembleCadesSignature, deserializePreparedCades } from '../signature/cades/sign-cades.ts';
import { assembleCadesCosignature } from '../signature/cades/cosign-cades.ts';
import { currentDocument, detachedSignatures, DETACHED_SIGNATURE_MEDIA_TYPE, padesLevel, signedFilename } from '../model.ts';
import { signingSources, trustAnchorsFor } from '../signing-config.ts';
import { putBlob, readBlob, recordBlob } from './blobs.ts';
import { recordStepAct } from './circuit-progress.ts';
import { checkSignatureTurn } from './prepare-signature.ts';
import { insertAct, runParapheurAction } from './run-parapheur-action.ts';

const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** A preparation is valid this long: the device answers within minutes, not days. */
export const SIGNATURE_SESSION_TTL_MS = 60 * 60 * 1000;

function deserializePades(p: Record<string, unknown>, pdf: Uint8Array): PreparedPadesSignature {
  return {
    parts: [pdf],
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

interface Signed {
  bytes: Uint8Array;
  mediaType: string;
  extension: string;
  evidence: CertificateEvidence;
  level: string;
  timestampTime?: string;
  /** Claimed signing time written in a CAdES signature. */
  signingTime?: string;
}

async function assembleXades(deps: Deps, cid: string, p: Record<string, unknown>, source: Uint8Array, values: Uint8Array[]): Promise<Signed> {
  const chain = (p.certificateChain as string[]).map(fromB64);
  // The scope chosen at preparation (a session prepared before it existed: 'auto', what was used then).
  const scope = p.scope === 'global' || p.scope === 'bordereaux' ? p.scope : 'auto';
  const prepared = prepareXadesSignature(source, chain[0]!, { role: p.role as string, signingTime: new Date(p.signingTime as string), signatureIdPrefix: p.signatureIdPrefix as string, scope });
  const digests = prepared.bordereaux.map((b) => b.dataToSignSha256.toString('base64'));
  if (JSON.stringify(digests) !== JSON.stringify(p.digests)) throw new AppError('CONFLICT', 'Le fichier a changé depuis la préparation : préparez à nouveau la signature.', 'XAdES preparation is not reproducible');
  if (values.length !== digests.length) throw badInput(`Une valeur de signature par bordereau est attendue (${digests.length}).`, `expected ${digests.length} values, got ${values.length}`);
  const bytes = assembleXadesSignature(prepared, values);
  const evidence = await assertCertificateAcceptable({ certificate: chain[0]!, intermediates: chain.slice(1), trustAnchors: await trustAnchorsFor(deps, cid), usage: 'personal', crlSource: signingSources(deps).crlSource });
  return { bytes, mediaType: 'application/xml', extension: 'xml', evidence, level: 'XAdES-EPES' };
}

/** The CMS into the prepared PDF; then, for a B-LT / B-LTA typologie, the DSS of this signature and the document timestamp. */
async function assemblePades(deps: Deps, cid: string, p: Record<string, unknown>, preparedPdf: Uint8Array, values: Uint8Array[]): Promise<Signed> {
  if (values.length !== 1) throw badInput('Une seule valeur de signature est attendue pour un PDF.', `expected 1 value, got ${values.length}`);
  const prepared = deserializePades(p, preparedPdf);
  const checks = { trustAnchors: await trustAnchorsFor(deps, cid), crlSource: signingSources(deps).crlSource };
  const assembled = await assemblePadesSignature(prepared, values[0]!, { recheckCertificate: { ...checks, usage: 'personal' } });
  // sessions prepared before the typologie level existed have no targetLevel: the level of their CMS
  const target = padesLevel.safeParse(p.targetLevel).data ?? prepared.level;
  const signed = await extendSignedPdf(assembled, target, { ...checks, ...(prepared.tsaUrl ? { tsaUrl: prepared.tsaUrl } : {}) });
  return { bytes: signed.pdf, mediaType: 'application/pdf', extension: 'pdf', evidence: signed.certificate, level: `PAdES ${signed.level}`, ...(signed.timestampTime ? { timestampTime: signed.timestampTime } : {}) };
}

/**
 * Detached CAdES: the value is checked over the prepared attributes and the unchanged file; the .p7s is built,
 * joined to the earlier .p7s named in the session (co-signature) when there is one.
 */
async function assembleCades(deps: Deps, cid: string, p: Record<string, unknown>, source: Uint8Array, values: Uint8Array[]): Promise<Signed> {
  if (values.length !== 1) throw badInput('Une seule valeur de signature est attendue pour une signature CAdES.', `expected 1 value, got ${values.length}`);
  const prepared = deserializePreparedCades(p);
  const options = { recheckCertificate: { trustAnchors: await trustAnchorsFor(deps, cid), usage: 'personal' as const, crlSource: signingSources(deps).crlSource } };
  const signed = prepared.cosignedSha256
    ? await assembleCadesCosignature(prepared, await readBlob(deps, prepared.cosignedSha256), source, values[0]!, options)
    : await assembleCadesSignature(prepared, source, values[0]!, options);
  return { bytes: signed.p7s, mediaType: DETACHED_SIGNATURE_MEDIA_TYPE, extension: 'p7s', evidence: signed.certificate, level: `CAdES ${signed.level}`, signingTime: signed.signingTime, ...(signed.timestampTime ? { timestampTime: signed.timestampTime } : {}) };
}

export async function completeSignature(deps: Deps, principal: Principal, access: TenantAccess, dossierId: string, input: { sessionId: string; signatureValues: string[] }): Promise<DossierRow> {
  const cid = access.collectiviteId;
  await loadDossier(deps.db, cid, dossierId); // another collectivité's dossier: not found, whatever the body
  if (!isUuid(input.sessionId)) throw notFound('signature session', 'Préparation de signature');
  const session = await deps.db.selectFrom('parapheur_signature_session').selectAll().where('collectivite_id', '=', cid).where('dossier_id', '=', dossierId).where('id', '=', input.sessionId).executeTakeFirst();
  if (!session || principal.kind !== 'user' || session.user_id !== principal.userId) throw notFound('signature session', 'Préparation de signature');
  if (session.used_at) throw new AppError('CONFLICT', 'Cette préparation de signature a déjà servi.', 'session used');
  if (deps.clock.now().getTime() - session.created_at.getTime() > SIGNATURE_SESSION_TTL_MS) throw new AppError('CONFLICT', 'Cette préparation de signature a expiré : préparez à nouveau la signature.', 'session expired');
  const turn = await checkSignatureTurn(deps.db, deps, principal, access, dossierId, session.bureau_id);
  if (turn.stepId !== session.step_id || turn.source.sha256 !== session.source_sha256) throw new AppError('CONFLICT', 'Le dossier a changé depuis la préparation : préparez à nouveau la signature.', 'dossier moved since preparation');
  const values = input.signatureValues.map((v) => new Uint8Array(Buffer.from(v, 'base64')));
  if (values.some((v) => v.length === 0)) throw badInput('Valeur de signature absente.', 'empty signature value');
  const p = session.prepared;
  const signed = p.format === 'xades'
    ? await assembleXades(deps, cid, p, await readBlob(deps, session.source_sha256), values)
    : p.format === 'cades'
    ? await assembleCades(deps, cid, p, await readBlob(deps, session.source_sha256), values)
    : await assemblePades(deps, cid, p, await readBlob(deps, session.prepared_sha256), values);
  const signedSha = await putBlob(deps, signed.bytes);
  return runParapheurAction(deps, principal, access, dossierId, 'signer', { needsTurn: true, bureauId: session.bureau_id }, async (ctx) => {
    const fresh = await ctx.trx.selectFrom('parapheur_signature_session').select('used_at').where('id', '=', session.id).forUpdate().executeTakeFirstOrThrow();
    const current = currentDocument(ctx.documents)!;
    const cosigned = p.format === 'cades' ? ((p.cosignedSha256 as string | undefined) ?? null) : null;
    const lastDetached = p.format === 'cades' ? (detachedSignatures(ctx.documents).at(-1)?.sha256 ?? null) : null;
    if (fresh.used_at || ctx.step?.id !== session.step_id || current.sha256 !== session.source_sha256 || lastDetached !== cosigned) throw new AppError('CONFLICT', 'Le dossier a changé depuis la préparation : préparez à nouveau la signature.', 'dossier moved since preparation');
    await recordBlob(ctx.trx, signedSha, signed.bytes.length, signed.mediaType);
    const doc = await ctx.trx
      .insertInto('document')
      .values({ collectivite_id: cid, dossier_id: dossierId, role: 'signed', filename: signedFilename(current.filename, ctx.step!.position, signed.extension), media_type: signed.mediaType, size: signed.bytes.length, sha256: signedSha, created_by: ctx.actor.userId })
      .returning('id')
      .executeTakeFirstOrThrow();
    await ctx.trx.updateTable('parapheur_signature_session').set({ used_at: deps.clock.now() }).where('id', '=', session.id).execute();
    await insertAct(ctx, 'signer', { certificate: { ...(signed.evidence as unknown as Record<string, unknown>), level: signed.level, ...(signed.timestampTime ? { timestampTime: signed.timestampTime } : {}), ...(signed.signingTime ? { signingTime: signed.signingTime } : {}) }, signedSha256: session.source_sha256, documentHashes: [session.source_sha256, signedSha] });
    const progress = await recordStepAct(ctx.trx, deps, ctx.step!, ctx.acting!.bureauId);
    return { state: progress.state, details: { step: ctx.step!.position, documentId: doc.id, level: signed.level, certificate: signed.evidence.certificate }, documentHashes: [session.source_sha256, signedSha] };
  });
}
