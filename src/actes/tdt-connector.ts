/**
 * The `tdt-actes` connector: where and how Paraphe talks to @CTES for a collectivité. Set once by the
 * operator (or a group) and inherited, overridden per collectivité when needed (return addresses, nature).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppError } from '../shared/errors.ts';
import { checkActesEmail } from './domain/rules.ts';

const email = z.string().superRefine((v, ctx) => {
  const m = checkActesEmail(v);
  if (m) ctx.addIssue({ code: 'custom', message: m });
});

export const tdtActesConfig = z.object({
  url: z.string().url('Adresse @CTES invalide.').describe('URL @CTES (https, certificat client)'),
  rescueUrl: z.string().url('Adresse de secours @CTES invalide.').optional().describe('URL de secours @CTES'),
  clientCertPath: z.string().min(1, 'Certificat client manquant.').describe('Chemin du certificat client (PEM)'),
  clientKeyPath: z.string().min(1, 'Clé privée du certificat client manquante.').describe('Chemin de la clé privée (PEM)'),
  keyPassphrase: z.string().optional(),
  caPath: z.string().optional().describe('Autorité(s) de confiance du serveur @CTES (PEM)'),
  trigramme: z.string().regex(/^[A-Za-z0-9]{3}$/, 'Le trigramme compte 3 lettres ou chiffres.').optional(),
  adressesRetour: z.array(email).min(1, 'Au moins une adresse de retour est nécessaire.').describe('Adresses où la préfecture répond'),
  natureCollectivite: z.string().regex(/^[0-9]{2}$/).optional().describe('Nature de la collectivité (2 chiffres) ; déduite du type sinon'),
  plateformeTest: z.boolean().default(false),
  imap: z.object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    secure: z.boolean().default(false),
    user: z.string().min(1),
    password: z.string().min(1),
    caPath: z.string().optional(),
  }).optional().describe('Boîte aux lettres de retour (IMAP)'),
  repertoireRetour: z.string().min(1).optional().describe('Boîte de retour tenue en répertoire de fichiers .eml (démonstration, sans serveur IMAP)'),
}).superRefine((c, ctx) => {
  if (!c.imap && !c.repertoireRetour) ctx.addIssue({ code: 'custom', path: ['imap'], message: 'Indiquez la boîte aux lettres de retour (IMAP) ou un répertoire de retour.' });
});

export type TdtActesConfig = z.output<typeof tdtActesConfig>;

/** Identity of the return mailbox of a configuration: collectivités sharing one mailbox are polled once. */
export function mailboxKey(c: TdtActesConfig): string {
  return c.imap ? `imap:${c.imap.host}:${c.imap.port}:${c.imap.user}` : `repertoire:${c.repertoireRetour}`;
}
export const TDT_ACTES = 'tdt-actes';

export function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new AppError('UNPROCESSABLE', `Le fichier ${what} du connecteur ACTES est introuvable (${path}).`, `cannot read ${what} ${path}`);
  }
}

/** Nature code of the collectivité for `IDCL/@actes:Nature` (PROTOCOLS A.4) when the connector does not say. */
export function natureOfCollectiviteType(type: string): string {
  const byType: Record<string, string> = { commune: '31', departement: '21', region: '11', epci: '44', syndicat: '41', sdis: '51' };
  return byType[type] ?? '71';
}
