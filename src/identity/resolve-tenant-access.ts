import type { Db } from '../platform/db/database.ts';
import { AppError, forbidden, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { IMPERSONATION_ROLE, type CollectiviteRole, type Permission } from './roles.ts';
import { permissionsOf, type Principal, type TenantAccess } from './principal.ts';

const collectiviteNotFound = () => notFound('collectivite', 'Collectivité');

/**
 * The only door into a collectivité's data. A collectivité the principal does not belong to is reported as
 * not found (its existence is not revealed); operator staff enter only through an impersonation.
 */
export async function resolveTenantAccess(db: Db, principal: Principal, collectiviteId: string): Promise<TenantAccess> {
  if (!isUuid(collectiviteId)) throw collectiviteNotFound();
  if (principal.kind === 'token') {
    if (principal.collectiviteId !== collectiviteId) throw collectiviteNotFound();
    return { collectiviteId, role: null, permissions: new Set(principal.permissions), impersonating: false };
  }
  if (principal.operatorRole && principal.impersonation?.collectiviteId === collectiviteId) {
    const role = IMPERSONATION_ROLE[principal.operatorRole];
    return { collectiviteId, role, permissions: permissionsOf(role), impersonating: true };
  }
  const m = await db
    .selectFrom('membership')
    .select('role')
    .where('user_id', '=', principal.userId)
    .where('collectivite_id', '=', collectiviteId)
    .executeTakeFirst();
  if (!m) throw collectiviteNotFound();
  const role = m.role as CollectiviteRole;
  return { collectiviteId, role, permissions: permissionsOf(role), impersonating: false };
}

export function requirePermission(access: TenantAccess, permission: Permission): void {
  if (!access.permissions.has(permission)) {
    throw forbidden('Votre rôle dans cette collectivité ne permet pas cette action.', `missing permission ${permission}`);
  }
}

export function requireOperator(principal: Principal, adminOnly = true): void {
  if (principal.kind !== 'user' || !principal.operatorRole || (adminOnly && principal.operatorRole !== 'operator_admin')) {
    throw forbidden('Action réservée à l’administration de l’opérateur.', 'operator role required');
  }
}

export function requireUser(principal: Principal): asserts principal is Extract<Principal, { kind: 'user' }> {
  if (principal.kind !== 'user') throw new AppError('FORBIDDEN', 'Action réservée à une personne connectée.', 'user session required');
}
