import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { collectiviteParams, errorResponses, tenantOf } from '../../http/route-kit.ts';
import { journalEntryView, listJournal, listJournalQuery, presentJournalEntry } from '../list-journal.ts';
import { verifyJournal } from '../verify-journal.ts';

export function journalRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['Journal de preuve'];

  r.get('/api/collectivites/:collectiviteId/journal', { config: { permission: 'journal:read' }, schema: { tags, params: collectiviteParams, querystring: listJournalQuery, response: { 200: z.object({ items: z.array(journalEntryView), nextBeforeSeq: z.number().nullable() }), ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const { items, nextBeforeSeq } = await listJournal(deps.db, access.collectiviteId, request.query);
    return { items: items.map(presentJournalEntry), nextBeforeSeq };
  });

  r.get('/api/collectivites/:collectiviteId/journal/verify', { config: { permission: 'journal:read' }, schema: { tags, summary: 'Vérifier la chaîne de hachage du journal', params: collectiviteParams, response: { 200: z.object({ valid: z.boolean(), entries: z.number(), problems: z.array(z.object({ seq: z.number(), kind: z.string(), message: z.string() })) }), ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    const res = await verifyJournal(deps.db, { chain: access.collectiviteId });
    return { valid: res.problems.length === 0, entries: res.entries, problems: res.problems.map((p) => ({ seq: p.seq, kind: p.kind, message: p.messageFr })) };
  });
}
