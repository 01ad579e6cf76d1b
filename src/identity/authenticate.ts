import type { Deps } from '../app/deps.ts';
import type { OperatorRole, Permission } from './roles.ts';
import type { Principal } from './principal.ts';
import { sha256Hex } from './secrets.ts';

/** Resolves a session cookie to a principal and the CSRF token bound to the session. */
export async function authenticateSession(deps: Deps, sessionSecret: string): Promise<{ principal: Principal; csrfToken: string } | null> {
  const idHash = sha256Hex(sessionSecret);
  const row = await deps.db
    .selectFrom('session')
    .innerJoin('app_user', 'app_user.id', 'session.user_id')
    .select(['session.id_hash', 'session.csrf_token', 'session.expires_at', 'session.impersonated_collectivite_id', 'session.impersonation_reason', 'app_user.id as user_id', 'app_user.email', 'app_user.display_name', 'app_user.operator_role', 'app_user.disabled'])
    .where('session.id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row || row.disabled || row.expires_at.getTime() <= deps.clock.now().getTime()) return null;
  return {
    csrfToken: row.csrf_token,
    principal: {
      kind: 'user',
      userId: row.user_id,
      email: row.email,
      displayName: row.display_name,
      operatorRole: row.operator_role as OperatorRole | null,
      sessionId: row.id_hash,
      impersonation: row.impersonated_collectivite_id && row.operator_role ? { collectiviteId: row.impersonated_collectivite_id, reason: row.impersonation_reason ?? '' } : null,
    },
  };
}

/** API tokens look like `pph_<prefix>_<secret>`; only the SHA-256 of the whole token is stored. */
export async function authenticateToken(deps: Deps, token: string): Promise<Principal | null> {
  if (!/^pph_[A-Za-z0-9_-]{8}_[A-Za-z0-9_-]{20,}$/.test(token)) return null;
  const row = await deps.db.selectFrom('api_token').selectAll().where('token_hash', '=', sha256Hex(token)).where('revoked_at', 'is', null).executeTakeFirst();
  if (!row) return null;
  // "Last used" to the minute: a busy client (business software) does not write the row at every request.
  const now = deps.clock.now();
  if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() >= 60_000 || now < new Date(row.last_used_at)) {
    await deps.db.updateTable('api_token').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return { kind: 'token', tokenId: row.id, name: row.name, collectiviteId: row.collectivite_id, permissions: row.permissions as Permission[] };
}
