/**
 * Where an error sits in a PES_Aller, and how findings are reported (French text for users, English for logs).
 */
export type Domaine = 'depense' | 'recette' | 'pj' | 'facture' | 'marche' | 'entete';

export interface BordereauRef {
  /** 1-based position of the bordereau in its domain. */
  index: number;
  idBord?: string;
  exer?: string;
}
export interface PieceRef {
  index: number;
  idPce?: string;
}
export interface LigneRef {
  index: number;
  idLigne?: string;
}
export interface PjRef {
  index: number;
  idUnique?: string;
  nomPJ?: string;
}

export interface PesPlace {
  domaine?: Domaine;
  bordereau?: BordereauRef;
  piece?: PieceRef;
  ligne?: LigneRef;
  pj?: PjRef;
}

export type FindingSource = 'xml' | 'xsd' | 'regle';

export interface PesFinding {
  source: FindingSource;
  /** Stable code (XSD errors: XSD; business rules: e.g. CODCOL_000). */
  code: string;
  /** Line in the original file, when known. */
  line?: number;
  place: PesPlace;
  /** Readable place, e.g. « dépense, bordereau n° 12 (exercice 2024), pièce n° 3, ligne n° 1 ». */
  placeFr: string;
  messageFr: string;
  messageEn: string;
}

const DOMAINE_FR: Record<Domaine, string> = {
  depense: 'dépense',
  recette: 'recette',
  pj: 'pièces justificatives (PES_PJ)',
  facture: 'PES_Facture',
  marche: 'PES_Marche',
  entete: 'en-tête',
};

export function placeFr(p: PesPlace): string {
  const parts: string[] = [];
  if (p.domaine) parts.push(DOMAINE_FR[p.domaine]);
  if (p.bordereau) {
    const b = p.bordereau;
    parts.push(
      b.idBord
        ? `bordereau n° ${b.idBord}${b.exer ? ` (exercice ${b.exer})` : ''}`
        : `bordereau en position ${b.index}`,
    );
  }
  if (p.piece) parts.push(p.piece.idPce ? `pièce n° ${p.piece.idPce}` : `pièce en position ${p.piece.index}`);
  if (p.ligne) parts.push(p.ligne.idLigne ? `ligne n° ${p.ligne.idLigne}` : `ligne en position ${p.ligne.index}`);
  if (p.pj) {
    const j = p.pj;
    parts.push(j.idUnique ? `PJ « ${j.nomPJ ?? '?'} » (IdUnique ${j.idUnique})` : `PJ en position ${j.index}`);
  }
  return parts.length ? parts.join(', ') : 'document';
}

/** A deep snapshot, so that identifiers filled later do not change a stored finding. */
export function snapshotPlace(p: PesPlace): PesPlace {
  const out: PesPlace = {};
  if (p.domaine) out.domaine = p.domaine;
  if (p.bordereau) out.bordereau = { ...p.bordereau };
  if (p.piece) out.piece = { ...p.piece };
  if (p.ligne) out.ligne = { ...p.ligne };
  if (p.pj) out.pj = { ...p.pj };
  return out;
}

/** Keeps at most `max` findings, counts the rest, and drops exact duplicates. */
export class FindingSink {
  readonly items: PesFinding[] = [];
  total = 0;
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}

  add(f: Omit<PesFinding, 'placeFr'> & { placeFr?: string }): void {
    const place = snapshotPlace(f.place);
    const full: PesFinding = { ...f, place, placeFr: f.placeFr ?? placeFr(place) };
    const key = `${full.source}|${full.code}|${full.line ?? ''}|${full.placeFr}|${full.messageEn}`;
    if (this.seen.has(key)) return;
    if (this.seen.size < this.max * 4) this.seen.add(key);
    this.total++;
    if (this.items.length < this.max) this.items.push(full);
  }

  get truncated(): number {
    return this.total - this.items.length;
  }
}
