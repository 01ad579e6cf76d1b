import { existsSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/** Where `npm run build:web` (run by `npm ci` through the prepare script) puts the web application. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/**
 * Serves the React application from the platform itself: files of web/dist as they are, and index.html for
 * every other GET outside /api (client-side routes such as /c/…/dossiers/…). Hashed assets are cached for a
 * year; index.html is revalidated so a new build is picked up at once.
 */
export async function registerWebApp(app: FastifyInstance, root = WEB_DIST): Promise<void> {
  const built = existsSync(join(root, 'index.html'));
  if (built) await app.register(fastifyStatic, { root, serve: false, preCompressed: true });
  app.get('/*', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const path = decodeURIComponent((request.params as { '*': string })['*'] ?? '');
    if (request.url.startsWith('/api/') || request.url === '/api') return reply.callNotFound();
    if (!built) {
      return reply
        .status(503)
        .type('text/html; charset=utf-8')
        .send('<!doctype html><html lang="fr"><meta charset="utf-8"><title>Paraphe</title><p>L’application web n’est pas construite : lancez <code>npm run build:web</code>. L’API reste disponible sous <a href="/api/docs">/api/docs</a>.</p></html>');
    }
    const rel = normalize(path).replace(/^([/\\])+/, '');
    const file = join(root, rel);
    if (rel && !rel.startsWith('..') && file.startsWith(root.endsWith(sep) ? root : root + sep) && isFile(file)) {
      const immutable = rel.startsWith('assets' + sep) || rel.startsWith('assets/');
      return reply.sendFile(rel, { maxAge: immutable ? 365 * 24 * 3600 * 1000 : 0, immutable, cacheControl: true });
    }
    if (/\.[a-z0-9]{1,5}$/i.test(rel)) return reply.callNotFound(); // a missing file, not a page
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', { cacheControl: false });
  });
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
