import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { principalOf } from '../../http/auth.ts';
import { collectiviteParams, errorResponses, tenantOf } from '../../http/route-kit.ts';
import { actorOf } from '../principal.ts';
import { newTokenInput, presentToken, tokenView } from '../api-tokens.ts';
import { createApiToken } from '../create-api-token.ts';
import { revokeApiToken } from '../revoke-api-token.ts';

export function tokenRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Jetons d’API'];

  r.get('/api/collectivites/:collectiviteId/api-tokens', { config: { permission: 'token:manage' }, schema: { tags, params: collectiviteParams, response: { 200: z.object({ items: z.array(tokenView) }), ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const rows = await deps.db.selectFrom('api_token').selectAll().where('collectivite_id', '=', access.collectiviteId).orderBy('created_at', 'desc').execute();
    return { items: rows.map(presentToken) };
  });

  r.post('/api/collectivites/:collectiviteId/api-tokens', { config: { permission: 'token:manage' }, schema: { tags, summary: 'Créer un jeton (affiché une seule fois)', params: collectiviteParams, body: newTokenInput, response: { 201: tokenView.extend({ token: z.string() }), ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    const { token, view } = await createApiToken(deps, actorOf(principalOf(request)), access.collectiviteId, request.body);
    return reply.status(201).send({ ...view, token });
  });

  r.delete('/api/collectivites/:collectiviteId/api-tokens/:tokenId', { config: { permission: 'token:manage' }, schema: { tags, summary: 'Révoquer un jeton', params: collectiviteParams.extend({ tokenId: z.string() }), response: { 204: z.null(), ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    await revokeApiToken(deps, actorOf(principalOf(request)), access.collectiviteId, request.params.tokenId);
    return reply.status(204).send(null);
  });
}
