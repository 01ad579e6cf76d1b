import type { CollectiviteRole, OperatorRole, Permission } from './roles.ts';
import { ROLE_PERMISSIONS } from './roles.ts';

/** Who is calling: a person with a session, or business software with an API token. */
export type Principal =
  | {
      kind: 'user';
      userId: string;
      email: string;
      displayName: string;
      operatorRole: OperatorRole | null;
      sessionId: string;
      impersonation: { collectiviteId: string; reason: string } | null;
    }
  | { kind: 'token'; tokenId: string; name: string; collectiviteId: string; permissions: Permission[] };

/** The principal's standing inside one collectivité, resolved from the URL. */
export interface TenantAccess {
  collectiviteId: string;
  role: CollectiviteRole | null;
  permissions: ReadonlySet<Permission>;
  impersonating: boolean;
}

/** Who the journal records. */
export interface Actor {
  userId: string | null;
  tokenId: string | null;
  label: string;
}

export function actorOf(p: Principal): Actor {
  if (p.kind === 'token') return { userId: null, tokenId: p.tokenId, label: `jeton API « ${p.name} »` };
  const label = p.impersonation ? `${p.displayName} <${p.email}> (opérateur, motif : ${p.impersonation.reason})` : `${p.displayName} <${p.email}>`;
  return { userId: p.userId, tokenId: null, label };
}

export const systemActor: Actor = { userId: null, tokenId: null, label: 'système Paraphe' };

export function permissionsOf(role: CollectiviteRole): ReadonlySet<Permission> {
  return new Set(ROLE_PERMISSIONS[role]);
}
