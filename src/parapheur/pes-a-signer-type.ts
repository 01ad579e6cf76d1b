import type { DossierTypeDef } from '../dossiers/dossier-type.ts';
import { documentASignerType } from './document-a-signer-type.ts';

/**
 * `pes-a-signer`: a PES_Aller (Hélios) through a circuit; its signature steps sign every bordereau in
 * XAdES-EPES (Hélios policy, claimed role), in the file's own encoding. Same states and actions as
 * `document-a-signer` (the circuit machinery is shared); only the document rules differ.
 */
export function pesASignerType(): DossierTypeDef {
  const base = documentASignerType();
  const MB = 1024 * 1024;
  return {
    ...base,
    type: 'pes-a-signer',
    label: 'Flux PES à signer (Hélios)',
    documents: {
      principal: { mediaTypes: ['application/xml'], maxBytes: 200 * MB },
      annexe: { mediaTypes: ['application/pdf'], maxBytes: 50 * MB },
      maxAnnexes: 10,
    },
    actions: {
      ...base.actions,
      envoyer: {
        ...base.actions.envoyer!,
        guard: (d) => (d.documents.some((x) => x.role === 'principal' && x.mediaType === 'application/xml') ? null : 'Ajoutez d’abord le fichier PES à signer.'),
      },
    },
  };
}
