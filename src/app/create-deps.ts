import { join } from 'node:path';
import type { z } from 'zod';
import type { Deps, AppConfig } from './deps.ts';
import type { Db } from '../platform/db/database.ts';
import { systemClock, type Clock } from '../platform/clock/clock.ts';
import { FsBlobStore } from '../documents/blob-store.ts';
import { argon2idHasher, type PasswordHasher } from '../identity/password.ts';
import { DossierTypeRegistry } from '../dossiers/registry.ts';
import { Connectors } from '../connectors/connectors.ts';
import { DOSSIER_JOB_QUEUE } from '../dossiers/run-dossier-action.ts';
import { dossierJobHandler } from '../dossiers/dossier-job-handler.ts';
import { versementGedType } from '../ged/versement-ged-type.ts';
import { gedFsConfig } from '../ged/ged-connector.ts';
import type { JobHandlers } from '../platform/jobs/job-queue.ts';
import { DossierEvents } from '../dossiers/change-state.ts';
import { registerParapheur } from '../parapheur/parapheur.ts';
import { installActes } from '../actes/install.ts';
import { installHelios } from '../helios/install.ts';
import { installWebhooks } from '../webhooks/install.ts';
import { SecretBox } from '../platform/secrets/secret-box.ts';
import { platformKey } from '../platform/secrets/platform-key.ts';

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return {
    dataDir: env.PARAPHE_DATA_DIR ?? 'data',
    sessionTtlHours: Number(env.PARAPHE_SESSION_TTL_HOURS ?? 10),
    secureCookies: env.PARAPHE_SECURE_COOKIES === 'true',
    operatorName: env.PARAPHE_OPERATOR_NAME ?? 'Centre de Gestion (démo)',
    operatorTrigram: env.PARAPHE_OPERATOR_TRIGRAM ?? 'PPH',
    publicUrl: env.PARAPHE_PUBLIC_URL ? env.PARAPHE_PUBLIC_URL.replace(/\/+$/, '') : null,
    webhookAllowPrivate: env.PARAPHE_WEBHOOK_ALLOW_PRIVATE === '1' || env.PARAPHE_WEBHOOK_ALLOW_PRIVATE === 'true',
  };
}

/** Wires the adapters. Tests pass their own clock, password hasher or configuration. */
export function createDeps(db: Db, overrides: { config?: Partial<AppConfig>; clock?: Clock; passwords?: PasswordHasher } = {}): Deps {
  const config = { ...configFromEnv(), ...overrides.config };
  const dossierTypes = new DossierTypeRegistry();
  dossierTypes.register(versementGedType());
  const secrets = new SecretBox(platformKey(config.dataDir));
  const connectors = new Connectors(secrets);
  connectors.register({ name: 'ged-fs', label: 'GED (dépôt dans un dossier)', schema: gedFsConfig as unknown as z.ZodType<Record<string, unknown>> });
  const jobHandlers: JobHandlers = new Map();
  const deps: Deps = {
    db,
    clock: overrides.clock ?? systemClock,
    blobs: new FsBlobStore(join(config.dataDir, 'blobs')),
    passwords: overrides.passwords ?? argon2idHasher,
    dossierTypes,
    jobHandlers,
    connectors,
    secrets,
    dossierEvents: new DossierEvents(),
    config,
  };
  jobHandlers.set(DOSSIER_JOB_QUEUE, dossierJobHandler(() => deps));
  registerParapheur(deps);
  installActes(deps);
  installHelios(deps);
  installWebhooks(deps);
  return deps;
}
