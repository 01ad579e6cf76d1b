import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import { AppError } from '../shared/errors.ts';
import type { Actor } from './principal.ts';
import { presentMember, type MemberView, type NewUserInput } from './user.ts';

/** Creates the account if the e-mail is new, then gives it a role in the collectivité. */
export async function addMember(deps: Deps, actor: Actor, collectiviteId: string, input: NewUserInput): Promise<MemberView> {
  const passwordHash = input.password ? await deps.passwords.hash(input.password) : null;
  return deps.db.transaction().execute(async (trx) => {
    let user = await trx.selectFrom('app_user').selectAll().where('email', '=', input.email).executeTakeFirst();
    if (!user) {
      user = await trx.insertInto('app_user').values({ email: input.email, display_name: input.displayName, password_hash: passwordHash }).returningAll().executeTakeFirstOrThrow();
    }
    const existing = await trx.selectFrom('membership').select('role').where('user_id', '=', user.id).where('collectivite_id', '=', collectiviteId).executeTakeFirst();
    if (existing) throw new AppError('CONFLICT', `${input.email} est déjà membre de cette collectivité.`, 'already a member');
    await trx.insertInto('membership').values({ user_id: user.id, collectivite_id: collectiviteId, role: input.role }).execute();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'member.added', objectType: 'user', objectId: user.id, details: { email: input.email, role: input.role } });
    return presentMember({ ...user, role: input.role });
  });
}
