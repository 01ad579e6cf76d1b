export interface Membership {
  collectiviteId: string;
  name: string;
  role: string;
  roleLabel: string;
}
export interface Session {
  user: { id: string; email: string; displayName: string; operatorRole: string | null };
  csrfToken: string;
  memberships: Membership[];
  impersonation: { collectiviteId: string; reason: string } | null;
}
export interface Collectivite {
  id: string;
  name: string;
  type: string;
  typeLabel: string;
  siren: string;
  sirets: string[];
  insee: string | null;
  population: number | null;
  departement: string;
  arrondissement: number | null;
  services: string[];
  groupId: string | null;
  createdAt: string;
}
export interface DossierSummary {
  id: string;
  collectiviteId: string;
  type: string;
  typeLabel: string;
  title: string;
  state: string;
  stateLabel: string;
  s2lowCode: number | null;
  final: boolean;
  createdAt: string;
  updatedAt: string;
}
export interface DocumentView {
  id: string;
  role: string;
  filename: string;
  mediaType: string;
  size: number;
  sha256: string;
  createdAt: string;
}
export interface Dossier extends DossierSummary {
  metadata: Record<string, unknown>;
  documents: DocumentView[];
  actions: { name: string; label: string }[];
}
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  description?: string;
  title?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  format?: string;
  pattern?: string;
  default?: unknown;
}
export interface DossierType {
  type: string;
  label: string;
  metadataSchema: JsonSchema;
  states: Record<string, { label: string; final: boolean; s2lowCode: number | null }>;
  actions: Record<string, { label: string; from: string[]; to: string; roles: string[]; api: boolean; background: boolean }>;
}
export interface JournalEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  objectType: string;
  objectId: string | null;
  details: Record<string, unknown>;
  documentHashes: string[];
  hash: string;
}
export interface Member {
  userId: string;
  email: string;
  displayName: string;
  role: string;
  roleLabel: string;
  disabled: boolean;
}
export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  permissions: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
export interface Webhook {
  id: string;
  url: string;
  description: string;
  dossierTypes: string[] | null;
  active: boolean;
  secretPrefix: string;
  secretRotatedAt: string | null;
  createdAt: string;
  updatedAt: string;
}
export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: string;
  /** null for a ping. */
  dossierId: string | null;
  dossierVersion: number | null;
  dossierTitle: string;
  transition: string;
  state: 'pending' | 'waiting' | 'delivered' | 'failed';
  stateLabel: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}
export interface WebhookAttempt {
  attempt: number;
  manual: boolean;
  at: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
}
export interface WebhookDeliveryDetail extends WebhookDelivery {
  payload: unknown;
  attemptLog: WebhookAttempt[];
}
