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

export interface ActesClassificationTable {
  collectivite_id: string;
  date_classification: string;
  content: Json<unknown>;
  source: string;
  raw_sha256: string | null;
  updated_at: Timestamp;
}

export interface ActesActeTable {
  dossier_id: string;
  collectivite_id: string;
  id_acte: string;
  live: Generated<boolean>;
  classification_date: string;
  sent_at: Date | null;
  enveloppe_name: string | null;
  archive_name: string | null;
  archive_sha256: string | null;
  /** Posts of the archive to @CTES (a retry after a crash sends the same bytes again). */
  send_count: Generated<number>;
  date_reception: string | null;
  date_publication: string | null;
  created_at: Generated<Date>;
}

/** An acte's parapheur circuit (migration 0007): the child `document-a-signer` dossier and what came of it. */
export interface ActesSignatureTable {
  child_dossier_id: string;
  acte_dossier_id: string;
  collectivite_id: string;
  transmettre_apres_signature: boolean;
  current: Generated<boolean>;
  outcome: string | null;
  motif: string | null;
  last_event_version: Generated<number>;
  created_at: Generated<Date>;
}

/** A PES flow's parapheur circuit (migration 0008): same shape as actes_signature. */
export interface HeliosSignatureTable {
  child_dossier_id: string;
  helios_dossier_id: string;
  collectivite_id: string;
  transmettre_apres_signature: boolean;
  current: Generated<boolean>;
  outcome: string | null;
  motif: string | null;
  last_event_version: Generated<number>;
  created_at: Generated<Date>;
}

export interface ActesMessageTable {
  id: Generated<string>;
  collectivite_id: string | null;
  dossier_id: string | null;
  direction: 'entrant' | 'sortant';
  kind: string;
  code: string | null;
  id_acte: string | null;
  date_courrier_pref: string | null;
  status: string;
  content: Json<Record<string, unknown>>;
  reply_to: string | null;
  mail_key: string | null;
  archive_sha256: string | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface ActesMailTable {
  key: string;
  status: 'traite' | 'rejete';
  reason: string | null;
  raw_sha256: string | null;
  received_at: Generated<Date>;
}

export interface ActesCounterTable {
  siren: string;
  day: string;
  n: number;
}

export interface HeliosPesTable {
  dossier_id: string;
  collectivite_id: string;
  id_coll: string;
  nom_fic: string;
  schema_version: string;
  pes_sha256: string;
  upload_name: string | null;
  sent_at: Date | null;
  acquit_sha256: string | null;
  acquit: Json<unknown> | null;
  /** The PES signed in a parapheur circuit (helios_signature): transmitted instead of pes_sha256. */
  signed_sha256: Generated<string | null>;
  created_at: Generated<Date>;
}

export interface HeliosCounterTable {
  siret: string;
  day: string;
  n: number;
}

export interface HeliosResponseTable {
  endpoint: string;
  key: string;
  kind: string;
  collectivite_id: string | null;
  dossier_id: string | null;
  nom_fic: string | null;
  status: 'rattache' | 'non_rattache' | 'illisible';
  sha256: string | null;
  details: Json<Record<string, unknown>>;
  received_at: Generated<Date>;
}

// PES_Retour linked to its PES_Aller (migration 0012).
export interface HeliosPesBordereauTable {
  dossier_id: string;
  collectivite_id: string;
  id_coll: string;
  cod_bud: Generated<string>;
  domaine: 'depense' | 'recette';
  exercice: string;
  id_bord: string;
}

export interface HeliosRetourFluxTable {
  endpoint: string;
  key: string;
  dossier_id: string;
  collectivite_id: string;
  bordereaux: number;
}

export interface WebhookSubscriptionTable {
  id: Generated<string>;
  collectivite_id: string;
  url: string;
  description: Generated<string>;
  /** null: every dossier type. */
  dossier_types: Json<string[] | null> | null;
  active: Generated<boolean>;
  /** Sealed with the platform key (`enc:v1:…`), see src/platform/secrets. */
  secret: string;
  /** The first characters of the secret in clear, to recognise it. */
  secret_hint: Generated<string>;
  secret_rotated_at: Date | null;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface WebhookDeliveryTable {
  id: Generated<string>;
  collectivite_id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  /** null for a `ping`. */
  dossier_id: string | null;
  dossier_version: number | null;
  body: string;
  state: 'pending' | 'waiting' | 'delivered' | 'failed';
  round: Generated<number>;
  attempts: Generated<number>;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookAttemptTable {
  id: Generated<string>;
  collectivite_id: string;
  delivery_id: string;
  attempt: number;
  manual: Generated<boolean>;
  at: Timestamp;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_body: string | null;
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
  parapheur_bureau: ParapheurBureauTable;
  parapheur_bureau_holder: ParapheurBureauHolderTable;
  parapheur_circuit: ParapheurCircuitTable;
  parapheur_typologie: ParapheurTypologieTable;
  parapheur_delegation: ParapheurDelegationTable;
  parapheur_dossier: ParapheurDossierTable;
  parapheur_step: ParapheurStepTable;
  parapheur_act: ParapheurActTable;
  parapheur_annotation: ParapheurAnnotationTable;
  parapheur_avis: ParapheurAvisTable;
  parapheur_signature_session: ParapheurSignatureSessionTable;
  actes_classification: ActesClassificationTable;
  actes_acte: ActesActeTable;
  actes_message: ActesMessageTable;
  actes_mail: ActesMailTable;
  actes_counter: ActesCounterTable;
  actes_signature: ActesSignatureTable;
  helios_pes: HeliosPesTable;
  helios_signature: HeliosSignatureTable;
  helios_counter: HeliosCounterTable;
  helios_response: HeliosResponseTable;
  helios_pes_bordereau: HeliosPesBordereauTable;
  helios_retour_flux: HeliosRetourFluxTable;
  webhook_subscription: WebhookSubscriptionTable;
  webhook_delivery: WebhookDeliveryTable;
  webhook_attempt: WebhookAttemptTable;
}

export type CollectiviteRow = Selectable<CollectiviteTable>;
export type DossierRow = Selectable<DossierTable>;
export type DocumentRow = Selectable<DocumentTable>;
export type JournalEntryRow = Selectable<JournalEntryTable>;
export type AppUserRow = Selectable<AppUserTable>;
export type ApiTokenRow = Selectable<ApiTokenTable>;
export type JobRow = Selectable<JobTable>;
export type WebhookSubscriptionRow = Selectable<WebhookSubscriptionTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveryTable>;
export type WebhookAttemptRow = Selectable<WebhookAttemptTable>;

// Parapheur (migration 0002).
export interface ParapheurBureauTable {
  id: Generated<string>;
  collectivite_id: string;
  name: string;
  superior_id: string | null;
  created_at: Generated<Date>;
}

export interface ParapheurBureauHolderTable {
  bureau_id: string;
  user_id: string;
  collectivite_id: string;
}

export interface ParapheurCircuitTable {
  id: Generated<string>;
  collectivite_id: string;
  name: string;
  steps: Json<unknown[]>;
  created_at: Generated<Date>;
  version: Generated<number>;
  updated_at: Generated<Date>;
}

export interface ParapheurTypologieTable {
  id: Generated<string>;
  collectivite_id: string;
  type: string;
  sous_type: string;
  circuit_id: string;
  format: string;
  mark: Json<Record<string, unknown>> | null;
  created_at: Generated<Date>;
  version: Generated<number>;
  updated_at: Generated<Date>;
  /** PAdES level of its signatures; null: B-T when the collectivité has a TSA, else B-B. */
  niveau_pades: Generated<string | null>;
}

export interface ParapheurDelegationTable {
  id: Generated<string>;
  collectivite_id: string;
  from_bureau_id: string;
  to_bureau_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  typologie_ids: Json<string[]>;
  created_at: Generated<Date>;
  revoked_at: Date | null;
}

export interface ParapheurDossierTable {
  dossier_id: string;
  collectivite_id: string;
  typologie_id: string;
  emetteur_user_id: string | null;
  emetteur_bureau_id: string;
  current_position: number | null;
  deadline: Date | null;
  sent_at: Date | null;
  finished_at: Date | null;
  /** The typologie's signature format and visible mark when the dossier was sent (edits apply to the next dossiers). */
  format: string | null;
  mark: Json<Record<string, unknown>> | null;
  /** The typologie's PAdES level when the dossier was sent (null: the default). */
  niveau_pades: Generated<string | null>;
}

export interface ParapheurStepTable {
  id: Generated<string>;
  collectivite_id: string;
  dossier_id: string;
  position: number;
  kind: string;
  mode: string;
  state: string;
  bureau_ids: Json<string[]>;
  pending_bureau_ids: Json<string[]>;
}

export interface ParapheurActTable {
  id: Generated<string>;
  collectivite_id: string;
  dossier_id: string;
  step_id: string | null;
  action: string;
  bureau_id: string | null;
  via_bureau_id: string | null;
  user_id: string | null;
  actor_label: string;
  at: Date;
  comment: string | null;
  certificate: Json<Record<string, unknown>> | null;
  signed_sha256: string | null;
  document_hashes: Json<string[]>;
}

export interface ParapheurAnnotationTable {
  id: Generated<string>;
  collectivite_id: string;
  dossier_id: string;
  bureau_id: string | null;
  user_id: string | null;
  author_label: string;
  visibility: string;
  text: string;
  at: Date;
}

export interface ParapheurAvisTable {
  id: Generated<string>;
  collectivite_id: string;
  dossier_id: string;
  from_bureau_id: string;
  to_bureau_id: string;
  question: string;
  answer: string | null;
  requested_at: Date;
  answered_at: Date | null;
  answered_by_label: string | null;
}

export interface ParapheurSignatureSessionTable {
  id: Generated<string>;
  collectivite_id: string;
  dossier_id: string;
  step_id: string;
  bureau_id: string;
  via_bureau_id: string | null;
  user_id: string;
  dossier_version: number;
  source_sha256: string;
  prepared_sha256: string;
  prepared: Json<Record<string, unknown>>;
  created_at: Date;
  used_at: Date | null;
}

export type ParapheurBureauRow = Selectable<ParapheurBureauTable>;
export type ParapheurCircuitRow = Selectable<ParapheurCircuitTable>;
export type ParapheurTypologieRow = Selectable<ParapheurTypologieTable>;
export type ParapheurDelegationRow = Selectable<ParapheurDelegationTable>;
export type ParapheurDossierRow = Selectable<ParapheurDossierTable>;
export type ParapheurStepRow = Selectable<ParapheurStepTable>;
export type ParapheurActRow = Selectable<ParapheurActTable>;
export type ActesActeRow = Selectable<ActesActeTable>;
export type ActesSignatureRow = Selectable<ActesSignatureTable>;
export type ActesMessageRow = Selectable<ActesMessageTable>;
export type HeliosSignatureRow = Selectable<HeliosSignatureTable>;
