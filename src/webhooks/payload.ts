/**
 * The body of a `dossier.state_changed` event, frozen when the change happens: every attempt (and every
 * retry by hand) sends these exact bytes. Pure function of the event and the dossier type's declarations.
 */
import type { DossierStateChanged } from '../dossiers/change-state.ts';
import type { DossierTypeDef } from '../dossiers/dossier-type.ts';

export const STATE_CHANGED = 'dossier.state_changed';
/** Sent on demand, so that the software's developers can check their receiver and its signature check. */
export const PING = 'ping';

export interface PingPayload {
  id: string;
  type: typeof PING;
  occurredAt: string;
  collectiviteId: string;
  webhookId: string;
  message: string;
}

export interface StateRef {
  state: string;
  label: string;
  /** S²LOW's numeric status, when the dossier type declares one for this state. */
  s2lowCode?: number;
}

export interface StateChangedPayload {
  id: string;
  type: typeof STATE_CHANGED;
  occurredAt: string;
  collectiviteId: string;
  dossier: { id: string; type: string; title: string; version: number };
  from: StateRef;
  to: StateRef;
  links: { dossier: string };
}

function stateRef(def: DossierTypeDef | undefined, state: string): StateRef {
  const s = def?.states[state];
  return { state, label: s?.label ?? state, ...(s?.s2lowCode !== undefined ? { s2lowCode: s.s2lowCode } : {}) };
}

export function stateChangedPayload(eventId: string, e: DossierStateChanged, title: string, def: DossierTypeDef | undefined, publicUrl: string | null): StateChangedPayload {
  return {
    id: eventId,
    type: STATE_CHANGED,
    occurredAt: e.at.toISOString(),
    collectiviteId: e.collectiviteId,
    dossier: { id: e.dossierId, type: e.type, title, version: e.version },
    from: stateRef(def, e.from),
    to: stateRef(def, e.to),
    links: { dossier: `${publicUrl ?? ''}/api/collectivites/${e.collectiviteId}/dossiers/${e.dossierId}` },
  };
}
