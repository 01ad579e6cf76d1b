/**
 * Connector settings may hold secrets (PKCS#12 password, token PIN, TdT password): they never leave the
 * platform. Reads replace them by SECRET_MASK; a write that sends SECRET_MASK back keeps the stored value,
 * so an edit form can show « inchangé » without ever knowing the secret.
 */
export const SECRET_MASK = '••••••••';

/**
 * Keys whose values are secrets, at any depth (pin, password, motDePasse, secret, passphrase...), and the
 * content of an uploaded PKCS#12 (`pkcs12`, base64): stored sealed, never sent back.
 */
export function isSecretKey(key: string): boolean {
  return /password|passphrase|^pass$|pin$|secret|mot_?de_?passe|motdepasse|privatekey|apikey|^pkcs12$/i.test(key);
}

type Json = unknown;

/** A copy of the configuration with every secret value replaced by SECRET_MASK (empty secrets stay empty). */
export function maskSecrets<T extends Json>(config: T): T {
  if (Array.isArray(config)) return config.map((v) => maskSecrets(v)) as T;
  if (!config || typeof config !== 'object') return config;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config as Record<string, unknown>)) {
    out[k] = isSecretKey(k) && v !== null && v !== undefined && v !== '' && typeof v !== 'object' ? SECRET_MASK : maskSecrets(v);
  }
  return out as T;
}

/** `next` where every SECRET_MASK value is replaced by the value stored at the same place in `previous`. */
export function keepMaskedSecrets(previous: Record<string, unknown> | null | undefined, next: Record<string, unknown>): Record<string, unknown> {
  const walk = (prev: unknown, cur: unknown): unknown => {
    if (cur === SECRET_MASK) return prev;
    if (Array.isArray(cur)) return cur.map((v, i) => walk(Array.isArray(prev) ? prev[i] : undefined, v));
    if (!cur || typeof cur !== 'object') return cur;
    const p = prev && typeof prev === 'object' && !Array.isArray(prev) ? (prev as Record<string, unknown>) : {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(cur as Record<string, unknown>)) {
      const kept = walk(p[k], v);
      if (kept !== undefined) out[k] = kept;
    }
    return out;
  };
  return walk(previous ?? {}, next) as Record<string, unknown>;
}
