/**
 * Sending an archive to @CTES (PROTOCOLS A.9): HTTPS POST multipart/form-data, field `file` = the
 * `.tar.gz`, with mutual TLS (the TdT's homologation certificate). When the main URL fails (network or TLS
 * error, or a 5xx answer), the rescue URL is tried. A 4xx answer is a refusal: it is not retried.
 *
 * Connections are kept alive and shared by every client with the same certificate, key and CA: a sending
 * costs one request, not a TCP connection, a mutual-TLS handshake and the parsing of the key each time.
 */
import { Agent, request } from 'node:https';
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../shared/errors.ts';
import { ARCHIVE_NAME_RE } from '../archive/names.ts';

export interface ArchiveToSend {
  fileName: string;
  bytes: Uint8Array;
}

export interface SendAttempt {
  url: string;
  /** HTTP status when the server answered. */
  httpStatus?: number;
  /** Network/TLS error code or message when it did not. */
  error?: string;
}

export type SendResult =
  | { status: 'accepted'; url: string; usedRescue: boolean; httpStatus: number; body: string; attempts: SendAttempt[] }
  | { status: 'refused'; url: string; usedRescue: boolean; httpStatus: number; reason: string; messageFr: string; attempts: SendAttempt[] }
  | { status: 'unreachable'; messageFr: string; messageEn: string; attempts: SendAttempt[] };

/** What the use cases depend on; tests and other transports implement it too. */
export interface CtesTransport {
  send(archive: ArchiveToSend): Promise<SendResult>;
}

export interface CtesClientConfig {
  /** Main @CTES endpoint (https). */
  url: string;
  /** Rescue endpoint, tried when the main one fails. */
  rescueUrl?: string;
  /** PEM client certificate (chain allowed) and its private key. */
  clientCert: string | Buffer;
  clientKey: string | Buffer;
  keyPassphrase?: string;
  /** PEM CA(s) trusted for the @CTES server; the system store when omitted. */
  ca?: string | Buffer;
  /** Socket inactivity limit per attempt (default 120 s: archives up to 150 MB). */
  timeoutMs?: number;
  /** Longest answer body kept (default 64 KiB). */
  maxResponseBytes?: number;
  /** Reuse connections (default true); false opens one connection per sending. */
  keepAlive?: boolean;
}

/** Keep-alive agents, one per credentials (certificate, key, passphrase, CA). */
const agents = new Map<string, Agent>();

function agentFor(cfg: CtesClientConfig): Agent {
  const key = createHash('sha256')
    .update(String(cfg.clientCert))
    .update('\0')
    .update(String(cfg.clientKey))
    .update('\0')
    .update(cfg.keyPassphrase ?? '')
    .update('\0')
    .update(String(cfg.ca ?? ''))
    .digest('hex');
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({
      keepAlive: true,
      // Idle sockets are closed after a few seconds (and before the server's own Keep-Alive timeout).
      timeout: 4_000,
      maxFreeSockets: 16,
      cert: cfg.clientCert,
      key: cfg.clientKey,
      ...(cfg.keyPassphrase ? { passphrase: cfg.keyPassphrase } : {}),
      ...(cfg.ca ? { ca: cfg.ca } : {}),
    });
    agents.set(key, agent);
  }
  return agent;
}

/** Closes the kept-alive connections (tests, shutdown). */
export function closeCtesConnections(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

function checkUrl(u: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw new AppError('VALIDATION', `L’adresse ${what} de @CTES « ${u} » n’est pas une URL valide.`, `invalid ${what} @CTES URL: ${u}`);
  }
  if (url.protocol !== 'https:') {
    throw new AppError('VALIDATION', `L’adresse ${what} de @CTES doit être en https (reçu « ${u} »).`, `@CTES ${what} URL must be https: ${u}`);
  }
  return url;
}

/** multipart/form-data body with one part `file`. */
export function multipartBody(fileName: string, bytes: Uint8Array): { body: Buffer; contentType: string } {
  const boundary = `----paraphe${randomBytes(12).toString('hex')}`;
  const safeName = fileName.replace(/["\r\n\\]/g, '_');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safeName}"\r\nContent-Type: application/x-gzip\r\n\r\n`,
    'utf8',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  return { body: Buffer.concat([head, Buffer.from(bytes), tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

interface HttpAnswer {
  status: number;
  body: string;
}

const TLS_ERROR_FR: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'le certificat du serveur @CTES est auto-signé',
  SELF_SIGNED_CERT_IN_CHAIN: 'le certificat du serveur @CTES n’est pas émis par une autorité reconnue',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'le certificat du serveur @CTES n’est pas émis par une autorité reconnue',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'le certificat du serveur @CTES n’est pas émis par une autorité reconnue',
  CERT_HAS_EXPIRED: 'le certificat du serveur @CTES a expiré',
  ERR_TLS_CERT_ALTNAME_INVALID: 'le certificat du serveur @CTES ne correspond pas à son adresse',
  ECONNREFUSED: 'la connexion a été refusée',
  ECONNRESET: 'la connexion a été coupée (certificat client refusé ?)',
  ENOTFOUND: 'le nom du serveur est inconnu',
  ETIMEDOUT: 'le serveur ne répond pas',
  EPIPE: 'la connexion a été coupée (certificat client refusé ?)',
};

function describeError(e: unknown): { code: string; fr: string } {
  const err = e as { code?: string; message?: string };
  const code = err.code ?? 'ERROR';
  let fr = TLS_ERROR_FR[code];
  if (!fr && /alert|certificate|handshake/i.test(err.message ?? '')) fr = 'la négociation TLS a échoué (certificat client refusé ?)';
  return { code: `${code}: ${err.message ?? ''}`.trim(), fr: fr ?? `erreur réseau (${code})` };
}

function post(url: URL, cfg: CtesClientConfig, archive: ArchiveToSend): Promise<HttpAnswer> {
  const { body, contentType } = multipartBody(archive.fileName, archive.bytes);
  const maxBody = cfg.maxResponseBytes ?? 64 * 1024;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        cert: cfg.clientCert,
        key: cfg.clientKey,
        ...(cfg.keyPassphrase ? { passphrase: cfg.keyPassphrase } : {}),
        ...(cfg.ca ? { ca: cfg.ca } : {}),
        agent: cfg.keepAlive === false ? false : agentFor(cfg),
        headers: { 'content-type': contentType, 'content-length': String(body.length), accept: '*/*' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < maxBody) chunks.push(c.subarray(0, maxBody - size));
          size += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(cfg.timeoutMs ?? 120_000, () => req.destroy(Object.assign(new Error('socket timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

export class HttpsCtesClient implements CtesTransport {
  private readonly urls: URL[];

  constructor(private readonly cfg: CtesClientConfig) {
    this.urls = [checkUrl(cfg.url, 'principale')];
    if (cfg.rescueUrl) this.urls.push(checkUrl(cfg.rescueUrl, 'de secours'));
    if (!cfg.clientCert || !cfg.clientKey) {
      throw new AppError(
        'VALIDATION',
        'Le certificat client et sa clé privée sont obligatoires pour transmettre à @CTES.',
        '@CTES client certificate and key are required',
      );
    }
  }

  async send(archive: ArchiveToSend): Promise<SendResult> {
    if (!ARCHIVE_NAME_RE.test(archive.fileName)) {
      throw new AppError(
        'VALIDATION',
        `Le nom d’archive « ${archive.fileName} » n’a pas la forme attendue par @CTES (TRI-EACT--SIREN--AAAAMMJJ-n.tar.gz).`,
        `bad archive name ${archive.fileName}`,
      );
    }
    const attempts: SendAttempt[] = [];
    const failuresFr: string[] = [];
    for (const [i, url] of this.urls.entries()) {
      const usedRescue = i > 0;
      const href = url.href;
      try {
        const answer = await post(url, this.cfg, archive);
        attempts.push({ url: href, httpStatus: answer.status });
        if (answer.status >= 200 && answer.status < 300) {
          return { status: 'accepted', url: href, usedRescue, httpStatus: answer.status, body: answer.body, attempts };
        }
        if (answer.status >= 400 && answer.status < 500) {
          const reason = answer.body.trim().slice(0, 2000) || `HTTP ${answer.status}`;
          return {
            status: 'refused',
            url: href,
            usedRescue,
            httpStatus: answer.status,
            reason,
            messageFr: `@CTES a refusé l’archive ${archive.fileName} (HTTP ${answer.status}) : ${reason}`,
            attempts,
          };
        }
        failuresFr.push(`${href} a répondu HTTP ${answer.status}`);
      } catch (e) {
        const d = describeError(e);
        attempts.push({ url: href, error: d.code });
        failuresFr.push(`${href} : ${d.fr}`);
      }
    }
    return {
      status: 'unreachable',
      messageFr: `Impossible de transmettre l’archive ${archive.fileName} à @CTES : ${failuresFr.join(' ; ')}. Elle sera renvoyée plus tard.`,
      messageEn: `@CTES unreachable for ${archive.fileName}: ${attempts.map((a) => `${a.url} ${a.httpStatus ?? a.error}`).join('; ')}`,
      attempts,
    };
  }
}
