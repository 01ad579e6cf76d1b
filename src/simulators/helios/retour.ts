/**
 * PES_Retour on demand: the comptable's feedback on the dépense bordereaux integrated from one PES_Aller,
 * every pièce and line marked "prise en charge" (EtatPce 02, EtatLigPce 01: the two nomenclatures differ).
 */
import { AppError } from '../../shared/errors.ts';
import { decodeXml } from '../../shared/xml/safe-xml.ts';
import { AllerReader, type BordereauInfo, type PesHeader } from '../../helios/pes/aller-reader.ts';
import { buildPesRetour } from '../../helios/acquit/index.ts';

export function buildRetourForAller(bytes: Buffer, acceptedBordereaux: string[], nomFic: string, now: Date): Buffer {
  const { text } = decodeXml(bytes);
  let header: PesHeader | undefined;
  const bordereaux: BordereauInfo[] = [];
  const reader = new AllerReader(
    {
      onHeader: (h) => (header = h),
      onBordereau: (b) => {
        if (b.domaine === 'depense' && acceptedBordereaux.includes(`${b.domaine}:${b.exer ?? ''}:${b.idBord ?? ''}`)) bordereaux.push(b);
      },
    },
    { maxPiecesKept: 100_000 },
  );
  reader.write(text);
  reader.end();
  if (!header || bordereaux.length === 0) {
    throw new AppError('NOT_FOUND', 'Aucun bordereau de dépense intégré pour ce fichier : pas de PES_Retour.', 'no integrated dépense bordereau: no PES_Retour');
  }
  const e = header.entete;
  const day = now.toISOString().slice(0, 10);
  return buildPesRetour({
    nomFic,
    entete: { dteStr: day, idPost: e.idPost ?? '000000', libellePoste: e.libellePoste, idColl: e.idColl ?? '', codColl: e.codCol ?? '', codBud: e.codBud ?? '', libelleColBud: e.libelleColBud },
    depense: bordereaux.map((b) => ({
      exer: b.exer ?? '',
      idBord: b.idBord ?? '',
      typBord: b.typBord ?? '01',
      pieces: b.pieces.map((p) => ({
        idPce: p.idPce ?? String(p.index),
        typPce: p.typPce ?? '01',
        natPce: p.natPce ?? '01',
        obj: p.obj,
        dtePcePec: day,
        lignes: p.lignes.map((l) => ({ idLigne: l.idLigne ?? String(l.index), mtHT: l.mtHT ?? '0', mtTVA: l.mtTVA })),
      })),
    })),
  });
}
