/**
 * The transport parameters of a PES_Aller read from its own header (Enveloppe and EnTetePES), so that
 * P_MSG, the upload name and the correlation key can never disagree with the file sent.
 */
import { AppError } from '../../shared/errors.ts';
import { decodeXml } from '../../shared/xml/safe-xml.ts';
import { AllerReader, type PesHeader } from '../pes/aller-reader.ts';
import type { PesTransportMeta } from './names.ts';

class HeaderRead extends Error {}

export function readPesAllerHeader(bytes: Uint8Array): PesHeader {
  const { text } = decodeXml(bytes);
  let header: PesHeader | undefined;
  const reader = new AllerReader({
    onHeader: (h) => {
      header = h;
      throw new HeaderRead();
    },
  });
  try {
    // EnTetePES comes right after the Enveloppe: the first 64 KiB always hold it in a valid PES.
    for (let i = 0; i < text.length && !header; i += 65536) reader.write(text.slice(i, i + 65536));
  } catch (e) {
    if (!(e instanceof HeaderRead)) throw e;
  }
  if (!header) throw new AppError('BAD_INPUT', 'En-tête du PES (EnTetePES) introuvable.', 'PES header (EnTetePES) not found');
  return header;
}

export function pesTransportMeta(bytes: Uint8Array): PesTransportMeta {
  const h = readPesAllerHeader(bytes);
  const meta = {
    typFic: h.parametres.typFic,
    nomFic: h.parametres.nomFic,
    codCol: h.entete.codCol,
    idPost: h.entete.idPost,
    codBud: h.entete.codBud,
    idColl: h.entete.idColl,
  };
  const missing = Object.entries(meta).filter(([, v]) => !v).map(([k]) => k);
  if (missing.length) {
    throw new AppError('BAD_INPUT', `En-tête du PES incomplet : ${missing.join(', ')} manquant(s).`, `PES header lacks ${missing.join(', ')}`);
  }
  return meta as PesTransportMeta;
}
