/** Thin routes: validate in, call one use case, present out. Everything under a collectivité (404 outside it). */
import { z } from 'zod';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { principalOf } from '../../http/auth.ts';
import { collectiviteParams, errorResponses, tenantOf } from '../../http/route-kit.ts';
import { actorOf } from '../../identity/principal.ts';
import { forbidden, notFound } from '../../shared/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { bureauInput, circuitInput, circuitUpdateInput, delegationInput, padesLevel, typologieInput, typologieUpdateInput } from '../model.ts';
import { createBureau } from '../admin/create-bureau.ts';
import { deleteBureau } from '../admin/delete-bureau.ts';
import { setBureauHolders } from '../admin/set-bureau-holders.ts';
import { createCircuit } from '../admin/create-circuit.ts';
import { deleteCircuit } from '../admin/delete-circuit.ts';
import { updateCircuit } from '../admin/update-circuit.ts';
import { createTypologie } from '../admin/create-typologie.ts';
import { deleteTypologie } from '../admin/delete-typologie.ts';
import { updateTypologie } from '../admin/update-typologie.ts';
import { createDelegation } from '../admin/create-delegation.ts';
import { revokeDelegation } from '../admin/revoke-delegation.ts';
import { INBOX_VIEWS, listInbox } from '../inbox/list-inbox.ts';
import { inboxItemView, presentInboxItem } from '../inbox/inbox-item.ts';
import { myBannettes } from '../inbox/my-bannettes.ts';
import { parapheurDossierView, parapheurView } from '../parapheur-view.ts';
import { buildBordereau } from '../bordereau/build-bordereau.ts';
import { heldBureaux } from '../workflow/acting-bureau.ts';
import { sendDossier } from '../workflow/send-dossier.ts';
import { visaDossier } from '../workflow/visa-dossier.ts';
import { rejectDossier } from '../workflow/reject-dossier.ts';
import { annotateDossier } from '../workflow/annotate-dossier.ts';
import { requestAvis } from '../workflow/request-avis.ts';
import { giveAvis } from '../workflow/give-avis.ts';
import { transferDossier } from '../workflow/transfer-dossier.ts';
import { takeBackDossier } from '../workflow/take-back-dossier.ts';
import { relaunchSeal } from '../workflow/relaunch-seal.ts';
import { prepareSignature } from '../workflow/prepare-signature.ts';
import { completeSignature } from '../workflow/complete-signature.ts';

const P = '/api/collectivites/:collectiviteId/parapheur';
const dossierParams = collectiviteParams.extend({ dossierId: z.string() });
const idParams = (name: string) => collectiviteParams.extend({ [name]: z.string() });
const bureauView = z.object({ id: z.string(), name: z.string(), superiorId: z.string().nullable(), holderUserIds: z.array(z.string()) });
const circuitView = z.object({ id: z.string(), name: z.string(), steps: z.array(z.unknown()), version: z.number().describe('À renvoyer pour modifier le circuit') });
const typologieView = z.object({ id: z.string(), type: z.string(), sousType: z.string(), circuitId: z.string(), format: z.string(), mark: z.unknown().nullable(), niveauPades: padesLevel.nullable().describe('Niveau PAdES ; null : B-T si un horodatage est configuré, sinon B-B'), version: z.number().describe('À renvoyer pour modifier la typologie') });
const delegationView = z.object({ id: z.string(), fromBureauId: z.string(), toBureauId: z.string(), startsAt: z.string(), endsAt: z.string(), typologieIds: z.array(z.string()), revoked: z.boolean() });
const withBureau = { bureauId: z.string().optional().describe('Bureau au nom duquel agir (si vous en tenez plusieurs)') };

export function parapheurRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Parapheur'];
  // Each route declares its permission (config.permission); the tenant hook resolves the collectivité first.
  const ADMIN = { permission: 'user:manage' as const };
  const READ = { permission: 'dossier:read' as const };
  const ACT = { permission: 'dossier:act' as const };
  const who = (request: FastifyRequest) => principalOf(request);
  const view = (request: FastifyRequest, dossierId: string) => parapheurView(deps, who(request), tenantOf(request), dossierId);

  // --- administration: bureaux, circuits, typologies, délégations
  r.get(`${P}/bureaux`, { config: READ, schema: { tags, summary: 'Bureaux', params: collectiviteParams, response: { 200: z.object({ items: z.array(bureauView) }), ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const rows = await deps.db.selectFrom('parapheur_bureau').selectAll().where('collectivite_id', '=', access.collectiviteId).orderBy('name').execute();
    const holders = await deps.db.selectFrom('parapheur_bureau_holder').selectAll().where('collectivite_id', '=', access.collectiviteId).execute();
    return { items: rows.map((b) => ({ id: b.id, name: b.name, superiorId: b.superior_id, holderUserIds: holders.filter((h) => h.bureau_id === b.id).map((h) => h.user_id) })) };
  });
  r.post(`${P}/bureaux`, { config: ADMIN, schema: { tags, summary: 'Créer un bureau', params: collectiviteParams, body: bureauInput, response: { 201: bureauView, ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    const b = await createBureau(deps, actorOf(who(request)), access.collectiviteId, request.body);
    return reply.status(201).send({ id: b.id, name: b.name, superiorId: b.superior_id, holderUserIds: [...new Set(request.body.holderUserIds)] });
  });
  r.put(`${P}/bureaux/:bureauId/titulaires`, { config: ADMIN, schema: { tags, summary: 'Remplacer les titulaires d’un bureau', params: idParams('bureauId'), body: z.object({ userIds: z.array(z.uuid()).max(50) }), response: { 204: z.null(), ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    await setBureauHolders(deps, actorOf(who(request)), access.collectiviteId, (request.params as { bureauId: string }).bureauId, request.body.userIds);
    return reply.status(204).send(null);
  });
  r.delete(`${P}/bureaux/:bureauId`, { config: ADMIN, schema: { tags, summary: 'Supprimer un bureau inutilisé', params: idParams('bureauId'), response: { 204: z.null(), ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    await deleteBureau(deps, actorOf(who(request)), access.collectiviteId, (request.params as { bureauId: string }).bureauId);
    return reply.status(204).send(null);
  });

  const presentCircuit = (c: { id: string; name: string; steps: unknown[]; version: number }) => ({ id: c.id, name: c.name, steps: c.steps, version: c.version });
  r.get(`${P}/circuits`, { config: READ, schema: { tags, summary: 'Circuits', params: collectiviteParams, response: { 200: z.object({ items: z.array(circuitView) }), ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const rows = await deps.db.selectFrom('parapheur_circuit').selectAll().where('collectivite_id', '=', access.collectiviteId).orderBy('name').execute();
    return { items: rows.map(presentCircuit) };
  });
  r.post(`${P}/circuits`, { config: ADMIN, schema: { tags, summary: 'Créer un circuit', params: collectiviteParams, body: circuitInput, response: { 201: circuitView, ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    const c = await createCircuit(deps, actorOf(who(request)), access.collectiviteId, request.body);
    return reply.status(201).send(presentCircuit(c));
  });
  r.put(`${P}/circuits/:circuitId`, { config: ADMIN, schema: { tags, summary: 'Modifier un circuit (les dossiers déjà envoyés gardent leurs étapes)', params: idParams('circuitId'), body: circuitUpdateInput, response: { 200: circuitView, ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    return presentCircuit(await updateCircuit(deps, actorOf(who(request)), access.collectiviteId, (request.params as { circuitId: string }).circuitId, request.body));
  });
  r.delete(`${P}/circuits/:circuitId`, { config: ADMIN, schema: { tags, summary: 'Supprimer un circuit inutilisé', params: idParams('circuitId'), response: { 204: z.null(), ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    await deleteCircuit(deps, actorOf(who(request)), access.collectiviteId, (request.params as { circuitId: string }).circuitId);
    return reply.status(204).send(null);
  });

  const presentTypologie = (t: { id: string; type: string; sous_type: string; circuit_id: string; format: string; mark: unknown; niveau_pades: string | null; version: number }) => ({ id: t.id, type: t.type, sousType: t.sous_type, circuitId: t.circuit_id, format: t.format, mark: t.mark ?? null, niveauPades: padesLevel.nullable().parse(t.niveau_pades), version: t.version });
  r.get(`${P}/typologies`, { config: READ, schema: { tags, summary: 'Typologies (type × sous-type)', params: collectiviteParams, response: { 200: z.object({ items: z.array(typologieView) }), ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const rows = await deps.db.selectFrom('parapheur_typologie').selectAll().where('collectivite_id', '=', access.collectiviteId).orderBy('type').orderBy('sous_type').execute();
    return { items: rows.map(presentTypologie) };
  });
  r.post(`${P}/typologies`, { config: ADMIN, schema: { tags, summary: 'Créer une typologie', params: collectiviteParams, body: typologieInput, response: { 201: typologieView, ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    return reply.status(201).send(presentTypologie(await createTypologie(deps, actorOf(who(request)), access.collectiviteId, request.body)));
  });
  r.put(`${P}/typologies/:typologieId`, { config: ADMIN, schema: { tags, summary: 'Modifier une typologie (les dossiers déjà envoyés gardent leurs réglages)', params: idParams('typologieId'), body: typologieUpdateInput, response: { 200: typologieView, ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    return presentTypologie(await updateTypologie(deps, actorOf(who(request)), access.collectiviteId, (request.params as { typologieId: string }).typologieId, request.body));
  });
  r.delete(`${P}/typologies/:typologieId`, { config: ADMIN, schema: { tags, summary: 'Supprimer une typologie inutilisée', params: idParams('typologieId'), response: { 204: z.null(), ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    await deleteTypologie(deps, actorOf(who(request)), access.collectiviteId, (request.params as { typologieId: string }).typologieId);
    return reply.status(204).send(null);
  });

  const presentDelegation = (d: { id: string; from_bureau_id: string; to_bureau_id: string; starts_at: Date; ends_at: Date; typologie_ids: string[]; revoked_at: Date | null }) => ({ id: d.id, fromBureauId: d.from_bureau_id, toBureauId: d.to_bureau_id, startsAt: d.starts_at.toISOString(), endsAt: d.ends_at.toISOString(), typologieIds: d.typologie_ids, revoked: Boolean(d.revoked_at) });
  r.get(`${P}/delegations`, { config: READ, schema: { tags, summary: 'Délégations', params: collectiviteParams, response: { 200: z.object({ items: z.array(delegationView) }), ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const rows = await deps.db.selectFrom('parapheur_delegation').selectAll().where('collectivite_id', '=', access.collectiviteId).orderBy('starts_at', 'desc').execute();
    return { items: rows.map(presentDelegation) };
  });
  r.post(`${P}/delegations`, { config: ACT, schema: { tags, summary: 'Créer une délégation (titulaire du bureau ou administrateur)', params: collectiviteParams, body: delegationInput, response: { 201: delegationView, ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    const row = await createDelegation(deps, actorOf(who(request)), who(request), access.permissions.has('user:manage'), access.collectiviteId, request.body);
    return reply.status(201).send(presentDelegation(row));
  });
  r.delete(`${P}/delegations/:delegationId`, { config: ACT, schema: { tags, summary: 'Révoquer une délégation', params: idParams('delegationId'), response: { 204: z.null(), ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    await revokeDelegation(deps, actorOf(who(request)), who(request), access.permissions.has('user:manage'), access.collectiviteId, (request.params as { delegationId: string }).delegationId);
    return reply.status(204).send(null);
  });

  // --- bannettes
  r.get(`${P}/bureaux/:bureauId/dossiers`, { config: READ, schema: { tags, summary: 'Bannette d’un bureau', params: idParams('bureauId'), querystring: z.object({ vue: z.enum(INBOX_VIEWS).default('a-traiter') }), response: { 200: z.object({ items: z.array(inboxItemView) }), ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const { bureauId } = request.params as { bureauId: string };
    if (!isUuid(bureauId)) throw notFound('bureau', 'Bureau');
    const bureau = await deps.db.selectFrom('parapheur_bureau').select('id').where('collectivite_id', '=', access.collectiviteId).where('id', '=', bureauId).executeTakeFirst();
    if (!bureau) throw notFound('bureau', 'Bureau');
    const p = who(request);
    if (!access.permissions.has('user:manage') && (p.kind !== 'user' || !(await heldBureaux(deps.db, access.collectiviteId, p.userId)).includes(bureauId))) throw forbidden('Vous ne tenez pas ce bureau.', 'not a holder');
    const rows = await listInbox(deps, access.collectiviteId, bureauId, request.query.vue);
    return { items: rows.map((d) => presentInboxItem(deps, d)) };
  });

  r.get(`${P}/bannettes`, { config: READ, schema: { tags, summary: 'Toutes les bannettes des bureaux que l’utilisateur tient, en une requête (« Mon parapheur »)', params: collectiviteParams, response: { 200: z.object({ items: z.array(z.object({ bureau: bureauView, vues: z.record(z.enum(INBOX_VIEWS), z.array(inboxItemView)) })) }), ...errorResponses } } }, async (request) => {
    const p = who(request);
    const held = await myBannettes(deps, tenantOf(request).collectiviteId, p.kind === 'user' ? p.userId : null);
    return { items: held.map((h) => ({ bureau: h.bureau, vues: Object.fromEntries(INBOX_VIEWS.map((v) => [v, h.views[v].map((d) => presentInboxItem(deps, d))])) as Record<(typeof INBOX_VIEWS)[number], ReturnType<typeof presentInboxItem>[]> })) };
  });

  // --- a dossier in the parapheur
  const ok = { 200: parapheurDossierView, ...errorResponses };
  r.get(`${P}/dossiers/:dossierId`, { config: READ, schema: { tags, summary: 'Dossier dans le parapheur : circuit, actes, annotations, avis, actions possibles', params: dossierParams, response: ok } }, async (request) => view(request, request.params.dossierId));

  const simple = (path: string, summary: string, body: z.ZodType<Record<string, unknown>>, run: (request: FastifyRequest, b: never) => Promise<unknown>) => {
    r.post(`${P}/dossiers/:dossierId/${path}`, { config: ACT, schema: { tags, summary, params: dossierParams, body, response: ok } }, async (request) => {
      await run(request, request.body as never);
      return view(request, request.params.dossierId);
    });
  };
  const dossierIdOf = (request: FastifyRequest) => (request.params as { dossierId: string }).dossierId;
  simple('envoyer', 'Envoyer dans le circuit', z.object({}).default({}), async (request) => sendDossier(deps, who(request), tenantOf(request), dossierIdOf(request)));
  simple('viser', 'Viser', z.object({ comment: z.string().max(2000).optional(), ...withBureau }).default({}), async (request, b: { comment?: string; bureauId?: string }) => visaDossier(deps, who(request), tenantOf(request), dossierIdOf(request), b));
  simple('rejeter', 'Rejeter (motif obligatoire)', z.object({ motif: z.string().max(2000).optional(), ...withBureau }).default({}), async (request, b: { motif?: string; bureauId?: string }) => rejectDossier(deps, who(request), tenantOf(request), dossierIdOf(request), b));
  simple('annoter', 'Annoter (publique, ou privée au bureau)', z.object({ text: z.string().max(4000), visibility: z.enum(['public', 'private']).default('public'), ...withBureau }), async (request, b: { text: string; visibility: 'public' | 'private'; bureauId?: string }) => annotateDossier(deps, who(request), tenantOf(request), dossierIdOf(request), b));
  simple('avis', 'Demander un avis à un autre bureau', z.object({ toBureauId: z.string(), question: z.string().max(4000), ...withBureau }), async (request, b: { toBureauId: string; question: string; bureauId?: string }) => requestAvis(deps, who(request), tenantOf(request), dossierIdOf(request), b));
  simple('transferer', 'Transférer à un autre bureau (même étape)', z.object({ toBureauId: z.string(), comment: z.string().max(2000).optional(), ...withBureau }), async (request, b: { toBureauId: string; comment?: string; bureauId?: string }) => transferDossier(deps, who(request), tenantOf(request), dossierIdOf(request), b));
  simple('reprendre', 'Reprendre (avant toute action d’un bureau)', z.object({}).default({}), async (request) => takeBackDossier(deps, who(request), tenantOf(request), dossierIdOf(request)));
  simple('relancer-cachet', 'Relancer le cachet serveur', z.object({}).default({}), async (request) => relaunchSeal(deps, who(request), tenantOf(request), dossierIdOf(request)));
  r.post(`${P}/dossiers/:dossierId/avis/:avisId/reponse`, { config: ACT, schema: { tags, summary: 'Donner l’avis demandé', params: dossierParams.extend({ avisId: z.string() }), body: z.object({ answer: z.string().max(4000) }), response: ok } }, async (request) => {
    await giveAvis(deps, who(request), tenantOf(request), request.params.dossierId, request.params.avisId, request.body);
    return view(request, request.params.dossierId);
  });

  r.post(`${P}/dossiers/:dossierId/signature/prepare`, {
    config: ACT,
    schema: {
      tags,
      summary: 'Signature en deux temps, 1 : préparer (certificat du signataire) et recevoir les données à signer',
      params: dossierParams,
      body: z.object({ certificateChain: z.array(z.string().max(20000)).min(1).max(10).describe('Certificat du signataire puis sa chaîne, PEM ou DER base64'), ...withBureau }),
      response: { 200: z.object({ sessionId: z.string(), format: z.enum(['pades', 'xades', 'cades']), items: z.array(z.object({ id: z.string().describe('Champ de signature (PDF), Id du bordereau (PES) ou « cades »'), dataToSign: z.string().describe('Données à signer, base64 : attributs signés CMS (PAdES, CAdES) ou SignedInfo canonisé (XAdES)'), digest: z.string().describe('SHA-256 des données, base64') })), digestAlgorithm: z.literal('SHA-256'), certificate: z.object({ subject: z.string(), issuer: z.string(), serialNumber: z.string() }) }), ...errorResponses, 422: errorResponses[400] },
    },
  }, async (request) => prepareSignature(deps, who(request), tenantOf(request), request.params.dossierId, request.body));
  r.post(`${P}/dossiers/:dossierId/signature/complete`, {
    config: ACT,
    schema: { tags, summary: 'Signature en deux temps, 2 : envoyer la valeur de signature', params: dossierParams, body: z.object({ sessionId: z.string(), signatureValues: z.array(z.string().max(4096)).min(1).max(10000).describe('Une valeur de signature base64 par élément préparé, dans l’ordre (RSA PKCS#1 v1.5 SHA-256, ou ECDSA DER pour un PDF)') }), response: { ...ok, 422: errorResponses[400] } },
  }, async (request) => {
    await completeSignature(deps, who(request), tenantOf(request), request.params.dossierId, request.body);
    return view(request, request.params.dossierId);
  });

  r.get(`${P}/dossiers/:dossierId/bordereau`, { config: READ, schema: { tags, summary: 'Bordereau de signature (PDF)', params: dossierParams } }, async (request, reply) => {
    const access = tenantOf(request);
    const pdf = await buildBordereau(deps, access.collectiviteId, request.params.dossierId);
    reply.header('content-type', 'application/pdf');
    reply.header('content-disposition', `attachment; filename="bordereau-${request.params.dossierId}.pdf"`);
    return reply.send(Buffer.from(pdf));
  });
}
