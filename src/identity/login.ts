import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import { AppError } from '../shared/errors.ts';
import { newSecret, sha256Hex } from './secrets.ts';

export interface LoginResult {
  sessionSecret: string;
  csrfToken: string;
  expiresAt: Date;
  userId: string;
}

// Verifying against a real hash for unknown e-mails keeps the response time from revealing which exist.
let decoyHash: Promise<string> | null = null;

/** Checks the password, opens a session, journals the attempt (operator chain) either way. */
export async function login(deps: Deps, email: string, password: string, meta: { ip: string }): Promise<LoginResult> {
  const normalized = email.trim().toLowerCase();
  const user = await deps.db.selectFrom('app_user').selectAll().where('email', '=', normalized).executeTakeFirst();
  decoyHash ??= deps.passwords.hash('decoy-password-never-matches');
  const ok = user?.password_hash ? await deps.passwords.verify(user.password_hash, password) : (await deps.passwords.verify(await decoyHash, password), false);
  if (!user || !ok || user.disabled) {
    await deps.db.transaction().execute((trx) =>
      appendJournal(trx, deps.clock, { userId: user?.id ?? null, tokenId: null, label: normalized }, { collectiviteId: null, action: 'login.failed', objectType: 'user', objectId: user?.id ?? null, details: { email: normalized, ip: meta.ip } }),
    );
    throw new AppError('UNAUTHENTICATED', 'Adresse e-mail ou mot de passe incorrect.', 'invalid credentials');
  }
  const sessionSecret = newSecret();
  const csrfToken = newSecret();
  const expiresAt = new Date(deps.clock.now().getTime() + deps.config.sessionTtlHours * 3600_000);
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto('session').values({ id_hash: sha256Hex(sessionSecret), user_id: user.id, csrf_token: csrfToken, expires_at: expiresAt }).execute();
    await appendJournal(trx, deps.clock, { userId: user.id, tokenId: null, label: `${user.display_name} <${user.email}>` }, { collectiviteId: null, action: 'login.succeeded', objectType: 'user', objectId: user.id, details: { ip: meta.ip } });
  });
  return { sessionSecret, csrfToken, expiresAt, userId: user.id };
}
