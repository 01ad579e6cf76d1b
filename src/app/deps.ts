import type { Db } from '../platform/db/database.ts';
import type { Clock } from '../platform/clock/clock.ts';
import type { BlobStore } from '../documents/blob-store.ts';
import type { PasswordHasher } from '../identity/password.ts';
import type { DossierTypeRegistry } from '../dossiers/registry.ts';
import type { JobHandlers } from '../platform/jobs/job-queue.ts';
import type { Connectors } from '../connectors/connectors.ts';
import type { DossierEvents } from '../dossiers/change-state.ts';
import type { SecretBox } from '../platform/secrets/secret-box.ts';

/** Everything a use case may touch, injected at start-up (adapters chosen by configuration). */
export interface Deps {
  db: Db;
  clock: Clock;
  blobs: BlobStore;
  passwords: PasswordHasher;
  dossierTypes: DossierTypeRegistry;
  jobHandlers: JobHandlers;
  connectors: Connectors;
  /** Seals the secrets the platform stores (webhook secrets, connector passwords and PINs). */
  secrets: SecretBox;
  /** Subscribers told of every dossier state change, in its transaction. */
  dossierEvents: DossierEvents;
  config: AppConfig;
}

export interface AppConfig {
  dataDir: string;
  sessionTtlHours: number;
  secureCookies: boolean;
  operatorName: string;
  operatorTrigram: string;
  /** Public address of the platform (links in webhook payloads); relative links without it. */
  publicUrl: string | null;
  /** Webhooks may target loopback/private addresses (tests, on-premise software); refused otherwise. */
  webhookAllowPrivate: boolean;
}
