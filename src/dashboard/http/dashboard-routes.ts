/** Read routes of the dashboard (tableau de bord): thin, one use case each. */
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { collectiviteParams, errorResponses, tenantOf } from '../../http/route-kit.ts';
import { dossierSummary, presentDossierSummary } from '../../dossiers/presenter.ts';
import { parisMonthOf, sentInMonth } from '../sent-in-month.ts';

const sentView = dossierSummary.extend({ sentAt: z.string() });

export function dashboardRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/collectivites/:collectiviteId/envois', { config: { permission: 'dossier:read' }, schema: { tags: ['Tableau de bord'], summary: 'Actes et flux PES transmis pendant un mois (heure de Paris ; par défaut le mois en cours)', params: collectiviteParams, querystring: z.object({ mois: z.string().optional().describe('AAAA-MM') }), response: { 200: z.object({ mois: z.string(), actes: z.array(sentView), pes: z.array(sentView) }), ...errorResponses } } }, async (request) => {
    const month = request.query.mois ?? parisMonthOf(deps.clock.now());
    const s = await sentInMonth(deps, tenantOf(request).collectiviteId, month);
    const present = (x: (typeof s.actes)[number]) => ({ ...presentDossierSummary(deps.dossierTypes.get(x.dossier.type), x.dossier), sentAt: x.sentAt.toISOString() });
    return { mois: s.month, actes: s.actes.map(present), pes: s.pes.map(present) };
  });
}
