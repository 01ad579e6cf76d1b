/**
 * Hélios transport over FTP (PROTOCOLS.md B.5), with basic-ftp: passive mode, binary (TYPE I, set by
 * basic-ftp at login). `send` deposits a PES_Aller in /entree/ after the SITE commands P_DEST, P_APPLI and
 * P_MSG; `fetchResponses` lists /sortie/, downloads each PES_ACQUIT / PES_Retour and hands it to the
 * caller's handler, and removes it (or moves it) only once the handler has succeeded.
 *
 * Delivery is at-least-once with a stable key (the remote file name): a handler that throws leaves the
 * file for the next poll, and a crash between the handler's success and the removal delivers the file
 * again with the same key. The use case makes this exactly-once by recording the key in the same
 * transaction as its effect and answering `isProcessed(key)`: such files are then only removed.
 */
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { Client, FileType, type FileInfo } from 'basic-ftp';
import { AppError } from '../../shared/errors.ts';
import { parsePesAcquit, parsePesRetour } from '../pes/index.ts';
import { assertPlainFileName, responseKind, siteCommands, type HeliosResponseKind, type PesTransportMeta } from './names.ts';

export interface HeliosFtpConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  /** FTPS (explicit TLS). The DGFiP gateway itself is reached over a private network; default false. */
  secure?: boolean;
  /** SITE P_DEST: code of the DGFiP server, e.g. VHPCE11. */
  serverCode: string;
  /** SITE P_APPLI; GHELPES2 for PES V2. */
  appli?: string;
  entreeDir?: string;
  sortieDir?: string;
  /** What to do with a handled response: remove it (default) or move it into this directory. */
  handledDir?: string;
  timeoutMs?: number;
  /** Responses larger than this are reported as failed and left in place. */
  maxResponseBytes?: number;
}

export interface SendReceipt {
  remotePath: string;
  nomFic: string;
  siteCommands: string[];
  bytes: number;
  sha256: string;
}

export interface HeliosResponse {
  /** Stable key for idempotent handling: the file name in /sortie/. */
  key: string;
  name: string;
  kind: HeliosResponseKind;
  bytes: Buffer;
  /** Enveloppe/Parametres/NomFic (for an acquit, the NomFic of the PES_Aller it answers). */
  nomFic?: string;
  /** Set when the file could not be read as its kind; the handler decides what to do. */
  parseError?: string;
}

export interface FetchReport {
  /** Keys handled and removed/moved. */
  handled: string[];
  /** Keys already processed (isProcessed) and only removed/moved now. */
  alreadyProcessed: string[];
  /** Keys left in place for the next poll, with the reason. */
  failed: Array<{ key: string; stage: 'download' | 'handler' | 'cleanup'; error: string }>;
  /** Files of /sortie/ that are neither acquits nor retours (left untouched). */
  ignored: string[];
}

export interface FetchOptions {
  /** True when the use case has already recorded this key (crash after handling, before removal). */
  isProcessed?: (key: string) => Promise<boolean>;
}

/** The port the lead's use cases depend on. */
export interface HeliosTransport {
  send(file: { name: string; bytes: Uint8Array }, meta: PesTransportMeta): Promise<SendReceipt>;
  fetchResponses(handler: (r: HeliosResponse) => Promise<void>, options?: FetchOptions): Promise<FetchReport>;
}

const external = (fr: string, e: unknown, details?: Record<string, unknown>): AppError =>
  new AppError('EXTERNAL_FAILURE', `${fr} : ${(e as Error).message}`, `${fr}: ${(e as Error).message}`, details);

export class FtpHeliosTransport implements HeliosTransport {
  readonly #cfg: Required<Omit<HeliosFtpConfig, 'handledDir'>> & { handledDir?: string };

  constructor(cfg: HeliosFtpConfig) {
    this.#cfg = {
      secure: false,
      appli: 'GHELPES2',
      entreeDir: '/entree',
      sortieDir: '/sortie',
      timeoutMs: 30_000,
      maxResponseBytes: 128 * 1024 * 1024,
      ...cfg,
    };
  }

  async #connect(): Promise<Client> {
    const client = new Client(this.#cfg.timeoutMs);
    try {
      await client.access({ host: this.#cfg.host, port: this.#cfg.port, user: this.#cfg.user, password: this.#cfg.password, secure: this.#cfg.secure });
    } catch (e) {
      client.close();
      throw external('Connexion au serveur Hélios impossible', e, { host: this.#cfg.host, port: this.#cfg.port });
    }
    return client;
  }

  async send(file: { name: string; bytes: Uint8Array }, meta: PesTransportMeta): Promise<SendReceipt> {
    assertPlainFileName(file.name);
    const commands = siteCommands(this.#cfg.serverCode, this.#cfg.appli, meta);
    const remotePath = `${this.#cfg.entreeDir.replace(/\/$/, '')}/${file.name}`;
    const client = await this.#connect();
    try {
      for (const c of commands) {
        try {
          await client.send(c);
        } catch (e) {
          throw external(`Commande « ${c} » refusée par le serveur Hélios`, e, { command: c });
        }
      }
      try {
        await client.uploadFrom(Readable.from([Buffer.from(file.bytes)]), remotePath);
      } catch (e) {
        throw external(`Dépôt de ${file.name} refusé par le serveur Hélios`, e, { remotePath });
      }
    } finally {
      client.close();
    }
    return {
      remotePath,
      nomFic: meta.nomFic,
      siteCommands: commands,
      bytes: file.bytes.byteLength,
      sha256: createHash('sha256').update(file.bytes).digest('hex'),
    };
  }

  async fetchResponses(handler: (r: HeliosResponse) => Promise<void>, options: FetchOptions = {}): Promise<FetchReport> {
    const report: FetchReport = { handled: [], alreadyProcessed: [], failed: [], ignored: [] };
    const dir = this.#cfg.sortieDir.replace(/\/$/, '');
    const client = await this.#connect();
    try {
      let list: FileInfo[];
      try {
        list = await client.list(dir);
      } catch (e) {
        throw external(`Lecture du répertoire ${dir} impossible`, e);
      }
      const files = list.filter((f) => f.type === FileType.File).sort((a, b) => a.name.localeCompare(b.name));
      for (const f of files) {
        const kind = responseKind(f.name);
        if (!kind) {
          report.ignored.push(f.name);
          continue;
        }
        const key = f.name;
        const path = `${dir}/${f.name}`;
        if (options.isProcessed && (await options.isProcessed(key))) {
          if (await this.#cleanup(client, path, f.name, report)) report.alreadyProcessed.push(key);
          continue;
        }
        let bytes: Buffer;
        try {
          if (f.size > this.#cfg.maxResponseBytes) throw new Error(`${f.size} bytes > ${this.#cfg.maxResponseBytes}`);
          bytes = await download(client, path, this.#cfg.maxResponseBytes);
        } catch (e) {
          report.failed.push({ key, stage: 'download', error: (e as Error).message });
          continue;
        }
        const response: HeliosResponse = { key, name: f.name, kind, bytes };
        try {
          response.nomFic = (kind === 'PES_ACQUIT' ? await parsePesAcquit(bytes) : await parsePesRetour(bytes)).nomFic;
        } catch (e) {
          response.parseError = (e as Error).message;
        }
        try {
          await handler(response);
        } catch (e) {
          report.failed.push({ key, stage: 'handler', error: (e as Error).message });
          continue;
        }
        if (await this.#cleanup(client, path, f.name, report)) report.handled.push(key);
      }
    } finally {
      client.close();
    }
    return report;
  }

  async #cleanup(client: Client, path: string, name: string, report: FetchReport): Promise<boolean> {
    try {
      if (this.#cfg.handledDir) await client.rename(path, `${this.#cfg.handledDir.replace(/\/$/, '')}/${name}`);
      else await client.remove(path);
      return true;
    } catch (e) {
      report.failed.push({ key: name, stage: 'cleanup', error: (e as Error).message });
      return false;
    }
  }
}

async function download(client: Client, path: string, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > max) return cb(new Error(`response larger than ${max} bytes`));
      chunks.push(chunk);
      cb();
    },
  });
  await client.downloadTo(sink, path);
  return Buffer.concat(chunks);
}
