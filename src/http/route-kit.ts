import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { TenantAccess } from '../identity/principal.ts';

export const errorShape = z.object({ code: z.string(), message: z.string(), details: z.unknown() });
export const errorResponses = { 400: errorShape, 401: errorShape, 403: errorShape, 404: errorShape, 409: errorShape };

export const collectiviteParams = z.object({ collectiviteId: z.string() });

/** The collectivité access resolved (and permission-checked) for this request by the tenant hook. */
export function tenantOf(request: FastifyRequest): TenantAccess {
  if (!request.tenantAccess) throw new Error(`route ${request.routeOptions.url} reads a tenant without declaring config.permission`);
  return request.tenantAccess;
}
