/**
 * Transaction states as S²LOW numbers them (`actes_status`, PROTOCOLS A.10). Kept as an external code on
 * our own typed states so Pastell-like clients recognise them.
 */
export const S2LOW_STATUSES = [
  { code: -1, key: 'ERREUR', label: 'Erreur' },
  { code: 0, key: 'ANNULE', label: 'Annulé' },
  { code: 1, key: 'POSTE', label: 'Posté' },
  { code: 2, key: 'EN_ATTENTE_TRANSMISSION', label: 'En attente de transmission' },
  { code: 3, key: 'TRANSMIS', label: 'Transmis' },
  { code: 4, key: 'ACQUITTEMENT_RECU', label: 'Acquittement reçu' },
  { code: 5, key: 'VALIDE', label: 'Validé' },
  { code: 6, key: 'REFUSE', label: 'Refusé' },
  { code: 7, key: 'DOCUMENT_RECU', label: 'Document reçu' },
  { code: 8, key: 'ACQUITTEMENT_ENVOYE', label: 'Acquittement envoyé' },
  { code: 9, key: 'DOCUMENT_ENVOYE', label: 'Document envoyé' },
  { code: 10, key: 'REFUS_ENVOI', label: 'Refus d’envoi' },
  { code: 11, key: 'ACQUITTEMENT_DOCUMENT_RECU', label: 'Acquittement de document reçu' },
  { code: 12, key: 'ENVOYE_SAE', label: 'Envoyé au SAE' },
  { code: 13, key: 'ARCHIVE_SAE', label: 'Archivé par le SAE' },
  { code: 14, key: 'ERREUR_ARCHIVAGE', label: 'Erreur lors de l’archivage' },
  { code: 15, key: 'RECU_SAE', label: 'Reçu par le SAE' },
  { code: 16, key: 'DETRUITE', label: 'Détruite' },
  { code: 17, key: 'EN_ATTENTE_POSTEE', label: 'En attente d’être postée' },
  { code: 18, key: 'EN_ATTENTE_SIGNATURE', label: 'En attente d’être signé' },
  { code: 19, key: 'EN_ATTENTE_TRANSMISSION_SAE', label: 'En attente de transmission au SAE' },
  { code: 20, key: 'ERREUR_ENVOI_SAE', label: 'Erreur lors de l’envoi au SAE' },
  { code: 21, key: 'DOCUMENT_RECU_SANS_AR', label: 'Document reçu (pas d’AR)' },
  { code: 22, key: 'IMPOSSIBLE_ENVOI_SAE', label: 'Impossible d’envoyer au SAE' },
] as const;

export type S2lowStatusCode = (typeof S2LOW_STATUSES)[number]['code'];
export type S2lowStatusKey = (typeof S2LOW_STATUSES)[number]['key'];

export function s2lowStatusByCode(code: number): (typeof S2LOW_STATUSES)[number] | undefined {
  return S2LOW_STATUSES.find((s) => s.code === code);
}

export function s2lowStatusByKey(key: S2lowStatusKey): (typeof S2LOW_STATUSES)[number] {
  const s = S2LOW_STATUSES.find((x) => x.key === key);
  if (!s) throw new Error(`unknown S2LOW status ${key}`);
  return s;
}
