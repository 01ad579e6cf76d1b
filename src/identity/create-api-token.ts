import type { z } from 'zod';
import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import type { Actor } from './principal.ts';
import { newSecret, sha256Hex } from './secrets.ts';
import { presentToken, type newTokenInput, type TokenView } from './api-tokens.ts';

/** Returns the token in clear once; only its hash is kept. */
export async function createApiToken(deps: Deps, actor: Actor, collectiviteId: string, input: z.infer<typeof newTokenInput>): Promise<{ token: string; view: TokenView }> {
  const prefix = newSecret(6).slice(0, 8);
  const token = `pph_${prefix}_${newSecret(24)}`;
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('api_token')
      .values({ collectivite_id: collectiviteId, name: input.name, token_hash: sha256Hex(token), prefix, permissions: JSON.stringify(input.permissions), created_by: actor.userId })
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'api-token.created', objectType: 'api-token', objectId: row.id, details: { name: input.name, permissions: input.permissions } });
    return { token, view: presentToken(row) };
  });
}
