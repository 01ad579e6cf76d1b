import type { DocumentCheck, DossierTypeDef } from '../dossiers/dossier-type.ts';
import { CADES_CONTENT_MEDIA_TYPES, documentASignerMetadata } from './model.ts';

const MB = 1024 * 1024;
const PEOPLE = ['collectivite_admin', 'agent', 'elu'] as const;

/**
 * The typologie chooses what the principal document may be: a PDF for PAdES, any of the usual office and
 * other files (CADES_CONTENT_MEDIA_TYPES) for a detached CAdES signature.
 */
async function checkPrincipalForTypologie(c: DocumentCheck): Promise<string | null> {
  if (c.role !== 'principal') return null;
  const meta = documentASignerMetadata.safeParse(c.metadata);
  if (!meta.success) return null;
  const t = await c.deps.db.selectFrom('parapheur_typologie').select(['type', 'sous_type', 'format']).where('collectivite_id', '=', c.collectiviteId).where('id', '=', meta.data.typologieId).executeTakeFirst();
  if (!t) return null; // refused at envoi with its own message
  if (t.format === 'pades' && c.mediaType !== 'application/pdf') {
    return `La typologie « ${t.type} / ${t.sous_type} » signe en PAdES : le document principal doit être un PDF (fichier reçu : ${c.mediaType}). Pour signer un autre type de fichier, choisissez une typologie CAdES.`;
  }
  return null;
}

/**
 * `document-a-signer`: a document (with annexes) through a circuit — a PDF signed in PAdES, or another
 * file signed with detached CAdES signatures (.p7s), as the typologie says. The states and the actions' rules (from,
 * to, roles, guards) are data checked by the foundation's `checkAction`; the circuit actions are
 * `moduleOnly`: they run through the parapheur's use cases, which add the bureau rules (whose turn it is,
 * délégations) and move along the circuit — `en_cours` to `cachet_en_cours` or `signe` when the step
 * was the last human one.
 */
export function documentASignerType(): DossierTypeDef {
  const hasPrincipal = (d: { documents: { role: string; mediaType: string }[] }) =>
    d.documents.some((x) => x.role === 'principal') ? null : 'Ajoutez d’abord le document à signer.';
  return {
    type: 'document-a-signer',
    label: 'Document à signer',
    metadata: documentASignerMetadata,
    documents: {
      principal: { mediaTypes: CADES_CONTENT_MEDIA_TYPES, maxBytes: 100 * MB },
      annexe: { mediaTypes: ['application/pdf', 'application/xml', 'image/png', 'image/jpeg'], maxBytes: 100 * MB },
      maxAnnexes: 50,
      check: checkPrincipalForTypologie,
    },
    initialState: 'brouillon',
    states: {
      brouillon: { label: 'Brouillon' },
      en_cours: { label: 'En cours de circuit' },
      cachet_en_cours: { label: 'Cachet serveur en cours' },
      erreur_cachet: { label: 'Erreur du cachet serveur' },
      signe: { label: 'Signé', final: true },
      rejete: { label: 'Rejeté' },
      abandonne: { label: 'Abandonné', final: true },
    },
    actions: {
      envoyer: { label: 'Envoyer dans le circuit', from: ['brouillon'], to: 'en_cours', roles: PEOPLE, api: true, guard: hasPrincipal, moduleOnly: true },
      viser: { label: 'Viser', from: ['en_cours'], to: 'en_cours', roles: PEOPLE, moduleOnly: true },
      signer: { label: 'Signer', from: ['en_cours'], to: 'en_cours', roles: PEOPLE, moduleOnly: true },
      rejeter: { label: 'Rejeter', from: ['en_cours'], to: 'rejete', roles: PEOPLE, moduleOnly: true },
      annoter: { label: 'Annoter', from: ['en_cours'], to: 'en_cours', roles: PEOPLE, moduleOnly: true },
      demander_avis: { label: 'Demander un avis', from: ['en_cours'], to: 'en_cours', roles: PEOPLE, moduleOnly: true },
      donner_avis: { label: 'Donner un avis', from: ['en_cours'], to: 'en_cours', roles: PEOPLE, moduleOnly: true },
      transferer: { label: 'Transférer', from: ['en_cours'], to: 'en_cours', roles: PEOPLE, moduleOnly: true },
      reprendre: { label: 'Reprendre', from: ['en_cours'], to: 'brouillon', roles: PEOPLE, api: true, moduleOnly: true },
      relancer_cachet: { label: 'Relancer le cachet', from: ['erreur_cachet'], to: 'cachet_en_cours', roles: ['collectivite_admin'], moduleOnly: true },
      abandonner: { label: 'Abandonner', from: ['brouillon', 'rejete'], to: 'abandonne', roles: PEOPLE, api: true },
    },
  };
}
