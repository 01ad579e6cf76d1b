/**
 * Dossier type `helios`: a PES_Aller sent to the trésorerie through the DGFiP gateway. The file is validated
 * on upload (XSD + business rules, use case `deposer-pes`); our own typed states carry S²LOW's Hélios codes
 * (PROTOCOLS.md B.6). `transmettre` deposits the signed file over FTP (job), the poll job then moves the
 * dossier to `acquitte` or `refuse` from the PES_ACQUIT.
 * Parapheur: an unsigned PES is signed in a circuit with `soumettre_signature` (module action, with the
 * parapheur choices: see use-cases/submit-pes-for-signature.ts), `a_signer` until its child `pes-a-signer`
 * dossier ends: `signe` (the signed PES is the file transmitted), `signature_refusee`, or back to `poste`
 * (use-cases/follow-pes-signature.ts). A PES signed outside (`paraphe pes sign`) is transmitted directly.
 */
import { z } from 'zod';
import type { DossierSnapshot, DossierTypeDef } from '../dossiers/dossier-type.ts';
import type { HeliosPorts } from './ports.ts';
import { transmitPesJob } from './jobs/transmit-pes-job.ts';

export const HELIOS_TYPE = 'helios';
const MAX_PES_BYTES = 128 * 1024 * 1024;

export const heliosMetadata = z.object({
  nomFic: z.string(),
  typFic: z.string(),
  idColl: z.string(),
  codCol: z.string(),
  idPost: z.string(),
  codBud: z.string(),
  schemaVersion: z.string(),
  bordereaux: z.number().int(),
  pieces: z.number().int(),
  pjs: z.number().int(),
  /** Every bordereau carries its XAdES signature, or PES_Aller carries a global one. */
  signe: z.boolean(),
});

const WRITERS = ['agent', 'collectivite_admin'] as const;

function readyToSend(d: DossierSnapshot): string | null {
  if (!d.documents.some((x) => x.role === 'principal')) return 'Le fichier PES manque.';
  if (d.metadata.signe !== true) return 'Les bordereaux du PES ne sont pas tous signés : soumettez-le à la signature avant la transmission.';
  return null;
}

function readyToSign(d: DossierSnapshot): string | null {
  if (!d.documents.some((x) => x.role === 'principal')) return 'Le fichier PES manque.';
  if (d.metadata.signe === true) return 'Les bordereaux du PES sont déjà signés : transmettez-le directement.';
  return null;
}

export function heliosDossierType(ports: () => HeliosPorts): DossierTypeDef {
  return {
    type: HELIOS_TYPE,
    label: 'Flux PES transmis à la trésorerie (Hélios)',
    metadata: heliosMetadata as unknown as z.ZodType<Record<string, unknown>>,
    documents: {
      principal: { mediaTypes: ['application/xml'], maxBytes: MAX_PES_BYTES },
      annexe: { mediaTypes: [], maxBytes: 0 },
      maxAnnexes: 0,
    },
    createdByModule: 'Un flux PES se dépose par POST /api/collectivites/{id}/helios (fichier validé au dépôt).',
    initialState: 'poste',
    states: {
      poste: { label: 'Posté (fichier valide)', s2lowCode: 1 },
      a_signer: { label: 'En attente de signature', s2lowCode: 13 },
      signature_refusee: { label: 'Refusé au parapheur' },
      signe: { label: 'Signé, prêt à transmettre', s2lowCode: 14 },
      transmission_en_cours: { label: 'En attente de transmission', s2lowCode: 2 },
      erreur_transmission: { label: 'Erreur de transmission', s2lowCode: -1 },
      transmis: { label: 'Transmis', s2lowCode: 3 },
      acquitte: { label: 'Acquittement reçu', s2lowCode: 4, final: true },
      refuse: { label: 'Refusé par Hélios', s2lowCode: 6, final: true },
      abandonne: { label: 'Annulé', s2lowCode: 0, final: true },
    },
    actions: {
      soumettre_signature: { label: 'Soumettre à la signature', from: ['poste', 'signature_refusee'], to: 'a_signer', roles: WRITERS, api: true, guard: readyToSign, moduleOnly: true, moduleHint: 'Soumettez le flux PES à la signature avec les choix du parapheur (typologie XAdES, bureau émetteur) : POST /api/collectivites/{id}/helios/{id}/soumettre-signature.' },
      transmettre: { label: 'Transmettre à la trésorerie', from: ['poste', 'signe'], to: 'transmission_en_cours', roles: WRITERS, api: true, guard: readyToSend, job: 'transmettre' },
      relancer_transmission: { label: 'Relancer la transmission', from: ['erreur_transmission'], to: 'transmission_en_cours', roles: WRITERS, api: true, guard: readyToSend, job: 'transmettre' },
      abandonner: { label: 'Abandonner', from: ['poste', 'a_signer', 'signature_refusee', 'signe', 'erreur_transmission'], to: 'abandonne', roles: WRITERS, api: true },
    },
    jobs: { transmettre: transmitPesJob(ports) },
  };
}
