/** PES V2 (Hélios): validation, readable view, PJ extraction, PES_ACQUIT and PES_Retour parsing. */
export { DEFAULT_PES_CONFIG, PES_SCHEMA_VERSIONS, pesConfig, pesSchemaPath, type PesConfig, type PesSchemaVersion } from './config.ts';
export { sniffPes, type PesSniff, type PesSource, type PesKind } from './input.ts';
export { validatePesAller, validatePesXsd, detectPesSchemaVersions, type PesValidationReport } from './validate.ts';
export { readPesView, extractPj, viewToText, LIBELLES, type PesView } from './view.ts';
export { parsePesAcquit, parsePesRetour, acquitToText, retourSummaryFr, ETAT_PIECE_RETOUR_FR, type PesAcquit, type PesRetour, type RetourBordereau } from './acquit.ts';
export { decodePjContent, checkPjContent } from './pj.ts';
export type { PesFinding, PesPlace } from './report.ts';
