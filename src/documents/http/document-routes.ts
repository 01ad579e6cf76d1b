import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { collectiviteParams, tenantOf } from '../../http/route-kit.ts';
import { openDocument } from '../open-document.ts';

export function documentRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/collectivites/:collectiviteId/documents/:documentId/content', { config: { permission: 'document:read' }, schema: { tags: ['Documents'], summary: 'Télécharger un document', params: collectiviteParams.extend({ documentId: z.string() }) } }, async (request, reply) => {
    const access = tenantOf(request);
    const { document, stream } = await openDocument(deps, access.collectiviteId, request.params.documentId);
    reply.header('content-type', document.media_type);
    reply.header('content-length', String(document.size));
    reply.header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(document.filename)}`);
    reply.header('x-content-sha256', document.sha256);
    reply.header('x-content-type-options', 'nosniff');
    return reply.send(stream);
  });
}
