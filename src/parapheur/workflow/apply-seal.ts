/**
 * The `cachet` step, applied by a background job without a click: the collectivité's seal (PKCS#12 or
 * PKCS#11 from the `parapheur-seal` connector) signs the current PDF (PAdES, at the typologie's level: by default
 * B-T when a TSA is configured; a level the collectivité cannot reach fails the step, never a lower level),
 * the PES (XAdES) or, for a CAdES typologie, adds its own detached .p7s over the principal (a co-signature
 * holding every earlier signer when the dossier already has one, cosign-cades.ts); the job's completion
 * stores the sealed version, records the act, moves the circuit and writes the journal in one transaction.
 * Exhausted retries leave the dossier in `erreur_cachet`, from which an admin relaunches the seal.
 */
import { changeDossierState } from '../../dossiers/change-state.ts';
import type { Deps } from '../../app/deps.ts';
import { systemActor } from '../../identity/principal.ts';
import { AppError } from '../../shared/errors.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { loadDossier } from '../../dossiers/load-dossier.ts';
import type { Db } from '../../platform/db/database.ts';
import type { JobHandler, JobResult } from '../../platform/jobs/job-queue.ts';
import type { JobRow } from '../../platform/db/schema.ts';
import type { PadesKeySource } from '../signature/pades/key-source.ts';
import { signPdf } from '../signature/pades/sign-pdf.ts';
import type { PdfParts } from '../signature/pades/pdf-parts.ts';
import { assertCertificateAcceptable, CertificateVerdictCache, type CertificateEvidence } from '../signature/certificates/verify-certificate.ts';
import { signPes } from '../signature/xades/sign.ts';
import type { SignatureScope } from '../signature/xades/global.ts';
import { signCades } from '../signature/cades/sign-cades.ts';
import { cosignCades } from '../signature/cades/cosign-cades.ts';
import { createHash } from 'node:crypto';
import { currentDocument, detachedSignatures, DETACHED_SIGNATURE_MEDIA_TYPE, markSettings, signedFilename, xadesScopeOfStep } from '../model.ts';
import { markText, padesLevelFor, sealKeyFor, signingSources, TimestampServerMissing, trustAnchorsFor, tsaUrlFor } from '../signing-config.ts';
import { putBlob, readBlob, recordBlob } from './blobs.ts';
import { recordStepAct } from './circuit-progress.ts';
import { signingSettingsOf } from './run-parapheur-action.ts';

interface Payload {
  collectiviteId: string;
  dossierId: string;
  stepId: string;
}

async function activeCachetStep(db: Db, p: Payload) {
  return db.selectFrom('parapheur_step').selectAll().where('collectivite_id', '=', p.collectiviteId).where('dossier_id', '=', p.dossierId).where('id', '=', p.stepId).where('state', '=', 'active').where('kind', '=', 'cachet').executeTakeFirst();
}

/** The seal on a PES: XAdES-EPES on every bordereau (or one global signature, `scope`), after the seal certificate's checks. */
/** What a seal produced: the sealed file as consecutive parts (a PDF's original bytes are not copied), and its evidence. */
interface Sealed {
  parts: PdfParts;
  size: number;
  certificate: CertificateEvidence;
  level: string;
  timestampTime?: string;
  signingTime?: string;
}

const onePart = (bytes: Uint8Array): Pick<Sealed, 'parts' | 'size'> => ({ parts: [bytes], size: bytes.length });

async function sealPes(pes: Uint8Array, key: PadesKeySource, trustAnchors: Uint8Array[], d: Deps, scope: SignatureScope): Promise<Sealed> {
  const chain = await key.getCertificateChain();
  const certificate = await assertCertificateAcceptable({ certificate: chain[0]!, intermediates: chain.slice(1), trustAnchors, usage: 'seal', crlSource: signingSources(d).crlSource });
  const signer = { certificate: chain[0]!, sign: (data: Uint8Array) => key.sign({ data, digest: new Uint8Array(createHash('sha256').update(data).digest()), digestAlgorithm: 'SHA-256' }) };
  return { ...onePart(await signPes(pes, signer, { role: 'Cachet serveur', signingTime: d.clock.now(), scope })), certificate, level: 'XAdES-EPES' };
}

/**
 * The seal on another file: a detached CAdES signature (B-T when a TSA is configured), the file untouched;
 * with an earlier .p7s (`cosigned`), the seal joins it as one more signer.
 */
async function sealCades(content: Uint8Array, cosigned: Uint8Array | undefined, key: PadesKeySource, trustAnchors: Uint8Array[], tsaUrl: string | undefined, cache: CertificateVerdictCache, d: Deps): Promise<Sealed> {
  const options = { trustAnchors, usage: 'seal' as const, crlSource: signingSources(d).crlSource, certificateCache: cache, signingTime: d.clock.now(), ...(tsaUrl ? { tsaUrl } : {}) };
  const r = cosigned ? await cosignCades(cosigned, content, key, options) : await signCades(content, key, options);
  return { ...onePart(r.p7s), certificate: r.certificate, level: r.level, signingTime: r.signingTime, ...(r.timestampTime ? { timestampTime: r.timestampTime } : {}) };
}

/**
 * The job's error is what the journal keeps when the seal gives up (`erreur_cachet`): an application error
 * (a level the collectivité cannot reach, a refused certificate) says why in French, then in English.
 */
const withFrenchReason = (e: unknown): unknown => (e instanceof AppError ? new Error(`${e.messageFr} (${e.message})`, { cause: e }) : e);

export function sealJobHandler(deps: () => Deps): JobHandler {
  const cache = new CertificateVerdictCache();
  return {
    backoffSeconds: 5,
    run: (job: JobRow) => sealOnce(deps(), job, cache).catch((e: unknown) => Promise.reject(withFrenchReason(e))),
    // the document or the settings refused (a level without a timestamp server, a corrupt PDF): no retry; the
    // dossier goes to erreur_cachet, and « relancer-cachet » once they are fixed
    isPermanent: (e) => e instanceof Error && (e.cause instanceof TimestampServerMissing || (e.cause instanceof AppError && e.cause.code === 'BAD_INPUT')),
    async exhausted(trx, job, error) {
      const d = deps();
      const p = job.payload as unknown as Payload;
      const { dossier, documents } = await loadDossier(trx, p.collectiviteId, p.dossierId, { forUpdate: true });
      if (dossier.state !== 'cachet_en_cours') return;
      await changeDossierState(trx, d, dossier, 'erreur_cachet');
      await appendJournal(trx, d.clock, systemActor, { collectiviteId: p.collectiviteId, action: 'parapheur.cachet.failed', objectType: 'dossier', objectId: p.dossierId, details: { from: dossier.state, to: 'erreur_cachet', attempts: job.attempts, error }, documentHashes: documents.map((x) => x.sha256) });
    },
  };
}

async function sealOnce(d: Deps, job: JobRow, cache: CertificateVerdictCache): Promise<JobResult> {
  const p = job.payload as unknown as Payload;
  const { dossier, documents } = await loadDossier(d.db, p.collectiviteId, p.dossierId);
  if (dossier.state !== 'cachet_en_cours' || !(await activeCachetStep(d.db, p))) return {};
  const source = currentDocument(documents)!;
  const key = await sealKeyFor(d, p.collectiviteId);
  const pd = await d.db.selectFrom('parapheur_dossier').select(['typologie_id', 'format', 'mark', 'niveau_pades']).where('dossier_id', '=', p.dossierId).executeTakeFirstOrThrow();
  const signing = await signingSettingsOf(d.db, pd);
  const collectivite = await d.db.selectFrom('collectivite').select('name').where('id', '=', p.collectiviteId).executeTakeFirstOrThrow();
  const tsaUrl = await tsaUrlFor(d, p.collectiviteId);
  const mark = signing.mark ? markSettings.parse(signing.mark) : null;
  const sourceBytes = await readBlob(d, source.sha256);
  const isPes = signing.format === 'xades';
  const isCades = signing.format === 'cades';
  const cosigned = isCades ? detachedSignatures(documents).at(-1) : undefined;
  const result: Sealed = isPes ? await sealPes(sourceBytes, key, await trustAnchorsFor(d, p.collectiviteId), d, xadesScopeOfStep(dossier.metadata, documents)) : isCades ? await sealCades(sourceBytes, cosigned && (await readBlob(d, cosigned.sha256)), key, await trustAnchorsFor(d, p.collectiviteId), tsaUrl, cache, d) : await signPdf(sourceBytes, key, {
    trustAnchors: await trustAnchorsFor(d, p.collectiviteId),
    usage: 'seal',
    crlSource: signingSources(d).crlSource,
    certificateCache: cache,
    ...(await padesLevelFor(d, p.collectiviteId, signing.niveauPades)),
    reason: `Cachet serveur — ${collectivite.name}`,
    ...(mark ? { mark: { text: markText('Cachet de {signataire} le {date}', { signataire: collectivite.name, pourCompteDe: null, date: d.clock.now() }), tag: '#cachet#' } } : {}),
  });
  const sealedSha = await putBlob(d, result.parts);
  const level = isPes ? result.level : `${isCades ? 'CAdES' : 'PAdES'} ${result.level}`;
  return {
    complete: async (trx: Db) => {
      const { dossier: locked, documents: docs } = await loadDossier(trx, p.collectiviteId, p.dossierId, { forUpdate: true });
      const step = await activeCachetStep(trx, p);
      if (locked.state !== 'cachet_en_cours' || !step || currentDocument(docs)!.sha256 !== source.sha256) return;
      if (isCades && detachedSignatures(docs).at(-1)?.sha256 !== cosigned?.sha256) return;
      const mediaType = isPes ? 'application/xml' : isCades ? DETACHED_SIGNATURE_MEDIA_TYPE : 'application/pdf';
      await recordBlob(trx, sealedSha, result.size, mediaType);
      await trx.insertInto('document').values({ collectivite_id: p.collectiviteId, dossier_id: p.dossierId, role: 'signed', filename: signedFilename(source.filename, step.position, isPes ? 'xml' : isCades ? 'p7s' : 'pdf'), media_type: mediaType, size: result.size, sha256: sealedSha, created_by: null }).execute();
      await trx.insertInto('parapheur_act').values({ collectivite_id: p.collectiviteId, dossier_id: p.dossierId, step_id: step.id, action: 'cachet', bureau_id: null, via_bureau_id: null, user_id: null, actor_label: `Cachet serveur (${result.certificate.certificate.subject})`, at: d.clock.now(), comment: null, certificate: JSON.stringify({ ...result.certificate, level, ...(result.timestampTime ? { timestampTime: result.timestampTime } : {}), ...(result.signingTime ? { signingTime: result.signingTime } : {}) }), signed_sha256: source.sha256, document_hashes: JSON.stringify([source.sha256, sealedSha]) }).execute();
      const progress = await recordStepAct(trx, d, step, '');
      await changeDossierState(trx, d, locked, progress.state);
      await appendJournal(trx, d.clock, systemActor, { collectiviteId: p.collectiviteId, action: 'parapheur.cachet', objectType: 'dossier', objectId: p.dossierId, details: { from: locked.state, to: progress.state, step: step.position, level, certificate: result.certificate.certificate, attempt: job.attempts }, documentHashes: [source.sha256, sealedSha] });
    },
  };
}
