import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { principalOf } from '../../http/auth.ts';
import { collectiviteParams, errorResponses, tenantOf } from '../../http/route-kit.ts';
import { actorOf } from '../principal.ts';
import { COLLECTIVITE_ROLES } from '../roles.ts';
import { memberView, newUserInput, presentMember } from '../user.ts';
import { addMember } from '../add-member.ts';
import { changeMemberRole } from '../change-member-role.ts';
import { removeMember } from '../remove-member.ts';

const memberParams = collectiviteParams.extend({ userId: z.string() });

export function memberRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Utilisateurs'];

  r.get('/api/collectivites/:collectiviteId/users', { config: { permission: 'user:manage' }, schema: { tags, params: collectiviteParams, response: { 200: z.object({ items: z.array(memberView) }), ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const rows = await deps.db
      .selectFrom('membership')
      .innerJoin('app_user', 'app_user.id', 'membership.user_id')
      .select(['app_user.id', 'app_user.email', 'app_user.display_name', 'app_user.disabled', 'membership.role'])
      .where('membership.collectivite_id', '=', access.collectiviteId)
      .orderBy('app_user.display_name')
      .execute();
    return { items: rows.map(presentMember) };
  });

  r.post('/api/collectivites/:collectiviteId/users', { config: { permission: 'user:manage' }, schema: { tags, summary: 'Ajouter un utilisateur', params: collectiviteParams, body: newUserInput, response: { 201: memberView, ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    return reply.status(201).send(await addMember(deps, actorOf(principalOf(request)), access.collectiviteId, request.body));
  });

  r.patch('/api/collectivites/:collectiviteId/users/:userId', { config: { permission: 'user:manage' }, schema: { tags, summary: 'Changer le rôle', params: memberParams, body: z.object({ role: z.enum(COLLECTIVITE_ROLES) }), response: { 200: memberView, ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    return changeMemberRole(deps, actorOf(principalOf(request)), access.collectiviteId, request.params.userId, request.body.role);
  });

  r.delete('/api/collectivites/:collectiviteId/users/:userId', { config: { permission: 'user:manage' }, schema: { tags, summary: 'Retirer de la collectivité', params: memberParams, response: { 204: z.null(), ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    await removeMember(deps, actorOf(principalOf(request)), access.collectiviteId, request.params.userId);
    return reply.status(204).send(null);
  });
}
