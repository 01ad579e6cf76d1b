import type { Deps } from '../app/deps.ts';
import { appendJournal } from '../journal/append-journal.ts';
import type { Actor } from '../identity/principal.ts';
import type { ConnectorScope } from './connectors.ts';

export async function setConnectorConfig(deps: Deps, actor: Actor, scope: ConnectorScope, connector: string, config: Record<string, unknown>): Promise<void> {
  deps.connectors.get(connector);
  await deps.db.transaction().execute(async (trx) => {
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
