/**
 * HELIOS API (finance software with an API token, or the web UI): deposit a PES_Aller (validated on upload),
 * read it as bordereaux / pièces / PJ, submit an unsigned one to its parapheur circuit (`soumettre-signature`),
 * follow its circuit, transmission and acquittement (transmission itself is the dossier action `transmettre`), list the PES_Retour of the collectivité. Routes are thin: each calls one
 * use case.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { principalOf } from '../../http/auth.ts';
import { collectiviteParams, errorResponses, tenantOf } from '../../http/route-kit.ts';
import { actorOf } from '../../identity/principal.ts';
import { AppError } from '../../shared/errors.ts';
import { presentDossier, dossierView, snapshotOf } from '../../dossiers/presenter.ts';
import { allowedActions } from '../../dossiers/dossier-type.ts';
import { circuitProgressView } from '../../parapheur/workflow/child-circuit.ts';
import { actingAs } from '../../dossiers/run-dossier-action.ts';
import { HELIOS_TYPE } from '../dossier-type.ts';
import { heliosPorts } from '../install.ts';
import { deposerPes } from '../use-cases/deposer-pes.ts';
import { soumettrePesInput, submitPesForSignature } from '../use-cases/submit-pes-for-signature.ts';
import { listRetours, loadHeliosDossier, pesVue, retourContent } from '../use-cases/helios-dossier.ts';

const pesParams = collectiviteParams.extend({ dossierId: z.string() });
const erreurView = z.object({ code: z.string().nullable(), libelle: z.string().nullable() });

const retourView = z.object({
  cle: z.string(),
  fichier: z.string(),
  nomFic: z.string().nullable(),
  sha256: z.string().nullable(),
  recuLe: z.string(),
  resume: z.array(z.string()).describe('Résumé lisible : une ligne par bordereau (pièces prises en charge, rejetées…)'),
  details: z.record(z.string(), z.unknown()),
  flux: z.array(z.object({ dossierId: z.string(), nomFic: z.string(), bordereaux: z.number() })).describe('Les flux PES_Aller auxquels ce PES_Retour répond (rapprochés par SIRET, budget, exercice et numéro de bordereau), le plus concerné en premier'),
});

export const heliosView = z.object({
  nomFic: z.string(),
  idColl: z.string(),
  schemaVersion: z.string(),
  fichierEnvoye: z.string().nullable(),
  dateEnvoi: z.string().nullable(),
  acquit: z
    .object({
      statut: z.enum(['OK', 'KO']),
      nombreErreurs: z.number(),
      elements: z.array(
        z.object({
          domaine: z.string().nullable(),
          accepte: z.boolean(),
          bordereau: z.string().nullable(),
          exercice: z.string().nullable(),
          pj: z.string().nullable(),
          erreurs: z.array(erreurView),
          pieces: z.array(z.object({ piece: z.string().nullable(), erreurs: z.array(erreurView), lignes: z.array(z.object({ ligne: z.string().nullable(), erreurs: z.array(erreurView) })) })),
        }),
      ),
    })
    .nullable(),
  signature: circuitProgressView.nullable().describe('Le circuit de parapheur en cours (ou le dernier) : dossier enfant « pes-a-signer », état, étapes'),
  retours: z.array(retourView).describe('Les PES_Retour de la trésorerie rapprochés de ce flux'),
  dossier: dossierView,
});


/** Streams the multipart file (field « file ») to a temporary file; the caller removes the directory. */
async function uploadToTempFile(request: FastifyRequest): Promise<{ dir: string; path: string; filename: string }> {
  if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Envoyez le fichier PES en multipart/form-data (champ « file »).', 'multipart expected');
  const file = await request.file();
  if (!file) throw new AppError('BAD_INPUT', 'Aucun fichier reçu (champ « file »).', 'no file');
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-pes-'));
  const path = join(dir, 'pes.xml');
  try {
    await pipeline(file.file, createWriteStream(path));
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  if (file.file.truncated) {
    rmSync(dir, { recursive: true, force: true });
    throw new AppError('PAYLOAD_TOO_LARGE', 'Le fichier PES dépasse la taille maximale acceptée.', 'upload truncated');
  }
  return { dir, path, filename: file.filename };
}

export function heliosRoutes(app: FastifyInstance, deps: Deps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['HELIOS'];

  async function view(request: FastifyRequest, collectiviteId: string, dossierId: string): Promise<z.infer<typeof heliosView>> {
    const h = await loadHeliosDossier(deps, collectiviteId, dossierId);
    const def = deps.dossierTypes.get(HELIOS_TYPE);
    const who = actingAs(tenantOf(request), principalOf(request).kind);
    // The module's actions (soumettre_signature) are listed too: this API runs them.
    return { ...h.pes, acquit: h.acquit, signature: h.signature, retours: h.retours, dossier: { ...presentDossier(def, h.dossier, h.documents, who), actions: allowedActions(def, snapshotOf(h.dossier, h.documents), who, { viaModule: true }) } };
  }

  r.post('/api/collectivites/:collectiviteId/helios', { config: { permission: 'dossier:write' }, schema: { tags, summary: 'Déposer un PES_Aller (multipart, champ « file ») : validé au dépôt (schéma et règles Hélios), refusé avec chaque erreur et son emplacement', consumes: ['multipart/form-data'], params: collectiviteParams, response: { 201: heliosView, ...errorResponses } } }, async (request, reply) => {
    const access = tenantOf(request);
    const upload = await uploadToTempFile(request);
    try {
      const row = await deposerPes(deps, actorOf(principalOf(request)), access.collectiviteId, upload, heliosPorts(deps).pes);
      return reply.status(201).send(await view(request, access.collectiviteId, row.id));
    } finally {
      rmSync(upload.dir, { recursive: true, force: true });
    }
  });

  r.get('/api/collectivites/:collectiviteId/helios/:dossierId', { config: { permission: 'dossier:read' }, schema: { tags, summary: 'Suivre un flux PES : état (code S²LOW), envoi, acquittement avec les erreurs par bordereau, pièce et ligne', params: pesParams, response: { 200: heliosView, ...errorResponses } } }, async (request) => view(request, tenantOf(request).collectiviteId, request.params.dossierId));

  r.post('/api/collectivites/:collectiviteId/helios/:dossierId/soumettre-signature', { config: { permission: 'dossier:act' }, schema: { tags, summary: 'Soumettre le flux PES à la signature : un dossier « pes-a-signer » du parapheur part dans le circuit de la typologie XAdES (une signature par bordereau, ou une signature globale du PES_Aller avec porteeSignature « global ») ; signé, le flux est transmis (si demandé)', params: pesParams, body: soumettrePesInput, response: { 200: heliosView, ...errorResponses } } }, async (request) => {
    const access = tenantOf(request);
    await submitPesForSignature(deps, principalOf(request), access, request.params.dossierId, request.body);
    return view(request, access.collectiviteId, request.params.dossierId);
  });

  r.get('/api/collectivites/:collectiviteId/helios/:dossierId/vue', { config: { permission: 'dossier:read' }, schema: { tags, summary: 'Vue lisible du PES : bordereaux, pièces, tiers, montants, pièces justificatives', params: pesParams } }, async (request) => pesVue(deps, tenantOf(request).collectiviteId, request.params.dossierId, heliosPorts(deps).pes));

  r.get('/api/collectivites/:collectiviteId/helios-retours', { config: { permission: 'dossier:read' }, schema: { tags, summary: 'PES_Retour reçus de la trésorerie pour la collectivité', params: collectiviteParams, response: { 200: z.array(retourView), ...errorResponses } } }, async (request) => listRetours(deps, tenantOf(request).collectiviteId));

  r.get('/api/collectivites/:collectiviteId/helios-retours/:retourKey', { config: { permission: 'document:read' }, schema: { tags, summary: 'Fichier PES_Retour tel que reçu', params: collectiviteParams.extend({ retourKey: z.string() }) } }, async (request, reply) => {
    const f = await retourContent(deps, tenantOf(request).collectiviteId, request.params.retourKey);
    reply.header('content-type', 'application/xml').header('content-disposition', `attachment; filename="${f.name}"`);
    return reply.send(f.bytes);
  });
}
