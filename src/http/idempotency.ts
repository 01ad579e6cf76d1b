import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../app/deps.ts';
import { AppError } from '../shared/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { principal: string; key: string } | null;
  }
}

/**
 * `Idempotency-Key` on POST: the first response (2xx or 4xx) is stored and replayed for the same key and
 * request; the same key with another request is a conflict; a 5xx frees the key for a retry.
 */
export function installIdempotency(app: FastifyInstance, deps: Deps): void {
  app.decorateRequest('idempotency', null);
  app.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || typeof key !== 'string' || !request.principalOrNull) return;
    if (!/^[\x21-\x7e]{1,200}$/.test(key)) throw new AppError('BAD_INPUT', 'En-tête Idempotency-Key invalide.', 'bad idempotency key');
    const p = request.principalOrNull;
    const principal = p.kind === 'user' ? `user:${p.userId}` : `token:${p.tokenId}`;
    const isMultipart = request.headers['content-type']?.startsWith('multipart/') ?? false;
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.url}\n`)
      .update(isMultipart ? `multipart ${request.headers['content-length'] ?? ''}` : JSON.stringify(request.body ?? null))
      .digest('hex');
    const inserted = await deps.db
      .insertInto('idempotency_key')
      .values({ principal, key, request_hash: requestHash })
      .onConflict((oc) => oc.columns(['principal', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (inserted) {
      request.idempotency = { principal, key };
      return;
    }
    const existing = await deps.db.selectFrom('idempotency_key').selectAll().where('principal', '=', principal).where('key', '=', key).executeTakeFirstOrThrow();
    if (existing.request_hash !== requestHash) throw new AppError('IDEMPOTENCY_CONFLICT', 'Cette clé d’idempotence a déjà servi pour une autre requête.', 'idempotency key reused with another request');
    if (existing.status_code === null) throw new AppError('IDEMPOTENCY_CONFLICT', 'Une requête avec cette clé d’idempotence est en cours.', 'idempotent request in progress');
    reply.header('idempotent-replayed', 'true');
    return reply.status(existing.status_code).send(existing.response);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const idem = request.idempotency;
    if (!idem) return payload;
    request.idempotency = null;
    if (reply.statusCode >= 500) {
      await deps.db.deleteFrom('idempotency_key').where('principal', '=', idem.principal).where('key', '=', idem.key).execute();
    } else {
      let body: unknown = null;
      try {
        body = typeof payload === 'string' ? JSON.parse(payload) : null;
      } catch {
        body = null;
      }
      await deps.db.updateTable('idempotency_key').set({ status_code: reply.statusCode, response: JSON.stringify(body) }).where('principal', '=', idem.principal).where('key', '=', idem.key).execute();
    }
    return payload;
  });
}
