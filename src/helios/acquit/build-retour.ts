/**
 * Builder of a PES_Retour (the comptable's later feedback, B.4) for the simulator: one PESRETOUR_DEP file
 * listing the dépense bordereaux of an integrated PES_Aller with each pièce and line marked as taken in
 * charge. Shape of the S²LOW fixture HELIOS_SIMU_RETOUR_*.xml; valid against PES_Retour.xsd (5.17).
 * Only the dépense domain is produced (the recette retour has a different structure).
 */
import { AppError } from '../../shared/errors.ts';
import { PesXmlWriter } from './xml-out.ts';

export const PES_RETOUR_NS = 'http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour';

export interface RetourLigneInput {
  idLigne: string;
  mtHT: string;
  mtTVA?: string;
  /** EtatLigPce: 01 pris en charge (default), 02 rejeté, 03…07 pré-visas and anomalies (XSD nomenclature). */
  etat?: '01' | '02' | '03' | '04' | '05';
  obsEtat?: string;
}

export interface RetourPieceInput {
  idPce: string;
  typPce: string;
  natPce: string;
  obj?: string;
  /** DtePcePec: date the pièce was taken in charge (YYYY-MM-DD). */
  dtePcePec?: string;
  /** EtatPce (PES_Retour XSD, dépense): 01 en instance, 02 prise en charge (default), 04 rejeté, 05 soldé. */
  etat?: '01' | '02' | '04' | '05';
  lignes: RetourLigneInput[];
}

export interface PesRetourInput {
  nomFic: string;
  typFic?: string;
  entete: { dteStr: string; idPost: string; libellePoste?: string; idColl: string; codColl: string; codBud: string; libelleColBud?: string };
  depense: Array<{ exer: string; idBord: string; typBord: string; pieces: RetourPieceInput[] }>;
}

const clip = (s: string | undefined, n: number): string | undefined => (s === undefined ? undefined : s.length > n ? s.slice(0, n) : s);

export function buildPesRetour(input: PesRetourInput): Buffer {
  if (input.depense.length === 0 || input.depense.some((b) => b.pieces.length === 0 || b.pieces.some((p) => p.lignes.length === 0))) {
    throw new AppError('BAD_INPUT', 'Un PES_Retour dépense doit contenir au moins un bordereau, une pièce et une ligne.', 'PES_Retour needs bordereaux with pieces and lines');
  }
  const w = new PesXmlWriter();
  w.open('n:PES_Retour', ` xmlns:n="${PES_RETOUR_NS}"`);
  w.open('Enveloppe').open('Parametres').v('Version', '2').v('TypFic', input.typFic ?? 'PESRETOUR_DEP').v('NomFic', clip(input.nomFic, 100)).close('Parametres').close('Enveloppe');
  const e = input.entete;
  w.open('EnTetePES')
    .v('DteStr', e.dteStr)
    .v('IdPost', e.idPost)
    .v('LibellePoste', clip(e.libellePoste, 38))
    .v('IdColl', e.idColl)
    .v('CodColl', e.codColl)
    .v('CodBud', e.codBud)
    .v('LibelleColBud', clip(e.libelleColBud, 38))
    .close('EnTetePES');
  w.open('PES_DepenseRetour').open('EnTeteDepense').v('TypRestit', 'AA').v('IdVer', '2').v('NatInf', '2').close('EnTeteDepense');
  for (const b of input.depense) {
    w.open('Bordereau').open('BlocBordereau').v('Exer', b.exer).v('IdBord', b.idBord).v('TypBord', b.typBord).close('BlocBordereau');
    for (const p of b.pieces) {
      w.open('Piece').open('InfoPiece')
        .v('IdPce', p.idPce).v('TypPce', p.typPce).v('NatPce', p.natPce).v('Obj', clip(p.obj, 100)).v('DtePcePec', p.dtePcePec).v('EtatPce', p.etat ?? '02')
        .close('InfoPiece');
      for (const l of p.lignes) {
        w.open('LigneDePiece').open('BlocLignePiece').open('InfoLignePiece')
          .v('IdLigne', l.idLigne).v('EtatLigPce', l.etat ?? '01').v('ObsEtat', clip(l.obsEtat, 100)).v('MtHT', l.mtHT).v('MtTVA', l.mtTVA)
          .close('InfoLignePiece').close('BlocLignePiece').close('LigneDePiece');
      }
      w.close('Piece');
    }
    w.close('Bordereau');
  }
  w.close('PES_DepenseRetour').close('n:PES_Retour');
  return w.toLatin1();
}
