/**
 * Where CRLs come from. The HTTP implementation caches each CRL until its nextUpdate (at most `maxAgeMs`),
 * bounds the download size and time, and only follows http(s) URLs.
 */
import { AppError } from '../../../shared/errors.ts';
import { pkijs, toArrayBuffer } from './x509.ts';

export interface CrlSource {
  fetchCrl(url: string): Promise<Uint8Array>;
}

export interface HttpCrlSourceOptions {
  timeoutMs?: number;
  maxBytes?: number;
  maxAgeMs?: number;
  fetch?: typeof globalThis.fetch;
}

export class HttpCrlSource implements CrlSource {
  private readonly cache = new Map<string, { der: Uint8Array; until: number }>();
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private readonly fetchFn: typeof globalThis.fetch;

  constructor(options: HttpCrlSourceOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxBytes = options.maxBytes ?? 20 * 1024 * 1024;
    this.maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
    this.fetchFn = options.fetch ?? globalThis.fetch;
  }

  async fetchCrl(url: string): Promise<Uint8Array> {
    if (!/^https?:\/\//i.test(url)) throw new Error(`unsupported CRL URL scheme: ${url}`);
    const cached = this.cache.get(url);
    if (cached && cached.until > Date.now()) return cached.der;
    let res: Response;
    try {
      res = await this.fetchFn(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new AppError('EXTERNAL_FAILURE', 'Liste de révocation injoignable', `CRL download failed from ${url}: ${(err as Error).message}`);
    }
    if (!res.ok) throw new AppError('EXTERNAL_FAILURE', 'Liste de révocation injoignable', `CRL download from ${url} answered HTTP ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > this.maxBytes) throw new Error(`CRL too large (${declared} bytes)`);
    const der = new Uint8Array(await res.arrayBuffer());
    if (der.length > this.maxBytes) throw new Error(`CRL too large (${der.length} bytes)`);
    let until = Date.now() + this.maxAgeMs;
    try {
      const next = pkijs.CertificateRevocationList.fromBER(toArrayBuffer(der)).nextUpdate?.value;
      if (next) until = Math.min(until, next.getTime());
    } catch {
      until = 0; // unparseable: do not cache; the caller reports it
    }
    this.cache.set(url, { der, until });
    return der;
  }
}
