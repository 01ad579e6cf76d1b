/**
 * Builder of PES_ACQUIT files (PROTOCOLS.md B.4), as Hélios writes them back in /sortie/ after receiving a
 * PES_Aller: the PES_Aller's Enveloppe/Parametres (its NomFic is the correlation key) and EnTetePES are
 * echoed, then one ElementACQUIT per bordereau, PJ or marché (or one file-level element when the whole
 * file is refused). Used by the Hélios simulator; valid against PES_V2_Acquit_Autonome_V2.xsd.
 */
import { AppError } from '../../shared/errors.ts';
import { PesXmlWriter } from './xml-out.ts';

export const PES_ACQUIT_NS = 'http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour/v2';

/** DomaineAck codes (B.4). */
export const DOMAINE_ACK = {
  technique: '0',
  signatureTechnique: '1',
  signatureGlobale: '2',
  signatureBordereau: '3',
  pj: '4',
  depense: '5',
  recette: '6',
  role: '7',
  budget: '8',
  etatActif: '9',
  etatPassif: '10',
  marche: '11',
  facture: '12',
  parametrage: '99',
} as const;
export type DomaineAck = (typeof DOMAINE_ACK)[keyof typeof DOMAINE_ACK];

/** NumAnoAck values allowed by the acquit schema (CommunAck.xsd, v5.17). */
export const NUM_ANO_ACK = [
  'ERREUR_CONNECTION_IMPOSSIBLE_A_LA_BASE', 'ERREUR_ENCODING', 'ERREUR_FLUX_VIDE', 'ERREUR_SCHEMA_INCOMPLET',
  'ERREUR_CODIFICATION', 'ERREUR_CODIQUE', 'ERREUR_SIRET', 'ERREUR_CODE_COLLECTIVITE_BUDGET', 'ERREUR_VERSION_PES',
  'ERREUR_VERSION_PJ', 'ERREUR_SIGNATURE_INVALIDE', 'ERREUR_SIGNATURE_ILLISIBLE', 'ERREUR_SIGNATURE_INCOMPLETE',
  'ERREUR_DOUBLON_BORDEREAU', 'ERREUR_DOUBLON_PIECE', 'ERREUR_DOUBLON_LIGNE', 'ERREUR_DOUBLON_PJ', 'ERREUR_PES_PARAM',
  'ERREUR_PES_SIGNATURE', 'ERREUR_PES_PARAM_SIGNATURE', 'ERREUR_CERTIFICAT', 'ERREUR_TIMEOUT', 'ERREUR_TAILLE_BORDEREAUX',
  'ERREUR_TAILLE_PIECE', 'ERREUR_TAILLE_LIGNE', 'ERREUR_PJ_SIGNEE', 'ERREUR_SIGNATURE_EXTERNE', 'ERREUR_AUTRE',
  'ERREUR_SIGNATURE_BORDEREAU_INVALIDE', 'ERREUR_MONTANT_TVA_ZERO_NEGATIF', 'ERREUR_PJ', 'ERREUR_CUMUL_MONTANTS',
  'ERREUR_SIGNATURE_BORDEREAU_ILLISIBLE', 'ERREUR_SIGNATURE_BORDEREAU_INCOMPLETE',
] as const;
export type NumAnoAck = (typeof NUM_ANO_ACK)[number];

export interface AcquitErreurInput {
  code: NumAnoAck;
  /** LibelleAnoAck, e.g. "1984 - L'identifiant unique de la PJ a déjà été intégré dans HELIOS" (≤ 500 chars). */
  libelle: string;
}

export interface AcquitElementInput {
  domaine: DomaineAck;
  accepte: boolean;
  /** Bordereau number (IdBord) and exercice, for bordereau-level elements. */
  numBord?: string;
  exerciceBord?: string;
  idMarche?: string;
  /** PJ IdUnique, for PJ elements. */
  idUnique?: string;
  erreurs?: AcquitErreurInput[];
  pieces?: Array<{ numPiece: string; erreurs?: AcquitErreurInput[]; lignes?: Array<{ numLigne: string; erreurs: AcquitErreurInput[] }> }>;
}

export interface PesAcquitInput {
  /** Echoed from the PES_Aller. NomFic is the correlation key. */
  parametres: { version?: string; typFic: string; nomFic: string };
  emetteur?: { sigle?: string; adresse?: string };
  recepteur?: { sigle?: string; adresse?: string };
  entete: { dteStr: string; idPost: string; libellePoste?: string; idColl: string; finJur?: string; codCol: string; codBud: string; libelleColBud?: string };
  elements: AcquitElementInput[];
}

const clip = (s: string | undefined, n: number): string | undefined => (s === undefined ? undefined : s.length > n ? s.slice(0, n) : s);
const digits = (s: string | undefined, n: number): string | undefined => (s !== undefined && new RegExp(`^[0-9]{0,${n}}$`).test(s) ? s : undefined);

function erreurs(w: PesXmlWriter, list: AcquitErreurInput[] | undefined): void {
  for (const e of list ?? []) {
    if (!(NUM_ANO_ACK as readonly string[]).includes(e.code)) {
      throw new AppError('BAD_INPUT', `Code d’anomalie d’acquittement inconnu : ${e.code}.`, `unknown NumAnoAck ${e.code}`);
    }
    w.open('Erreur').v('NumAnoAck', e.code).v('LibelleAnoAck', clip(e.libelle, 500)).close('Erreur');
  }
}

/** The PES_ACQUIT as ISO-8859-1 bytes. */
export function buildPesAcquit(input: PesAcquitInput): Buffer {
  if (input.elements.length === 0) {
    throw new AppError('BAD_INPUT', 'Un acquittement doit contenir au moins un élément.', 'an acquit needs at least one ElementACQUIT');
  }
  const w = new PesXmlWriter();
  w.open('n:PES_ACQUIT', ` xmlns:n="${PES_ACQUIT_NS}"`);
  w.open('Enveloppe').open('Parametres');
  w.v('Version', input.parametres.version ?? '2').v('TypFic', clip(input.parametres.typFic, 32)).v('NomFic', clip(input.parametres.nomFic, 100));
  w.close('Parametres');
  w.open('Emetteur').v('Sigle', clip(input.emetteur?.sigle || 'HELIOS', 32)).v('Adresse', clip(input.emetteur?.adresse || 'DGFIP', 38)).close('Emetteur');
  if (input.recepteur) w.open('Recepteur').v('Sigle', clip(input.recepteur.sigle, 32)).v('Adresse', clip(input.recepteur.adresse, 38)).close('Recepteur');
  w.close('Enveloppe');
  const e = input.entete;
  w.open('EnTetePES')
    .v('DteStr', e.dteStr)
    .v('IdPost', e.idPost)
    .v('LibellePoste', clip(e.libellePoste, 38))
    .v('IdColl', e.idColl)
    .v('FinJur', e.finJur)
    .v('CodCol', e.codCol)
    .v('CodBud', e.codBud)
    .v('LibelleColBud', clip(e.libelleColBud, 38))
    .close('EnTetePES');
  w.open('ACQUIT').open('EnTeteAcquit').v('IdVer', '2').close('EnTeteAcquit');
  for (const el of input.elements) {
    w.open('ElementACQUIT').v('DomaineAck', el.domaine).v('EtatAck', el.accepte ? '1' : '0');
    if (el.idUnique !== undefined) w.v('IdUnique', clip(el.idUnique, 50));
    else if (el.idMarche !== undefined) w.v('IdMarche', clip(el.idMarche, 18));
    else w.v('NumBord', digits(el.numBord, 7)).v('ExerciceBord', digits(el.exerciceBord, 4));
    erreurs(w, el.erreurs);
    for (const p of el.pieces ?? []) {
      w.open('DetailPiece').v('NumPiece', digits(p.numPiece, 13) ?? '0');
      erreurs(w, p.erreurs);
      for (const l of p.lignes ?? []) {
        w.open('DetailLigne').v('NumLigne', digits(l.numLigne, 13) ?? '0');
        erreurs(w, l.erreurs);
        w.close('DetailLigne');
      }
      w.close('DetailPiece');
    }
    w.close('ElementACQUIT');
  }
  w.close('ACQUIT').close('n:PES_ACQUIT');
  return w.toLatin1();
}

/** True when every element is accepted (a file is KO as soon as one EtatAck is 0). */
export function acquitAccepted(input: Pick<PesAcquitInput, 'elements'>): boolean {
  return input.elements.every((e) => e.accepte);
}
