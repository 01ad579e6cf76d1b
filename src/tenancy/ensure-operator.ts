import type { Deps } from '../app/deps.ts';

/** The platform serves one operator (the mutualising body); its row is created on first start. */
export async function ensureOperator(deps: Pick<Deps, 'db' | 'config'>): Promise<string> {
  const existing = await deps.db.selectFrom('operator').select('id').executeTakeFirst();
  if (existing) return existing.id;
  const row = await deps.db
    .insertInto('operator')
    .values({ name: deps.config.operatorName, trigram: deps.config.operatorTrigram })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
