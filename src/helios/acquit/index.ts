/** PES_ACQUIT and PES_Retour builders (used by the Hélios simulator; parsing lives in src/helios/pes/). */
export { buildPesAcquit, acquitAccepted, DOMAINE_ACK, NUM_ANO_ACK, PES_ACQUIT_NS } from './build-acquit.ts';
export type { AcquitElementInput, AcquitErreurInput, DomaineAck, NumAnoAck, PesAcquitInput } from './build-acquit.ts';
export { buildPesRetour, PES_RETOUR_NS } from './build-retour.ts';
export type { PesRetourInput, RetourPieceInput, RetourLigneInput } from './build-retour.ts';
