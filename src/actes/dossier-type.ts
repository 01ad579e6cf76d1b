/**
 * Dossier type `actes`: an acte transmitted to the préfecture (contrôle de légalité). Our own typed states,
 * each carrying S²LOW's numeric status (PROTOCOLS A.10). External steps follow the platform's pattern:
 * action → in-progress state + job → result state, exhausted retries → explicit error state + retry action.
 * Messages from the préfecture (AR, anomalie, ARAnnulation) move the dossier through `receive-actes-mail`.
 *
 * Parapheur: `soumettre_signature` (module action, with the parapheur choices: see
 * use-cases/submit-acte-for-signature.ts) puts the acte in `a_signer` and sends a child `document-a-signer`
 * dossier into its circuit; the circuit's outcome brings the acte to `signe` (then transmitted, if asked),
 * `signature_refusee` or back to `brouillon` (use-cases/follow-acte-signature.ts). An acte signed on paper,
 * or already signed elsewhere, is transmitted straight from `brouillon`.
 */
import { z } from 'zod';
import type { DossierSnapshot, DossierTypeDef } from '../dossiers/dossier-type.ts';
import { acteMetadataSchema } from './domain/metadata.ts';
import { ID_ACTE_PATTERN } from './domain/id-acte.ts';
import type { ActesPorts } from './ports.ts';
import { transmitActeJob } from './jobs/transmit-acte-job.ts';
import { annulationJob } from './jobs/annulation-job.ts';
import { MAX_DOCUMENTS_BYTES } from './archive/build.ts';

export const ACTES_TYPE = 'actes';

export const acteDossierMetadata = acteMetadataSchema.extend({
  idActe: z.string().regex(ID_ACTE_PATTERN, 'Identifiant d’acte invalide.').describe('Identifiant unique calculé (dépt-SIREN-date-numéro-nature)'),
  classificationDate: z.string().describe('Date de la classification utilisée'),
});

const MEDIA = ['application/pdf', 'application/xml', 'image/png', 'image/jpeg'];
const WRITERS = ['agent', 'collectivite_admin'] as const;

function readyToSend(d: DossierSnapshot): string | null {
  if (!d.documents.some((x) => x.role === 'principal')) return 'Ajoutez d’abord le document de l’acte.';
  const expected = Array.isArray(d.metadata.typologieAnnexes) ? d.metadata.typologieAnnexes.length : 0;
  const annexes = d.documents.filter((x) => x.role === 'annexe').length;
  if (annexes !== expected) return `${annexes} annexe(s) déposée(s) pour ${expected} typologie(s) d’annexe : il en faut une par annexe.`;
  return null;
}

export function actesDossierType(ports: () => ActesPorts): DossierTypeDef {
  return {
    type: ACTES_TYPE,
    label: 'Acte soumis au contrôle de légalité',
    metadata: acteDossierMetadata as unknown as z.ZodType<Record<string, unknown>>,
    documents: {
      principal: { mediaTypes: ['application/pdf', 'application/xml'], maxBytes: MAX_DOCUMENTS_BYTES },
      annexe: { mediaTypes: MEDIA, maxBytes: MAX_DOCUMENTS_BYTES },
      maxAnnexes: 100,
    },
    createdByModule: 'Un acte se crée par POST /api/collectivites/{id}/actes (identifiant calculé, classification de la préfecture contrôlée).',
    initialState: 'brouillon',
    states: {
      brouillon: { label: 'En attente d’être posté', s2lowCode: 17 },
      a_signer: { label: 'En attente de signature', s2lowCode: 18 },
      signature_refusee: { label: 'Refusé au parapheur', s2lowCode: 17 },
      signe: { label: 'Signé, prêt à transmettre', s2lowCode: 17 },
      transmission_en_cours: { label: 'En attente de transmission', s2lowCode: 2 },
      erreur_transmission: { label: 'Erreur de transmission', s2lowCode: -1 },
      transmis: { label: 'Transmis', s2lowCode: 3 },
      acquitte: { label: 'Acquittement reçu', s2lowCode: 4 },
      refuse: { label: 'Refusé par la préfecture (anomalie)', s2lowCode: 6, final: true },
      annulation_en_cours: { label: 'Annulation en attente de transmission', s2lowCode: 2 },
      erreur_annulation: { label: 'Erreur de transmission de l’annulation', s2lowCode: -1 },
      annulation_transmise: { label: 'Annulation transmise', s2lowCode: 3 },
      annule: { label: 'Annulé', s2lowCode: 0, final: true },
      abandonne: { label: 'Abandonné', s2lowCode: 16, final: true },
    },
    actions: {
      soumettre_signature: { label: 'Soumettre à la signature', from: ['brouillon', 'signature_refusee'], to: 'a_signer', roles: WRITERS, api: true, guard: readyToSend, moduleOnly: true, moduleHint: 'Soumettez l’acte à la signature avec les choix du parapheur (typologie, bureau émetteur) : POST /api/collectivites/{id}/actes/{id}/soumettre-signature.' },
      transmettre: { label: 'Transmettre en préfecture', from: ['brouillon', 'signe'], to: 'transmission_en_cours', roles: WRITERS, api: true, guard: readyToSend, job: 'transmettre' },
      relancer_transmission: { label: 'Relancer la transmission', from: ['erreur_transmission'], to: 'transmission_en_cours', roles: WRITERS, api: true, job: 'transmettre' },
      annuler: { label: 'Annuler la transmission', from: ['transmis', 'acquitte'], to: 'annulation_en_cours', roles: WRITERS, api: true, job: 'annuler' },
      relancer_annulation: { label: 'Relancer l’annulation', from: ['erreur_annulation'], to: 'annulation_en_cours', roles: WRITERS, api: true, job: 'annuler' },
      abandonner: { label: 'Abandonner', from: ['brouillon', 'a_signer', 'signature_refusee', 'signe', 'erreur_transmission'], to: 'abandonne', roles: WRITERS, api: true },
    },
    jobs: {
      transmettre: transmitActeJob(ports),
      annuler: annulationJob(ports),
    },
  };
}
