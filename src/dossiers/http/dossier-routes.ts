import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { principalOf } from '../../http/auth.ts';
import { collectiviteParams, errorResponses, tenantOf } from '../../http/route-kit.ts';
import { actorOf } from '../../identity/principal.ts';
import { AppError } from '../../shared/errors.ts';
import { createDossier, newDossierInput } from '../create-dossier.ts';
import { listDossiers, listDossiersQuery } from '../list-dossiers.ts';
import { loadDossier } from '../load-dossier.ts';
import { actingAs, runDossierAction } from '../run-dossier-action.ts';
import { dossierSummary, dossierView, presentDocument, presentDossier, presentDossierSummary, documentView } from '../presenter.ts';
import { addDocument } from '../../documents/add-document.ts';
import { journalEntryView, listJournal, presentJournalEntry } from '../../journal/list-journal.ts';

const dossierParams = collectiviteParams.extend({ dossierId: z.string() });

export function dossierRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Dossiers'];

  r.get('/api/dossier-types', { schema: { tags, summary: 'Types de dossiers, leurs états, actions et schéma de métadonnées', response: { 200: z.object({ items: z.array(z.object({ type: z.string(), label: z.string(), metadataSchema: z.unknown(), states: z.record(z.string(), z.object({ label: z.string(), final: z.boolean(), s2lowCode: z.number().nullable() })), actions: z.record(z.string(), z.object({ label: z.string(), from: z.array(z.string()), to: z.string(), roles: z.array(z.string()), api: z.boolean(), background: z.boolean() })) })) }), ...errorResponses } } }, async () => ({
    items: deps.dossierTypes.all().map((t) => ({
      type: t.type,
      label: t.label,
      metadataSchema: z.toJSONSchema(t.metadata, { io: 'input', unrepresentable: 'any' }),
      states: Object.fromEntries(Object.entries(t.states).map(([k, s]) => [k, { label: s.label, final: s.final ?? false, s2lowCode: s.s2lowCode ?? null }])),
      actions: Object.fromEntries(Object.entries(t.actions).map(([k, a]) => [k, { label: a.label, from: [...a.from], to: a.to, roles: [...a.roles], api: a.api ?? false, background: Boolean(a.job) }])),
    })),
  }));

  r.get('/api/collectivites/:collectiviteId/dossiers', { config: { permission: 'dossier:read' }, schema: { tags, summary: 'Lister les dossiers (filtres, pagination par curseur)', params: collectiviteParams, querystring: listDossiersQuery, response: { 200: z.object({ items: z.array(dossierSummary), nextCursor: z.string().nullable() }), ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const { items, nextCursor } = await listDossiers(deps.db, access.collectiviteId, request.query);
    return { items: items.map((d) => presentDossierSummary(deps.dossierTypes.get(d.type), d)), nextCursor };
  });

  r.post('/api/collectivites/:collectiviteId/dossiers', { config: { permission: 'dossier:write' }, schema: { tags, summary: 'Créer un dossier', params: collectiviteParams, body: newDossierInput, response: { 201: dossierView, ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    const p = principalOf(request);
    const row = await createDossier(deps, actorOf(p), access.collectiviteId, request.body);
    return reply.status(201).send(presentDossier(deps.dossierTypes.get(row.type), row, [], actingAs(access, p.kind)));
  });

  r.get('/api/collectivites/:collectiviteId/dossiers/:dossierId', { config: { permission: 'dossier:read' }, schema: { tags, summary: 'Un dossier, avec les actions possibles maintenant pour l’appelant', params: dossierParams, response: { 200: dossierView, ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const { dossier, documents } = await loadDossier(deps.db, access.collectiviteId, request.params.dossierId);
    return presentDossier(deps.dossierTypes.get(dossier.type), dossier, documents, actingAs(access, principalOf(request).kind));
  });

  r.post('/api/collectivites/:collectiviteId/dossiers/:dossierId/documents', { config: { permission: 'dossier:write' }, schema: { tags, summary: 'Déposer un document (multipart, champ « file »)', consumes: ['multipart/form-data'], params: dossierParams, querystring: z.object({ role: z.enum(['principal', 'annexe']).default('annexe') }), response: { 201: documentView, ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    // The dossier must exist in this collectivité before anything about the upload is said.
    await loadDossier(deps.db, access.collectiviteId, request.params.dossierId);
    if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Envoyez le fichier en multipart/form-data (champ « file »).', 'multipart expected');
    const file = await request.file();
    if (!file) throw new AppError('BAD_INPUT', 'Aucun fichier reçu.', 'no file part');
    const row = await addDocument(deps, actorOf(principalOf(request)), access.collectiviteId, request.params.dossierId, { role: request.query.role, filename: file.filename, stream: file.file });
    return reply.status(201).send(presentDocument(row));
  });

  r.post('/api/collectivites/:collectiviteId/dossiers/:dossierId/actions/:action', { config: { permission: 'dossier:read' }, schema: { tags, summary: 'Exécuter une action', params: dossierParams.extend({ action: z.string() }), body: z.object({ comment: z.string().max(2000).optional() }).default({}), response: { 200: dossierView, ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const p = principalOf(request);
    const who = actingAs(access, p.kind);
    await runDossierAction(deps, actorOf(p), who, access.collectiviteId, request.params.dossierId, request.params.action, request.body?.comment);
    const { dossier, documents } = await loadDossier(deps.db, access.collectiviteId, request.params.dossierId);
    return presentDossier(deps.dossierTypes.get(dossier.type), dossier, documents, who);
  });

  r.get('/api/collectivites/:collectiviteId/dossiers/:dossierId/history', { config: { permission: 'dossier:read' }, schema: { tags, summary: 'Historique (entrées du journal de preuve du dossier)', params: dossierParams, response: { 200: z.object({ items: z.array(journalEntryView) }), ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const { dossier } = await loadDossier(deps.db, access.collectiviteId, request.params.dossierId);
    const { items } = await listJournal(deps.db, access.collectiviteId, { objectType: 'dossier', objectId: dossier.id, limit: 500 });
    return { items: items.reverse().map(presentJournalEntry) };
  });
}
