/**
 * A return mailbox kept as a directory of RFC 822 files (`*.eml`), for deployments without an IMAP server —
 * the demo started by `paraphe start` receives the préfecture simulator's answers over SMTP with its own
 * small receiver (src/demo/smtp-receiver.ts) that drops each mail here.
 *
 * Layout: new mails in the directory itself (written under `tmp/` then renamed, so a half-written mail is
 * never read), handled ones moved to `traites/`, mails without a readable ACTES message to `rejetes/`.
 * Nothing is ever deleted. Same guarantee as the IMAP poller: a mail is moved only after its handler
 * resolved; if the handler throws it stays and is handed again at the next poll (at-least-once, the handler
 * is idempotent on the key). The extraction is the same pure function as for IMAP (`extractActesMail`).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type { ExtractLimits } from '../archive/tar.ts';
import { extractActesMail, type ActesMailHandler, type MailExtraction, type PollReport, type ReturnMailbox } from './return-mailbox.ts';

export interface DirectoryMailboxConfig {
  dir: string;
  archiveLimits?: Partial<ExtractLimits>;
  /** Maximum mails handled per poll (default 100). */
  batchSize?: number;
  /** Larger files are rejected unread (default 200 MB, the size of the biggest acte with its annexes). */
  maxBytes?: number;
}

export const PROCESSED_DIR = 'traites';
export const REJECTED_DIR = 'rejetes';
export const INCOMING_TMP_DIR = 'tmp';

/** Creates the layout; returns the directories. */
export function ensureMailDirectory(dir: string): { dir: string; tmp: string; processed: string; rejected: string } {
  const d = { dir, tmp: join(dir, INCOMING_TMP_DIR), processed: join(dir, PROCESSED_DIR), rejected: join(dir, REJECTED_DIR) };
  for (const x of Object.values(d)) mkdirSync(x, { recursive: true });
  return d;
}

/** A name that sorts in arrival order and never collides. */
export function incomingMailName(now: Date, n: number): string {
  return `${now.toISOString().replace(/[-:.]/g, '')}-${process.pid}-${String(n).padStart(6, '0')}.eml`;
}

export class DirectoryReturnMailbox implements ReturnMailbox {
  constructor(private readonly cfg: DirectoryMailboxConfig) {}

  async poll(handler: ActesMailHandler): Promise<PollReport> {
    const d = ensureMailDirectory(this.cfg.dir);
    const report: PollReport = { processed: [], unknown: [], failed: [] };
    const names = readdirSync(d.dir, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.eml'))
      .map((e) => e.name)
      .sort()
      .slice(0, this.cfg.batchSize ?? 100);
    let uid = 0;
    for (const name of names) {
      uid++;
      const path = join(d.dir, name);
      const size = statSync(path).size;
      const raw = size > (this.cfg.maxBytes ?? 200 * 1024 * 1024) ? null : readFileSync(path);
      let extraction: MailExtraction;
      let messageId: string | undefined;
      if (!raw) {
        extraction = { kind: 'unknown', reason: `mail of ${size} bytes is over the limit`, reasonFr: 'Courriel trop volumineux.' };
      } else {
        try {
          extraction = await extractActesMail(raw, this.cfg.archiveLimits);
          messageId = extraction.kind === 'actes' ? extraction.mail.messageId : (await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true })).messageId;
        } catch (e) {
          extraction = { kind: 'unknown', reason: `unreadable mail: ${(e as Error).message}`, reasonFr: 'Courriel illisible.' };
        }
      }
      const id = messageId?.trim();
      const key = id && id.length > 2 ? `message-id:${id}` : `fichier:${name}`;
      if (extraction.kind === 'unknown') {
        renameSync(path, join(d.rejected, name));
        report.unknown.push({ key, uid, reason: extraction.reason, reasonFr: extraction.reasonFr, raw: raw ?? Buffer.alloc(0) });
        continue;
      }
      try {
        await handler({ ...extraction.mail, key, uid, uidValidity: 'repertoire' });
      } catch (e) {
        report.failed.push({ key, uid, error: e as Error });
        continue; // left in place: handed again at the next poll
      }
      renameSync(path, join(d.processed, name));
      report.processed.push(key);
    }
    return report;
  }
}
