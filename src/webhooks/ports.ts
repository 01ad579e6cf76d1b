/**
 * The one side effect of the webhooks module, behind a port: POSTing a body to a URL. The default adapter
 * uses Node's own http/https client rather than fetch because it lets us check the address actually
 * connected to (after DNS resolution) against the internal-address policy, and it never follows redirects.
 */
import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { isInternalAddress } from './address-policy.ts';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Loopback and private addresses allowed (operator setting). */
  allowPrivate: boolean;
  /** At most this many bytes of the answer are kept. */
  maxResponseBytes: number;
}

export interface WebhookResponse {
  status: number;
  /** Beginning of the answer's body (for the delivery log). */
  body: string;
}

export interface WebhookHttp {
  /** Resolves with any HTTP answer (2xx or not); rejects on network error, timeout or refused address. */
  post(req: WebhookRequest): Promise<WebhookResponse>;
}

export interface WebhookPorts {
  http: WebhookHttp;
  /** How long one call may take (connection, answer). */
  timeoutMs: number;
}

function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const refused = allowPrivate ? undefined : addresses.find((a) => isInternalAddress(a.address));
      if (refused) return callback(Object.assign(new Error(`adresse interne refusée : ${refused.address}`), { code: 'EWEBHOOKINTERNAL' }), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      return callback(null, first.address, first.family);
    });
  };
}

export const nodeWebhookHttp: WebhookHttp = {
  post(req) {
    return new Promise((resolve, reject) => {
      const url = new URL(req.url);
      // A literal IP is connected to without any lookup: check it here.
      const literal = url.hostname.replace(/^\[|\]$/g, '');
      if (!req.allowPrivate && isIP(literal) !== 0 && isInternalAddress(literal)) return reject(new Error(`adresse interne refusée : ${literal}`));
      const client = url.protocol === 'https:' ? https : http;
      const request = client.request(
        url,
        {
          method: 'POST',
          headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
          lookup: guardedLookup(req.allowPrivate),
          // A fresh connection per call: the address check runs every time.
          agent: false,
          signal: AbortSignal.timeout(req.timeoutMs),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          const done = () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          res.on('data', (chunk: Buffer) => {
            chunks.push(chunk.subarray(0, req.maxResponseBytes - kept));
            kept += Math.min(chunk.length, req.maxResponseBytes - kept);
            // Enough for the log: stop reading a long answer.
            if (kept >= req.maxResponseBytes) {
              done();
              res.destroy();
            }
          });
          res.on('end', done);
          res.on('error', reject);
        },
      );
      request.on('error', (e: Error & { name: string }) => reject(e.name === 'AbortError' || e.name === 'TimeoutError' ? new Error(`délai de ${req.timeoutMs / 1000} s dépassé`) : e));
      request.end(req.body);
    });
  },
};

export function defaultWebhookPorts(): WebhookPorts {
  return { http: nodeWebhookHttp, timeoutMs: 10_000 };
}
