import { databaseTargetFromEnv, migrateToLatest, openDatabase } from '../platform/db/database.ts';
import { createDeps } from '../app/create-deps.ts';
import { sealLegacySecrets } from '../app/seal-legacy-secrets.ts';
import type { Deps } from '../app/deps.ts';
import type { Actor } from '../identity/principal.ts';

export const cliActor: Actor = { userId: null, tokenId: null, label: 'ligne de commande (opérateur)' };

/** Opens the configured database (PGlite in ./data by default), applies migrations, wires the adapters, seals secrets left in clear. */
export async function openPlatform(): Promise<Deps> {
  const db = await openDatabase(databaseTargetFromEnv());
  await migrateToLatest(db);
  const deps = createDeps(db);
  await sealLegacySecrets(deps);
  return deps;
}
