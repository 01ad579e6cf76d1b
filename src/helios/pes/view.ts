/**
 * Readable view of a PES_Aller, built while streaming (aller-reader.ts): bordereaux (mandats or titres),
 * pièces, tiers, amounts and attached PJ (name, type, sizes; content decoded only on demand through
 * extractPj). The structure is JSON-ready; `LIBELLES` gives the French label of every key.
 * Memory: the view holds at most `maxPieces` detailed pièces in total (the rest are counted).
 */
import { AllerReader, type BordereauInfo, type PesHeader, type PieceInfo, type PjInfo, type DomainHeader } from './aller-reader.ts';
import { formatAmount, formatAmountFr } from './amounts.ts';
import { pesConfig, type PesConfig } from './config.ts';
import { decodedChunks, sniffPes, type PesSource } from './input.ts';
import { decodePjContent } from './pj.ts';
import { AppError } from '../../shared/errors.ts';

export const TYPE_BORDEREAU_FR: Record<string, string> = { '01': 'ordinaire', '02': 'annulation / réduction', '03': 'ordres de paiement', '04': 'retour' };
export const TYPE_PJ_FR: Record<string, string> = {
  '001': 'document budgétaire', '002': 'recette', '003': 'dépense', '004': 'paye', '005': 'aide sociale', '006': 'PES facture',
  '007': 'Chorus Pro', '008': 'Chorus Pro', '009': 'marché', '010': 'ASAP', '011': 'ENSU', '012': 'CFU', '013': 'CFU',
};

export const LIBELLES: Record<string, string> = {
  fichier: 'Fichier', nomFic: 'Nom du fichier (NomFic)', typFic: 'Type de fichier', versionPes: 'Version PES', encodage: 'Encodage', tailleOctets: 'Taille (octets)',
  emetteur: 'Émetteur', collectivite: 'Collectivité', idPost: 'Poste comptable', idColl: 'SIRET de la collectivité', codCol: 'Code collectivité', codBud: 'Code budget',
  libelleColBud: 'Libellé collectivité / budget', dateGeneration: 'Date de génération', bordereaux: 'Bordereaux', type: 'Type', numero: 'Numéro', exercice: 'Exercice',
  dateEmission: 'Date d’émission', typeBordereau: 'Type de bordereau', nombrePiecesAnnonce: 'Nombre de pièces annoncé', nombrePieces: 'Nombre de pièces',
  nombreLignes: 'Nombre de lignes', montantHT: 'Montant HT', montantTVA: 'Montant TVA', montantTTC: 'Montant TTC', montantCumulAnnuel: 'Montant cumulé annuel',
  totalLignesHT: 'Total HT des lignes', signe: 'Signé', infoDematerialisee: 'Pièces dématérialisées (InfoDematerialisee)', pieces: 'Pièces', piecesNonDetaillees: 'Pièces non détaillées',
  objet: 'Objet', typePiece: 'Type de pièce', naturePiece: 'Nature de pièce', lignes: 'Lignes', nature: 'Nature (compte)', fonction: 'Fonction', libelle: 'Libellé',
  tiers: 'Tiers', nom: 'Nom', identifiant: 'Identifiant', categorie: 'Catégorie', adresse: 'Adresse', pjReferencees: 'PJ référencées', pjs: 'Pièces justificatives',
  idUnique: 'Identifiant unique', typePJ: 'Type de PJ', typePJLibelle: 'Type de PJ (libellé)', description: 'Description', mimeType: 'Type MIME',
  tailleCompressee: 'Taille compressée (octets)', tailleAnnoncee: 'Taille décompressée annoncée (octets)', signatureGlobale: 'Signature globale', totaux: 'Totaux',
};

export interface VueTiers { nom?: string; identifiant?: string; categorie?: string; adresse?: string }
export interface VueLigne { numero?: string; nature?: string; fonction?: string; libelle?: string; montantHT?: string; montantTVA?: string; tiers: VueTiers[] }
export interface VuePiece { numero?: string; typePiece?: string; naturePiece?: string; objet?: string; montantHT: string; montantTVA: string; lignes: VueLigne[]; pjReferencees: { idUnique?: string; nom?: string; support?: string }[] }
export interface VueBordereau {
  type: 'mandat' | 'titre'; numero?: string; exercice?: string; dateEmission?: string; typeBordereau?: string; typeBordereauLibelle?: string;
  nombrePiecesAnnonce?: string; nombrePieces: number; nombreLignes: number; montantHT?: string; montantTVA?: string; montantCumulAnnuel?: string;
  totalLignesHT: string; totalLignesTVA: string; signe: boolean; pieces: VuePiece[]; piecesNonDetaillees: number;
}
export interface VuePj { position: number; idUnique?: string; nom?: string; typePJ?: string; typePJLibelle?: string; description?: string; mimeType?: string; tailleCompressee: number; tailleAnnoncee?: number; signee: boolean }
export interface PesView {
  fichier: { nomFic?: string; typFic?: string; versionPes?: string; encodage: string; tailleOctets: number; emetteur?: string };
  collectivite: { idPost?: string; idColl?: string; codCol?: string; codBud?: string; libelleColBud?: string; dateGeneration?: string };
  domaines: { type: 'mandat' | 'titre'; infoDematerialisee?: string }[];
  bordereaux: VueBordereau[];
  pjs: VuePj[];
  signatureGlobale: boolean;
  totaux: { bordereaux: number; pieces: number; lignes: number; pjs: number; mandatsHT: string; titresHT: string };
}

const tiersView = (t: PieceInfo['lignes'][number]['tiers'][number]): VueTiers => ({
  nom: [t.civilite, t.prenom, t.nom, t.complNom].filter(Boolean).join(' ') || undefined,
  identifiant: t.idTiers,
  categorie: t.catTiers,
  adresse: t.adresse ? [t.adresse.adr1, t.adresse.adr2, t.adresse.adr3, [t.adresse.cp, t.adresse.ville].filter(Boolean).join(' ')].filter(Boolean).join(', ') : undefined,
});

function pieceView(p: PieceInfo): VuePiece {
  return {
    numero: p.idPce, typePiece: p.typPce, naturePiece: p.natPce, objet: p.obj,
    montantHT: formatAmount(p.totalHT), montantTVA: formatAmount(p.totalTVA),
    lignes: p.lignes.map((l) => ({ numero: l.idLigne, nature: l.nature, fonction: l.fonction, libelle: l.libelle, montantHT: l.mtHT, montantTVA: l.mtTVA, tiers: l.tiers.map(tiersView) })),
    pjReferencees: [...p.pjRefs, ...p.lignes.flatMap((l) => l.pjRefs)].map((r) => ({ idUnique: r.idUnique, nom: r.nomPJ, support: r.support })),
  };
}

export interface ViewHandlers {
  onBordereau?(b: VueBordereau): void;
  onPj?(pj: VuePj): void;
}

export interface ViewOptions {
  /** Detailed pièces kept in the whole view (default 5,000); the others are counted per bordereau. */
  maxPieces?: number;
  /** When set, bordereaux and PJ are passed here and NOT kept in the returned view (constant memory). */
  handlers?: ViewHandlers;
}

export async function readPesView(src: PesSource, config: Partial<PesConfig> = {}, opts: ViewOptions = {}): Promise<PesView> {
  const cfg = pesConfig(config);
  const sniff = await sniffPes(src, cfg.maxFileBytes, ['PES_Aller']);
  let budget = opts.maxPieces ?? 5000;
  const view: PesView = {
    fichier: { encodage: sniff.encoding, tailleOctets: sniff.sizeBytes },
    collectivite: {}, domaines: [], bordereaux: [], pjs: [], signatureGlobale: false,
    totaux: { bordereaux: 0, pieces: 0, lignes: 0, pjs: 0, mandatsHT: '0.00', titresHT: '0.00' },
  };
  let mandats = 0n;
  let titres = 0n;
  const reader = new AllerReader(
    {
      onHeader: (h: PesHeader) => {
        view.fichier = { ...view.fichier, nomFic: h.parametres.nomFic, typFic: h.parametres.typFic, versionPes: h.parametres.version, emetteur: [h.emetteur.sigle, h.emetteur.adresse].filter(Boolean).join(' — ') || undefined };
        const e = h.entete;
        view.collectivite = { idPost: e.idPost, idColl: e.idColl, codCol: e.codCol, codBud: e.codBud, libelleColBud: e.libelleColBud, dateGeneration: e.dteStr };
      },
      onDomain: (d: DomainHeader) => view.domaines.push({ type: d.domaine === 'depense' ? 'mandat' : 'titre', infoDematerialisee: d.infoDematerialisee }),
      onPiece: (_b, p) => {
        if (budget <= 0) p.lignes = [];
      },
      onBordereau: (b: BordereauInfo) => {
        const kept = b.pieces.slice(0, Math.max(0, budget));
        budget -= kept.length;
        if (b.domaine === 'depense') mandats += b.totalHT;
        else titres += b.totalHT;
        view.totaux.bordereaux++;
        view.totaux.pieces += b.pieceCount;
        view.totaux.lignes += b.ligneCount;
        const vb: VueBordereau = {
          type: b.domaine === 'depense' ? 'mandat' : 'titre', numero: b.idBord, exercice: b.exer, dateEmission: b.dteBordEm,
          typeBordereau: b.typBord, typeBordereauLibelle: b.typBord ? TYPE_BORDEREAU_FR[b.typBord] : undefined,
          nombrePiecesAnnonce: b.nbrPce, nombrePieces: b.pieceCount, nombreLignes: b.ligneCount,
          montantHT: b.mtBordHT, montantTVA: b.mtBordTVA, montantCumulAnnuel: b.mtCumulAnnuel,
          totalLignesHT: formatAmount(b.totalHT), totalLignesTVA: formatAmount(b.totalTVA), signe: b.signed,
          pieces: kept.map(pieceView), piecesNonDetaillees: b.pieceCount - kept.length,
        };
        if (opts.handlers?.onBordereau) opts.handlers.onBordereau(vb);
        else view.bordereaux.push(vb);
      },
      onPj: (pj: PjInfo) => {
        view.totaux.pjs++;
        const vp: VuePj = {
          position: pj.index, idUnique: pj.idUnique, nom: pj.nomPJ, typePJ: pj.typePJ, typePJLibelle: pj.typePJ ? TYPE_PJ_FR[pj.typePJ] : undefined,
          description: pj.description, mimeType: pj.mimeType, tailleCompressee: pj.compressedBytes, tailleAnnoncee: pj.announcedBytes, signee: pj.signed,
        };
        if (opts.handlers?.onPj) opts.handlers.onPj(vp);
        else view.pjs.push(vp);
      },
      onGlobalSignature: () => {
        view.signatureGlobale = true;
      },
    },
    { maxPiecesKept: Math.max(0, budget) },
  );
  for await (const chunk of decodedChunks(src, sniff.encoding)) reader.write(chunk);
  reader.end();
  view.totaux.mandatsHT = formatAmount(mandats);
  view.totaux.titresHT = formatAmount(titres);
  return view;
}

/**
 * Decodes one PJ (by IdUnique, or by position when a number is given) while streaming the file:
 * base64 then gzip, with the size and ratio limits of the configuration.
 */
export async function extractPj(src: PesSource, which: string | number, config: Partial<PesConfig> = {}): Promise<{ pj: VuePj; content: Buffer }> {
  const cfg = pesConfig(config);
  const sniff = await sniffPes(src, cfg.maxFileBytes, ['PES_Aller']);
  let found: { pj: PjInfo; b64: string } | undefined;
  const reader = new AllerReader({
    onPj: (pj, b64) => {
      if (!found && (typeof which === 'number' ? pj.index === which : pj.idUnique === which)) found = { pj, b64 };
    },
  });
  for await (const chunk of decodedChunks(src, sniff.encoding)) {
    reader.write(chunk);
    if (found) break;
  }
  if (!found) {
    throw new AppError('NOT_FOUND', `PJ « ${String(which)} » introuvable dans le fichier PES.`, `PJ ${String(which)} not found`);
  }
  const { pj, b64 } = found;
  const content = await decodePjContent(b64, cfg.pj, pj.nomPJ ?? pj.idUnique ?? `n° ${pj.index}`);
  return {
    pj: { position: pj.index, idUnique: pj.idUnique, nom: pj.nomPJ, typePJ: pj.typePJ, typePJLibelle: pj.typePJ ? TYPE_PJ_FR[pj.typePJ] : undefined, description: pj.description, mimeType: pj.mimeType, tailleCompressee: pj.compressedBytes, tailleAnnoncee: pj.announcedBytes, signee: pj.signed },
    content,
  };
}

/** Plain French text of a view (CLI). */
export function viewToText(v: PesView): string {
  const out: string[] = [];
  out.push(`Fichier ${v.fichier.nomFic ?? '?'} (${v.fichier.typFic ?? '?'}, PES version ${v.fichier.versionPes ?? '?'}, ${v.fichier.encodage}, ${v.fichier.tailleOctets} octets)`);
  if (v.fichier.emetteur) out.push(`Émetteur : ${v.fichier.emetteur}`);
  const c = v.collectivite;
  out.push(`Collectivité : SIRET ${c.idColl ?? '?'}, poste comptable ${c.idPost ?? '?'}, code collectivité ${c.codCol ?? '?'}, budget ${c.codBud ?? '?'}${c.libelleColBud ? ` (${c.libelleColBud})` : ''}, généré le ${c.dateGeneration ?? '?'}`);
  for (const b of v.bordereaux) out.push(...bordereauToText(b));
  for (const p of v.pjs) out.push(pjToText(p));
  out.push(`Totaux : ${v.totaux.bordereaux} bordereau(x), ${v.totaux.pieces} pièce(s), ${v.totaux.lignes} ligne(s), ${v.totaux.pjs} PJ ; mandats ${formatAmountFr(v.totaux.mandatsHT)} HT, titres ${formatAmountFr(v.totaux.titresHT)} HT${v.signatureGlobale ? ' ; signature globale' : ''}`);
  return out.join('\n');
}

export function bordereauToText(b: VueBordereau): string[] {
  const out = [
    `Bordereau de ${b.type === 'mandat' ? 'mandats' : 'titres'} n° ${b.numero ?? '?'} — exercice ${b.exercice ?? '?'}, émis le ${b.dateEmission ?? '?'}, ${b.typeBordereauLibelle ?? b.typeBordereau ?? '?'} : ${b.nombrePieces} pièce(s), ${formatAmountFr(b.montantHT)} HT${b.montantTVA ? `, TVA ${formatAmountFr(b.montantTVA)}` : ''}${b.signe ? ', signé' : ', non signé'}`,
  ];
  for (const p of b.pieces) {
    const tiers = [...new Set(p.lignes.flatMap((l) => l.tiers.map((t) => t.nom).filter(Boolean)))].join(', ');
    out.push(`  Pièce n° ${p.numero ?? '?'} : ${p.objet ?? ''} — ${formatAmountFr(p.montantHT)} HT${tiers ? ` — tiers : ${tiers}` : ''} (${p.lignes.length} ligne(s))`);
  }
  if (b.piecesNonDetaillees > 0) out.push(`  … et ${b.piecesNonDetaillees} autre(s) pièce(s) non détaillée(s)`);
  return out;
}

export function pjToText(p: VuePj): string {
  return `PJ « ${p.nom ?? '?'} » (IdUnique ${p.idUnique ?? '?'}, ${p.typePJLibelle ?? p.typePJ ?? 'type non précisé'}, ${p.mimeType ?? '?'}) : ${p.tailleCompressee} octets compressés${p.tailleAnnoncee !== undefined ? `, ${p.tailleAnnoncee} octets annoncés une fois décompressée` : ''}${p.signee ? ', signée' : ''}`;
}
