import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../app/deps.ts';
import { authenticateSession, authenticateToken } from '../identity/authenticate.ts';
import type { Principal, TenantAccess } from '../identity/principal.ts';
import type { Permission } from '../identity/roles.ts';
import { requirePermission, resolveTenantAccess } from '../identity/resolve-tenant-access.ts';
import { AppError } from '../shared/errors.ts';

export const SESSION_COOKIE = 'paraphe_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest {
    principalOrNull: Principal | null;
    csrfToken: string | null;
    tenantAccess: TenantAccess | null;
  }
  interface FastifyContextConfig {
    /** Route reachable without being signed in. */
    public?: boolean;
    /** Permission needed inside the collectivité named by `:collectiviteId`. */
    permission?: Permission;
    /** Operator staff reach this route without impersonating (the handler checks their role). */
    operatorAccess?: boolean;
  }
}

/**
 * Who is calling: `Authorization: Bearer pph_…` (business software) or the session cookie (people).
 * Cookie-authenticated writes must echo the session's CSRF token in `X-CSRF-Token`.
 */
export function installAuth(app: FastifyInstance, deps: Deps): void {
  app.decorateRequest('principalOrNull', null);
  app.decorateRequest('csrfToken', null);
  app.decorateRequest('tenantAccess', null);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      const principal = m ? await authenticateToken(deps, m[1]!) : null;
      if (!principal) throw new AppError('UNAUTHENTICATED', 'Jeton d’API invalide ou révoqué.', 'invalid bearer token');
      request.principalOrNull = principal;
      return;
    }
    const cookie = request.cookies[SESSION_COOKIE];
    if (!cookie) return;
    const session = await authenticateSession(deps, cookie);
    if (!session) return;
    if (!SAFE_METHODS.has(request.method) && request.headers['x-csrf-token'] !== session.csrfToken) {
      throw new AppError('FORBIDDEN', 'Jeton anti-CSRF absent ou invalide : rechargez la page.', 'CSRF token mismatch');
    }
    request.principalOrNull = session.principal;
    request.csrfToken = session.csrfToken;
  });
  app.addHook('preValidation', async (request) => {
    const url = request.routeOptions.url ?? '';
    if (request.routeOptions.config?.public || !url.startsWith('/api/') || url.startsWith('/api/docs')) return;
    if (!request.principalOrNull) throw new AppError('UNAUTHENTICATED', 'Connectez-vous pour accéder à cette ressource.', 'authentication required');
  });
  // Tenant resolution runs before body validation: another collectivité's id is "not found" whatever the
  // body, and a missing permission is refused before anything else is looked at.
  app.addHook('preValidation', async (request) => {
    const config = request.routeOptions.config;
    const collectiviteId = (request.params as { collectiviteId?: string } | undefined)?.collectiviteId;
    if (!config?.permission || collectiviteId === undefined) return;
    const principal = principalOf(request);
    if (config.operatorAccess && principal.kind === 'user' && principal.operatorRole && principal.impersonation?.collectiviteId !== collectiviteId) return;
    const access = await resolveTenantAccess(deps.db, principal, collectiviteId);
    requirePermission(access, config.permission);
    request.tenantAccess = access;
  });
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principalOrNull) throw new AppError('UNAUTHENTICATED', 'Connectez-vous pour accéder à cette ressource.', 'authentication required');
  return request.principalOrNull;
}
