import type { Dossier } from '../types';

export interface Bureau {
  id: string;
  name: string;
  superiorId: string | null;
  holderUserIds: string[];
}
export type StepActors = { type: 'bureaux'; bureauIds: string[]; mode: 'all' | 'any' } | { type: 'emetteur' } | { type: 'superieur' } | { type: 'variable'; key: string };
export interface CircuitStep {
  kind: 'visa' | 'signature' | 'cachet';
  actors?: StepActors;
}
export interface Circuit {
  id: string;
  name: string;
  steps: CircuitStep[];
  /** Sent back with an edit: a stale one is refused (409). */
  version: number;
}
export interface MarkSettings {
  text: string;
  tag?: string;
  page?: number;
  x?: number;
  y?: number;
}
export interface Typologie {
  id: string;
  type: string;
  sousType: string;
  circuitId: string;
  format: string;
  mark: MarkSettings | null;
  /** PAdES level; null: B-T when the collectivité has a TSA, else B-B. */
  niveauPades: PadesLevel | null;
  version: number;
}
export const PADES_LEVELS = ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const;
export type PadesLevel = (typeof PADES_LEVELS)[number];
export interface InboxItem {
  id: string;
  title: string;
  state: string;
  stateLabel: string;
  updatedAt: string;
  deadline: string | null;
}
export interface ParapheurDossier {
  dossier: Dossier;
  emetteurBureauId: string | null;
  typologieId: string | null;
  deadline: string | null;
  steps: { position: number; kind: string; mode: string; state: string; bureaux: { id: string; name: string; pending: boolean }[] }[];
  acts: { action: string; step: number | null; bureau: string | null; pourLeCompteDe: string | null; actor: string; at: string; comment: string | null; certificate: { subject: string; issuer: string; serialNumber: string } | null }[];
  annotations: { id: string; bureau: string | null; author: string; visibility: string; text: string; at: string }[];
  avis: { id: string; fromBureau: string; toBureau: string; question: string; answer: string | null; requestedAt: string; answeredAt: string | null }[];
  parapheurActions: { name: string; label: string }[];
  /** The acte this dossier is the signature circuit of. */
  origine: { type: 'acte' | 'helios'; dossierId: string; titre: string } | null;
  /** Detached CAdES signatures (.p7s), verified by the server against the principal document. */
  detachedSignatures: { documentId: string; filename: string; valid: boolean; signer: { subject: string } | null; signingTime: string | null; timestampTime: string | null; level: string; problems: string[]; signers: { subject: string | null; level: string; valid: boolean; signingTime: string | null; timestampTime: string | null }[] }[];
}

export const INBOX_VIEWS = [
  ['a-traiter', 'À traiter'],
  ['en-retard', 'En retard'],
  ['delegues', 'Délégués'],
  ['brouillons', 'Brouillons'],
  ['termines', 'Terminés'],
  ['rejetes', 'Rejetés'],
  ['recuperables', 'Récupérables'],
] as const;

export const STEP_KIND_LABELS: Record<string, string> = { visa: 'Visa', signature: 'Signature', cachet: 'Cachet serveur' };
export const STEP_STATE_LABELS: Record<string, string> = { done: 'Terminée', active: 'En cours', waiting: 'À venir', rejected: 'Rejetée', stopped: 'Interrompue' };
export const ACT_LABELS: Record<string, string> = { envoyer: 'Envoi dans le circuit', viser: 'Visa', signer: 'Signature', rejeter: 'Rejet', transferer: 'Transfert', reprendre: 'Reprise', cachet: 'Cachet serveur', demander_avis: 'Demande d’avis', donner_avis: 'Avis donné', annoter: 'Annotation', interrompre: 'Circuit interrompu' };

export const P = (cid: string) => `/api/collectivites/${cid}/parapheur`;
