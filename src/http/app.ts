import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { z } from 'zod';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../app/deps.ts';
import { installAuth } from './auth.ts';
import { installErrorHandler } from './error-handler.ts';
import { installIdempotency } from './idempotency.ts';
import { installMetrics } from './metrics.ts';
import { authRoutes } from '../identity/http/auth-routes.ts';
import { memberRoutes } from '../identity/http/member-routes.ts';
import { tokenRoutes } from '../identity/http/token-routes.ts';
import { collectiviteRoutes } from '../tenancy/http/collectivite-routes.ts';
import { dossierRoutes } from '../dossiers/http/dossier-routes.ts';
import { documentRoutes } from '../documents/http/document-routes.ts';
import { journalRoutes } from '../journal/http/journal-routes.ts';
import { connectorRoutes } from '../connectors/http/connector-routes.ts';
import { parapheurRoutes } from '../parapheur/parapheur.ts';
import { actesRoutes } from '../actes/http/actes-routes.ts';
import { heliosRoutes } from '../helios/http/helios-routes.ts';
import { dashboardRoutes } from '../dashboard/http/dashboard-routes.ts';
import { webhookRoutes } from '../webhooks/http/webhook-routes.ts';
import { registerWebApp } from './web-static.ts';

// Validation messages in French for every zod schema (users read them).
z.config(z.locales.fr());

export interface RegisteredRoute {
  method: string;
  url: string;
  public: boolean;
  permission: string | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    registeredRoutes: RegisteredRoute[];
  }
}

const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;

export async function buildApp(deps: Deps, opts: { logger?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ? { level: process.env.LOG_LEVEL ?? 'info' } : false,
    bodyLimit: 2 * 1024 * 1024,
    trustProxy: process.env.PARAPHE_TRUST_PROXY === 'true',
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Every route is listed as it is registered: the isolation test walks this list, so new routes are covered.
  const routes: RegisteredRoute[] = [];
  app.decorate('registeredRoutes', routes);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const config = route.config as { public?: boolean; permission?: string } | undefined;
    for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url, public: Boolean(config?.public), permission: config?.permission });
  });

  await app.register(cookie);
  await app.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 10, parts: 12 } });
  await app.register(rateLimit, { global: false, errorResponseBuilder: () => ({ statusCode: 429, code: 'RATE_LIMITED', message: 'Trop de tentatives : réessayez dans une minute.', details: null }) });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Paraphe API', version: '0.1.0', description: 'API de la plateforme Paraphe : collectivités, dossiers, documents, journal de preuve. Messages d’erreur en français.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'paraphe_session' } } },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list' } });

  installErrorHandler(app);
  installAuth(app, deps);
  installIdempotency(app, deps);
  installMetrics(app);

  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/health', { config: { public: true }, schema: { tags: ['Plateforme'], response: { 200: z.object({ status: z.literal('ok'), database: z.literal('ok') }) } } }, async () => {
    await deps.db.selectFrom('operator').select('id').limit(1).execute();
    return { status: 'ok' as const, database: 'ok' as const };
  });
  app.get('/api/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  authRoutes(app, deps);
  collectiviteRoutes(app, deps);
  memberRoutes(app, deps);
  tokenRoutes(app, deps);
  dossierRoutes(app, deps);
  documentRoutes(app, deps);
  journalRoutes(app, deps);
  connectorRoutes(app, deps);
  parapheurRoutes(app, deps);
  actesRoutes(app, deps);
  heliosRoutes(app, deps);
  dashboardRoutes(app, deps);
  webhookRoutes(app, deps);
  await registerWebApp(app);
  return app;
}
