import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { principalOf } from '../../http/auth.ts';
import { collectiviteParams, errorResponses } from '../../http/route-kit.ts';
import { actorOf } from '../../identity/principal.ts';
import { requireOperator } from '../../identity/resolve-tenant-access.ts';
import { collectiviteInput, collectivitePatch, collectiviteView, presentCollectivite } from '../collectivite.ts';
import { createCollectivite } from '../create-collectivite.ts';
import { updateCollectivite } from '../update-collectivite.ts';
import { createGroup } from '../create-group.ts';
import { notFound } from '../../shared/errors.ts';
import { isUuid } from '../../shared/ids.ts';

export function collectiviteRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Collectivités'];

  r.get('/api/collectivites', { schema: { tags, summary: 'Collectivités visibles par l’appelant', response: { 200: z.object({ items: z.array(collectiviteView) }), ...errorResponses } } }, async (request) => {
    const p = principalOf(request);
    let q = deps.db.selectFrom('collectivite').selectAll().orderBy('name');
    if (p.kind === 'token') q = q.where('id', '=', p.collectiviteId);
    else if (!p.operatorRole) q = q.where('id', 'in', deps.db.selectFrom('membership').select('collectivite_id').where('user_id', '=', p.userId));
    return { items: (await q.execute()).map(presentCollectivite) };
  });

  r.post('/api/collectivites', { schema: { tags, summary: 'Créer une collectivité (opérateur)', body: collectiviteInput, response: { 201: collectiviteView, ...errorResponses } } }, async (request, reply) => {
    const p = principalOf(request);
    requireOperator(p);
    return reply.status(201).send(await createCollectivite(deps, actorOf(p), request.body));
  });

  r.get('/api/collectivites/:collectiviteId', { config: { permission: 'collectivite:read', operatorAccess: true }, schema: { tags, params: collectiviteParams, response: { 200: collectiviteView, ...errorResponses } } }, async (request) => {
    const id = request.params.collectiviteId;
    const row = isUuid(id) ? await deps.db.selectFrom('collectivite').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    if (!row) throw notFound('collectivite', 'Collectivité');
    return presentCollectivite(row);
  });

  r.patch('/api/collectivites/:collectiviteId', { config: { permission: 'collectivite:read', operatorAccess: true }, schema: { tags, summary: 'Modifier une collectivité (opérateur)', params: collectiviteParams, body: collectivitePatch, response: { 200: collectiviteView, ...errorResponses } } }, async (request) => {
    const p = principalOf(request);
    // Members were resolved by the tenant hook (404 elsewhere); only operator staff may change a collectivité.
    requireOperator(p);
    return updateCollectivite(deps, actorOf(p), request.params.collectiviteId, request.body);
  });

  r.get('/api/groups', { schema: { tags, summary: 'Groupes de collectivités (opérateur)', response: { 200: z.object({ items: z.array(z.object({ id: z.string(), name: z.string() })) }), ...errorResponses } } }, async (request) => {
    requireOperator(principalOf(request), false);
    return { items: await deps.db.selectFrom('collectivite_group').select(['id', 'name']).orderBy('name').execute() };
  });

  r.post('/api/groups', { schema: { tags, summary: 'Créer un groupe de collectivités (opérateur)', body: z.object({ name: z.string().trim().min(2).max(200) }), response: { 201: z.object({ id: z.string(), name: z.string() }), ...errorResponses } } }, async (request, reply) => {
    const p = principalOf(request);
    requireOperator(p);
    return reply.status(201).send(await createGroup(deps, actorOf(p), request.body.name));
  });
}
