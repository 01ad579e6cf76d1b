/**
 * Roles and permissions as data. Collectivité roles come from memberships; operator roles from the user;
 * API tokens carry a subset of TOKEN_PERMISSIONS. Authorization checks ask for a permission, never a role.
 */
export const COLLECTIVITE_ROLES = ['collectivite_admin', 'agent', 'elu', 'read_only'] as const;
export type CollectiviteRole = (typeof COLLECTIVITE_ROLES)[number];

export const OPERATOR_ROLES = ['operator_admin', 'operator_support'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export const PERMISSIONS = [
  'collectivite:read',
  'dossier:read',
  'dossier:write',
  'dossier:act',
  'document:read',
  'journal:read',
  'user:manage',
  'token:manage',
  'connector:manage',
  'webhooks:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What business software may be granted: everything about dossiers (and being told of them), nothing about people. */
export const TOKEN_PERMISSIONS: readonly Permission[] = ['collectivite:read', 'dossier:read', 'dossier:write', 'dossier:act', 'document:read', 'journal:read', 'webhooks:manage'];

export const ROLE_PERMISSIONS: Record<CollectiviteRole, readonly Permission[]> = {
  collectivite_admin: PERMISSIONS,
  agent: ['collectivite:read', 'dossier:read', 'dossier:write', 'dossier:act', 'document:read'],
  elu: ['collectivite:read', 'dossier:read', 'dossier:act', 'document:read'],
  read_only: ['collectivite:read', 'dossier:read', 'document:read'],
};

/** Role an operator staff member holds inside a collectivité while impersonating it. */
export const IMPERSONATION_ROLE: Record<OperatorRole, CollectiviteRole> = {
  operator_admin: 'collectivite_admin',
  operator_support: 'read_only',
};

export const ROLE_LABELS_FR: Record<CollectiviteRole | OperatorRole, string> = {
  operator_admin: 'Administrateur de l’opérateur',
  operator_support: 'Support de l’opérateur',
  collectivite_admin: 'Administrateur de la collectivité',
  agent: 'Agent',
  elu: 'Élu',
  read_only: 'Lecture seule',
};
