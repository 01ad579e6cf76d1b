/** Read routes of the dashboard (tableau de bord): thin, one use case each. */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { collectiviteParams, errorResponses, tenantOf } from '../../http/route-kit.ts';
import { dossierSummary, presentDossierSummary } from '../../dossiers/presenter.ts';
import { parisMonthOf, sentInMonth } from '../sent-in-month.ts';
import { dashboardSummary } from '../dashboard-summary.ts';
import { principalOf } from '../../http/auth.ts';
import { inboxItemView, presentInboxItem } from '../../parapheur/inbox/inbox-item.ts';

const sentView = dossierSummary.extend({ sentAt: z.string() });

export function dashboardRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/collectivites/:collectiviteId/envois', { config: { permission: 'dossier:read' }, schema: { tags: ['Tableau de bord'], summary: 'Actes et flux PES transmis pendant un mois (heure de Paris ; par défaut le mois en cours)', params: collectiviteParams, querystring: z.object({ mois: z.string().optional().describe('AAAA-MM') }), response: { 200: z.object({ mois: z.string(), actes: z.array(sentView), pes: z.array(sentView) }), ...errorResponses } } }, async (request) => {
    const month = request.query.mois ?? parisMonthOf(deps.clock.now());
    const s = await sentInMonth(deps, tenantOf(request).collectiviteId, month);
    const present = (x: (typeof s.actes)[number]) => ({ ...presentDossierSummary(deps.dossierTypes.get(x.dossier.type), x.dossier), sentAt: x.sentAt.toISOString() });
    return { mois: s.month, actes: s.actes.map(present), pes: s.pes.map(present) };
  });

  r.get('/api/collectivites/:collectiviteId/tableau-de-bord', { config: { permission: 'dossier:read' }, schema: { tags: ['Tableau de bord'], summary: 'Bannettes « À traiter » et « En retard » des bureaux tenus par l’utilisateur et nombre d’envois du mois (heure de Paris), en une requête', params: collectiviteParams, querystring: z.object({ mois: z.string().optional().describe('AAAA-MM') }), response: { 200: z.object({ mois: z.string(), bureaux: z.number().int(), aTraiter: z.array(inboxItemView), enRetard: z.array(inboxItemView), envoyes: z.object({ actes: z.number().int(), pes: z.number().int() }) }), ...errorResponses } } }, async (request) => {
    const principal = principalOf(request);
    const month = request.query.mois ?? parisMonthOf(deps.clock.now());
    const s = await dashboardSummary(deps, tenantOf(request).collectiviteId, principal.kind === 'user' ? principal.userId : null, month);
    return { mois: s.sent.month, bureaux: s.bureaux, aTraiter: s.waiting.map((d) => presentInboxItem(deps, d)), enRetard: s.late.map((d) => presentInboxItem(deps, d)), envoyes: { actes: s.sent.actes.length, pes: s.sent.pes.length } };
  });
}
