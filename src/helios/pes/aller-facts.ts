/**
 * The facts of a PES_Aller (header, domain headers, bordereaux with their pièces and lines, PJ), built from
 * the start and end tags of a pass over the file. One builder for both passes: the exact reader (saxes,
 * aller-reader.ts) and the fast path of the validation (its own tag walk, aller-fast.ts), so the business
 * rules see the same facts whichever pass ran.
 */
import { addAmount, parseAmount } from './amounts.ts';
import type { AllerHandlers, BordereauInfo, DomainHeader, LigneInfo, PesHeader, PieceInfo, PjInfo, PjRefInfo, TiersInfo } from './aller-reader.ts';

/** The start tag being opened, as the pass reads it: values are asked for only when a fact needs them. */
export interface StartTag {
  /** The `V` attribute (PES values), entities decoded. */
  value(): string | undefined;
  attribute(name: 'Id' | 'MIMEType'): string | undefined;
  /** Line of the tag, as saxes counts it. */
  line(): number;
}

export interface FactsOptions {
  /** Pièces kept in each BordereauInfo (0 = only counts and totals). */
  maxPiecesKept: number;
  /** Tiers and the line fields the rules do not read (nature, fonction, libellé): for the readable view. */
  lineDetails: boolean;
  /** The text of the PJ's Fichier element gathered by the pass, entities decoded; called when the PJ ends. */
  pjText(): string;
}

const low = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const BORD_KEYS: ReadonlySet<string> = new Set(['exer', 'idBord', 'dteBordEm', 'typBord', 'nbrPce', 'mtCumulAnnuel', 'mtBordHT', 'mtBordTVA', 'objet']);
const ADRESSE_KEYS: ReadonlySet<string> = new Set(['adr1', 'adr2', 'adr3', 'cp', 'ville']);

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

/** A LigneDePiece closed: its amounts added to the pièce (unreadable ones noted on the bordereau). */
function closeLigne(b: BordereauInfo, pc: PieceInfo, lg: LigneInfo): void {
  const ht = parseAmount(lg.mtHT);
  const tva = parseAmount(lg.mtTVA);
  if (lg.mtHT !== undefined && ht === undefined) b.badAmounts.push(lg.mtHT);
  if (lg.mtTVA !== undefined && tva === undefined) b.badAmounts.push(lg.mtTVA);
  pc.totalHT = addAmount(pc.totalHT, ht);
  pc.totalTVA = addAmount(pc.totalTVA, tva);
  pc.lignes.push(lg);
}

/** A PJ closed: sizes from its base64 content (whitespace removed, returned). */
function closePj(pj: PjInfo, b64: string): string {
  const noWs = /\s/.test(b64) ? b64.replace(/\s+/g, '') : b64;
  pj.base64Chars = noWs.length;
  const pad = noWs.endsWith('==') ? 2 : noWs.endsWith('=') ? 1 : 0;
  pj.compressedBytes = Math.max(0, Math.floor((noWs.length * 3) / 4) - pad);
  pj.announcedBytes = announcedSizeFromBase64Tail(noWs);
  return noWs;
}

export class AllerFacts {
  readonly header: PesHeader = { parametres: {}, emetteur: {}, entete: {}, line: 0 };
  private domain?: DomainHeader;
  private bord?: BordereauInfo;
  private piece?: PieceInfo;
  private ligne?: LigneInfo;
  private tiers?: TiersInfo;
  private pjRef?: PjRefInfo;
  private pj?: PjInfo;
  private sigDepth = -1;
  private readonly counts = { depense: 0, recette: 0, pj: 0 };
  /** Inside a PJ's Fichier element: the pass gathers its text. */
  inFichier = false;

  constructor(
    private readonly h: AllerHandlers,
    private readonly opts: FactsOptions,
  ) {}

  /** `path`: local names of the open elements, the opened one last (at index `depth`). */
  open(path: readonly string[], tag: StartTag): void {
    if (this.sigDepth >= 0) return;
    const depth = path.length - 1;
    const name = path[depth]!;
    const parent = path[depth - 1];
    if (name === 'Signature') {
      this.sigDepth = depth;
      if (depth === 1) this.h.onGlobalSignature?.(tag.line());
      else if (this.pj && depth === 3) this.pj.signed = true;
      else if (this.bord && depth === 3) this.bord.signed = true;
      return;
    }
    if (depth === 1) {
      if (name === 'EnTetePES') this.header.line = tag.line();
      if (name === 'PES_DepenseAller' || name === 'PES_RecetteAller') this.domain = { domaine: name === 'PES_DepenseAller' ? 'depense' : 'recette', line: tag.line() };
      return;
    }
    if (depth === 0) return;
    const top = path[1];
    if (top === 'Enveloppe') {
      const v = depth === 3 ? tag.value() : undefined;
      if (v !== undefined && parent === 'Parametres') (this.header.parametres as Record<string, string>)[low(name)] = v;
      else if (v !== undefined && parent === 'Emetteur') (this.header.emetteur as Record<string, string>)[low(name)] = v;
      return;
    }
    if (top === 'EnTetePES') {
      const v = depth === 2 ? tag.value() : undefined;
      if (v !== undefined) (this.header.entete as Record<string, string>)[low(name)] = v;
      return;
    }
    if (top === 'PES_DepenseAller' || top === 'PES_RecetteAller') this.openInDomain(top === 'PES_DepenseAller' ? 'depense' : 'recette', name, parent, depth, tag);
    else if (top === 'PES_PJ') this.openInPj(name, parent, depth, tag);
  }

  private openInDomain(domaine: 'depense' | 'recette', name: string, parent: string | undefined, depth: number, tag: StartTag): void {
    if (depth === 3 && (parent === 'EnTeteDepense' || parent === 'EnTeteRecette') && this.domain) {
      const v = tag.value();
      if (v !== undefined) {
        if (name === 'IdVer') this.domain.idVer = v;
        else if (name === 'InfoDematerialisee') this.domain.infoDematerialisee = v;
        return;
      }
    }
    if (depth === 2 && name === 'Bordereau') {
      this.bord = { domaine, index: ++this.counts[domaine], id: tag.attribute('Id'), signed: false, pieceCount: 0, ligneCount: 0, totalHT: 0n, totalTVA: 0n, badAmounts: [], pieces: [], line: tag.line() };
      return;
    }
    const b = this.bord;
    if (!b) return;
    if (depth === 4 && parent === 'BlocBordereau') {
      const v = tag.value();
      if (v !== undefined) {
        const key = name === 'MtBordHt' ? 'mtBordHT' : low(name);
        if (BORD_KEYS.has(key)) (b as unknown as Record<string, string>)[key] = v;
        return;
      }
    }
    if (depth === 3 && name === 'Piece') {
      b.pieceCount++;
      this.piece = { index: b.pieceCount, lignes: [], pjRefs: [], totalHT: 0n, totalTVA: 0n, line: tag.line() };
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
    if (this.pjRef && parent === 'PJRef') {
      const v = tag.value();
      if (v !== undefined) {
        (this.pjRef as Record<string, string>)[low(name)] = v;
        return;
      }
    }
    if (depth === 6 && parent === 'InfoPce') {
      const v = tag.value();
      if (v !== undefined) {
        if (name === 'IdPce' || name === 'TypPce' || name === 'NatPce' || name === 'Obj') (pc as unknown as Record<string, string>)[low(name)] = v;
        return;
      }
    }
    const lg = this.ligne;
    if (!lg) return;
    if (depth === 7 && parent === 'InfoLignePce') {
      const details = this.opts.lineDetails;
      if (name === 'IdLigne' || name === 'MtHT' || name === 'MtTVA' || (details && (name === 'Nature' || name === 'Fonction' || name === 'LibVir1' || name === 'Libelle'))) {
        const v = tag.value();
        if (v === undefined) return;
        if (name === 'IdLigne') lg.idLigne = v;
        else if (name === 'MtHT') lg.mtHT = v;
        else if (name === 'MtTVA') lg.mtTVA = v;
        else if (name === 'Nature') lg.nature = v;
        else if (name === 'Fonction') lg.fonction = v;
        else lg.libelle ??= v;
      }
      return;
    }
    if (!this.opts.lineDetails) return;
    if (depth === 5 && name === 'Tiers') {
      this.tiers = {};
      return;
    }
    const ti = this.tiers;
    if (!ti || (parent !== 'InfoTiers' && parent !== 'Adresse')) return;
    const v = tag.value();
    if (v === undefined) return;
    if (parent === 'InfoTiers') (ti as Record<string, string>)[low(name)] = v;
    else {
      ti.adresse ??= {};
      const k = name === 'CP' ? 'cp' : low(name);
      if (ADRESSE_KEYS.has(k)) (ti.adresse as Record<string, string>)[k] = v;
    }
  }

  private openInPj(name: string, parent: string | undefined, depth: number, tag: StartTag): void {
    if (depth === 2 && name === 'PJ') {
      this.pj = { index: ++this.counts.pj, base64Chars: 0, compressedBytes: 0, signed: false, line: tag.line() };
      return;
    }
    const pj = this.pj;
    if (!pj) return;
    if (name === 'Fichier' && parent === 'Contenu') {
      pj.mimeType = tag.attribute('MIMEType');
      this.inFichier = true;
      return;
    }
    if (depth === 3 && (name === 'IdUnique' || name === 'NomPJ' || name === 'TypePJ' || name === 'Description' || name === 'ServeurId')) {
      const v = tag.value();
      if (v !== undefined) (pj as unknown as Record<string, string>)[low(name)] = v;
    }
  }

  /** The element `name` at `depth` ends. */
  close(name: string, depth: number): void {
    if (this.sigDepth >= 0) {
      if (depth === this.sigDepth) this.sigDepth = -1;
      return;
    }
    const h = this.h;
    if (depth === 1) {
      if (name === 'EnTetePES') h.onHeader?.(this.header);
      return;
    }
    if (depth === 2 && (name === 'EnTeteDepense' || name === 'EnTeteRecette') && this.domain) {
      h.onDomain?.(this.domain);
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
      b.totalHT += this.piece.totalHT;
      b.totalTVA += this.piece.totalTVA;
      h.onPiece?.(b, this.piece);
      if (b.pieces.length < this.opts.maxPiecesKept) b.pieces.push(this.piece);
      this.piece = undefined;
      return;
    }
    if (depth === 2 && name === 'Bordereau' && this.bord) {
      h.onBordereau?.(this.bord);
      this.bord = undefined;
      return;
    }
    if (name === 'Fichier' && this.inFichier) {
      this.inFichier = false;
      return;
    }
    if (depth === 2 && name === 'PJ' && this.pj) {
      const pj = this.pj;
      h.onPj?.(pj, closePj(pj, this.opts.pjText()));
      this.pj = undefined;
    }
  }
}
