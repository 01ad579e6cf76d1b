/** Hélios télétransmission: FTP deposit of PES_Aller and polling of PES_ACQUIT / PES_Retour (B.5). */
export { FtpHeliosTransport } from './ftp-transport.ts';
export type { FetchOptions, FetchReport, HeliosFtpConfig, HeliosResponse, HeliosTransport, SendReceipt } from './ftp-transport.ts';
export { pesUploadName, responseKind, siteCommands, type HeliosResponseKind, type PesTransportMeta } from './names.ts';
export { pesTransportMeta, readPesAllerHeader } from './header.ts';
