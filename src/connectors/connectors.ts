/**
 * Connector configuration (which TdT, which seal, which GED...) is set once by the operator for all
 * collectivités or for a group, and inherited by each collectivité unless it overrides it. Resolution is a
 * shallow merge operator < group < collectivité, with the origin of each key kept for the UI.
 */
import type { z } from 'zod';
import type { Db } from '../platform/db/database.ts';
import { AppError } from '../shared/errors.ts';
import type { SecretBox } from '../platform/secrets/secret-box.ts';
import { isSecretKey } from './mask-secrets.ts';

export type ConnectorScope = { type: 'operator'; id: string } | { type: 'group'; id: string } | { type: 'collectivite'; id: string };

export interface ConnectorDef {
  name: string;
  label: string;
  /** Validates the merged (effective) configuration. */
  schema: z.ZodType<Record<string, unknown>>;
}

export class Connectors {
  readonly #defs = new Map<string, ConnectorDef>();
  readonly #secrets: SecretBox;

  /** Secret settings (passwords, PINs) are stored sealed with the platform key (see secret-box.ts). */
  constructor(secrets: SecretBox) {
    this.#secrets = secrets;
  }

  register(def: ConnectorDef): void {
    this.#defs.set(def.name, def);
  }

  get(name: string): ConnectorDef {
    const def = this.#defs.get(name);
    if (!def) throw new AppError('BAD_INPUT', `Connecteur inconnu : « ${name} ».`, `unknown connector ${name}`);
    return def;
  }

  all(): ConnectorDef[] {
    return [...this.#defs.values()];
  }

  /** The configuration as stored: every secret value sealed (already sealed ones are kept). */
  sealSecrets(connector: string, config: Record<string, unknown>): Record<string, unknown> {
    return mapSecretValues(config, (v) => this.#secrets.seal(v, `connector:${connector}`)) as Record<string, unknown>;
  }

  /** The configuration as used: every sealed secret opened. */
  openSecrets(connector: string, config: Record<string, unknown>): Record<string, unknown> {
    return mapSecretValues(config, (v) => this.#secrets.open(v, `connector:${connector}`)) as Record<string, unknown>;
  }
}

function mapSecretValues(value: unknown, fn: (v: string) => string, secret = false): unknown {
  if (Array.isArray(value)) return value.map((v) => mapSecretValues(v, fn, secret));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, mapSecretValues(v, fn, isSecretKey(k))]));
  }
  return secret && typeof value === 'string' && value !== '' ? fn(value) : value;
}

export interface EffectiveConfig {
  config: Record<string, unknown>;
  origin: Record<string, ConnectorScope['type']>;
}

/** The merged configuration, secrets opened: mask it (mask-secrets.ts) before showing it. */
export async function resolveConnectorConfig(db: Db, connectors: Connectors, collectiviteId: string, connector: string): Promise<EffectiveConfig> {
  const c = await db.selectFrom('collectivite').select(['operator_id', 'group_id']).where('id', '=', collectiviteId).executeTakeFirstOrThrow();
  const scopes: ConnectorScope[] = [{ type: 'operator', id: c.operator_id }, ...(c.group_id ? [{ type: 'group' as const, id: c.group_id }] : []), { type: 'collectivite', id: collectiviteId }];
  const rows = await db
    .selectFrom('connector_config')
    .select(['scope_type', 'scope_id', 'config'])
    .where('connector', '=', connector)
    .where((eb) => eb.or(scopes.map((s) => eb.and([eb('scope_type', '=', s.type), eb('scope_id', '=', s.id)]))))
    .execute();
  const config: Record<string, unknown> = {};
  const origin: Record<string, ConnectorScope['type']> = {};
  for (const s of scopes) {
    const row = rows.find((r) => r.scope_type === s.type && r.scope_id === s.id);
    for (const [k, v] of Object.entries(connectors.openSecrets(connector, (row?.config ?? {}) as Record<string, unknown>))) {
      config[k] = v;
      origin[k] = s.type;
    }
  }
  return { config, origin };
}

/** The effective configuration, validated: a missing or wrong setting is a clear error for the operator. */
export async function connectorConfigFor<T extends Record<string, unknown>>(db: Db, connectors: Connectors, collectiviteId: string, connector: string): Promise<T> {
  const def = connectors.get(connector);
  const { config } = await resolveConnectorConfig(db, connectors, collectiviteId, connector);
  const parsed = def.schema.safeParse(config);
  if (!parsed.success) {
    throw new AppError('UNPROCESSABLE', `Le connecteur « ${def.label} » n’est pas configuré pour cette collectivité.`, `connector ${connector} misconfigured`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return parsed.data as T;
}
