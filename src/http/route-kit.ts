import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../app/deps.ts';
import { resolveTenantAccess, requirePermission } from '../identity/resolve-tenant-access.ts';
import type { Permission } from '../identity/roles.ts';
import type { TenantAccess } from '../identity/principal.ts';
import { principalOf } from './auth.ts';

export const errorShape = z.object({ code: z.string(), message: z.string(), details: z.unknown() });
export const errorResponses = { 400: errorShape, 401: errorShape, 403: errorShape, 404: errorShape, 409: errorShape };

export const collectiviteParams = z.object({ collectiviteId: z.string() });

/** Resolves the collectivité named in the URL and checks one permission: 404 outside it, 403 inside. */
export async function tenantOf(deps: Deps, request: FastifyRequest, permission: Permission): Promise<TenantAccess> {
  const { collectiviteId } = request.params as { collectiviteId: string };
  const access = await resolveTenantAccess(deps.db, principalOf(request), collectiviteId);
  requirePermission(access, permission);
  return access;
}
