/** French labels for codes the API returns (roles, permissions, journal actions). */
export const ROLE_LABELS: Record<string, string> = {
  operator_admin: 'Administrateur de l’opérateur',
  operator_support: 'Support de l’opérateur',
  collectivite_admin: 'Administrateur de la collectivité',
  agent: 'Agent',
  elu: 'Élu',
  read_only: 'Lecture seule',
};
export const COLLECTIVITE_ROLES = ['collectivite_admin', 'agent', 'elu', 'read_only'] as const;

/** Role an operator staff member holds inside the collectivité they intervene in. */
export const IMPERSONATION_ROLE: Record<string, string> = { operator_admin: 'collectivite_admin', operator_support: 'read_only' };

export const PERMISSION_LABELS: Record<string, string> = {
  'collectivite:read': 'Lire la fiche de la collectivité',
  'dossier:read': 'Lire les dossiers',
  'dossier:write': 'Créer des dossiers et déposer des documents',
  'dossier:act': 'Exécuter les actions des dossiers',
  'document:read': 'Télécharger les documents',
  'journal:read': 'Lire le journal de preuve',
  'webhooks:manage': 'Gérer les webhooks (notifications des changements d’état)',
};
export const TOKEN_PERMISSIONS = Object.keys(PERMISSION_LABELS);

const JOURNAL_ACTIONS: Record<string, string> = {
  'actes.annulation.acquittee': 'Annulation acquittée par la préfecture',
  'actes.anomalie.recue': 'Anomalie reçue de la préfecture',
  'actes.ar.recu': 'Accusé de réception de la préfecture reçu',
  'actes.archive.construite': 'Archive de télétransmission constituée',
  'actes.classification.inchangee': 'Classification de la préfecture inchangée',
  'actes.classification.maj': 'Classification de la préfecture mise à jour',
  'actes.courriel.rejete': 'Courriel de la préfecture rejeté',
  'actes.message.non_rattache': 'Message de la préfecture non rattaché',
  'actes.publication': 'Date de publication enregistrée',
  'actes.signature.abandonnee': 'Circuit de signature abandonné',
  'actes.signature.refusee': 'Signature refusée au parapheur',
  'actes.signature.renvoyee': 'Acte renvoyé au brouillon par le parapheur',
  'actes.signature.reprise': 'Circuit de signature repris',
  'actes.signature.signe': 'Acte signé au parapheur',
  'actes.transmission.non_lancee': 'Transmission non lancée',
  'helios.acquit.accepte': 'Acquittement Hélios : flux accepté',
  'helios.acquit.refuse': 'Acquittement Hélios : flux refusé',
  'helios.acquit.non_rattache': 'Acquittement Hélios non rattaché',
  'helios.fichier.nomme': 'Nom du fichier PES attribué',
  'helios.reponse.illisible': 'Réponse Hélios illisible',
  'helios.retour.non_rattache': 'PES_Retour non rattaché',
  'helios.retour.recu': 'PES_Retour reçu',
  'api-token.created': 'Jeton d’API créé',
  'api-token.revoked': 'Jeton d’API révoqué',
  'collectivite.created': 'Collectivité créée',
  'collectivite.updated': 'Collectivité modifiée',
  'connector.configured': 'Connecteur configuré',
  'document.added': 'Document déposé',
  'dossier.created': 'Dossier créé',
  'group.created': 'Groupe créé',
  'impersonation.started': 'Intervention de l’opérateur commencée',
  'impersonation.ended': 'Intervention de l’opérateur terminée',
  'login.failed': 'Échec de connexion',
  'login.succeeded': 'Connexion',
  logout: 'Déconnexion',
  'member.added': 'Utilisateur ajouté',
  'member.removed': 'Utilisateur retiré',
  'member.role-changed': 'Rôle modifié',
  'operator-user.created': 'Compte de l’opérateur créé',
  'webhook.created': 'Webhook créé',
  'webhook.updated': 'Webhook modifié',
  'webhook.deleted': 'Webhook supprimé',
  'webhook.secret-rotated': 'Secret du webhook renouvelé',
  'webhook.delivery-retried': 'Livraison de webhook relancée',
};

/** A journal action in French; dossier actions and jobs take their labels from the dossier type when known. */
export function journalActionLabel(action: string, actionLabels: Record<string, string> = {}): string {
  if (JOURNAL_ACTIONS[action]) return JOURNAL_ACTIONS[action];
  const a = /^dossier\.action\.(.+)$/.exec(action);
  if (a) return `Action : ${actionLabels[a[1]!] ?? a[1]}`;
  const j = /^dossier\.job\.(.+)\.(done|failed)$/.exec(action);
  if (j) return j[2] === 'done' ? 'Traitement automatique terminé' : 'Traitement automatique en échec';
  return action;
}
