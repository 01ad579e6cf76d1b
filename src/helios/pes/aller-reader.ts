/**
 * Streaming reader of a PES_Aller (saxes): turns the file into small events (header, each bordereau with
 * its pièces, each PJ) so that business rules and the readable view never hold the whole document.
 * Memory: one bordereau at a time (its pièces only when asked, up to a cap) and one PJ's base64 text.
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { AppError } from '../../shared/errors.ts';
import type { Domaine } from './report.ts';

export interface PesHeader {
  parametres: { version?: string; typFic?: string; nomFic?: string };
  emetteur: { sigle?: string; adresse?: string };
  entete: { dteStr?: string; idPost?: string; libellePoste?: string; idColl?: string; finJur?: string; codCol?: string; codBud?: string; libelleColBud?: string };
  /** Line of EnTetePES in the file. */
  line: number;
}

export interface DomainHeader {
  domaine: 'depense' | 'recette';
  idVer?: string;
  infoDematerialisee?: string;
  line: number;
}

export interface TiersInfo {
  idTiers?: string;
  natIdTiers?: string;
  catTiers?: string;
  natJur?: string;
  civilite?: string;
  nom?: string;
  complNom?: string;
  prenom?: string;
  adresse?: { adr1?: string; adr2?: string; adr3?: string; cp?: string; ville?: string };
}

export interface PjRefInfo {
  support?: string;
  idUnique?: string;
  nomPJ?: string;
  typePJ?: string;
}

export interface LigneInfo {
  index: number;
  idLigne?: string;
  nature?: string;
  fonction?: string;
  libelle?: string;
  mtHT?: string;
  mtTVA?: string;
  tiers: TiersInfo[];
  pjRefs: PjRefInfo[];
}

export interface PieceInfo {
  index: number;
  idPce?: string;
  typPce?: string;
  natPce?: string;
  obj?: string;
  lignes: LigneInfo[];
  pjRefs: PjRefInfo[];
  /** Sums of the lines (scaled integers, see amounts.ts). */
  totalHT: bigint;
  totalTVA: bigint;
  line: number;
}

export interface BordereauInfo {
  domaine: 'depense' | 'recette';
  index: number;
  id?: string;
  exer?: string;
  idBord?: string;
  dteBordEm?: string;
  typBord?: string;
  nbrPce?: string;
  mtCumulAnnuel?: string;
  mtBordHT?: string;
  mtBordTVA?: string;
  objet?: string;
  signed: boolean;
  pieceCount: number;
  ligneCount: number;
  totalHT: bigint;
  totalTVA: bigint;
  /** Amounts that are not decimal numbers (reported by the rules; the XSD also rejects them). */
  badAmounts: string[];
  /** Kept pièces (see ReaderOptions.maxPiecesKept); the others are only counted. */
  pieces: PieceInfo[];
  line: number;
}

export interface PjInfo {
  index: number;
  idUnique?: string;
  nomPJ?: string;
  typePJ?: string;
  description?: string;
  serveurId?: string;
  mimeType?: string;
  /** base64 characters (without white space). */
  base64Chars: number;
  /** Bytes after base64 decoding (the gzip stream). */
  compressedBytes: number;
  /** Decompressed size announced by the gzip trailer (ISIZE, modulo 2^32); undefined when unreadable. */
  announcedBytes?: number;
  signed: boolean;
  /** The base64 text, only when ReaderOptions.keepPjContent said so. */
  content?: string;
  line: number;
}

export interface AllerHandlers {
  onHeader?(h: PesHeader): void;
  onDomain?(d: DomainHeader): void;
  onBordereau?(b: BordereauInfo): void;
  /** Each pièce when it ends (its lines included), before it is dropped or kept in the bordereau. */
  onPiece?(b: BordereauInfo, p: PieceInfo): void;
  /** `base64` is the PJ's content text, valid only during the call. */
  onPj?(pj: PjInfo, base64: string): void;
  onGlobalSignature?(line: number): void;
}

export interface ReaderOptions {
  /** Pièces kept in each BordereauInfo (0 = only counts and totals). */
  maxPiecesKept?: number;
}

import { addAmount, parseAmount } from './amounts.ts';

const low = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const local = (n: string) => {
  const i = n.indexOf(':');
  return i < 0 ? n : n.slice(i + 1);
};

/** Reads gzip's ISIZE (last 4 bytes, little endian) from the tail of a base64 text. */
export function announcedSizeFromBase64Tail(b64: string): number | undefined {
  const tail = b64.slice(-24).replace(/\s+/g, '');
  const clean = b64.length > 24 ? b64.replace(/\s+/g, '').slice(-16) : tail;
  const usable = clean.length - (clean.length % 4);
  if (usable < 8) return undefined;
  const bytes = Buffer.from(clean.slice(clean.length - usable), 'base64');
  if (bytes.length < 4) return undefined;
  return bytes.readUInt32LE(bytes.length - 4);
}

/** A LigneDePiece closed: its amounts added to the pièce (unreadable ones noted on the bordereau). Shared with aller-fast.ts. */
export function closeLigne(b: BordereauInfo, pc: PieceInfo, lg: LigneInfo): void {
  const ht = parseAmount(lg.mtHT);
  const tva = parseAmount(lg.mtTVA);
  if (lg.mtHT !== undefined && ht === undefined) b.badAmounts.push(lg.mtHT);
  if (lg.mtTVA !== undefined && tva === undefined) b.badAmounts.push(lg.mtTVA);
  pc.totalHT = addAmount(pc.totalHT, ht);
  pc.totalTVA = addAmount(pc.totalTVA, tva);
  pc.lignes.push(lg);
}

/** A Piece closed: its totals added to the bordereau. Shared with aller-fast.ts. */
export function closePiece(b: BordereauInfo, pc: PieceInfo): void {
  b.totalHT += pc.totalHT;
  b.totalTVA += pc.totalTVA;
}

/** A PJ closed: sizes from its base64 content (whitespace removed, returned). Shared with aller-fast.ts. */
export function closePj(pj: PjInfo, b64: string): string {
  const noWs = /\s/.test(b64) ? b64.replace(/\s+/g, '') : b64;
  pj.base64Chars = noWs.length;
  const pad = noWs.endsWith('==') ? 2 : noWs.endsWith('=') ? 1 : 0;
  pj.compressedBytes = Math.max(0, Math.floor((noWs.length * 3) / 4) - pad);
  pj.announcedBytes = announcedSizeFromBase64Tail(noWs);
  return noWs;
}

export class AllerReader {
  private parser: SaxesParser;
  private path: string[] = [];
  private header: PesHeader = { parametres: {}, emetteur: {}, entete: {}, line: 0 };
  private domain?: DomainHeader;
  private bord?: BordereauInfo;
  private piece?: PieceInfo;
  private ligne?: LigneInfo;
  private tiers?: TiersInfo;
  private pjRef?: PjRefInfo;
  private pj?: PjInfo;
  private pjText: string[] = [];
  private inFichier = false;
  private sigDepth = -1;
  private counts = { depense: 0, recette: 0, pj: 0 };
  private readonly maxPiecesKept: number;
  domaineAt: Domaine | undefined;

  constructor(
    private readonly h: AllerHandlers,
    opts: ReaderOptions = {},
  ) {
    this.maxPiecesKept = opts.maxPiecesKept ?? 0;
    this.parser = new SaxesParser({ xmlns: false, position: true });
    this.parser.on('opentag', (t) => this.open(t));
    this.parser.on('closetag', (t) => this.close(t));
    this.parser.on('text', (t) => {
      if (this.inFichier) this.pjText.push(t);
    });
    this.parser.on('cdata', (t) => {
      if (this.inFichier) this.pjText.push(t);
    });
    this.parser.on('doctype', () => {
      throw new AppError('BAD_INPUT', 'Le fichier XML contient une déclaration DOCTYPE ou ENTITY, refusée pour raison de sécurité.', 'DOCTYPE refused');
    });
    this.parser.on('error', (e) => {
      throw new AppError('BAD_INPUT', `XML mal formé : ${e.message}`, `malformed XML: ${e.message}`, { code: 'XML_MAL_FORME', line: this.parser.line });
    });
  }

  get line(): number {
    return this.parser.line;
  }

  write(chunk: string): void {
    this.parser.write(chunk);
  }

  end(): void {
    this.parser.close();
  }

  private v(t: SaxesTagPlain): string | undefined {
    const a = t.attributes.V;
    return typeof a === 'string' ? a : undefined;
  }

  private open(t: SaxesTagPlain): void {
    const name = local(t.name);
    const p = this.path;
    const depth = p.length; // depth of this element (root = 0)
    p.push(name);
    if (this.sigDepth >= 0) return;
    const parent = p[depth - 1];
    const v = this.v(t);
    if (name === 'Signature') {
      this.sigDepth = depth;
      if (depth === 1) this.h.onGlobalSignature?.(this.parser.line);
      else if (this.pj && depth === 3) this.pj.signed = true;
      else if (this.bord && depth === 3) this.bord.signed = true;
      return;
    }
    if (depth === 1) {
      this.domaineAt = name === 'PES_DepenseAller' ? 'depense' : name === 'PES_RecetteAller' ? 'recette' : name === 'PES_PJ' ? 'pj' : undefined;
      if (name === 'EnTetePES') this.header.line = this.parser.line;
      if (this.domaineAt === 'depense' || this.domaineAt === 'recette') this.domain = { domaine: this.domaineAt, line: this.parser.line };
      return;
    }
    const top = p[1];
    if (top === 'Enveloppe' && depth === 3 && v !== undefined) {
      if (parent === 'Parametres') (this.header.parametres as Record<string, string>)[low(name)] = v;
      else if (parent === 'Emetteur') (this.header.emetteur as Record<string, string>)[low(name)] = v;
      return;
    }
    if (top === 'EnTetePES' && depth === 2 && v !== undefined) {
      (this.header.entete as Record<string, string>)[low(name)] = v;
      return;
    }
    if (top === 'PES_DepenseAller' || top === 'PES_RecetteAller') {
      const domaine = top === 'PES_DepenseAller' ? 'depense' : 'recette';
      if (depth === 3 && (parent === 'EnTeteDepense' || parent === 'EnTeteRecette') && this.domain && v !== undefined) {
        if (name === 'IdVer') this.domain.idVer = v;
        else if (name === 'InfoDematerialisee') this.domain.infoDematerialisee = v;
        return;
      }
      if (depth === 2 && name === 'Bordereau') {
        const id = t.attributes.Id;
        this.bord = {
          domaine,
          index: ++this.counts[domaine],
          id: typeof id === 'string' ? id : undefined,
          signed: false,
          pieceCount: 0,
          ligneCount: 0,
          totalHT: 0n,
          totalTVA: 0n,
          badAmounts: [],
          pieces: [],
          line: this.parser.line,
        };
        return;
      }
      const b = this.bord;
      if (!b) return;
      if (depth === 4 && parent === 'BlocBordereau' && v !== undefined) {
        const key = name === 'MtBordHt' ? 'mtBordHT' : low(name);
        if (['exer', 'idBord', 'dteBordEm', 'typBord', 'nbrPce', 'mtCumulAnnuel', 'mtBordHT', 'mtBordTVA', 'objet'].includes(key)) {
          (b as unknown as Record<string, string>)[key] = v;
        }
        return;
      }
      if (depth === 3 && name === 'Piece') {
        b.pieceCount++;
        this.piece = { index: b.pieceCount, lignes: [], pjRefs: [], totalHT: 0n, totalTVA: 0n, line: this.parser.line };
        return;
      }
      const pc = this.piece;
      if (!pc) return;
      if (depth === 4 && name === 'LigneDePiece') {
        b.ligneCount++;
        this.ligne = { index: pc.lignes.length + 1, tiers: [], pjRefs: [] };
        return;
      }
      if (name === 'PJRef') {
        this.pjRef = {};
        return;
      }
      if (this.pjRef && parent === 'PJRef' && v !== undefined) {
        (this.pjRef as Record<string, string>)[low(name)] = v;
        return;
      }
      if (depth === 6 && parent === 'InfoPce' && v !== undefined) {
        if (name === 'IdPce' || name === 'TypPce' || name === 'NatPce' || name === 'Obj') (pc as unknown as Record<string, string>)[low(name)] = v;
        return;
      }
      const lg = this.ligne;
      if (!lg) return;
      if (depth === 7 && parent === 'InfoLignePce' && v !== undefined) {
        if (name === 'IdLigne') lg.idLigne = v;
        else if (name === 'Nature') lg.nature = v;
        else if (name === 'Fonction') lg.fonction = v;
        else if (name === 'LibVir1' || name === 'Libelle') lg.libelle ??= v;
        else if (name === 'MtHT') lg.mtHT = v;
        else if (name === 'MtTVA') lg.mtTVA = v;
        return;
      }
      if (depth === 5 && name === 'Tiers') {
        this.tiers = {};
        return;
      }
      const ti = this.tiers;
      if (ti && v !== undefined) {
        if (parent === 'InfoTiers') (ti as Record<string, string>)[low(name)] = v;
        else if (parent === 'Adresse') {
          ti.adresse ??= {};
          const k = name === 'CP' ? 'cp' : low(name);
          if (['adr1', 'adr2', 'adr3', 'cp', 'ville'].includes(k)) (ti.adresse as Record<string, string>)[k] = v;
        }
      }
      return;
    }
    if (top === 'PES_PJ') {
      if (depth === 2 && name === 'PJ') {
        this.pj = { index: ++this.counts.pj, base64Chars: 0, compressedBytes: 0, signed: false, line: this.parser.line };
        this.pjText = [];
        return;
      }
      const pj = this.pj;
      if (!pj) return;
      if (name === 'Fichier' && parent === 'Contenu') {
        const mt = t.attributes.MIMEType;
        pj.mimeType = typeof mt === 'string' ? mt : undefined;
        this.inFichier = true;
        return;
      }
      if (depth === 3 && v !== undefined) {
        if (name === 'IdUnique' || name === 'NomPJ' || name === 'TypePJ' || name === 'Description' || name === 'ServeurId') {
          (pj as unknown as Record<string, string>)[low(name)] = v;
        }
      }
    }
  }

  private close(t: SaxesTagPlain): void {
    const name = local(t.name);
    const depth = this.path.length - 1;
    this.path.pop();
    if (this.sigDepth >= 0) {
      if (depth === this.sigDepth) this.sigDepth = -1;
      return;
    }
    if (depth === 1) {
      if (name === 'EnTetePES' || name === 'Enveloppe') {
        if (name === 'EnTetePES') this.h.onHeader?.(this.header);
      }
      this.domaineAt = undefined;
      return;
    }
    if (depth === 2 && (name === 'EnTeteDepense' || name === 'EnTeteRecette') && this.domain) {
      this.h.onDomain?.(this.domain);
      return;
    }
    if (name === 'PJRef' && this.pjRef) {
      if (this.ligne) this.ligne.pjRefs.push(this.pjRef);
      else if (this.piece) this.piece.pjRefs.push(this.pjRef);
      this.pjRef = undefined;
      return;
    }
    if (depth === 5 && name === 'Tiers' && this.tiers && this.ligne) {
      this.ligne.tiers.push(this.tiers);
      this.tiers = undefined;
      return;
    }
    if (depth === 4 && name === 'LigneDePiece' && this.ligne && this.piece && this.bord) {
      closeLigne(this.bord, this.piece, this.ligne);
      this.ligne = undefined;
      return;
    }
    if (depth === 3 && name === 'Piece' && this.piece && this.bord) {
      const b = this.bord;
      closePiece(b, this.piece);
      this.h.onPiece?.(b, this.piece);
      if (b.pieces.length < this.maxPiecesKept) b.pieces.push(this.piece);
      this.piece = undefined;
      return;
    }
    if (depth === 2 && name === 'Bordereau' && this.bord) {
      this.h.onBordereau?.(this.bord);
      this.bord = undefined;
      return;
    }
    if (name === 'Fichier' && this.inFichier) {
      this.inFichier = false;
      return;
    }
    if (depth === 2 && name === 'PJ' && this.pj) {
      const pj = this.pj;
      const b64 = this.pjText.length === 1 ? this.pjText[0]! : this.pjText.join('');
      this.pjText = [];
      this.h.onPj?.(pj, closePj(pj, b64));
      this.pj = undefined;
    }
  }
}
