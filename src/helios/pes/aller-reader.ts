/**
 * Streaming reader of a PES_Aller (saxes): turns the file into small events (header, each bordereau with
 * its pièces, each PJ) so that business rules and the readable view never hold the whole document.
 * Memory: one bordereau at a time (its pièces only when asked, up to a cap) and one PJ's base64 text.
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { AppError } from '../../shared/errors.ts';

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

import { AllerFacts } from './aller-facts.ts';

const local = (n: string) => {
  const i = n.indexOf(':');
  return i < 0 ? n : n.slice(i + 1);
};

export class AllerReader {
  private parser: SaxesParser;
  private path: string[] = [];
  private pjText: string[] = [];
  private readonly facts: AllerFacts;

  constructor(h: AllerHandlers, opts: ReaderOptions = {}) {
    this.facts = new AllerFacts(h, {
      maxPiecesKept: opts.maxPiecesKept ?? 0,
      lineDetails: true,
      pjText: () => {
        const text = this.pjText.length === 1 ? this.pjText[0]! : this.pjText.join('');
        this.pjText = [];
        return text;
      },
    });
    this.parser = new SaxesParser({ xmlns: false, position: true });
    this.parser.on('opentag', (t) => this.open(t));
    this.parser.on('closetag', (t) => this.close(t));
    this.parser.on('text', (t) => {
      if (this.facts.inFichier) this.pjText.push(t);
    });
    this.parser.on('cdata', (t) => {
      if (this.facts.inFichier) this.pjText.push(t);
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

  private open(t: SaxesTagPlain): void {
    this.path.push(local(t.name));
    const attr = (name: string): string | undefined => {
      const a = t.attributes[name];
      return typeof a === 'string' ? a : undefined;
    };
    this.facts.open(this.path, { value: () => attr('V'), attribute: attr, line: () => this.parser.line });
  }

  private close(t: SaxesTagPlain): void {
    const depth = this.path.length - 1;
    this.path.pop();
    this.facts.close(local(t.name), depth);
  }
}
