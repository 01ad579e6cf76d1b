/**
 * A dossier type declares its rules as data: metadata schema, accepted documents, states, and actions
 * (from which states, to which, who may, guards, and which run as background jobs). Domain modules
 * (parapheur, actes, helios, ged...) register their types; this module only interprets the rules.
 */
import type { z } from 'zod';
import type { CollectiviteRole } from '../identity/roles.ts';
import type { Deps } from '../app/deps.ts';

export interface DocumentRule {
  mediaTypes: readonly string[];
  maxBytes: number;
}

export interface DossierSnapshot {
  id: string;
  collectiviteId: string;
  type: string;
  state: string;
  metadata: Record<string, unknown>;
  documents: { role: string; mediaType: string; sha256: string }[];
}

export interface DossierActionDef {
  label: string;
  from: readonly string[];
  to: string;
  /** People's roles allowed; API tokens need the `dossier:act` permission and `api: true`. */
  roles: readonly CollectiviteRole[];
  api?: boolean;
  /** Returns a French reason when the action is not possible now. */
  guard?: (d: DossierSnapshot) => string | null;
  /** Background job started once the transition is committed. */
  job?: string;
  /**
   * Runs only through its module's use case, which adds its own checks (e.g. the parapheur's bureaux);
   * the generic action endpoint refuses it and does not list it.
   */
  moduleOnly?: boolean;
  /** French hint given when a module action is asked through the generic endpoint (default: the parapheur). */
  moduleHint?: string;
}

export interface JobOutcome {
  /** State to move to; must be reachable from the action's in-progress state. */
  to: string;
  details?: Record<string, unknown>;
  documentHashes?: string[];
}

export interface DossierJobContext {
  deps: Deps;
  dossier: DossierSnapshot;
  /** Stable across retries of the same job: outside parties use it to ignore a repeated request. */
  idempotencyKey: string;
  attempt: number;
}

export interface DossierJobDef {
  label: string;
  maxAttempts: number;
  backoffSeconds: number;
  /** State the dossier must be in for the job to apply (the action's `to`). */
  whileIn: string;
  run(ctx: DossierJobContext): Promise<JobOutcome>;
  /** State once every attempt failed (explicit error state, from which a retry action leads back). */
  onExhausted: string;
}

export interface StateDef {
  label: string;
  final?: boolean;
  /** S²LOW's numeric status, so Pastell-style clients recognise it. */
  s2lowCode?: number;
}

/** What a type's own document rule sees of an upload (after the media type was sniffed). */
export interface DocumentCheck {
  deps: Deps;
  collectiviteId: string;
  metadata: Record<string, unknown>;
  role: 'principal' | 'annexe';
  mediaType: string;
}

export interface DossierTypeDef {
  type: string;
  label: string;
  metadata: z.ZodType<Record<string, unknown>>;
  documents: {
    principal: DocumentRule;
    annexe: DocumentRule;
    maxAnnexes: number;
    /**
     * A rule that depends on the dossier (e.g. the parapheur's typologie: PAdES needs a PDF, CAdES takes
     * other files): returns a French reason to refuse the upload, or null.
     */
    check?: (c: DocumentCheck) => Promise<string | null>;
  };
  /**
   * Set when the module has its own creation route (checks the generic one cannot make: identifiers,
   * classification, file validation): the French hint the generic POST /dossiers answers with.
   */
  createdByModule?: string;
  initialState: string;
  states: Record<string, StateDef>;
  actions: Record<string, DossierActionDef>;
  jobs?: Record<string, DossierJobDef>;
}

export interface ActingAs {
  /** `system`: the platform itself following up an event (e.g. a signed circuit): only state and guard apply. */
  kind: 'user' | 'token' | 'system';
  role: CollectiviteRole | null;
  permissions: ReadonlySet<string>;
}

export type ActionCheck = { ok: true } | { ok: false; status: 403 | 409; reasonFr: string };

/** Why an action may or may not run now: the one rule used both to list actions and to run one. */
export function checkAction(def: DossierTypeDef, name: string, d: DossierSnapshot, who: ActingAs, opts: { viaModule?: boolean } = {}): ActionCheck {
  const action = def.actions[name];
  if (!action) return { ok: false, status: 409, reasonFr: `Action « ${name} » inconnue pour ce type de dossier.` };
  if (action.moduleOnly && !opts.viaModule) return { ok: false, status: 409, reasonFr: action.moduleHint ?? `L’action « ${action.label} » se fait depuis le parapheur.` };
  if (who.kind !== 'system') {
    if (!who.permissions.has('dossier:act')) return { ok: false, status: 403, reasonFr: 'Votre rôle ne permet pas d’agir sur les dossiers.' };
    if (who.kind === 'token' ? !action.api : !who.role || !action.roles.includes(who.role)) {
      return { ok: false, status: 403, reasonFr: `Votre rôle ne permet pas l’action « ${action.label} ».` };
    }
  }
  if (!action.from.includes(d.state)) {
    return { ok: false, status: 409, reasonFr: `L’action « ${action.label} » n’est pas possible dans l’état « ${def.states[d.state]?.label ?? d.state} ».` };
  }
  const reason = action.guard?.(d);
  if (reason) return { ok: false, status: 409, reasonFr: reason };
  return { ok: true };
}

export function allowedActions(def: DossierTypeDef, d: DossierSnapshot, who: ActingAs, opts: { viaModule?: boolean } = {}): { name: string; label: string }[] {
  return Object.entries(def.actions)
    .filter(([name]) => checkAction(def, name, d, who, opts).ok)
    .map(([name, a]) => ({ name, label: a.label }));
}

/** Checks a definition is coherent (every state named exists, jobs exist); run at registration. */
export function assertCoherent(def: DossierTypeDef): void {
  const states = new Set(Object.keys(def.states));
  const problems: string[] = [];
  if (!states.has(def.initialState)) problems.push(`initial state ${def.initialState}`);
  for (const [name, a] of Object.entries(def.actions)) {
    for (const s of [...a.from, a.to]) if (!states.has(s)) problems.push(`action ${name}: state ${s}`);
    if (a.job && !def.jobs?.[a.job]) problems.push(`action ${name}: job ${a.job}`);
    if (a.job && def.jobs?.[a.job]?.whileIn !== a.to) problems.push(`action ${name}: job ${a.job} must run while in ${a.to}`);
  }
  for (const [name, j] of Object.entries(def.jobs ?? {})) {
    for (const s of [j.whileIn, j.onExhausted]) if (!states.has(s)) problems.push(`job ${name}: state ${s}`);
  }
  if (problems.length) throw new Error(`dossier type ${def.type} is incoherent: ${problems.join(', ')}`);
}
