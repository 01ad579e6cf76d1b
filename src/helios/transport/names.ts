/**
 * Names and parameters of the Hélios FTP exchange (PROTOCOLS.md B.5): upload name of a PES_Aller, kinds of
 * the files found in /sortie/, and the SITE commands sent before STOR.
 */
import { AppError } from '../../shared/errors.ts';

/** What the gateway needs to route a PES_Aller (SITE P_MSG) and what correlates its acquit (NomFic). */
export interface PesTransportMeta {
  typFic: string;
  codCol: string;
  idPost: string;
  codBud: string;
  /** IdColl (SIRET of the collectivité), used in the upload name. */
  idColl: string;
  /** Enveloppe/Parametres/NomFic: echoed by Hélios in the PES_ACQUIT. */
  nomFic: string;
}

export type HeliosResponseKind = 'PES_ACQUIT' | 'PES_Retour';

const yymmdd = (d: Date): string =>
  `${String(d.getUTCFullYear() % 100).padStart(2, '0')}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;

/** `PESALR2_<SIRET>_<yyMMdd>_<nnn>.xml` (Stela's naming; nnn is the sequence of the day, from 1). */
export function pesUploadName(siret: string, date: Date, sequence: number): string {
  if (!/^[0-9]{14}$/.test(siret)) {
    throw new AppError('BAD_INPUT', `SIRET invalide pour le nom du fichier PES : « ${siret} ».`, `invalid SIRET ${siret} for the PES upload name`);
  }
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > 999999) {
    throw new AppError('BAD_INPUT', `Numéro d’envoi invalide : ${sequence}.`, `invalid sequence ${sequence}`);
  }
  return `PESALR2_${siret}_${yymmdd(date)}_${String(sequence).padStart(3, '0')}.xml`;
}

/** Names containing `ACK` are PES_ACQUIT, names starting `PES2R` are PES_Retour; others are not ours. */
export function responseKind(name: string): HeliosResponseKind | undefined {
  if (name.startsWith('PES2R')) return 'PES_Retour';
  if (name.includes('ACK')) return 'PES_ACQUIT';
  return undefined;
}

/** A value put on an FTP command line: no space, `#`, control character (CR/LF would inject commands). */
function commandValue(label: string, v: string, pattern: RegExp): string {
  if (!pattern.test(v)) {
    throw new AppError('BAD_INPUT', `Valeur invalide pour ${label} : « ${v} ».`, `invalid ${label}: ${JSON.stringify(v)}`, { field: label });
  }
  return v;
}

/** The SITE commands sent before STOR, in Stela's order. */
export function siteCommands(serverCode: string, appli: string, meta: PesTransportMeta): string[] {
  const code = /^[A-Za-z0-9_.-]{1,32}$/;
  return [
    `SITE P_DEST ${commandValue('P_DEST', serverCode, code)}`,
    `SITE P_APPLI ${commandValue('P_APPLI', appli, code)}`,
    `SITE P_MSG ${commandValue('TypFic', meta.typFic, code)}#${commandValue('CodCol', meta.codCol, /^[0-9A-Za-z]{1,3}$/)}#${commandValue('IdPost', meta.idPost, /^[0-9A-Za-z]{1,7}$/)}#${commandValue('CodBud', meta.codBud, /^[0-9A-Za-z]{1,2}$/)}`,
  ];
}

/** A plain file name (no directory, no control character). */
export function assertPlainFileName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(name)) {
    throw new AppError('BAD_INPUT', `Nom de fichier refusé pour l’envoi : « ${name} ».`, `refused upload file name ${JSON.stringify(name)}`);
  }
}
