/**
 * The `tdt-helios` connector: the DGFiP exchange gateway account (FTP) of a collectivité, usually set once
 * by the operator and inherited. P_DEST is the DGFiP server code, P_APPLI GHELPES2 for PES V2.
 */
import { z } from 'zod';

export const tdtHeliosConfig = z.object({
  host: z.string().min(1, 'Adresse du serveur Hélios manquante.').describe('Serveur FTP de la passerelle DGFiP'),
  port: z.number().int().min(1).max(65535).default(21),
  user: z.string().min(1, 'Identifiant FTP manquant.'),
  password: z.string().min(1, 'Mot de passe FTP manquant.'),
  secure: z.boolean().default(false).describe('FTPS explicite'),
  pDest: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'Code serveur P_DEST invalide.').describe('SITE P_DEST (code du serveur DGFiP, ex. VHPCE11)'),
  pAppli: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'Code P_APPLI invalide.').default('GHELPES2').describe('SITE P_APPLI'),
});

export type TdtHeliosConfig = z.output<typeof tdtHeliosConfig>;
export const TDT_HELIOS = 'tdt-helios';

/** The FTP account a response was read from: the idempotency scope of its file name. */
export function endpointOf(c: TdtHeliosConfig): string {
  return `ftp://${c.user}@${c.host}:${c.port}`;
}
