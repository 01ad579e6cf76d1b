/**
 * The signature every webhook call carries (documented for receivers in README.md):
 * `X-Paraphe-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`, where `timestamp` is the
 * `X-Paraphe-Timestamp` header (Unix seconds) and `body` the exact bytes of the request body.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** Additional data of the sealed secret (secret-box.ts): it opens only as a webhook secret. */
export const WEBHOOK_SECRET_PURPOSE = 'webhook-secret';

/** A new signing secret, shown to the collectivité once, then stored sealed. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
