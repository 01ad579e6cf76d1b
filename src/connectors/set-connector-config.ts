import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import type { Actor } from '../identity/principal.ts';
import type { ConnectorScope } from './connectors.ts';
import { keepMaskedSecrets } from './mask-secrets.ts';

/**
 * Replaces the scope's settings; a secret sent back masked (SECRET_MASK, from a read) keeps its stored value,
 * and secrets are stored sealed with the platform key.
 */
export async function setConnectorConfig(deps: Deps, actor: Actor, scope: ConnectorScope, connector: string, input: Record<string, unknown>): Promise<void> {
  deps.connectors.get(connector);
  await deps.db.transaction().execute(async (trx) => {
    const previous = await trx.selectFrom('connector_config').select('config').where('scope_type', '=', scope.type).where('scope_id', '=', scope.id).where('connector', '=', connector).executeTakeFirst();
    const config = deps.connectors.sealSecrets(connector, keepMaskedSecrets(previous?.config as Record<string, unknown> | undefined, input));
    await trx
      .insertInto('connector_config')
      .values({ scope_type: scope.type, scope_id: scope.id, connector, config: JSON.stringify(config), updated_at: deps.clock.now() })
      .onConflict((oc) => oc.columns(['scope_type', 'scope_id', 'connector']).doUpdateSet({ config: JSON.stringify(config), updated_at: deps.clock.now() }))
      .execute();
    await appendJournal(trx, deps.clock, actor, {
      collectiviteId: scope.type === 'collectivite' ? scope.id : null,
      action: 'connector.configured',
      objectType: 'connector',
      objectId: `${scope.type}:${scope.id}:${connector}`,
      // Keys only: configurations may hold secrets.
      details: { scope: scope.type, connector, keys: Object.keys(config) },
    });
  });
}
