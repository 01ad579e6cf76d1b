/**
 * Side effects of the ACTES module behind interfaces: the @CTES transport, the return mailbox, e-mail
 * notifications and the encrypted-PDF check. The defaults are the real adapters (mTLS HTTPS, IMAP,
 * nodemailer over SMTP, qpdf); a test or another deployment passes its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { AppError } from '../shared/errors.ts';
import { HttpsCtesClient, type CtesTransport } from './transport/ctes-client.ts';
import { ImapReturnMailbox, type ReturnMailbox } from './transport/return-mailbox.ts';
import { DirectoryReturnMailbox } from './transport/directory-mailbox.ts';
import { readPem, type TdtActesConfig } from './tdt-connector.ts';

export interface Notification {
  to: string[];
  subject: string;
  text: string;
}

export interface Notifier {
  send(n: Notification): Promise<void>;
}

export interface ActesPorts {
  transport(config: TdtActesConfig): CtesTransport;
  mailbox(config: TdtActesConfig): ReturnMailbox;
  notifier: Notifier;
  /** True when the PDF is encrypted (the préfecture refuses locked documents). */
  isEncryptedPdf(bytes: Uint8Array): boolean;
}

export function httpsTransport(c: TdtActesConfig): CtesTransport {
  return new HttpsCtesClient({
    url: c.url,
    ...(c.rescueUrl ? { rescueUrl: c.rescueUrl } : {}),
    clientCert: readPem(c.clientCertPath, 'certificat client'),
    clientKey: readPem(c.clientKeyPath, 'clé privée'),
    ...(c.keyPassphrase ? { keyPassphrase: c.keyPassphrase } : {}),
    ...(c.caPath ? { ca: readPem(c.caPath, 'autorité de confiance') } : {}),
  });
}

/** The IMAP mailbox of the connector, or its directory mailbox when it names one instead (demo). */
export function imapMailbox(c: TdtActesConfig): ReturnMailbox {
  if (!c.imap) {
    if (!c.repertoireRetour) throw new AppError('UNPROCESSABLE', 'Aucune boîte de retour n’est configurée pour ACTES.', 'tdt-actes has neither imap nor repertoireRetour');
    return new DirectoryReturnMailbox({ dir: c.repertoireRetour });
  }
  return new ImapReturnMailbox({
    host: c.imap.host,
    port: c.imap.port,
    secure: c.imap.secure,
    user: c.imap.user,
    password: c.imap.password,
    ...(c.imap.caPath ? { ca: readPem(c.imap.caPath, 'autorité de confiance IMAP') } : {}),
  });
}

/** SMTP from `PARAPHE_SMTP_URL` (e.g. smtp://127.0.0.1:25); without it, notifications are only logged. */
export function smtpNotifier(env: NodeJS.ProcessEnv = process.env): Notifier {
  const url = env.PARAPHE_SMTP_URL;
  const from = env.PARAPHE_MAIL_FROM ?? 'Paraphe <ne-pas-repondre@paraphe.test>';
  if (!url) {
    return {
      async send(n) {
        console.warn(`notification non envoyée (PARAPHE_SMTP_URL absent) : ${n.subject} → ${n.to.join(', ')}`);
      },
    };
  }
  const transport = nodemailer.createTransport(url);
  return {
    async send(n) {
      if (n.to.length === 0) return;
      await transport.sendMail({ from, to: n.to, subject: n.subject, text: n.text });
    },
  };
}

/**
 * The name /Encrypt, also spelt with #xx escapes (PDF names may escape any character): an encrypted PDF
 * carries it in its trailer or cross-reference stream dictionary, which are never encrypted nor compressed.
 */
const ENCRYPT_NAME = /\/(?:E|#45)(?:n|#6e)(?:c|#63)(?:r|#72)(?:y|#79)(?:p|#70)(?:t|#74)/i;

/** False when the bytes cannot be an encrypted PDF (no /Encrypt name anywhere): no need to ask qpdf. */
export function mayBeEncryptedPdf(bytes: Uint8Array): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return b.includes('/Encrypt') || ENCRYPT_NAME.test(b.toString('latin1'));
}

/**
 * `qpdf --is-encrypted` exits 0 when encrypted, 2 when not. Asked only when the bytes name /Encrypt at all:
 * the synchronous spawn blocked the whole process (every job worker and request) for each document.
 */
export function qpdfIsEncrypted(bytes: Uint8Array): boolean {
  if (!mayBeEncryptedPdf(bytes)) return false;
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-qpdf-'));
  try {
    const file = join(dir, 'doc.pdf');
    writeFileSync(file, bytes);
    const r = spawnSync('qpdf', ['--is-encrypted', file]);
    if (r.error) throw new AppError('INTERNAL', 'Vérification du PDF impossible (qpdf absent).', `qpdf not available: ${r.error.message}`);
    return r.status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function defaultActesPorts(): ActesPorts {
  return { transport: httpsTransport, mailbox: imapMailbox, notifier: smtpNotifier(), isEncryptedPdf: qpdfIsEncrypted };
}
