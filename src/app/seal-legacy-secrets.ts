/**
 * Secrets written before they were sealed (webhook secrets, connector passwords and PINs stored in clear by
 * an earlier version) are sealed once the platform key is known: at start-up, after the migrations.
 * Idempotent: sealed values are left alone. Returns how many rows changed.
 */
import type { Deps } from './deps.ts';
import { WEBHOOK_SECRET_PURPOSE } from '../webhooks/signature.ts';

export async function sealLegacySecrets(deps: Deps): Promise<number> {
  let changed = 0;
  await deps.db.transaction().execute(async (trx) => {
    const hooks = await trx.selectFrom('webhook_subscription').select(['id', 'secret']).where('secret', 'not like', 'enc:v1:%').forUpdate().execute();
    for (const h of hooks) {
      await trx.updateTable('webhook_subscription').set({ secret: deps.secrets.seal(h.secret, WEBHOOK_SECRET_PURPOSE) }).where('id', '=', h.id).execute();
      changed++;
    }
    const configs = await trx.selectFrom('connector_config').select(['scope_type', 'scope_id', 'connector', 'config']).forUpdate().execute();
    for (const c of configs) {
      const stored = c.config as Record<string, unknown>;
      const sealed = deps.connectors.sealSecrets(c.connector, stored);
      if (JSON.stringify(sealed) === JSON.stringify(stored)) continue;
      await trx.updateTable('connector_config').set({ config: JSON.stringify(sealed) }).where('scope_type', '=', c.scope_type).where('scope_id', '=', c.scope_id).where('connector', '=', c.connector).execute();
      changed++;
    }
  });
  return changed;
}
