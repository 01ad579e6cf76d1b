import { z } from 'zod';
import type { DocumentRow, DossierRow } from '../platform/db/schema.ts';
import { allowedActions, type ActingAs, type DossierSnapshot, type DossierTypeDef } from './dossier-type.ts';

export const documentView = z.object({
  id: z.string(),
  role: z.string(),
  filename: z.string(),
  mediaType: z.string(),
  size: z.number(),
  sha256: z.string(),
  createdAt: z.string(),
});

export const dossierView = z.object({
  id: z.string(),
  collectiviteId: z.string(),
  type: z.string(),
  typeLabel: z.string(),
  title: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  state: z.string(),
  stateLabel: z.string(),
  s2lowCode: z.number().nullable(),
  final: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  documents: z.array(documentView),
  actions: z.array(z.object({ name: z.string(), label: z.string() })),
});
export type DossierView = z.infer<typeof dossierView>;

export const dossierSummary = dossierView.omit({ documents: true, actions: true, metadata: true });

export function snapshotOf(d: DossierRow, docs: DocumentRow[]): DossierSnapshot {
  return {
    id: d.id,
    collectiviteId: d.collectivite_id,
    type: d.type,
    state: d.state,
    metadata: d.metadata,
    documents: docs.map((x) => ({ role: x.role, mediaType: x.media_type, sha256: x.sha256 })),
  };
}

export function presentDocument(x: DocumentRow): z.infer<typeof documentView> {
  return { id: x.id, role: x.role, filename: x.filename, mediaType: x.media_type, size: x.size, sha256: x.sha256, createdAt: x.created_at.toISOString() };
}

export function presentDossierSummary(def: DossierTypeDef, d: DossierRow): z.infer<typeof dossierSummary> {
  const st = def.states[d.state];
  return {
    id: d.id,
    collectiviteId: d.collectivite_id,
    type: d.type,
    typeLabel: def.label,
    title: d.title,
    state: d.state,
    stateLabel: st?.label ?? d.state,
    s2lowCode: st?.s2lowCode ?? null,
    final: st?.final ?? false,
    createdAt: d.created_at.toISOString(),
    updatedAt: d.updated_at.toISOString(),
  };
}

export function presentDossier(def: DossierTypeDef, d: DossierRow, docs: DocumentRow[], who: ActingAs): DossierView {
  return {
    ...presentDossierSummary(def, d),
    metadata: d.metadata,
    documents: docs.map(presentDocument),
    actions: allowedActions(def, snapshotOf(d, docs), who),
  };
}
