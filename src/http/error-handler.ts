import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../shared/errors.ts';

/** The one error shape: { code, message (French), details }. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    if (error instanceof AppError) {
      request.log.info({ code: error.code, err: error.message }, 'request refused');
      return reply.status(error.status).send({ code: error.code, message: error.messageFr, details: error.details ?? null });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => ({ path: (v.instancePath || '').replace(/^\//, '').replace(/\//g, '.'), message: v.message ?? '' }));
      return reply.status(400).send({ code: 'VALIDATION', message: 'La requête est invalide : ' + issues.map((i) => (i.path ? `${i.path} : ${i.message}` : i.message)).join(' ; '), details: { issues } });
    }
    const code = (error as FastifyError).code;
    const known: Record<string, [number, string, string]> = {
      FST_ERR_CTP_INVALID_JSON_BODY: [400, 'BAD_INPUT', 'Le corps de la requête n’est pas un JSON valide.'],
      FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'BAD_INPUT', 'Le corps JSON de la requête est vide.'],
      FST_ERR_CTP_BODY_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE', 'La requête est trop volumineuse.'],
      FST_REQ_FILE_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE', 'Le fichier est trop volumineux.'],
      FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE', 'Type de contenu de la requête non pris en charge.'],
      FST_INVALID_MULTIPART_CONTENT_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE', 'Envoyez le fichier en multipart/form-data.'],
      FST_FILES_LIMIT: [413, 'PAYLOAD_TOO_LARGE', 'Un seul fichier par envoi.'],
      FST_PARTS_LIMIT: [413, 'PAYLOAD_TOO_LARGE', 'Trop de parties dans l’envoi.'],
      FST_ERR_VALIDATION: [400, 'VALIDATION', 'La requête est invalide.'],
    };
    const k = code ? known[code] : undefined;
    if (k) return reply.status(k[0]).send({ code: k[1], message: k[2], details: null });
    if (error instanceof SyntaxError) return reply.status(400).send({ code: 'BAD_INPUT', message: 'Le corps de la requête n’est pas un JSON valide.', details: null });
    if ((error as FastifyError).statusCode === 429) return reply.status(429).send({ code: 'RATE_LIMITED', message: 'Trop de tentatives : réessayez dans une minute.', details: null });
    const status = (error as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) return reply.status(status).send({ code: 'BAD_INPUT', message: 'La requête est invalide.', details: { reason: error.message } });
    request.log.error({ err: error }, 'unexpected error');
    return reply.status(500).send({ code: 'INTERNAL', message: 'Erreur interne du serveur. L’incident est enregistré.', details: null });
  });
  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ code: 'NOT_FOUND', message: 'Ressource introuvable.', details: null }));
}
