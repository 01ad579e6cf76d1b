/**
 * The return mailbox (PROTOCOLS A.9): the préfecture's messages arrive by e-mail to the enveloppe's
 * `AdressesRetour`. The poller reads every unseen mail of the inbox over IMAP, keeps its raw RFC 822 bytes
 * as evidence, extracts the XML messages, documents and `.tar.gz` archives (read with the safe reader),
 * parses the messages, and hands the result to a handler.
 *
 * Delivery guarantee: a mail is flagged `\Seen` and moved to the "traites" folder only after the handler
 * resolved. If the handler throws, or the process dies, the mail stays unseen in the inbox and is handed
 * again at the next poll: at-least-once. The handler gets a stable key (Message-ID, else UIDVALIDITY+UID)
 * and must be idempotent on it, which makes processing effectively once.
 *
 * Mails that carry no ACTES message are moved to the "inconnus" folder and reported, never handed.
 */
import { ImapFlow, type FetchMessageObject } from 'imapflow';
import { simpleParser, type Attachment } from 'mailparser';
import { AppError } from '../../shared/errors.ts';
import type { ArchiveEntry, ExtractLimits } from '../archive/tar.ts';
import { parseActesFileName, type ActesFileName } from '../archive/names.ts';
import { parseActesMessage, type ActesMessage } from '../messages/parse.ts';
import { readActesArchive, type ReadArchiveResult } from '../messages/read-archive.ts';

export interface ReceivedMessage {
  /** File name of the XML (attachment name, or entry name inside an archive). */
  fileName: string;
  /** Archive attachment it came from, when it came from one. */
  archive?: string;
  fileNameParts?: ActesFileName;
  /** Raw XML bytes as received. */
  data: Buffer;
  message: ActesMessage;
}

export interface ReceivedDocument {
  fileName: string;
  archive?: string;
  contentType?: string;
  data: Buffer;
}

export interface ActesMail {
  /** Stable key for idempotency: `message-id:<…>` or `imap:<uidvalidity>:<uid>`. */
  key: string;
  messageId?: string;
  uid: number;
  uidValidity: string;
  subject?: string;
  from?: string;
  date?: Date;
  /** The whole mail as received (RFC 822), to keep as evidence. */
  raw: Buffer;
  /** ACTES messages found (enveloppes excluded), directly attached or inside archives. */
  messages: ReceivedMessage[];
  /** Enveloppes found in archives (`EnveloppeMISILLCL`). */
  enveloppes: ReceivedMessage[];
  /** Every other file: PDFs of the letters, stamped actes, images, unknown XML… */
  documents: ReceivedDocument[];
  /** Archives as read (entries and sorting), for callers that need more. */
  archives: { fileName: string; data: Buffer; read: ReadArchiveResult }[];
}

export type MailExtraction = { kind: 'actes'; mail: Omit<ActesMail, 'key' | 'uid' | 'uidValidity'> } | { kind: 'unknown'; reason: string; reasonFr: string };

export interface UnknownMail {
  key: string;
  uid: number;
  subject?: string;
  from?: string;
  reason: string;
  reasonFr: string;
  raw: Buffer;
}

export interface PollReport {
  /** Keys of the mails handled successfully (now seen, in the "traites" folder). */
  processed: string[];
  /** Mails with no ACTES message, moved to the "inconnus" folder. */
  unknown: UnknownMail[];
  /** Mails whose handler failed: left unseen in the inbox for the next poll. */
  failed: { key: string; uid: number; error: Error }[];
}

export type ActesMailHandler = (mail: ActesMail) => Promise<void>;

/** What the use cases depend on. */
export interface ReturnMailbox {
  poll(handler: ActesMailHandler): Promise<PollReport>;
}

export interface ImapMailboxConfig {
  host: string;
  port: number;
  /** Implicit TLS (993); otherwise STARTTLS is used when the server offers it. */
  secure: boolean;
  user: string;
  password: string;
  /** CA(s) for the IMAP server's certificate. */
  ca?: string | Buffer;
  /** Folder polled (default INBOX). */
  mailbox?: string;
  /** Folder for handled mails (default "traites"); null keeps them in the inbox, only flagged \Seen. */
  processedFolder?: string | null;
  /** Folder for mails without ACTES message (default "inconnus"). */
  unknownFolder?: string;
  /** Limits for attached archives (see extractTarGz). */
  archiveLimits?: Partial<ExtractLimits>;
  /** Maximum mails handled per poll (default 100). */
  batchSize?: number;
  /** Mails handled at the same time (those about the same acte stay in order). Default 8. */
  concurrency?: number;
}

/** Mails about the same acte (or the same envelope) are handled one after the other, in order. */
function orderKeyOf(mail: Omit<ActesMail, 'key' | 'uid' | 'uidValidity'>): string {
  for (const r of mail.messages) {
    const id = (r.message as { idActe?: string }).idActe ?? (r.fileNameParts?.kind === 'message' ? r.fileNameParts.idActe : undefined);
    if (id) return `acte:${id}`;
  }
  return 'sans-acte';
}

const XML_TYPES = /^(application|text)\/([a-z.+-]*\+)?xml$/i;
const GZIP_TYPES = /^application\/(x-)?(gzip|gtar|tar\+gzip|x-compressed-tar)$/i;

function isArchive(a: Attachment): boolean {
  const n = a.filename ?? '';
  return /\.(tar\.gz|tgz)$/i.test(n) || (GZIP_TYPES.test(a.contentType) && !/\.(xml|pdf)$/i.test(n));
}

function isXml(a: Attachment): boolean {
  return /\.xml$/i.test(a.filename ?? '') || (XML_TYPES.test(a.contentType) && !a.filename);
}

const isEnveloppe = (m: ActesMessage): boolean => m.kind === 'EnveloppeMISILLCL' || m.kind === 'EnveloppeCLMISILL';

/**
 * Reads a raw mail and extracts its ACTES content (pure: no IMAP). A DOCTYPE in an XML, a hostile or
 * unreadable archive, or a mail without any ACTES message makes it "unknown" with the reason.
 */
export async function extractActesMail(raw: Buffer, limits: Partial<ExtractLimits> = {}): Promise<MailExtraction> {
  const parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const messages: ReceivedMessage[] = [];
  const enveloppes: ReceivedMessage[] = [];
  const documents: ReceivedDocument[] = [];
  const archives: ActesMail['archives'] = [];
  const problems: { en: string; fr: string }[] = [];
  let n = 0;
  for (const a of parsed.attachments) {
    n++;
    const fileName = a.filename ?? `piece-jointe-${n}`;
    if (isArchive(a)) {
      try {
        const read = await readActesArchive(a.content, limits);
        archives.push({ fileName, data: a.content, read });
        if (read.enveloppe) {
          enveloppes.push({ fileName: read.enveloppe.name, archive: fileName, data: entryData(read.entries, read.enveloppe.name), message: read.enveloppe.message });
        }
        for (const m of read.messages) {
          if (isEnveloppe(m.message)) continue;
          messages.push({
            fileName: m.name,
            archive: fileName,
            ...(m.fileName ? { fileNameParts: m.fileName } : {}),
            data: entryData(read.entries, m.name),
            message: m.message,
          });
        }
        for (const d of [...read.documents, ...read.others]) documents.push({ fileName: d.name, archive: fileName, data: d.data });
      } catch (e) {
        const fr = e instanceof AppError ? e.messageFr : (e as Error).message;
        problems.push({ en: `archive ${fileName}: ${(e as Error).message}`, fr: `archive ${fileName} : ${fr}` });
        documents.push({ fileName, contentType: a.contentType, data: a.content });
      }
      continue;
    }
    if (isXml(a)) {
      try {
        const message = parseActesMessage(a.content);
        const parts = parseActesFileName(fileName);
        const rm: ReceivedMessage = { fileName, ...(parts ? { fileNameParts: parts } : {}), data: a.content, message };
        (isEnveloppe(message) ? enveloppes : messages).push(rm);
        continue;
      } catch (e) {
        if (/DOCTYPE|ENTITY/i.test((e as Error).message)) {
          problems.push({ en: `XML ${fileName} refused: ${(e as Error).message}`, fr: `XML ${fileName} refusé (DOCTYPE interdit)` });
        }
        // Otherwise an XML that is no ACTES message: kept as a document.
      }
    }
    documents.push({ fileName, contentType: a.contentType, data: a.content });
  }
  if (messages.length === 0) {
    const why = problems.length ? problems : [{ en: 'no ACTES message attached', fr: 'aucun message ACTES en pièce jointe' }];
    return { kind: 'unknown', reason: why.map((p) => p.en).join('; '), reasonFr: `Courriel non reconnu : ${why.map((p) => p.fr).join(' ; ')}.` };
  }
  const from = parsed.from?.value[0]?.address;
  return {
    kind: 'actes',
    mail: {
      ...(parsed.messageId ? { messageId: parsed.messageId } : {}),
      ...(parsed.subject !== undefined ? { subject: parsed.subject } : {}),
      ...(from ? { from } : {}),
      ...(parsed.date ? { date: parsed.date } : {}),
      raw,
      messages,
      enveloppes,
      documents,
      archives,
    },
  };
}

function entryData(entries: ArchiveEntry[], name: string): Buffer {
  return entries.find((e) => e.name === name)?.data ?? Buffer.alloc(0);
}

export function mailKey(messageId: string | undefined, uidValidity: string, uid: number): string {
  const id = messageId?.trim();
  return id && id.length > 2 ? `message-id:${id}` : `imap:${uidValidity}:${uid}`;
}

export class ImapReturnMailbox implements ReturnMailbox {
  constructor(private readonly cfg: ImapMailboxConfig) {}

  private client(): ImapFlow {
    const c = this.cfg;
    return new ImapFlow({
      host: c.host,
      port: c.port,
      secure: c.secure,
      auth: { user: c.user, pass: c.password },
      logger: false,
      ...(c.ca ? { tls: { ca: c.ca } } : {}),
    });
  }

  private async ensureFolder(client: ImapFlow, path: string): Promise<void> {
    const list = await client.list();
    if (!list.some((m) => m.path === path)) await client.mailboxCreate(path);
  }

  async poll(handler: ActesMailHandler): Promise<PollReport> {
    const cfg = this.cfg;
    const inbox = cfg.mailbox ?? 'INBOX';
    const processedFolder = cfg.processedFolder === undefined ? 'traites' : cfg.processedFolder;
    const unknownFolder = cfg.unknownFolder ?? 'inconnus';
    const report: PollReport = { processed: [], unknown: [], failed: [] };
    const client = this.client();
    try {
      await client.connect();
    } catch (e) {
      throw new AppError(
        'EXTERNAL_FAILURE',
        `Impossible de se connecter à la boîte aux lettres de retour ACTES (${cfg.host}:${cfg.port}) : ${(e as Error).message}`,
        `IMAP connection to ${cfg.host}:${cfg.port} failed: ${(e as Error).message}`,
      );
    }
    try {
      if (processedFolder) await this.ensureFolder(client, processedFolder);
      await this.ensureFolder(client, unknownFolder);
      const lock = await client.getMailboxLock(inbox);
      try {
        const box = client.mailbox;
        const uidValidity = box ? String(box.uidValidity) : '0';
        const uids = ((await client.search({ seen: false }, { uid: true })) || []).sort((a, b) => a - b).slice(0, cfg.batchSize ?? 100);
        // One FETCH for the batch (not one round trip per mail); no other command may run while it streams.
        const fetched: { uid: number; raw: Buffer; envelope: FetchMessageObject['envelope'] }[] = [];
        if (uids.length) {
          for await (const msg of client.fetch(uids.join(','), { uid: true, source: true, envelope: true }, { uid: true })) {
            if (msg.source) fetched.push({ uid: msg.uid, raw: msg.source, envelope: msg.envelope });
          }
        }
        fetched.sort((a, b) => a.uid - b.uid);
        const unknownUids: number[] = [];
        const doneUids: number[] = [];
        // Mails are handled concurrently (each is its own transaction), but those about the same acte in
        // the order they arrived: an AR and a later anomalie must not swap.
        const chains = new Map<string, Promise<void>>();
        const running = new Set<Promise<void>>();
        const concurrency = Math.max(1, cfg.concurrency ?? 8);
        for (const { uid, raw, envelope } of fetched) {
          const key = mailKey(envelope?.messageId, uidValidity, uid);
          let extraction: MailExtraction;
          try {
            extraction = await extractActesMail(raw, cfg.archiveLimits);
          } catch (e) {
            extraction = { kind: 'unknown', reason: `unreadable mail: ${(e as Error).message}`, reasonFr: 'Courriel illisible.' };
          }
          if (extraction.kind === 'unknown') {
            unknownUids.push(uid);
            report.unknown.push({
              key,
              uid,
              ...(envelope?.subject ? { subject: envelope.subject } : {}),
              ...(envelope?.from?.[0]?.address ? { from: envelope.from[0].address } : {}),
              reason: extraction.reason,
              reasonFr: extraction.reasonFr,
              raw,
            });
            continue;
          }
          const mail = extraction.mail;
          const order = orderKeyOf(mail);
          while (running.size >= concurrency) await Promise.race(running);
          const task = (chains.get(order) ?? Promise.resolve()).then(async () => {
            try {
              await handler({ ...mail, key, uid, uidValidity });
              doneUids.push(uid);
              report.processed.push(key);
            } catch (e) {
              report.failed.push({ key, uid, error: e as Error }); // left unseen: handed again at the next poll
            }
          });
          chains.set(order, task);
          running.add(task);
          void task.finally(() => running.delete(task));
        }
        await Promise.all(running);
        if (unknownUids.length) await client.messageMove(unknownUids.join(','), unknownFolder, { uid: true });
        if (doneUids.length) {
          const set = doneUids.sort((a, b) => a - b).join(',');
          await client.messageFlagsAdd(set, ['\\Seen'], { uid: true });
          if (processedFolder) await client.messageMove(set, processedFolder, { uid: true });
        }
      } finally {
        lock.release();
      }
    } finally {
      await client.logout().catch(() => client.close());
    }
    return report;
  }
}
