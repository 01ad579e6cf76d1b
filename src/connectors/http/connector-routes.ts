import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { principalOf } from '../../http/auth.ts';
import { collectiviteParams, errorResponses, tenantOf } from '../../http/route-kit.ts';
import { actorOf } from '../../identity/principal.ts';
import { requireOperator } from '../../identity/resolve-tenant-access.ts';
import { notFound } from '../../shared/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { ensureOperator } from '../../tenancy/ensure-operator.ts';
import { resolveConnectorConfig } from '../connectors.ts';
import { maskSecrets } from '../mask-secrets.ts';
import { setConnectorConfig } from '../set-connector-config.ts';
import { MAX_PKCS12_BYTES, sealSummary, setSealPkcs12 } from '../../parapheur/admin/set-seal-pkcs12.ts';

const configBody = z.object({ config: z.record(z.string(), z.unknown()).describe('Réglages ; un secret renvoyé masqué (••••••••) garde sa valeur enregistrée') });
const effectiveView = z.object({ connector: z.string(), config: z.record(z.string(), z.unknown()), origin: z.record(z.string(), z.string()) });
const sealCertificate = z.object({ sujet: z.string(), emetteur: z.string(), numeroSerie: z.string(), valideDu: z.string(), valideJusquAu: z.string() });
const sealView = z.object({
  source: z.enum(['pkcs12', 'p12Path', 'pkcs11']).nullable().describe('pkcs12 : PKCS#12 déposé (conservé scellé) ; p12Path : fichier PKCS#12 sur le serveur ; pkcs11 : jeton ; null : aucun cachet'),
  origine: z.string().nullable().describe('Qui l’a configuré : operator, group, collectivite'),
  certificat: sealCertificate.nullable(),
  erreur: z.string().nullable().describe('Pourquoi le certificat ne peut pas être lu (mot de passe, fichier…)'),
});
const sealUpload = z.object({
  pkcs12: z.base64('Le fichier PKCS#12 doit être envoyé en base64.').max(Math.ceil((MAX_PKCS12_BYTES * 4) / 3) + 4, 'Fichier PKCS#12 trop volumineux.').describe('Le fichier PKCS#12 (.p12, .pfx) du cachet serveur, en base64'),
  password: z.string().max(200).describe('Son mot de passe : vérifié, conservé scellé, jamais renvoyé'),
});
const connectorSummary = z.object({ connector: z.string(), label: z.string(), config: z.record(z.string(), z.unknown()), origin: z.record(z.string(), z.string()), complete: z.boolean(), problems: z.array(z.object({ path: z.string(), message: z.string() })) });

export function connectorRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Connecteurs'];

  r.put('/api/connectors/:connector', { schema: { tags, summary: 'Configuration par défaut de l’opérateur (héritée par toutes les collectivités)', params: z.object({ connector: z.string() }), body: configBody, response: { 204: z.null(), ...errorResponses } } }, async (request, reply) => {
    const p = principalOf(request);
    requireOperator(p);
    await setConnectorConfig(deps, actorOf(p), { type: 'operator', id: await ensureOperator(deps) }, request.params.connector, request.body.config);
    return reply.status(204).send(null);
  });

  r.put('/api/groups/:groupId/connectors/:connector', { schema: { tags, summary: 'Configuration d’un groupe de collectivités', params: z.object({ groupId: z.string(), connector: z.string() }), body: configBody, response: { 204: z.null(), ...errorResponses } } }, async (request, reply) => {
    const p = principalOf(request);
    requireOperator(p);
    const g = isUuid(request.params.groupId) ? await deps.db.selectFrom('collectivite_group').select('id').where('id', '=', request.params.groupId).executeTakeFirst() : undefined;
    if (!g) throw notFound('group', 'Groupe');
    await setConnectorConfig(deps, actorOf(p), { type: 'group', id: g.id }, request.params.connector, request.body.config);
    return reply.status(204).send(null);
  });

  r.put('/api/collectivites/:collectiviteId/connectors/:connector', { config: { permission: 'connector:manage' }, schema: { tags, summary: 'Surcharge propre à la collectivité', params: collectiviteParams.extend({ connector: z.string() }), body: configBody, response: { 204: z.null(), ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    await setConnectorConfig(deps, actorOf(principalOf(request)), { type: 'collectivite', id: access.collectiviteId }, request.params.connector, request.body.config);
    return reply.status(204).send(null);
  });

  // Reads never show secrets (passwords, PINs): they come back masked.
  r.get('/api/collectivites/:collectiviteId/connectors/:connector', { config: { permission: 'connector:manage' }, schema: { tags, summary: 'Configuration effective (avec l’origine de chaque réglage ; secrets masqués)', params: collectiviteParams.extend({ connector: z.string() }), response: { 200: effectiveView, ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    deps.connectors.get(request.params.connector);
    const eff = await resolveConnectorConfig(deps.db, deps.connectors, access.collectiviteId, request.params.connector);
    return { connector: request.params.connector, config: maskSecrets(eff.config), origin: eff.origin };
  });

  r.get('/api/collectivites/:collectiviteId/connectors', { config: { permission: 'connector:manage' }, schema: { tags, summary: 'Tous les connecteurs : configuration effective, origine de chaque réglage (opérateur, groupe, collectivité), complète ou non ; secrets masqués', params: collectiviteParams, response: { 200: z.object({ items: z.array(connectorSummary) }), ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const items = [];
    for (const def of deps.connectors.all()) {
      const eff = await resolveConnectorConfig(deps.db, deps.connectors, access.collectiviteId, def.name);
      const parsed = def.schema.safeParse(eff.config);
      items.push({ connector: def.name, label: def.label, config: maskSecrets(eff.config), origin: eff.origin, complete: parsed.success, problems: parsed.success ? [] : parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
    }
    return { items };
  });

  // The collectivité's own seal: PKCS#12 and password uploaded (checked, stored sealed, never sent back).
  r.put('/api/collectivites/:collectiviteId/cachet-serveur', { config: { permission: 'connector:manage' }, schema: { tags, summary: 'Déposer le PKCS#12 du cachet serveur de la collectivité avec son mot de passe (vérifiés ; conservés scellés, jamais renvoyés) ; remplace la surcharge du cachet de la collectivité', params: collectiviteParams, body: sealUpload, response: { 200: sealView, ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    await setSealPkcs12(deps, actorOf(principalOf(request)), access.collectiviteId, request.body);
    return sealSummary(deps, access.collectiviteId);
  });

  r.get('/api/collectivites/:collectiviteId/cachet-serveur', { config: { permission: 'connector:manage' }, schema: { tags, summary: 'Le cachet serveur qui s’applique à la collectivité : d’où vient sa clé et quel certificat il porte (sans aucun secret)', params: collectiviteParams, response: { 200: sealView, ...errorResponses } } }, async (request) => sealSummary(deps, tenantOf(request).collectiviteId));

  r.get('/api/connectors', { schema: { tags, summary: 'Configuration par défaut de l’opérateur pour chaque connecteur (personnel de l’opérateur ; secrets masqués)', response: { 200: z.object({ items: z.array(z.object({ connector: z.string(), label: z.string(), config: z.record(z.string(), z.unknown()) })) }), ...errorResponses } } }, async (request) => {
    requireOperator(principalOf(request));
    const operatorId = await ensureOperator(deps);
    const rows = await deps.db.selectFrom('connector_config').select(['connector', 'config']).where('scope_type', '=', 'operator').where('scope_id', '=', operatorId).execute();
    return { items: deps.connectors.all().map((def) => ({ connector: def.name, label: def.label, config: maskSecrets((rows.find((r) => r.connector === def.name)?.config ?? {}) as Record<string, unknown>) })) };
  });
}
