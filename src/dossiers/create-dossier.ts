import { z } from 'zod';
import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import type { Actor } from '../identity/principal.ts';
import { AppError } from '../shared/errors.ts';
import type { DossierRow } from '../platform/db/schema.ts';

export const newDossierInput = z.object({
  type: z.string().min(1),
  title: z.string().trim().min(1, 'Le titre est obligatoire.').max(500),
  metadata: z.record(z.string(), z.unknown()).default({}),
});

export async function createDossier(deps: Deps, actor: Actor, collectiviteId: string, input: z.infer<typeof newDossierInput>): Promise<DossierRow> {
  const def = deps.dossierTypes.get(input.type);
  if (def.createdByModule) throw new AppError('UNPROCESSABLE', def.createdByModule, `type ${def.type} is created through its module's route`);
  const parsed = def.metadata.safeParse(input.metadata);
  if (!parsed.success) {
    throw new AppError('VALIDATION', 'Les métadonnées du dossier sont invalides.', 'metadata failed the type schema', {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('dossier')
      .values({ collectivite_id: collectiviteId, type: def.type, title: input.title, metadata: JSON.stringify(parsed.data), state: def.initialState, created_by: actor.userId, updated_at: deps.clock.now() })
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'dossier.created', objectType: 'dossier', objectId: row.id, details: { type: def.type, title: input.title, state: def.initialState, metadata: parsed.data } });
    return row;
  });
}
