/**
 * ACTES API (business software with an API token, or the web UI): create an acte with its documents,
 * submit it to its parapheur circuit (`soumettre-signature`), transmit it (through the dossier action
 * `transmettre`), follow its state, its circuit and the préfecture's messages, answer them, record the publication, download the stamped acte and the AR. Plus the public page of
 * published actes. Routes are thin: each calls one use case.
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { principalOf } from '../../http/auth.ts';
import { collectiviteParams, errorResponses, tenantOf } from '../../http/route-kit.ts';
import { actorOf } from '../../identity/principal.ts';
import { AppError } from '../../shared/errors.ts';
import { loadDossier } from '../../dossiers/load-dossier.ts';
import { addDocument } from '../../documents/add-document.ts';
import { presentDocument, documentView, presentDossier, dossierView, snapshotOf } from '../../dossiers/presenter.ts';
import { allowedActions } from '../../dossiers/dossier-type.ts';
import { circuitProgress, circuitProgressView } from '../../parapheur/workflow/child-circuit.ts';
import { soumettreSignatureInput, submitActeForSignature } from '../use-cases/submit-acte-for-signature.ts';
import { actingAs } from '../../dossiers/run-dossier-action.ts';
import { flattenMatieres, type Classification } from '../classification/classification.ts';
import { ACTES_TYPE } from '../dossier-type.ts';
import { actesPorts } from '../install.ts';
import { createActe, newActeInput } from '../use-cases/create-acte.ts';
import { importClassification } from '../use-cases/import-classification.ts';
import { requestClassification } from '../use-cases/request-classification.ts';
import { answerPrefectureMessage, ANSWER_KINDS } from '../use-cases/answer-prefecture-message.ts';
import { recordPublication } from '../use-cases/record-publication.ts';
import { stampedActe } from '../use-cases/stamped-acte.ts';
import { currentClassification, readBlob } from '../use-cases/support.ts';
import { parisDate } from '../archive/build.ts';
import { sniffMediaType } from '../../documents/sniff.ts';
import { checkBudgetDocumentRule } from '../budget/document-budgetaire.ts';
import { escapeXml } from '../archive/xml-writer.ts';

const acteParams = collectiviteParams.extend({ dossierId: z.string() });

const messageView = z.object({
  id: z.string(),
  direction: z.enum(['entrant', 'sortant']),
  kind: z.string(),
  code: z.string().nullable(),
  status: z.string(),
  dateCourrierPref: z.string().nullable(),
  enReponseA: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  reponsesPossibles: z.array(z.string()),
});

const signatureView = circuitProgressView;

export const acteView = z.object({
  idActe: z.string(),
  signature: signatureView.nullable().describe('Le circuit de parapheur en cours (ou le dernier) : dossier enfant, état, étapes'),
  dateEnvoi: z.string().nullable(),
  dateReception: z.string().nullable(),
  datePublication: z.string().nullable(),
  archive: z.object({ nom: z.string(), sha256: z.string() }).nullable(),
  messages: z.array(messageView),
  dossier: dossierView,
});

const REPLIES: Record<string, string[]> = {
  CourrierSimple: ['ReponseCourrierSimple'],
  DemandePieceComplementaire: ['ARDemandePieceComplementaire', 'RefusPieceComplementaire', 'PieceComplementaire'],
  LettreObservations: ['ARLettreObservations', 'RejetLettreObservations', 'ReponseLettreObservations'],
};

async function readUpload(request: FastifyRequest): Promise<{ filename: string; bytes: Buffer } | undefined> {
  if (!request.isMultipart()) return undefined;
  const file = await request.file();
  if (!file) return undefined;
  return { filename: file.filename, bytes: await file.toBuffer() };
}

export function actesRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['ACTES'];

  async function view(request: FastifyRequest, collectiviteId: string, dossierId: string): Promise<z.infer<typeof acteView>> {
    const { dossier, documents } = await loadDossier(deps.db, collectiviteId, dossierId);
    const acte = await deps.db.selectFrom('actes_acte').selectAll().where('dossier_id', '=', dossierId).executeTakeFirst();
    if (!acte || dossier.type !== ACTES_TYPE) throw new AppError('NOT_FOUND', 'Acte introuvable.', 'not an acte');
    const def = deps.dossierTypes.get(ACTES_TYPE);
    const who = actingAs(tenantOf(request), principalOf(request).kind);
    const link = await deps.db.selectFrom('actes_signature').selectAll().where('collectivite_id', '=', collectiviteId).where('acte_dossier_id', '=', dossierId).orderBy('current', 'desc').orderBy('created_at', 'desc').executeTakeFirst();
    const messages = await deps.db.selectFrom('actes_message').selectAll().where('collectivite_id', '=', collectiviteId).where('dossier_id', '=', dossierId).orderBy('created_at').orderBy('id').execute();
    return {
      idActe: acte.id_acte,
      dateEnvoi: acte.sent_at ? parisDate(acte.sent_at) : null,
      dateReception: acte.date_reception,
      datePublication: acte.date_publication,
      archive: acte.archive_sha256 && acte.archive_name ? { nom: acte.archive_name, sha256: acte.archive_sha256 } : null,
      messages: messages.map((m) => ({
        id: m.id,
        direction: m.direction,
        kind: m.kind,
        code: m.code,
        status: m.status,
        dateCourrierPref: m.date_courrier_pref,
        enReponseA: m.reply_to,
        details: m.content,
        createdAt: new Date(m.created_at).toISOString(),
        reponsesPossibles: m.direction === 'entrant' && m.status === 'recu' ? (REPLIES[m.kind] ?? []) : [],
      })),
      signature: link ? await circuitProgress(deps, collectiviteId, link) : null,
      // The module's actions (soumettre_signature) are listed too: this API runs them.
      dossier: { ...presentDossier(def, dossier, documents, who), actions: allowedActions(def, snapshotOf(dossier, documents), who, { viaModule: true }) },
    };
  }

  r.post('/api/collectivites/:collectiviteId/actes', { config: { permission: 'dossier:write' }, schema: { tags, summary: 'Créer un acte (métadonnées contrôlées avec la classification de la préfecture, identifiant calculé)', params: collectiviteParams, body: newActeInput, response: { 201: acteView, ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    const row = await createActe(deps, actorOf(principalOf(request)), access.collectiviteId, request.body);
    return reply.status(201).send(await view(request, access.collectiviteId, row.id));
  });

  r.get('/api/collectivites/:collectiviteId/actes/:dossierId', { config: { permission: 'dossier:read' }, schema: { tags, summary: 'Suivre un acte : état (avec le code S²LOW), dates, messages de la préfecture', params: acteParams, response: { 200: acteView, ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    return view(request, access.collectiviteId, request.params.dossierId);
  });

  r.post('/api/collectivites/:collectiviteId/actes/:dossierId/soumettre-signature', { config: { permission: 'dossier:act' }, schema: { tags, summary: 'Soumettre l’acte à la signature : un dossier du parapheur (PDF + annexes) part dans le circuit de la typologie ; signé, l’acte est transmis (si demandé)', params: acteParams, body: soumettreSignatureInput, response: { 200: acteView, ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    await submitActeForSignature(deps, principalOf(request), access, request.params.dossierId, request.body);
    return view(request, access.collectiviteId, request.params.dossierId);
  });

  r.post('/api/collectivites/:collectiviteId/actes/:dossierId/documents', { config: { permission: 'dossier:write' }, schema: { tags, summary: 'Déposer l’acte (role=principal) ou une annexe, dans l’ordre des typologies (multipart, champ « file »)', consumes: ['multipart/form-data'], params: acteParams, querystring: z.object({ role: z.enum(['principal', 'annexe']).default('annexe') }), response: { 201: documentView, ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    const { dossier } = await loadDossier(deps.db, access.collectiviteId, request.params.dossierId);
    if (dossier.type !== ACTES_TYPE) throw new AppError('NOT_FOUND', 'Acte introuvable.', 'not an acte');
    const upload = await readUpload(request);
    if (!upload) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Envoyez le fichier en multipart/form-data (champ « file »).', 'multipart expected');
    const sniffed = await sniffMediaType(upload.bytes.subarray(0, 4096));
    checkBudgetDocumentRule(dossier.metadata.nature, request.query.role, upload.filename, upload.bytes, sniffed === 'application/xml');
    if (sniffed === 'application/pdf' && actesPorts(deps).isEncryptedPdf(upload.bytes)) {
      throw new AppError('VALIDATION', `Le PDF « ${upload.filename} » est chiffré ou verrouillé : la préfecture refuse les documents protégés. Déposez une version sans mot de passe ni restriction.`, 'encrypted pdf');
    }
    const row = await addDocument(deps, actorOf(principalOf(request)), access.collectiviteId, dossier.id, { role: request.query.role, filename: upload.filename, stream: Readable.from([upload.bytes]) });
    return reply.status(201).send(presentDocument(row));
  });

  r.get('/api/collectivites/:collectiviteId/actes/:dossierId/acte-tamponne', { config: { permission: 'document:read' }, schema: { tags, summary: 'L’acte PDF tamponné (envoi, réception, publication, identifiant), signatures conservées', params: acteParams } }, async (request, reply) => {
    const access = tenantOf(request);
    await loadDossier(deps.db, access.collectiviteId, request.params.dossierId);
    const s = await stampedActe(deps, deps.db, access.collectiviteId, request.params.dossierId);
    reply.header('content-type', 'application/pdf').header('content-disposition', `attachment; filename="${s.filename}"`);
    return reply.send(Buffer.from(s.pdf));
  });

  r.get('/api/collectivites/:collectiviteId/actes/:dossierId/ar', { config: { permission: 'document:read' }, schema: { tags, summary: 'L’accusé de réception (ARActe) de la préfecture, tel que reçu', params: acteParams } }, async (request, reply) => {
    const access = tenantOf(request);
    await loadDossier(deps.db, access.collectiviteId, request.params.dossierId);
    const ar = await deps.db.selectFrom('actes_message').select(['content']).where('collectivite_id', '=', access.collectiviteId).where('dossier_id', '=', request.params.dossierId).where('kind', '=', 'ARActe').orderBy('created_at', 'desc').executeTakeFirst();
    const c = ar?.content as { xmlSha256?: string; fichier?: string } | undefined;
    if (!c?.xmlSha256) throw new AppError('NOT_FOUND', 'La préfecture n’a pas encore accusé réception de cet acte.', 'no AR yet');
    reply.header('content-type', 'application/xml').header('content-disposition', `attachment; filename="${c.fichier ?? 'ARActe.xml'}"`);
    return reply.send(await readBlob(deps, c.xmlSha256));
  });

  r.post('/api/collectivites/:collectiviteId/actes/:dossierId/publication', { config: { permission: 'dossier:act' }, schema: { tags, summary: 'Enregistrer la date de publication (le tampon la reprend)', params: acteParams, body: z.object({ datePublication: z.string().describe('AAAA-MM-JJ') }), response: { 200: acteView, ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    await recordPublication(deps, actorOf(principalOf(request)), access.collectiviteId, request.params.dossierId, request.body.datePublication);
    return view(request, access.collectiviteId, request.params.dossierId);
  });

  r.post('/api/collectivites/:collectiviteId/actes/:dossierId/messages/:messageId/reponse', { config: { permission: 'dossier:act' }, schema: { tags, summary: 'Répondre à un courrier de la préfecture (2-2, 3-2/3-3/3-4, 4-2/4-3/4-4) ; document en multipart (champ « file ») si la réponse en porte un', consumes: ['multipart/form-data', 'application/json'], params: acteParams.extend({ messageId: z.string() }), querystring: z.object({ type: z.string().optional().describe(`Type de réponse : ${ANSWER_KINDS.join(', ')}`) }), response: { 202: acteView, ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    await loadDossier(deps.db, access.collectiviteId, request.params.dossierId);
    const kind = request.query.type;
    if (!kind || !(ANSWER_KINDS as string[]).includes(kind)) throw new AppError('VALIDATION', `Indiquez le type de réponse (paramètre « type ») parmi : ${ANSWER_KINDS.join(', ')}.`, 'bad answer type');
    const document = await readUpload(request);
    await answerPrefectureMessage(deps, actesPorts(deps), actorOf(principalOf(request)), access.collectiviteId, request.params.dossierId, request.params.messageId, { kind: kind as (typeof ANSWER_KINDS)[number], ...(document ? { document } : {}) });
    return reply.status(202).send(await view(request, access.collectiviteId, request.params.dossierId));
  });

  const classificationView = z.object({
    dateClassification: z.string().nullable(),
    matieres: z.array(z.object({ code: z.string(), libelle: z.string(), niveau: z.number() })),
    natures: z.array(z.object({ code: z.number(), libelle: z.string(), typologies: z.array(z.object({ code: z.string(), libelle: z.string() })) })),
  });
  const presentClassification = (c: Classification | undefined): z.infer<typeof classificationView> => ({
    dateClassification: c?.dateClassification ?? null,
    matieres: c ? flattenMatieres(c).map((m) => ({ code: m.code, libelle: m.libelle, niveau: m.level })) : [],
    natures: c ? c.natures.map((n) => ({ code: n.code, libelle: n.libelle, typologies: n.typesPJ.map((t) => ({ code: t.code, libelle: t.libelle })) })) : [],
  });

  r.get('/api/collectivites/:collectiviteId/actes-classification', { config: { permission: 'collectivite:read' }, schema: { tags, summary: 'Classification de la préfecture en vigueur (matières, typologies par nature)', params: collectiviteParams, response: { 200: classificationView, ...errorResponses } } }, async (request) => presentClassification(await currentClassification(deps.db, tenantOf(request).collectiviteId)));

  r.post('/api/collectivites/:collectiviteId/actes-classification', { config: { permission: 'connector:manage' }, schema: { tags, summary: 'Importer un fichier RetourClassification (multipart, champ « file »)', consumes: ['multipart/form-data'], params: collectiviteParams, response: { 200: classificationView, ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const upload = await readUpload(request);
    if (!upload) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Envoyez le fichier de classification en multipart/form-data (champ « file »).', 'multipart expected');
    return presentClassification(await importClassification(deps, actorOf(principalOf(request)), access.collectiviteId, upload.bytes));
  });

  r.post('/api/collectivites/:collectiviteId/actes-classification/demande', { config: { permission: 'dossier:write' }, schema: { tags, summary: 'Demander la classification à la préfecture (message 7-1)', params: collectiviteParams, response: { 202: z.object({ messageId: z.string() }), ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    return reply.status(202).send({ messageId: await requestClassification(deps, actorOf(principalOf(request)), access.collectiviteId) });
  });

  // Public page of the collectivité's published actes (no authentication).
  app.get('/public/collectivites/:siren/actes', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const { siren } = request.params as { siren: string };
    const c = /^[0-9]{9}$/.test(siren) ? await deps.db.selectFrom('collectivite').select(['id', 'name']).where('siren', '=', siren).executeTakeFirst() : undefined;
    if (!c) return reply.status(404).type('text/html; charset=utf-8').send('<!doctype html><html lang="fr"><meta charset="utf-8"><title>Introuvable</title><p>Collectivité introuvable.</p></html>');
    const rows = await deps.db.selectFrom('actes_acte').innerJoin('dossier', 'dossier.id', 'actes_acte.dossier_id').select(['dossier.id', 'dossier.title', 'actes_acte.id_acte', 'actes_acte.date_publication', 'actes_acte.date_reception']).where('actes_acte.collectivite_id', '=', c.id).where('actes_acte.date_publication', 'is not', null).where('dossier.state', '=', 'acquitte').orderBy('actes_acte.date_publication', 'desc').execute();
    const e = (s: string | null): string => escapeXml(s ?? '');
    const items = rows.map((x) => `<li><a href="/public/collectivites/${siren}/actes/${x.id}.pdf">${e(x.title)}</a> — n° ${e(x.id_acte)}, publié le ${e(x.date_publication)}, reçu en préfecture le ${e(x.date_reception)}</li>`).join('\n');
    return reply.type('text/html; charset=utf-8').send(`<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Actes publiés — ${e(c.name)}</title></head><body><h1>Actes publiés — ${e(c.name)}</h1>${rows.length ? `<ul>\n${items}\n</ul>` : '<p>Aucun acte publié pour le moment.</p>'}</body></html>`);
  });

  app.get('/public/collectivites/:siren/actes/:file', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const { siren, file } = request.params as { siren: string; file: string };
    const m = /^([0-9a-f-]{36})\.pdf$/.exec(file);
    const c = /^[0-9]{9}$/.test(siren) ? await deps.db.selectFrom('collectivite').select('id').where('siren', '=', siren).executeTakeFirst() : undefined;
    const acte = m && c ? await deps.db.selectFrom('actes_acte').innerJoin('dossier', 'dossier.id', 'actes_acte.dossier_id').select('dossier.id').where('actes_acte.dossier_id', '=', m[1]!).where('actes_acte.collectivite_id', '=', c.id).where('actes_acte.date_publication', 'is not', null).where('dossier.state', '=', 'acquitte').executeTakeFirst() : undefined;
    if (!acte || !c) return reply.status(404).type('text/plain; charset=utf-8').send('Acte publié introuvable.');
    const s = await stampedActe(deps, deps.db, c.id, acte.id);
    return reply.type('application/pdf').send(Buffer.from(s.pdf));
  });
}
