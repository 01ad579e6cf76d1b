/**
 * Phase 1 of a personal signature: the bureau whose turn it is sends the signer's certificate chain; the
 * server checks the certificate (chain, validity, nonRepudiation, revocation), prepares the PDF (visible
 * mark, signature field, placeholder) and returns the data to sign. The prepared PDF and the context are
 * kept in a signature session; the dossier's state does not move.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import type { Deps } from '../../app/deps.ts';
import { actorOf, type Principal, type TenantAccess } from '../../identity/principal.ts';
import { checkAction } from '../../dossiers/dossier-type.ts';
import { loadDossier } from '../../dossiers/load-dossier.ts';
import { snapshotOf } from '../../dossiers/presenter.ts';
import { actingAs } from '../../dossiers/run-dossier-action.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import type { Db } from '../../platform/db/database.ts';
import { AppError, badInput, notFound } from '../../shared/errors.ts';
import { decodeCertificates } from '../signature/certificates/x509.ts';
import { preparePadesSignature, type PadesLevel, type PadesSignOptions, type PreparedPadesSignature } from '../signature/pades/sign-pdf.ts';
import { partsLength, type PdfParts } from '../signature/pades/pdf-parts.ts';
import { assertCertificateAcceptable, type CertificateEvidence } from '../signature/certificates/verify-certificate.ts';
import { prepareXadesSignature } from '../signature/xades/sign.ts';
import type { SignatureScope } from '../signature/xades/global.ts';
import { prepareCadesSignature, serializePreparedCades } from '../signature/cades/sign-cades.ts';
import { prepareCadesCosignature } from '../signature/cades/cosign-cades.ts';
import { currentDocument, detachedSignatures, markSettings, xadesScopeOfStep } from '../model.ts';
import { markText, padesLevelFor, signingSources, trustAnchorsFor, tsaUrlFor } from '../signing-config.ts';
import { resolveActingBureau, type ActingBureau } from './acting-bureau.ts';
import { putBlob, readBlob, recordBlob } from './blobs.ts';
import { loadParapheurState, PARAPHEUR_TYPES, signingSettingsOf, type SigningSettings } from './run-parapheur-action.ts';

export interface SignatureTurn {
  acting: ActingBureau;
  stepId: string;
  typologieId: string;
  /** The signature format, visible mark and PAdES level copied from the typologie when the dossier was sent. */
  signing: SigningSettings;
  /** For a PES: what each signature covers (the dossier's `porteeSignature`), else 'auto' (as the file says). */
  xadesScope: SignatureScope;
  source: { sha256: string; filename: string };
  /** SHA-256 of the dossier's last detached CAdES signature: the next CAdES signer co-signs it. */
  cosignedSha256: string | null;
}

/** The rules for `signer` (state, role, whose turn, signature step), without writing anything. */
export async function checkSignatureTurn(db: Db, deps: Deps, principal: Principal, access: TenantAccess, dossierId: string, wantedBureau?: string): Promise<SignatureTurn> {
  const { dossier, documents } = await loadDossier(db, access.collectiviteId, dossierId);
  if (!PARAPHEUR_TYPES.has(dossier.type)) throw notFound('parapheur dossier', 'Dossier de parapheur');
  const check = checkAction(deps.dossierTypes.get(dossier.type), 'signer', snapshotOf(dossier, documents), actingAs(access, principal.kind), { viaModule: true });
  if (!check.ok) throw new AppError(check.status === 403 ? 'FORBIDDEN' : 'INVALID_STATE', check.reasonFr, `signer refused in state ${dossier.state}`);
  if (principal.kind !== 'user') throw new AppError('FORBIDDEN', 'La signature est réservée à une personne titulaire d’un bureau.', 'token cannot sign');
  const { pd, step } = await loadParapheurState(db, access.collectiviteId, dossierId);
  const acting = await resolveActingBureau(db, access.collectiviteId, principal.userId, step, pd!.typologie_id, deps.clock.now(), wantedBureau);
  if (step!.kind !== 'signature') throw new AppError('INVALID_STATE', 'L’étape en cours est un visa, pas une signature.', `step kind ${step!.kind}`);
  const source = currentDocument(documents)!;
  return { acting, stepId: step!.id, typologieId: pd!.typologie_id, signing: await signingSettingsOf(db, pd!), xadesScope: xadesScopeOfStep(dossier.metadata, documents), source: { sha256: source.sha256, filename: source.filename }, cosignedSha256: detachedSignatures(documents).at(-1)?.sha256 ?? null };
}

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');

export function serializePrepared(p: PreparedPadesSignature): Record<string, unknown> {
  return {
    fieldName: p.fieldName,
    byteRange: p.byteRange,
    documentDigest: b64(p.documentDigest),
    signedAttributesDer: b64(p.signedAttributesDer),
    signedAttributesDigest: b64(p.signedAttributesDigest),
    certificateChain: p.certificateChain.map(b64),
    level: p.level,
    ...(p.tsaUrl ? { tsaUrl: p.tsaUrl } : {}),
    certificate: p.certificate,
    ...(p.mark ? { mark: p.mark } : {}),
    preparedAt: p.preparedAt,
  };
}

export function parseChain(input: string[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const item of input) {
    const bytes = item.includes('-----BEGIN') ? Buffer.from(item, 'utf8') : Buffer.from(item, 'base64');
    try {
      for (const der of item.includes('-----BEGIN') ? decodeCertificates(new Uint8Array(bytes)) : [new Uint8Array(bytes)]) {
        new X509Certificate(Buffer.from(der));
        out.push(der);
      }
    } catch {
      throw badInput('Certificat illisible : envoyez le certificat du signataire en PEM ou en DER base64.', 'unreadable certificate');
    }
  }
  if (out.length === 0) throw badInput('Certificat du signataire absent.', 'empty chain');
  return out;
}

export interface PreparedForDevice {
  sessionId: string;
  format: 'pades' | 'xades' | 'cades';
  /**
   * What the device signs (RSA/ECDSA with SHA-256 over dataToSign): one item for a PDF, one per bordereau
   * for a PES, one for a detached CAdES signature (the DER of its signed attributes).
   */
  items: { id: string; dataToSign: string; digest: string }[];
  digestAlgorithm: 'SHA-256';
  certificate: { subject: string; issuer: string; serialNumber: string };
}

interface Produced {
  /** The prepared PDF, as consecutive parts (PAdES only). */
  preparedPdf: PdfParts | null;
  session: Record<string, unknown>;
  items: PreparedForDevice['items'];
  evidence: CertificateEvidence;
}

/**
 * XAdES per bordereau, or one global signature of the PES_Aller (`scope`, kept in the session so that phase 2
 * prepares the same): the certificate is checked here (the XAdES builder does not), the preparation is deterministic.
 */
async function prepareXades(deps: Deps, cid: string, source: Uint8Array, chain: Uint8Array[], role: string, scope: SignatureScope): Promise<Produced> {
  const evidence = await assertCertificateAcceptable({ certificate: chain[0]!, intermediates: chain.slice(1), trustAnchors: await trustAnchorsFor(deps, cid), usage: 'personal', crlSource: signingSources(deps).crlSource });
  const params = { role, signingTime: deps.clock.now().toISOString(), signatureIdPrefix: `PARAPHE_${randomBytes(6).toString('hex')}`, scope };
  const prepared = prepareXadesSignature(source, chain[0]!, { ...params, signingTime: new Date(params.signingTime) });
  const items = prepared.bordereaux.map((b) => ({ id: b.bordereauId, dataToSign: b64(b.dataToSign), digest: b64(b.dataToSignSha256) }));
  return { preparedPdf: null, session: { format: 'xades', ...params, certificateChain: chain.map(b64), certificate: evidence, digests: items.map((i) => i.digest) }, items, evidence };
}

/**
 * PAdES: certificate checks, visible mark, placeholder; the prepared PDF is kept for phase 2. The CMS is B-B or
 * B-T; for B-LT / B-LTA (`targetLevel` in the session) phase 2 adds the DSS and the document timestamp. A level
 * the collectivité cannot reach (no TSA) is refused here, before the device signs anything.
 */
async function preparePades(deps: Deps, cid: string, source: Uint8Array, chain: Uint8Array[], wanted: PadesLevel | null, extra: Pick<PadesSignOptions, 'reason' | 'mark'>): Promise<Produced> {
  const { level, tsaUrl } = await padesLevelFor(deps, cid, wanted);
  const prepared = await preparePadesSignature(source, chain, { trustAnchors: await trustAnchorsFor(deps, cid), usage: 'personal', crlSource: signingSources(deps).crlSource, level: level === 'B-B' ? 'B-B' : 'B-T', ...(tsaUrl ? { tsaUrl } : {}), ...extra });
  return { preparedPdf: prepared.parts, session: { format: 'pades', ...serializePrepared(prepared), targetLevel: level }, items: [{ id: prepared.fieldName, dataToSign: b64(prepared.signedAttributesDer), digest: b64(prepared.signedAttributesDigest) }], evidence: prepared.certificate };
}

/**
 * Detached CAdES: certificate checks and signed attributes (signing-time now); the file is not touched. With an
 * earlier .p7s (`cosigned`), the signer will join it (co-signature): it is checked now and named in the session.
 */
async function prepareCades(deps: Deps, cid: string, source: Uint8Array, cosigned: Uint8Array | undefined, chain: Uint8Array[]): Promise<Produced> {
  const tsaUrl = await tsaUrlFor(deps, cid);
  const options = { trustAnchors: await trustAnchorsFor(deps, cid), usage: 'personal' as const, crlSource: signingSources(deps).crlSource, signingTime: deps.clock.now(), ...(tsaUrl ? { tsaUrl } : {}) };
  const prepared = cosigned ? await prepareCadesCosignature(cosigned, source, chain, options) : await prepareCadesSignature(source, chain, options);
  return { preparedPdf: null, session: { format: 'cades', ...serializePreparedCades(prepared) }, items: [{ id: 'cades', dataToSign: b64(prepared.signedAttributesDer), digest: b64(prepared.signedAttributesDigest) }], evidence: prepared.certificate };
}

export async function prepareSignature(deps: Deps, principal: Principal, access: TenantAccess, dossierId: string, input: { certificateChain: string[]; bureauId?: string }): Promise<PreparedForDevice> {
  const turn = await checkSignatureTurn(deps.db, deps, principal, access, dossierId, input.bureauId);
  const chain = parseChain(input.certificateChain);
  const cid = access.collectiviteId;
  const signing = turn.signing;
  const bureau = await deps.db.selectFrom('parapheur_bureau').select('name').where('id', '=', turn.acting.bureauId).executeTakeFirstOrThrow();
  const mark = signing.mark ? markSettings.parse(signing.mark) : null;
  const who = principal.kind === 'user' ? principal.displayName : '';
  const sourceBytes = await readBlob(deps, turn.source.sha256);
  const onBehalf = turn.acting.viaBureauId ? bureau.name : null;
  const produced: Produced = signing.format === 'xades'
    ? await prepareXades(deps, cid, sourceBytes, chain, onBehalf ? `${bureau.name} (par délégation)` : bureau.name, turn.xadesScope)
    : signing.format === 'cades'
    ? await prepareCades(deps, cid, sourceBytes, turn.cosignedSha256 ? await readBlob(deps, turn.cosignedSha256) : undefined, chain)
    : await preparePades(deps, cid, sourceBytes, chain, signing.niveauPades, {
        reason: onBehalf ? `Signé pour le compte du bureau ${bureau.name}` : `Signature — bureau ${bureau.name}`,
        ...(mark ? { mark: { text: markText(mark.text, { signataire: who, pourCompteDe: onBehalf, date: deps.clock.now() }), ...(mark.tag ? { tag: mark.tag } : {}), ...(mark.page ? { page: mark.page } : {}), ...(mark.x !== undefined ? { x: mark.x } : {}), ...(mark.y !== undefined ? { y: mark.y } : {}) } } : {}),
      });
  const preparedSha = produced.preparedPdf ? await putBlob(deps, produced.preparedPdf) : turn.source.sha256;
  const sessionId = await deps.db.transaction().execute(async (trx) => {
    const { dossier } = await loadDossier(trx, cid, dossierId, { forUpdate: true });
    const again = await checkSignatureTurn(trx, deps, principal, access, dossierId, input.bureauId);
    if (again.stepId !== turn.stepId || again.source.sha256 !== turn.source.sha256 || again.cosignedSha256 !== turn.cosignedSha256) throw new AppError('CONFLICT', 'Le dossier a changé pendant la préparation : recommencez.', 'dossier moved during preparation');
    if (produced.preparedPdf) await recordBlob(trx, preparedSha, partsLength(produced.preparedPdf), 'application/pdf');
    const row = await trx
      .insertInto('parapheur_signature_session')
      .values({ collectivite_id: cid, dossier_id: dossierId, step_id: turn.stepId, bureau_id: turn.acting.bureauId, via_bureau_id: turn.acting.viaBureauId, user_id: (principal as { userId: string }).userId, dossier_version: dossier.version, source_sha256: turn.source.sha256, prepared_sha256: preparedSha, prepared: JSON.stringify(produced.session), created_at: deps.clock.now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendJournal(trx, deps.clock, actorOf(principal), { collectiviteId: cid, action: 'parapheur.signature.prepared', objectType: 'dossier', objectId: dossierId, details: { sessionId: row.id, bureauId: turn.acting.bureauId, certificate: produced.evidence.certificate, format: signing.format }, documentHashes: [turn.source.sha256] });
    return row.id;
  });
  const c = produced.evidence.certificate;
  return { sessionId, format: signing.format === 'xades' || signing.format === 'cades' ? signing.format : 'pades', items: produced.items, digestAlgorithm: 'SHA-256', certificate: { subject: c.subject, issuer: c.issuer, serialNumber: c.serialNumber } };
}
