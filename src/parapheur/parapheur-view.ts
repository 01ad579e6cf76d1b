/**
 * The parapheur's view of a dossier for the caller: its circuit instance (steps, bureaux, who is pending),
 * the acts, annotations (private ones only for their bureau's holders), avis, and the actions the caller
 * can do now — the same rules as the use cases (foundation rule + whose turn).
 */
import { z } from 'zod';
import type { Deps } from '../app/deps.ts';
import type { Principal, TenantAccess } from '../identity/principal.ts';
import { checkAction } from '../dossiers/dossier-type.ts';
import { loadDossier } from '../dossiers/load-dossier.ts';
import { dossierView, presentDossier, snapshotOf } from '../dossiers/presenter.ts';
import { actingAs } from '../dossiers/run-dossier-action.ts';
import { notFound } from '../shared/errors.ts';
import { heldBureaux, resolveActingBureau } from './workflow/acting-bureau.ts';
import { loadParapheurState, PARAPHEUR_TYPES } from './workflow/run-parapheur-action.ts';
import { detachedSignatures } from './model.ts';
import { verifyCadesSignature } from './signature/cades/verify-cades.ts';
import { signingSources, trustAnchorsFor } from './signing-config.ts';
import { readBlob } from './workflow/blobs.ts';
import type { DocumentRow } from '../platform/db/schema.ts';

const detachedSignatureView = z.object({
  documentId: z.string(),
  filename: z.string(),
  signedDocumentId: z.string().describe('Document signé (le principal, inchangé)'),
  valid: z.boolean(),
  signer: z.object({ subject: z.string(), issuer: z.string(), serialNumber: z.string() }).nullable(),
  signingTime: z.string().nullable().describe('Date déclarée par le signataire (attribut signing-time)'),
  timestampTime: z.string().nullable().describe('Date prouvée par l’horodatage (B-T)'),
  level: z.string(),
  problems: z.array(z.string()),
  signers: z
    .array(z.object({ subject: z.string().nullable(), level: z.string(), valid: z.boolean(), signingTime: z.string().nullable(), timestampTime: z.string().nullable() }))
    .describe('Tous les signataires de ce .p7s (co-signature), dans l’ordre de signature ; `signer` est le dernier, celui de cette étape'),
});

export const parapheurDossierView = z.object({
  dossier: dossierView,
  emetteurBureauId: z.string().nullable(),
  typologieId: z.string().nullable(),
  deadline: z.string().nullable(),
  steps: z.array(z.object({ position: z.number(), kind: z.string(), mode: z.string(), state: z.string(), bureaux: z.array(z.object({ id: z.string(), name: z.string(), pending: z.boolean() })) })),
  acts: z.array(z.object({ action: z.string(), step: z.number().nullable(), bureau: z.string().nullable(), pourLeCompteDe: z.string().nullable(), actor: z.string(), at: z.string(), comment: z.string().nullable(), certificate: z.object({ subject: z.string(), issuer: z.string(), serialNumber: z.string() }).nullable() })),
  annotations: z.array(z.object({ id: z.string(), bureau: z.string().nullable(), author: z.string(), visibility: z.string(), text: z.string(), at: z.string() })),
  avis: z.array(z.object({ id: z.string(), fromBureau: z.string(), toBureau: z.string(), question: z.string(), answer: z.string().nullable(), requestedAt: z.string(), answeredAt: z.string().nullable() })),
  parapheurActions: z.array(z.object({ name: z.string(), label: z.string() })),
  origine: z.object({ type: z.enum(['acte', 'helios']), dossierId: z.string(), titre: z.string() }).nullable().describe('L’acte ou le flux PES (Hélios) dont ce dossier est le circuit de signature'),
  detachedSignatures: z.array(detachedSignatureView).describe('Signatures CAdES détachées (.p7s), vérifiées sur le document principal'),
});

/** Each .p7s checked now against the principal document (integrity, certificate, timestamp of every signer). */
async function verifyDetached(deps: Deps, cid: string, documents: DocumentRow[]): Promise<z.infer<typeof detachedSignatureView>[]> {
  const p7s = detachedSignatures(documents);
  const principal = documents.find((d) => d.role === 'principal');
  if (p7s.length === 0 || !principal) return [];
  let trustAnchors: Uint8Array[] = [];
  try {
    trustAnchors = await trustAnchorsFor(deps, cid);
  } catch {
    /* no trust anchors configured: every certificate is reported untrusted */
  }
  const content = await readBlob(deps, principal.sha256);
  const out: z.infer<typeof detachedSignatureView>[] = [];
  // Signers already met in an earlier .p7s, in signing order: a co-signature repeats them, then adds the step's own.
  const seen: string[] = [];
  for (const doc of p7s) {
    const report = await verifyCadesSignature(await readBlob(deps, doc.sha256), content, { trustAnchors, crlSource: signingSources(deps).crlSource });
    const rank = (x: { signatureSha256: string }) => (seen.includes(x.signatureSha256) ? seen.indexOf(x.signatureSha256) : seen.length);
    report.signatures.sort((a, b) => rank(a) - rank(b));
    for (const x of report.signatures) if (!seen.includes(x.signatureSha256)) seen.push(x.signatureSha256);
    const s = report.signatures.at(-1);
    const proven = (x: typeof s) => (x?.timestamp?.valid ? (x.timestamp.genTime?.toISOString() ?? null) : null);
    out.push({
      documentId: doc.id,
      filename: doc.filename,
      signedDocumentId: principal.id,
      valid: report.valid,
      signer: s?.signer ?? null,
      signingTime: s?.signingTime ?? null,
      timestampTime: proven(s),
      level: s ? `CAdES ${s.level}` : 'CAdES',
      problems: [...report.problems, ...report.signatures.flatMap((x) => x.problems)],
      signers: report.signatures.map((x) => ({ subject: x.signer?.subject ?? null, level: `CAdES ${x.level}`, valid: x.valid, signingTime: x.signingTime ?? null, timestampTime: proven(x) })),
    });
  }
  return out;
}

/** An acte (src/actes) or a PES flow (src/helios) submitted for signature: its page links back to it, inside the collectivité only. */
async function origineOf(deps: Deps, cid: string, dossierId: string): Promise<{ type: 'acte' | 'helios'; dossierId: string; titre: string } | null> {
  const acte = await deps.db.selectFrom('actes_signature').innerJoin('dossier', 'dossier.id', 'actes_signature.acte_dossier_id').select(['dossier.id', 'dossier.title']).where('actes_signature.collectivite_id', '=', cid).where('dossier.collectivite_id', '=', cid).where('actes_signature.child_dossier_id', '=', dossierId).executeTakeFirst();
  if (acte) return { type: 'acte', dossierId: acte.id, titre: acte.title };
  const flux = await deps.db.selectFrom('helios_signature').innerJoin('dossier', 'dossier.id', 'helios_signature.helios_dossier_id').select(['dossier.id', 'dossier.title']).where('helios_signature.collectivite_id', '=', cid).where('dossier.collectivite_id', '=', cid).where('helios_signature.child_dossier_id', '=', dossierId).executeTakeFirst();
  return flux ? { type: 'helios', dossierId: flux.id, titre: flux.title } : null;
}

const TURN_ACTIONS = new Set(['viser', 'signer', 'rejeter', 'demander_avis', 'transferer']);

export async function parapheurView(deps: Deps, principal: Principal, access: TenantAccess, dossierId: string): Promise<z.infer<typeof parapheurDossierView>> {
  const cid = access.collectiviteId;
  const { dossier, documents } = await loadDossier(deps.db, cid, dossierId);
  if (!PARAPHEUR_TYPES.has(dossier.type)) throw notFound('parapheur dossier', 'Dossier de parapheur');
  const def = deps.dossierTypes.get(dossier.type);
  const who = actingAs(access, principal.kind);
  const { pd, step } = await loadParapheurState(deps.db, cid, dossierId);
  const bureaux = new Map((await deps.db.selectFrom('parapheur_bureau').select(['id', 'name']).where('collectivite_id', '=', cid).execute()).map((b) => [b.id, b.name]));
  const name = (id: string | null) => (id ? (bureaux.get(id) ?? id) : null);
  const steps = await deps.db.selectFrom('parapheur_step').selectAll().where('collectivite_id', '=', cid).where('dossier_id', '=', dossierId).orderBy('position').execute();
  const acts = await deps.db.selectFrom('parapheur_act').selectAll().where('collectivite_id', '=', cid).where('dossier_id', '=', dossierId).orderBy('at').orderBy('id').execute();
  const held = principal.kind === 'user' ? await heldBureaux(deps.db, cid, principal.userId) : [];
  const annotations = (await deps.db.selectFrom('parapheur_annotation').selectAll().where('collectivite_id', '=', cid).where('dossier_id', '=', dossierId).orderBy('at').execute()).filter((a) => a.visibility === 'public' || (a.bureau_id && held.includes(a.bureau_id)));
  const avis = await deps.db.selectFrom('parapheur_avis').selectAll().where('collectivite_id', '=', cid).where('dossier_id', '=', dossierId).orderBy('requested_at').execute();
  let myTurn = false;
  if (principal.kind === 'user' && step && step.kind !== 'cachet' && pd) {
    myTurn = await resolveActingBureau(deps.db, cid, principal.userId, step, pd.typologie_id, deps.clock.now()).then(() => true, () => false);
  }
  const origine = await origineOf(deps, cid, dossierId);
  const snap = snapshotOf(dossier, documents);
  const parapheurActions = Object.entries(def.actions)
    .filter(([n]) => checkAction(def, n, snap, who, { viaModule: true }).ok)
    .filter(([n]) => !TURN_ACTIONS.has(n) || (myTurn && (n !== 'viser' || step?.kind === 'visa') && (n !== 'signer' || step?.kind === 'signature')))
    .filter(([n]) => n !== 'donner_avis' || avis.some((a) => !a.answered_at && held.includes(a.to_bureau_id)))
    .filter(([n]) => n !== 'reprendre' || (!steps.some((s) => s.state === 'done') && !acts.some((a) => a.step_id) && (principal.kind === 'token' || pd?.emetteur_user_id === principal.userId || held.includes(pd?.emetteur_bureau_id ?? ''))))
    .map(([n, a]) => ({ name: n, label: a.label }));
  return {
    dossier: presentDossier(def, dossier, documents, who),
    emetteurBureauId: pd?.emetteur_bureau_id ?? null,
    typologieId: pd?.typologie_id ?? null,
    deadline: pd?.deadline?.toISOString() ?? null,
    steps: steps.map((s) => ({ position: s.position, kind: s.kind, mode: s.mode, state: s.state, bureaux: s.bureau_ids.map((b) => ({ id: b, name: name(b)!, pending: s.pending_bureau_ids.includes(b) })) })),
    acts: acts.map((a) => {
      const c = (a.certificate as { certificate?: { subject: string; issuer: string; serialNumber: string } } | null)?.certificate;
      return {
        action: a.action,
        step: steps.find((s) => s.id === a.step_id)?.position ?? null,
        bureau: name(a.via_bureau_id ?? a.bureau_id),
        pourLeCompteDe: a.via_bureau_id ? name(a.bureau_id) : null,
        actor: a.actor_label,
        at: a.at.toISOString(),
        comment: a.comment,
        certificate: c ? { subject: c.subject, issuer: c.issuer, serialNumber: c.serialNumber } : null,
      };
    }),
    annotations: annotations.map((a) => ({ id: a.id, bureau: name(a.bureau_id), author: a.author_label, visibility: a.visibility, text: a.text, at: a.at.toISOString() })),
    avis: avis.map((a) => ({ id: a.id, fromBureau: name(a.from_bureau_id)!, toBureau: name(a.to_bureau_id)!, question: a.question, answer: a.answer, requestedAt: a.requested_at.toISOString(), answeredAt: a.answered_at?.toISOString() ?? null })),
    parapheurActions,
    origine,
    detachedSignatures: await verifyDetached(deps, cid, documents),
  };
}
