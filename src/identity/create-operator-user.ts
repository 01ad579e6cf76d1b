import type { z } from 'zod';
import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import { AppError } from '../shared/errors.ts';
import type { Actor } from './principal.ts';
import type { operatorUserInput } from './user.ts';

export async function createOperatorUser(deps: Deps, actor: Actor, input: z.infer<typeof operatorUserInput>): Promise<{ id: string; email: string }> {
  const passwordHash = input.password ? await deps.passwords.hash(input.password) : null;
  return deps.db.transaction().execute(async (trx) => {
    const dup = await trx.selectFrom('app_user').select('id').where('email', '=', input.email).executeTakeFirst();
    if (dup) throw new AppError('CONFLICT', `Le compte ${input.email} existe déjà.`, 'duplicate user');
    const user = await trx
      .insertInto('app_user')
      .values({ email: input.email, display_name: input.displayName, password_hash: passwordHash, operator_role: input.operatorRole })
      .returning(['id', 'email'])
      .executeTakeFirstOrThrow();
    await appendJournal(trx, deps.clock, actor, { collectiviteId: null, action: 'operator-user.created', objectType: 'user', objectId: user.id, details: { email: input.email, operatorRole: input.operatorRole } });
    return user;
  });
}
