/**
 * Business rules of a PES_Aller (PROTOCOLS.md B.2) checked on the streaming reader's events:
 * InfoDematerialisee against signatures, IdBord unique and without gap per domain and exercice, CodCol not
 * 000, IdColl a valid SIRET, PJ IdUnique unique and NomPJ valid, PJ content (base64, gzip, bomb guard),
 * NbrPce and bordereau totals equal to the pièces and lines.
 */
import { AppError } from '../../shared/errors.ts';
import type { PesConfig } from './config.ts';
import type { AllerHandlers, BordereauInfo, DomainHeader, PesHeader, PieceInfo, PjInfo, PjRefInfo } from './aller-reader.ts';
import { formatAmountFr, parseAmount } from './amounts.ts';
import { checkPjContent } from './pj.ts';
import type { FindingSink, PesPlace } from './report.ts';

/** SIRET: 14 digits and Luhn key (La Poste, SIREN 356000000: sum of digits multiple of 5). */
export function isValidSiret(s: string | undefined): boolean {
  if (!s || !/^\d{14}$/.test(s)) return false;
  if (s.startsWith('356000000')) {
    return [...s].reduce((a, c) => a + Number(c), 0) % 5 === 0;
  }
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    let d = Number(s[i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** NomPJ: at most 100 characters, an extension of 2 to 4 letters or digits, no path nor control character. */
export function nomPjProblem(nom: string | undefined): string | undefined {
  if (nom === undefined || nom.trim() === '') return 'nom absent';
  if (nom.length > 100) return `${nom.length} caractères (100 au plus)`;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\\/:*?"<>|\u0000-\u001f]/.test(nom)) return 'caractère interdit (\\ / : * ? " < > | ou caractère de contrôle)';
  if (!/^[^.].*\.[A-Za-z0-9]{2,4}$/.test(nom)) return 'extension de 2 à 4 caractères alphanumériques attendue';
  return undefined;
}

const bordPlace = (b: BordereauInfo): PesPlace => ({
  domaine: b.domaine,
  bordereau: { index: b.index, idBord: b.idBord, exer: b.exer },
});

export class AllerRules {
  private domains = new Map<'depense' | 'recette', DomainHeader>();
  private unsignedWhileRequired: PesPlace[] = [];
  private globalSignature = false;
  private signedBordereaux = 0;
  private idBords = new Map<string, { n: number; place: PesPlace }[]>();
  private idUniques = new Set<string>();
  private pending: Promise<void>[] = [];
  readonly stats = { bordereaux: 0, pieces: 0, lignes: 0, pjs: 0 };

  constructor(
    private readonly sink: FindingSink,
    private readonly cfg: PesConfig,
  ) {}

  private add(code: string, place: PesPlace, messageFr: string, messageEn: string, line?: number): void {
    this.sink.add({ source: 'regle', code, place, messageFr, messageEn, line });
  }

  handlers(): AllerHandlers {
    return {
      onHeader: (h) => this.header(h),
      onDomain: (d) => this.domains.set(d.domaine, d),
      onPiece: (b, p) => this.piece(b, p),
      onBordereau: (b) => this.bordereau(b),
      onPj: (pj, b64) => this.pj(pj, b64),
      onGlobalSignature: () => {
        this.globalSignature = true;
      },
    };
  }

  private header(h: PesHeader): void {
    const e = h.entete;
    const place: PesPlace = { domaine: 'entete' };
    if (e.codCol !== undefined && /^0+$/.test(e.codCol)) {
      this.add('CODCOL_000', place, `Le code collectivité (CodCol) « ${e.codCol} » est interdit : il ne peut pas valoir 000.`, `CodCol ${e.codCol} is forbidden`, h.line);
    }
    if (!isValidSiret(e.idColl)) {
      this.add('IDCOLL_SIRET', place, `L’identifiant de la collectivité (IdColl) « ${e.idColl ?? ''} » n’est pas un SIRET valide (14 chiffres et clé de contrôle).`, `IdColl ${e.idColl ?? '(none)'} is not a valid SIRET`, h.line);
    }
  }

  private piece(b: BordereauInfo, p: PieceInfo): void {
    this.stats.pieces++;
    this.stats.lignes += p.lignes.length;
    const refs: [PjRefInfo, PesPlace][] = [];
    const pp: PesPlace = { ...bordPlace(b), piece: { index: p.index, idPce: p.idPce } };
    for (const r of p.pjRefs) refs.push([r, pp]);
    for (const l of p.lignes) for (const r of l.pjRefs) refs.push([r, { ...pp, ligne: { index: l.index, idLigne: l.idLigne } }]);
    for (const [r, place] of refs) {
      const pb = nomPjProblem(r.nomPJ);
      if (pb) this.add('NOMPJ', place, `Référence de PJ (PJRef) : nom « ${r.nomPJ ?? ''} » invalide : ${pb}.`, `PJRef NomPJ ${r.nomPJ ?? ''} invalid`, p.line);
    }
  }

  private bordereau(b: BordereauInfo): void {
    this.stats.bordereaux++;
    const place = bordPlace(b);
    const dom = this.domains.get(b.domaine);
    const info = dom?.infoDematerialisee ?? '0';
    if (b.signed && info !== '1') {
      this.add('SIGNATURE_SANS_DEMAT', place, `Le bordereau est signé alors que InfoDematerialisee vaut ${dom?.infoDematerialisee ?? '0 (absent)'} : Hélios rejette une signature si InfoDematerialisee ne vaut pas 1.`, `bordereau signed while InfoDematerialisee=${info}`, b.line);
    }
    if (b.signed) this.signedBordereaux++;
    if (!b.signed && info === '1' && this.unsignedWhileRequired.length < this.cfg.maxErrors) this.unsignedWhileRequired.push(place);
    // IdBord sequence
    if (b.idBord !== undefined && /^\d+$/.test(b.idBord)) {
      const key = `${b.domaine}|${b.exer ?? ''}`;
      const list = this.idBords.get(key) ?? [];
      if (list.length < 1_000_000) list.push({ n: Number(b.idBord), place });
      this.idBords.set(key, list);
    }
    // amounts
    if (b.nbrPce !== undefined && Number(b.nbrPce) !== b.pieceCount) {
      this.add('NBRPCE', place, `Le nombre de pièces annoncé (NbrPce = ${b.nbrPce}) ne correspond pas aux ${b.pieceCount} pièce(s) du bordereau.`, `NbrPce ${b.nbrPce} but ${b.pieceCount} pieces`, b.line);
    }
    const ht = parseAmount(b.mtBordHT);
    if (ht !== undefined && ht !== b.totalHT) {
      this.add('MTBORDHT', place, `Le montant HT du bordereau (${formatAmountFr(b.mtBordHT)}) diffère de la somme des lignes (${formatAmountFr(b.totalHT)}).`, `MtBordHT ${b.mtBordHT} != sum of lines`, b.line);
    }
    const tva = parseAmount(b.mtBordTVA);
    if (tva !== undefined && tva !== b.totalTVA) {
      this.add('MTBORDTVA', place, `Le montant de TVA du bordereau (${formatAmountFr(b.mtBordTVA)}) diffère de la somme des lignes (${formatAmountFr(b.totalTVA)}).`, `MtBordTVA ${b.mtBordTVA} != sum of lines`, b.line);
    }
    const cumul = parseAmount(b.mtCumulAnnuel);
    if (b.mtCumulAnnuel !== undefined && cumul !== undefined && cumul <= 0n) {
      this.add('MTCUMUL', place, `Le montant cumulé annuel (MtCumulAnnuel = ${b.mtCumulAnnuel}) doit être positif.`, `MtCumulAnnuel ${b.mtCumulAnnuel} not > 0`, b.line);
    }
    for (const bad of b.badAmounts.slice(0, 5)) {
      this.add('MONTANT', place, `Montant illisible « ${bad} » dans une ligne du bordereau.`, `unreadable amount ${bad}`, b.line);
    }
  }

  private pj(pj: PjInfo, b64: string): void {
    this.stats.pjs++;
    const place: PesPlace = { domaine: 'pj', pj: { index: pj.index, idUnique: pj.idUnique, nomPJ: pj.nomPJ } };
    if (pj.idUnique !== undefined) {
      if (this.idUniques.has(pj.idUnique)) {
        this.add('IDUNIQUE_DOUBLON', place, `L’identifiant de PJ (IdUnique) « ${pj.idUnique} » est utilisé par plusieurs PJ du fichier (Hélios rejette les doublons : ERREUR_DOUBLON_PJ).`, `duplicate PJ IdUnique ${pj.idUnique}`, pj.line);
      } else this.idUniques.add(pj.idUnique);
    }
    const pb = nomPjProblem(pj.nomPJ);
    if (pb) this.add('NOMPJ', place, `Nom de PJ (NomPJ) « ${pj.nomPJ ?? ''} » invalide : ${pb}.`, `NomPJ ${pj.nomPJ ?? ''} invalid`, pj.line);
    const name = pj.nomPJ ?? pj.idUnique ?? `n° ${pj.index}`;
    this.pending.push(
      checkPjContent(b64, this.cfg.pj, name).then(
        () => undefined,
        (e: unknown) => {
          if (e instanceof AppError) {
            const code = (e.details as { code?: string } | undefined)?.code ?? 'PJ_CONTENU';
            this.add(code, place, e.messageFr, e.message, pj.line);
          } else throw e;
        },
      ),
    );
  }

  /** Waits for the PJ content checks started so far (called between chunks to bound memory). */
  async drain(): Promise<void> {
    if (this.pending.length === 0) return;
    const p = this.pending;
    this.pending = [];
    await Promise.all(p);
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Rules that need the whole file (global signature, IdBord sequences). */
  async finish(): Promise<void> {
    await this.drain();
    // A file with no signature at all, deposited to be signed in the parapheur, is not yet wrong.
    const toBeSigned = this.cfg.unsignedToBeSigned && this.signedBordereaux === 0;
    if (!this.globalSignature) {
      for (const place of toBeSigned ? [] : this.unsignedWhileRequired) {
        this.add('DEMAT_SANS_SIGNATURE', place, 'InfoDematerialisee vaut 1 mais le bordereau n’est pas signé (et le fichier n’a pas de signature globale) : Hélios rejette le flux.', 'InfoDematerialisee=1 but bordereau not signed');
      }
    } else if ([...this.domains.values()].every((d) => d.infoDematerialisee !== '1')) {
      this.add('SIGNATURE_SANS_DEMAT', {}, 'Le fichier porte une signature globale alors qu’aucun domaine n’a InfoDematerialisee à 1.', 'global signature while InfoDematerialisee is not 1');
    }
    for (const [key, list] of this.idBords) {
      const [domaine, exer] = key.split('|');
      const seen = new Map<number, PesPlace>();
      for (const { n, place } of list) {
        if (seen.has(n)) {
          this.add('IDBORD_DOUBLON', place, `Le numéro de bordereau ${n} est utilisé plusieurs fois pour l’exercice ${exer} (${domaine === 'depense' ? 'mandats' : 'titres'}).`, `duplicate IdBord ${n} (${key})`);
        } else seen.set(n, place);
      }
      const nums = [...seen.keys()].sort((a, b) => a - b);
      const missing: number[] = [];
      for (let i = 1; i < nums.length && missing.length < 10; i++) {
        for (let k = nums[i - 1]! + 1; k < nums[i]! && missing.length < 10; k++) missing.push(k);
      }
      if (missing.length > 0) {
        this.add('IDBORD_SEQUENCE', { domaine: domaine as 'depense' | 'recette' }, `Les numéros de bordereau de l’exercice ${exer} ne se suivent pas : il manque ${missing.join(', ')}${missing.length === 10 ? '…' : ''}.`, `IdBord sequence has gaps (${key}): ${missing.join(',')}`);
      }
    }
  }
}
