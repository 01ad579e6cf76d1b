/** Row types of the tables, as Kysely sees them. Rows never leave the server: presenters map them. */
import type { ColumnType, Generated, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

export interface OperatorTable {
  id: Generated<string>;
  name: string;
  trigram: string;
  created_at: Generated<Date>;
}

export interface CollectiviteGroupTable {
  id: Generated<string>;
  operator_id: string;
  name: string;
  created_at: Generated<Date>;
}

export interface CollectiviteTable {
  id: Generated<string>;
  operator_id: string;
  group_id: string | null;
  name: string;
  type: string;
  siren: string;
  sirets: Json<string[]>;
  insee: string | null;
  population: number | null;
  departement: string;
  arrondissement: number | null;
  services: Json<string[]>;
  created_at: Generated<Date>;
}

export interface AppUserTable {
  id: Generated<string>;
  email: string;
  display_name: string;
  password_hash: string | null;
  operator_role: string | null;
  disabled: Generated<boolean>;
  created_at: Generated<Date>;
}

export interface MembershipTable {
  user_id: string;
  collectivite_id: string;
  role: string;
  created_at: Generated<Date>;
}

export interface SessionTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  impersonated_collectivite_id: string | null;
  impersonation_reason: string | null;
  created_at: Generated<Date>;
  expires_at: Timestamp;
}

export interface ApiTokenTable {
  id: Generated<string>;
  collectivite_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  permissions: Json<string[]>;
  created_by: string | null;
  created_at: Generated<Date>;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface DossierTable {
  id: Generated<string>;
  collectivite_id: string;
  type: string;
  title: string;
  metadata: Json<Record<string, unknown>>;
  state: string;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
  version: Generated<number>;
}

export interface BlobTable {
  sha256: string;
  size: number;
  media_type: string;
  created_at: Generated<Date>;
}

export interface DocumentTable {
  id: Generated<string>;
  collectivite_id: string;
  dossier_id: string;
  role: string;
  filename: string;
  media_type: string;
  size: number;
  sha256: string;
  created_by: string | null;
  created_at: Generated<Date>;
}

export interface JournalEntryTable {
  id: Generated<string>;
  chain: string;
  seq: number;
  collectivite_id: string | null;
  at: Date;
  actor_user_id: string | null;
  actor_token_id: string | null;
  actor_label: string;
  action: string;
  object_type: string;
  object_id: string | null;
  details: Json<Record<string, unknown>>;
  document_hashes: Json<string[]>;
  prev_hash: string;
  hash: string;
}

export interface JournalHeadTable {
  chain: string;
  seq: number;
  hash: string;
  timestamp_token: string | null;
  timestamped_at: Date | null;
}

export interface JournalTimestampTable {
  id: Generated<string>;
  chain: string;
  seq: number;
  hash: string;
  token: Buffer;
  stamped_at: Date;
}

export interface JobTable {
  id: Generated<string>;
  queue: string;
  payload: Json<Record<string, unknown>>;
  singleton_key: string | null;
  state: Generated<string>;
  attempts: Generated<number>;
  max_attempts: number;
  run_at: Timestamp;
  locked_until: Date | null;
  last_error: string | null;
  created_at: Generated<Date>;
  finished_at: Date | null;
}

export interface IdempotencyKeyTable {
  principal: string;
  key: string;
  request_hash: string;
  status_code: number | null;
  response: Json<unknown> | null;
  created_at: Generated<Date>;
}

export interface ConnectorConfigTable {
  id: Generated<string>;
  scope_type: string;
  scope_id: string;
  connector: string;
  config: Json<Record<string, unknown>>;
  updated_at: Timestamp;
}

export interface Database {
  operator: OperatorTable;
  collectivite_group: CollectiviteGroupTable;
  collectivite: CollectiviteTable;
  app_user: AppUserTable;
  membership: MembershipTable;
  session: SessionTable;
  api_token: ApiTokenTable;
  dossier: DossierTable;
  blob: BlobTable;
  document: DocumentTable;
  journal_entry: JournalEntryTable;
  journal_head: JournalHeadTable;
  journal_timestamp: JournalTimestampTable;
  job: JobTable;
  idempotency_key: IdempotencyKeyTable;
  connector_config: ConnectorConfigTable;
}

export type CollectiviteRow = Selectable<CollectiviteTable>;
export type DossierRow = Selectable<DossierTable>;
export type DocumentRow = Selectable<DocumentTable>;
export type JournalEntryRow = Selectable<JournalEntryTable>;
export type AppUserRow = Selectable<AppUserTable>;
export type ApiTokenRow = Selectable<ApiTokenTable>;
export type JobRow = Selectable<JobTable>;
