import { z } from 'zod';
import { TOKEN_PERMISSIONS } from './roles.ts';
import type { ApiTokenRow } from '../platform/db/schema.ts';

export const newTokenInput = z.object({
  name: z.string().trim().min(2, 'Nommez le jeton (par exemple le logiciel qui l’utilise).').max(100),
  permissions: z.array(z.enum(TOKEN_PERMISSIONS as [string, ...string[]], { error: 'Permission inconnue ou non attribuable à un jeton.' })).min(1, 'Choisissez au moins une permission.'),
});

export const tokenView = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  permissions: z.array(z.string()),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type TokenView = z.infer<typeof tokenView>;

export function presentToken(r: ApiTokenRow): TokenView {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    permissions: r.permissions,
    createdAt: r.created_at.toISOString(),
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
  };
}
