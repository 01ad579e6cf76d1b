import { z } from 'zod';
import type { DossierTypeDef } from '../dossiers/dossier-type.ts';
import { connectorConfigFor } from '../connectors/connectors.ts';
import { FsGed, type GedConnector } from './ged-connector.ts';

const MB = 1024 * 1024;

/**
 * `versement-ged`: a document deposited into the collectivité's GED. Its external step follows the one
 * pattern every connector uses: an action moves the dossier to an in-progress state and starts a job,
 * the job's result moves it to done, and exhausted retries to an explicit error state with a retry action.
 */
export function versementGedType(gedFor: (config: { path: string }) => GedConnector = (c) => new FsGed(c.path)): DossierTypeDef {
  return {
    type: 'versement-ged',
    label: 'Versement en GED',
    metadata: z.object({
      categorie: z.string().trim().min(1, 'La catégorie est obligatoire.').max(100).describe('Catégorie documentaire'),
      motsCles: z.array(z.string().max(50)).max(20).default([]).describe('Mots-clés'),
    }),
    documents: {
      principal: { mediaTypes: ['application/pdf', 'application/xml', 'image/png', 'image/jpeg'], maxBytes: 150 * MB },
      annexe: { mediaTypes: ['application/pdf', 'application/xml', 'image/png', 'image/jpeg'], maxBytes: 150 * MB },
      maxAnnexes: 50,
    },
    initialState: 'brouillon',
    states: {
      brouillon: { label: 'Brouillon' },
      versement_en_cours: { label: 'Versement en cours' },
      verse: { label: 'Versé en GED', final: true },
      erreur_versement: { label: 'Erreur de versement' },
      abandonne: { label: 'Abandonné', final: true },
    },
    actions: {
      verser: {
        label: 'Verser en GED',
        from: ['brouillon'],
        to: 'versement_en_cours',
        roles: ['agent', 'collectivite_admin'],
        api: true,
        guard: (d) => (d.documents.some((x) => x.role === 'principal') ? null : 'Ajoutez d’abord le document principal.'),
        job: 'deposer',
      },
      relancer: { label: 'Relancer le versement', from: ['erreur_versement'], to: 'versement_en_cours', roles: ['agent', 'collectivite_admin'], api: true, job: 'deposer' },
      abandonner: { label: 'Abandonner', from: ['brouillon', 'erreur_versement'], to: 'abandonne', roles: ['agent', 'collectivite_admin'], api: true },
    },
    jobs: {
      deposer: {
        label: 'Dépôt dans la GED',
        maxAttempts: 3,
        backoffSeconds: 5,
        whileIn: 'versement_en_cours',
        onExhausted: 'erreur_versement',
        async run({ deps, dossier, idempotencyKey }) {
          const config = await connectorConfigFor<{ path: string }>(deps.db, deps.connectors, dossier.collectiviteId, 'ged-fs');
          const rows = await deps.db.selectFrom('document').select(['filename', 'sha256']).where('collectivite_id', '=', dossier.collectiviteId).where('dossier_id', '=', dossier.id).execute();
          const res = await gedFor(config).deposit({
            idempotencyKey,
            metadata: { dossierId: dossier.id, ...dossier.metadata },
            files: rows.map((r) => ({ filename: r.filename, open: () => deps.blobs.open(r.sha256) })),
          });
          return { to: 'verse', details: { reference: res.reference, repeated: res.repeated }, documentHashes: rows.map((r) => r.sha256) };
        },
      },
    },
  };
}
