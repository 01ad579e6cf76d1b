import { createContext, useContext } from 'react';
import type { Session } from './types';
import { IMPERSONATION_ROLE } from './labels';

export interface SessionState {
  session: Session;
  refresh: () => Promise<Session | null>;
  logout: () => Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionContext');
  return s;
}

/** The caller's role inside a collectivité (membership, or the operator's intervention role). */
export function roleIn(session: Session, collectiviteId: string): string | null {
  const m = session.memberships.find((x) => x.collectiviteId === collectiviteId);
  if (m) return m.role;
  if (session.impersonation?.collectiviteId === collectiviteId && session.user.operatorRole) return IMPERSONATION_ROLE[session.user.operatorRole] ?? null;
  return null;
}

export const can = {
  write: (role: string | null) => role === 'agent' || role === 'collectivite_admin',
  admin: (role: string | null) => role === 'collectivite_admin',
};

/** Where a user lands after logging in. */
export function homeOf(session: Session): string {
  if (session.impersonation) return `/c/${session.impersonation.collectiviteId}`;
  const first = session.memberships[0];
  if (first) return `/c/${first.collectiviteId}`;
  if (session.user.operatorRole) return '/operateur';
  return '/aucune-collectivite';
}
