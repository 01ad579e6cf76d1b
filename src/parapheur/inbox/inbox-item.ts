/** A dossier as a line of a bannette (the bureau's inbox route and the dashboard's « à traiter » / « en retard »). */
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import type { DossierRow } from '../../platform/db/schema.ts';
import { presentDossierSummary } from '../../dossiers/presenter.ts';

export const inboxItemView = z.object({ id: z.string(), title: z.string(), state: z.string(), stateLabel: z.string(), updatedAt: z.string(), deadline: z.string().nullable() });
export type InboxItemView = z.infer<typeof inboxItemView>;

export function presentInboxItem(deps: Deps, d: DossierRow & { deadline: Date | null }): InboxItemView {
  const s = presentDossierSummary(deps.dossierTypes.get(d.type), d);
  return { id: s.id, title: s.title, state: s.state, stateLabel: s.stateLabel, updatedAt: s.updatedAt, deadline: d.deadline?.toISOString() ?? null };
}
