import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { SESSION_COOKIE, principalOf } from '../../http/auth.ts';
import { errorResponses } from '../../http/route-kit.ts';
import { login } from '../login.ts';
import { logout } from '../logout.ts';
import { actorOf } from '../principal.ts';
import { startImpersonation, stopImpersonation } from '../impersonate.ts';
import { ROLE_LABELS_FR } from '../roles.ts';

const sessionView = z.object({
  user: z.object({ id: z.string(), email: z.string(), displayName: z.string(), operatorRole: z.string().nullable() }),
  csrfToken: z.string(),
  memberships: z.array(z.object({ collectiviteId: z.string(), name: z.string(), role: z.string(), roleLabel: z.string() })),
  impersonation: z.object({ collectiviteId: z.string(), reason: z.string() }).nullable(),
});

export function authRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Connexion'];

  r.post(
    '/api/auth/login',
    {
      config: { public: true, rateLimit: { max: 10, timeWindow: '1 minute', keyGenerator: (req) => `${req.ip}|${String((req.body as { email?: unknown } | undefined)?.email ?? '').toLowerCase()}` } },
      schema: { tags, summary: 'Se connecter', body: z.object({ email: z.string().max(320), password: z.string().max(200) }), response: { 200: z.object({ csrfToken: z.string(), expiresAt: z.string() }), ...errorResponses } },
    },
    async (request, reply) => {
      const res = await login(deps, request.body.email, request.body.password, { ip: request.ip });
      reply.setCookie(SESSION_COOKIE, res.sessionSecret, { httpOnly: true, sameSite: 'lax', secure: deps.config.secureCookies, path: '/', expires: res.expiresAt });
      return { csrfToken: res.csrfToken, expiresAt: res.expiresAt.toISOString() };
    },
  );

  r.post('/api/auth/logout', { schema: { tags, summary: 'Se déconnecter', response: { 204: z.null(), ...errorResponses } } }, async (request, reply) => {
    const p = principalOf(request);
    if (p.kind === 'user') await logout(deps, actorOf(p), p.sessionId);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.status(204).send(null);
  });

  r.get('/api/auth/session', { schema: { tags, summary: 'Session courante', response: { 200: sessionView, ...errorResponses } } }, async (request) => {
    const p = principalOf(request);
    if (p.kind !== 'user') {
      const c = await deps.db.selectFrom('collectivite').select(['id', 'name']).where('id', '=', p.collectiviteId).executeTakeFirstOrThrow();
      return { user: { id: p.tokenId, email: '', displayName: p.name, operatorRole: null }, csrfToken: '', memberships: [{ collectiviteId: c.id, name: c.name, role: 'api', roleLabel: 'Jeton d’API' }], impersonation: null };
    }
    const memberships = await deps.db
      .selectFrom('membership')
      .innerJoin('collectivite', 'collectivite.id', 'membership.collectivite_id')
      .select(['collectivite.id', 'collectivite.name', 'membership.role'])
      .where('membership.user_id', '=', p.userId)
      .orderBy('collectivite.name')
      .execute();
    return {
      user: { id: p.userId, email: p.email, displayName: p.displayName, operatorRole: p.operatorRole },
      csrfToken: request.csrfToken ?? '',
      memberships: memberships.map((m) => ({ collectiviteId: m.id, name: m.name, role: m.role, roleLabel: ROLE_LABELS_FR[m.role as keyof typeof ROLE_LABELS_FR] ?? m.role })),
      impersonation: p.impersonation,
    };
  });

  r.post('/api/auth/impersonation', { schema: { tags, summary: 'Intervenir dans une collectivité (personnel de l’opérateur, avec motif)', body: z.object({ collectiviteId: z.string(), reason: z.string().max(500) }), response: { 204: z.null(), ...errorResponses } } }, async (request, reply) => {
    await startImpersonation(deps, principalOf(request), request.body.collectiviteId, request.body.reason);
    return reply.status(204).send(null);
  });

  r.delete('/api/auth/impersonation', { schema: { tags, summary: 'Terminer l’intervention', response: { 204: z.null(), ...errorResponses } } }, async (request, reply) => {
    await stopImpersonation(deps, principalOf(request));
    return reply.status(204).send(null);
  });
}
