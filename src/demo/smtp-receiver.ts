/**
 * The demo's return channel without a mail server: a small SMTP receiver (smtp-server, already a dependency
 * for the tests' notification sink) bound to 127.0.0.1 that accepts mail for the demo's return addresses
 * and writes each message, byte for byte, into the directory read by DirectoryReturnMailbox. The préfecture
 * simulator delivers to it over real SMTP, as it would to a relay; the platform then reads the directory
 * with the same parsing as the IMAP mailbox.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { ensureMailDirectory, incomingMailName } from '../actes/transport/directory-mailbox.ts';

export interface SmtpReceiver {
  port: number;
  close(): Promise<void>;
}

const MAX_MAIL_BYTES = 200 * 1024 * 1024;

/** Starts the receiver; `accept` says which recipients it takes (others get 550). */
export async function startSmtpReceiver(o: { dir: string; port?: number; accept: (address: string) => boolean; onMail?: (file: string) => void }): Promise<SmtpReceiver> {
  const d = ensureMailDirectory(o.dir);
  let n = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    banner: 'Paraphe démonstration — réception des retours ACTES',
    size: MAX_MAIL_BYTES,
    onRcptTo(address, _session, cb) {
      if (o.accept(address.address.toLowerCase())) return cb();
      const e = new Error(`Destinataire inconnu : ${address.address}`) as Error & { responseCode: number };
      e.responseCode = 550;
      cb(e);
    },
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', cb);
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          const e = new Error('Message trop volumineux') as Error & { responseCode: number };
          e.responseCode = 552;
          return cb(e);
        }
        try {
          const name = incomingMailName(new Date(), ++n);
          const tmp = join(d.tmp, name);
          writeFileSync(tmp, Buffer.concat(chunks));
          renameSync(tmp, join(d.dir, name));
          o.onMail?.(name);
          cb();
        } catch (e) {
          cb(e as Error);
        }
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as { port: number }).port;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
