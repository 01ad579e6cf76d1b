/**
 * The frame of every parapheur action: one transaction that locks the dossier, applies the foundation's
 * rule (`checkAction`: state, role, guard), the bureau rule (whose turn it is, délégations), runs the
 * action's own change, sets the resulting state and writes the journal entry with the documents' SHA-256.
 * Any refusal throws before anything is written.
 */
import { changeDossierState } from '../../dossiers/change-state.ts';
import type { Deps } from '../../app/deps.ts';
import type { Db } from '../../platform/db/database.ts';
import type { DocumentRow, DossierRow, ParapheurDossierRow, ParapheurStepRow } from '../../platform/db/schema.ts';
import type { Actor, Principal, TenantAccess } from '../../identity/principal.ts';
import { actorOf } from '../../identity/principal.ts';
import { checkAction } from '../../dossiers/dossier-type.ts';
import { loadDossier } from '../../dossiers/load-dossier.ts';
import { snapshotOf } from '../../dossiers/presenter.ts';
import { actingAs } from '../../dossiers/run-dossier-action.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { AppError, notFound } from '../../shared/errors.ts';
import { padesLevel } from '../model.ts';
import type { PadesLevel } from '../signature/pades/sign-pdf.ts';
import { resolveActingBureau, type ActingBureau } from './acting-bureau.ts';

export const PARAPHEUR_TYPES = new Set(['document-a-signer', 'pes-a-signer']);

/** The signature formats each parapheur dossier type accepts from its typologie. */
export const FORMATS_OF_TYPE: Record<string, readonly string[]> = { 'document-a-signer': ['pades', 'cades'], 'pes-a-signer': ['xades'] };

export interface ActionContext {
  trx: Db;
  deps: Deps;
  actor: Actor;
  principal: Principal;
  dossier: DossierRow;
  documents: DocumentRow[];
  pd: ParapheurDossierRow | undefined;
  step: ParapheurStepRow | undefined;
  /** Set when the action needs the caller's turn. */
  acting: ActingBureau | null;
}

export interface ActionResult {
  /** State to move to; default: the action's `to`. */
  state?: string;
  details?: Record<string, unknown>;
  documentHashes?: string[];
}

export interface ActionOptions {
  /** The caller must hold (or be delegated) one of the active step's pending bureaux. */
  needsTurn: boolean;
  bureauId?: string;
  /** Run inside the caller's transaction (e.g. an acte submitted for signature creates and sends its child dossier at once). */
  trx?: Db;
}

export async function loadParapheurState(db: Db, collectiviteId: string, dossierId: string): Promise<{ pd: ParapheurDossierRow | undefined; step: ParapheurStepRow | undefined }> {
  const pd = await db.selectFrom('parapheur_dossier').selectAll().where('collectivite_id', '=', collectiviteId).where('dossier_id', '=', dossierId).executeTakeFirst();
  const step = await db.selectFrom('parapheur_step').selectAll().where('collectivite_id', '=', collectiviteId).where('dossier_id', '=', dossierId).where('state', '=', 'active').executeTakeFirst();
  return { pd, step };
}

export interface SigningSettings {
  format: string;
  mark: unknown;
  /** PAdES level asked for; null: the default (B-T when the collectivité has a TSA, else B-B). */
  niveauPades: PadesLevel | null;
}

/**
 * The signature format, visible mark and PAdES level of a sent dossier: the copy made at envoi, so that editing
 * the typologie never changes a dossier already in its circuit (the typologie's own values for older rows).
 */
export async function signingSettingsOf(db: Db, pd: Pick<ParapheurDossierRow, 'typologie_id' | 'format' | 'mark' | 'niveau_pades'>): Promise<SigningSettings> {
  const level = (v: string | null) => padesLevel.nullable().parse(v);
  if (pd.format) return { format: pd.format, mark: pd.mark, niveauPades: level(pd.niveau_pades) };
  const t = await db.selectFrom('parapheur_typologie').select(['format', 'mark', 'niveau_pades']).where('id', '=', pd.typologie_id).executeTakeFirstOrThrow();
  return { format: t.format, mark: t.mark, niveauPades: level(t.niveau_pades) };
}

export async function runParapheurAction(
  deps: Deps,
  principal: Principal,
  access: TenantAccess,
  dossierId: string,
  actionName: string,
  opts: ActionOptions,
  body: (ctx: ActionContext) => Promise<ActionResult>,
): Promise<DossierRow> {
  const collectiviteId = access.collectiviteId;
  const actor = actorOf(principal);
  const run = async (trx: Db): Promise<DossierRow> => {
    const { dossier, documents } = await loadDossier(trx, collectiviteId, dossierId, { forUpdate: true });
    if (!PARAPHEUR_TYPES.has(dossier.type)) throw notFound('parapheur dossier', 'Dossier de parapheur');
    const def = deps.dossierTypes.get(dossier.type);
    const check = checkAction(def, actionName, snapshotOf(dossier, documents), actingAs(access, principal.kind), { viaModule: true });
    if (!check.ok) throw new AppError(check.status === 403 ? 'FORBIDDEN' : 'INVALID_STATE', check.reasonFr, `parapheur action ${actionName} refused in state ${dossier.state}`);
    const { pd, step } = await loadParapheurState(trx, collectiviteId, dossierId);
    let acting: ActingBureau | null = null;
    if (opts.needsTurn) {
      if (principal.kind !== 'user') throw new AppError('FORBIDDEN', 'Cette action est réservée à une personne titulaire d’un bureau.', 'token cannot act at a step');
      acting = await resolveActingBureau(trx, collectiviteId, principal.userId, step, pd!.typologie_id, deps.clock.now(), opts.bureauId);
    }
    const result = await body({ trx, deps, actor, principal, dossier, documents, pd, step, acting });
    const to = result.state ?? def.actions[actionName]!.to;
    await changeDossierState(trx, deps, dossier, to);
    const updated = await trx.selectFrom('dossier').selectAll().where('id', '=', dossier.id).executeTakeFirstOrThrow();
    await appendJournal(trx, deps.clock, actor, {
      collectiviteId,
      action: `parapheur.${actionName}`,
      objectType: 'dossier',
      objectId: dossier.id,
      details: { from: dossier.state, to, ...(acting ? { bureauId: acting.bureauId, ...(acting.viaBureauId ? { pourLeCompteDe: acting.bureauId, viaBureauId: acting.viaBureauId } : {}) } : {}), ...result.details },
      documentHashes: result.documentHashes ?? documents.map((d) => d.sha256),
    });
    return updated;
  };
  return opts.trx ? run(opts.trx) : deps.db.transaction().execute(run);
}

/** Records an act on the dossier (what the bordereau lists). */
export async function insertAct(
  ctx: ActionContext,
  action: string,
  extra: { comment?: string | null; certificate?: Record<string, unknown> | null; signedSha256?: string | null; documentHashes?: string[]; bureauId?: string | null; viaBureauId?: string | null; actorLabel?: string },
): Promise<void> {
  await ctx.trx
    .insertInto('parapheur_act')
    .values({
      collectivite_id: ctx.dossier.collectivite_id,
      dossier_id: ctx.dossier.id,
      step_id: ctx.step?.id ?? null,
      action,
      bureau_id: extra.bureauId !== undefined ? extra.bureauId : (ctx.acting?.bureauId ?? null),
      via_bureau_id: extra.viaBureauId !== undefined ? extra.viaBureauId : (ctx.acting?.viaBureauId ?? null),
      user_id: ctx.actor.userId,
      actor_label: extra.actorLabel ?? ctx.actor.label,
      at: ctx.deps.clock.now(),
      comment: extra.comment ?? null,
      certificate: extra.certificate ? JSON.stringify(extra.certificate) : null,
      signed_sha256: extra.signedSha256 ?? null,
      document_hashes: JSON.stringify(extra.documentHashes ?? ctx.documents.map((d) => d.sha256)),
    })
    .execute();
}
