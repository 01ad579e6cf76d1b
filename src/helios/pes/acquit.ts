/**
 * PES_ACQUIT (Hélios' acknowledgement, PROTOCOLS.md B.4) and PES_Retour (later feedback) parsers.
 * The acquit is matched to the PES_Aller through Enveloppe/Parametres/NomFic. A file is KO as soon as
 * one EtatAck is 0 (Stela's rule). Parsing is lenient on content (the real KO samples carry CodCol 000,
 * which the XSD forbids) but strict on XML safety (size, DOCTYPE, root).
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { AppError } from '../../shared/errors.ts';
import { pesConfig, type PesConfig } from './config.ts';
import { decodedChunks, sniffPes, type PesSource } from './input.ts';

export const DOMAINE_ACK_FR: Record<string, string> = {
  '0': 'technique', '1': 'signature technique', '2': 'signature globale', '3': 'signature bordereau', '4': 'pièce justificative',
  '5': 'dépense', '6': 'recette', '7': 'rôle', '8': 'budget', '9': 'état actif', '10': 'état passif', '11': 'marché', '12': 'facture', '99': 'paramétrage',
};

export interface AcquitErreur {
  /** NumAnoAck (e.g. ERREUR_AUTRE). */
  code?: string;
  /** LibelleAnoAck (e.g. "1971 - Compte fonction présent à tort"). */
  libelle?: string;
  /** The numeric code at the start of the label, when there is one ("1971"). */
  codeNumerique?: string;
}
export interface AcquitLigne { numLigne?: string; erreurs: AcquitErreur[] }
export interface AcquitPiece { numPiece?: string; erreurs: AcquitErreur[]; lignes: AcquitLigne[] }
export interface AcquitElement {
  domaineAck?: string;
  domaineLibelle?: string;
  etatAck?: string;
  accepte: boolean;
  numBord?: string;
  exerciceBord?: string;
  idMarche?: string;
  idUnique?: string;
  erreurs: AcquitErreur[];
  pieces: AcquitPiece[];
}
export interface PesAcquit {
  type: 'PES_ACQUIT';
  /** Correlation key: the NomFic of the acknowledged PES_Aller. */
  nomFic?: string;
  typFic?: string;
  version?: string;
  emetteur: { sigle?: string; adresse?: string };
  entete: { dteStr?: string; idPost?: string; idColl?: string; codCol?: string; codBud?: string; libelleColBud?: string };
  idVer?: string;
  statut: 'OK' | 'KO';
  elements: AcquitElement[];
  /** Number of errors at any level. */
  nombreErreurs: number;
}

const low = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const local = (n: string) => n.slice(n.indexOf(':') + 1);

function newParser(onOpen: (t: SaxesTagPlain, path: string[]) => void, onClose: (name: string, path: string[]) => void): SaxesParser {
  const p = new SaxesParser({ xmlns: false, position: true });
  const path: string[] = [];
  p.on('opentag', (t) => {
    path.push(local(t.name));
    onOpen(t, path);
  });
  p.on('closetag', (t) => {
    onClose(local(t.name), path);
    path.pop();
  });
  p.on('doctype', () => {
    throw new AppError('BAD_INPUT', 'Le fichier XML contient une déclaration DOCTYPE ou ENTITY, refusée pour raison de sécurité.', 'DOCTYPE refused');
  });
  p.on('error', (e) => {
    throw new AppError('BAD_INPUT', `XML mal formé : ${e.message}`, `malformed XML: ${e.message}`, { line: p.line });
  });
  return p;
}

async function feed(src: PesSource, encoding: string, p: SaxesParser): Promise<void> {
  for await (const c of decodedChunks(src, encoding)) p.write(c);
  p.close();
}

export async function parsePesAcquit(src: PesSource, config: Partial<PesConfig> = {}): Promise<PesAcquit> {
  const cfg = pesConfig(config);
  const sniff = await sniffPes(src, cfg.maxFileBytes, ['PES_ACQUIT']);
  const a: PesAcquit = { type: 'PES_ACQUIT', emetteur: {}, entete: {}, statut: 'OK', elements: [], nombreErreurs: 0 };
  let el: AcquitElement | undefined;
  let piece: AcquitPiece | undefined;
  let ligne: AcquitLigne | undefined;
  let err: AcquitErreur | undefined;
  const parser = newParser(
    (t, path) => {
      const name = path[path.length - 1]!;
      const parent = path[path.length - 2];
      const v = typeof t.attributes.V === 'string' ? t.attributes.V : undefined;
      if (parent === 'Parametres' && v !== undefined) {
        if (name === 'NomFic') a.nomFic = v;
        else if (name === 'TypFic') a.typFic = v;
        else if (name === 'Version') a.version = v;
      } else if (parent === 'Emetteur' && path[1] === 'Enveloppe' && v !== undefined) (a.emetteur as Record<string, string>)[low(name)] = v;
      else if (parent === 'EnTetePES' && v !== undefined) (a.entete as Record<string, string>)[low(name)] = v;
      else if (parent === 'EnTeteAcquit' && name === 'IdVer') a.idVer = v;
      else if (name === 'ElementACQUIT') el = { accepte: true, erreurs: [], pieces: [] };
      else if (name === 'DetailPiece' && el) piece = { erreurs: [], lignes: [] };
      else if (name === 'DetailLigne' && piece) ligne = { erreurs: [] };
      else if (name === 'Erreur') err = {};
      else if (err && parent === 'Erreur' && v !== undefined) {
        if (name === 'NumAnoAck') err.code = v;
        else if (name === 'LibelleAnoAck') {
          err.libelle = v;
          const m = /^\s*(\d+)\s*-/.exec(v);
          if (m) err.codeNumerique = m[1];
        }
      } else if (ligne && parent === 'DetailLigne' && name === 'NumLigne') ligne.numLigne = v;
      else if (piece && parent === 'DetailPiece' && name === 'NumPiece') piece.numPiece = v;
      else if (el && parent === 'ElementACQUIT' && v !== undefined) {
        if (name === 'DomaineAck') {
          el.domaineAck = v;
          el.domaineLibelle = DOMAINE_ACK_FR[v];
        } else if (name === 'EtatAck') {
          el.etatAck = v;
          el.accepte = v !== '0';
        } else if (name === 'NumBord' || name === 'ExerciceBord' || name === 'IdMarche' || name === 'IdUnique') (el as unknown as Record<string, string>)[low(name)] = v;
      }
    },
    (name) => {
      if (name === 'Erreur' && err) {
        a.nombreErreurs++;
        (ligne ?? piece ?? el)?.erreurs.push(err);
        err = undefined;
      } else if (name === 'DetailLigne' && ligne && piece) {
        piece.lignes.push(ligne);
        ligne = undefined;
      } else if (name === 'DetailPiece' && piece && el) {
        el.pieces.push(piece);
        piece = undefined;
      } else if (name === 'ElementACQUIT' && el) {
        a.elements.push(el);
        if (!el.accepte) a.statut = 'KO';
        el = undefined;
      }
    },
  );
  await feed(src, sniff.encoding, parser);
  return a;
}

/** French lines of an acquit: status, then each rejected element with its errors by pièce and ligne. */
export function acquitToText(a: PesAcquit): string {
  const out = [`Acquittement ${a.statut} pour le fichier ${a.nomFic ?? '?'} (${a.elements.length} élément(s), ${a.nombreErreurs} erreur(s))`];
  const e2s = (e: AcquitErreur) => `${e.code ?? '?'} : ${e.libelle ?? ''}`;
  for (const el of a.elements) {
    const what = el.numBord ? `bordereau n° ${el.numBord} (exercice ${el.exerciceBord ?? '?'})` : el.idUnique ? `PJ ${el.idUnique}` : el.idMarche ? `marché ${el.idMarche}` : '';
    out.push(`- ${el.domaineLibelle ?? el.domaineAck ?? '?'} ${what} : ${el.accepte ? 'accepté' : 'REJETÉ'}`);
    for (const e of el.erreurs) out.push(`    ${e2s(e)}`);
    for (const p of el.pieces) {
      for (const e of p.erreurs) out.push(`    pièce n° ${p.numPiece ?? '?'} : ${e2s(e)}`);
      for (const l of p.lignes) for (const e of l.erreurs) out.push(`    pièce n° ${p.numPiece ?? '?'}, ligne n° ${l.numLigne ?? '?'} : ${e2s(e)}`);
    }
  }
  return out.join('\n');
}

export interface PesRetour {
  type: 'PES_Retour';
  typFic?: string;
  nomFic?: string;
  version?: string;
  entete: { dteStr?: string; idPost?: string; idColl?: string; codCol?: string; codColl?: string; codBud?: string; libelleColBud?: string };
  /** Domain blocks present (PES_DepenseRetour, PES_RecetteRetour, PES_ClientRetour...) and their child counts. */
  domaines: { nom: string; elements: number }[];
  /** The bordereaux reported on (first MAX_RETOUR_BORDEREAUX), with their pièces counted by state (EtatPce). */
  bordereaux: RetourBordereau[];
  /** Bordereaux beyond MAX_RETOUR_BORDEREAUX, counted only. */
  bordereauxNonDetailles: number;
}

export interface RetourBordereau {
  /** PES_DepenseRetour, PES_RecetteRetour… */
  domaine: string;
  exercice?: string;
  numero?: string;
  pieces: number;
  /** pièces per EtatPce code (01 en instance, 02 prise en charge, 04 rejetée…; 05 is soldée in dépense, annulée in recette) */
  etatsPieces: Record<string, number>;
  /** A recette bordereau reported as a whole (BordereauORMCGlobal: Exer, IdBord, MtTTC), without pièces. */
  ormcGlobal?: boolean;
  /** lines whose EtatLigPce says rejected (dépense 02, 09, 10; recette 01) */
  lignesRejetees: number;
}

const MAX_RETOUR_BORDEREAUX = 200;

/**
 * EtatPce of the PES_Retour XSD, whose nomenclatures differ per domain: dépense (CommunDepense_Retour.xsd)
 * 01 en instance, 02 prise en charge, 04 rejeté, 05 soldé; recette (CommunRecette_Retour.xsd) 01 en
 * instance, 02 prise en charge, 03 prise en charge partielle, 04 rejeté, 05 annulé.
 */
export const ETAT_PIECE_RETOUR_FR: Record<string, [string, string]> = {
  '01': ['en instance', 'en instance'],
  '02': ['prise en charge', 'prises en charge'],
  '03': ['prise en charge partielle', 'prises en charge partielles'],
  '04': ['rejetée', 'rejetées'],
  '05': ['soldée', 'soldées'],
};
export const ETAT_PIECE_RETOUR_RECETTE_FR: Record<string, [string, string]> = { ...ETAT_PIECE_RETOUR_FR, '05': ['annulée', 'annulées'] };

/**
 * EtatLigPce values meaning a rejected line: dépense 02 rejeté, 09 rejet, 10 rejet non forçable; recette
 * 01 rejeté (there 02 is « annulé »).
 */
const LIGNE_REJETEE: Record<string, Set<string>> = { PES_DepenseRetour: new Set(['02', '09', '10']), PES_RecetteRetour: new Set(['01']) };

/** One French line per bordereau of a PES_Retour, e.g. « Mandats, exercice 2026, bordereau n° 12 : 3 pièces (2 prises en charge, 1 rejetée) ». */
export function retourSummaryFr(r: PesRetour): string[] {
  const kind = (d: string) => (/Depense/.test(d) ? 'Mandats' : /Recette/.test(d) ? 'Titres' : d);
  const lines = r.bordereaux.map((b) => {
    const etats = Object.entries(b.etatsPieces)
      .sort(([a], [c]) => a.localeCompare(c))
      .map(([code, n]) => `${n} ${(/Recette/.test(b.domaine) ? ETAT_PIECE_RETOUR_RECETTE_FR : ETAT_PIECE_RETOUR_FR)[code]?.[n > 1 ? 1 : 0] ?? `à l’état ${code}`}`)
      .join(', ');
    const rej = b.lignesRejetees ? `, ${b.lignesRejetees} ligne${b.lignesRejetees > 1 ? 's' : ''} rejetée${b.lignesRejetees > 1 ? 's' : ''}` : '';
    if (b.ormcGlobal && b.pieces === 0) return `${kind(b.domaine)}, exercice ${b.exercice ?? '?'}, bordereau n° ${b.numero ?? '?'} : ORMC global, sans détail des pièces`;
    return `${kind(b.domaine)}, exercice ${b.exercice ?? '?'}, bordereau n° ${b.numero ?? '?'} : ${b.pieces} pièce${b.pieces > 1 ? 's' : ''}${etats ? ` (${etats}${rej})` : rej}`;
  });
  if (r.bordereauxNonDetailles > 0) lines.push(`… et ${r.bordereauxNonDetailles} autre(s) bordereau(x)`);
  if (lines.length === 0) lines.push(...r.domaines.map((d) => `${d.nom} : ${d.elements} élément(s)`));
  return lines;
}

export async function parsePesRetour(src: PesSource, config: Partial<PesConfig> = {}): Promise<PesRetour> {
  const cfg = pesConfig(config);
  const sniff = await sniffPes(src, cfg.maxFileBytes, ['PES_Retour']);
  const r: PesRetour = { type: 'PES_Retour', entete: {}, domaines: [], bordereaux: [], bordereauxNonDetailles: 0 };
  let bord: RetourBordereau | undefined;
  const parser = newParser(
    (t, path) => {
      const name = path[path.length - 1]!;
      const parent = path[path.length - 2];
      const v = typeof t.attributes.V === 'string' ? t.attributes.V : undefined;
      if (parent === 'Parametres' && v !== undefined) {
        if (name === 'NomFic') r.nomFic = v;
        else if (name === 'TypFic') r.typFic = v;
        else if (name === 'Version') r.version = v;
      } else if (parent === 'EnTetePES' && v !== undefined) (r.entete as Record<string, string>)[low(name)] = v;
      else if (path.length === 2 && name.startsWith('PES_')) r.domaines.push({ nom: name, elements: 0 });
      else if (path.length === 3 && path[1]!.startsWith('PES_')) {
        const d = r.domaines[r.domaines.length - 1];
        if (d) d.elements++;
        if (name === 'Bordereau') {
          if (r.bordereaux.length < MAX_RETOUR_BORDEREAUX) r.bordereaux.push((bord = { domaine: path[1]!, pieces: 0, etatsPieces: {}, lignesRejetees: 0 }));
          else r.bordereauxNonDetailles++;
        }
      } else if (bord && path[2] === 'Bordereau') {
        // BordereauORMCGlobal: a recette bordereau reported as a whole (Exer, IdBord, MtTTC), without pièces.
        if (name === 'BordereauORMCGlobal') bord.ormcGlobal = true;
        else if ((parent === 'BlocBordereau' || parent === 'BordereauORMCGlobal') && name === 'Exer') bord.exercice = v;
        else if ((parent === 'BlocBordereau' || parent === 'BordereauORMCGlobal') && name === 'IdBord') bord.numero = v;
        else if (name === 'Piece' && path.length === 4) bord.pieces++;
        else if (name === 'EtatPce' && v !== undefined) {
          bord.etatsPieces[v] = (bord.etatsPieces[v] ?? 0) + 1;
        } else if (name === 'EtatLigPce' && v !== undefined && LIGNE_REJETEE[bord.domaine]?.has(v)) bord.lignesRejetees++;
      }
    },
    (name, path) => {
      if (name === 'Bordereau' && path.length === 3) bord = undefined;
    },
  );
  await feed(src, sniff.encoding, parser);
  return r;
}
