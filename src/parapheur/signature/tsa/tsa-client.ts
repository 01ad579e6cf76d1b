/**
 * RFC 3161 client. Always sends a SHA-256 imprint with a random nonce and certReq, and checks the answer
 * (status, nonce, imprint, token signature) before returning the token. Any failure is an AppError: a TSA
 * failure must fail the signing step, never fall back silently to the server's clock.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../../shared/errors.ts';
import { asn1js, OID, pkijs, toArrayBuffer } from '../certificates/x509.ts';
import { inspectTimestampToken } from './verify-timestamp.ts';

export interface TimestampClient {
  /** Returns the DER TimeStampToken (a CMS ContentInfo) over SHA-256(data). */
  timestamp(data: Uint8Array): Promise<Uint8Array>;
}

export interface HttpTimestampClientOptions {
  timeoutMs?: number;
  maxBytes?: number;
  fetch?: typeof globalThis.fetch;
  /** Requested TSA policy OID, if any. */
  policy?: string;
}

const tsaFailure = (en: string, details?: unknown): AppError =>
  new AppError('EXTERNAL_FAILURE', 'L’horodatage a échoué : la signature n’a pas été apposée', `timestamping failed: ${en}`, details);

/**
 * The request's nonce from 8 random bytes, as DER INTEGER content: positive (high bit clear) and minimal (first
 * byte not zero). A first byte 0x00 before a byte below 0x80 is "illegal padding": OpenSSL-based TSAs refuse
 * the whole request (1 request in 256 failed before).
 */
export function timestampNonce(random: Uint8Array): Uint8Array {
  const nonce = Uint8Array.from(random);
  nonce[0] = (nonce[0]! & 0x3f) | 0x40;
  return nonce;
}

/** The DER TimeStampReq (RFC 3161) for a SHA-256 imprint, asking for the TSA's certificate. */
export function timestampRequest(imprint: Uint8Array, nonce: Uint8Array, policy?: string): Uint8Array {
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256, algorithmParams: new asn1js.Null() }),
      hashedMessage: new asn1js.OctetString({ valueHex: toArrayBuffer(imprint) }),
    }),
    nonce: new asn1js.Integer({ valueHex: toArrayBuffer(nonce) }),
    certReq: true,
    ...(policy ? { reqPolicy: policy } : {}),
  });
  return new Uint8Array(req.toSchema().toBER(false));
}

export class HttpTimestampClient implements TimestampClient {
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly fetchFn: typeof globalThis.fetch;

  constructor(private readonly url: string, private readonly options: HttpTimestampClientOptions = {}) {
    if (!/^https?:\/\//i.test(url)) throw new AppError('BAD_INPUT', 'Adresse du serveur d’horodatage invalide', `invalid TSA URL: ${url}`);
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxBytes = options.maxBytes ?? 256 * 1024;
    this.fetchFn = options.fetch ?? globalThis.fetch;
  }

  async timestamp(data: Uint8Array): Promise<Uint8Array> {
    const imprint = new Uint8Array(createHash('sha256').update(data).digest());
    const nonce = timestampNonce(randomBytes(8));
    const body = timestampRequest(imprint, nonce, this.options.policy);
    let res: Response;
    try {
      res = await this.fetchFn(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw tsaFailure(`${this.url} unreachable: ${(err as Error).message}`);
    }
    if (!res.ok) throw tsaFailure(`${this.url} answered HTTP ${res.status}`);
    const der = new Uint8Array(await res.arrayBuffer());
    if (der.length > this.maxBytes) throw tsaFailure(`response too large (${der.length} bytes)`);
    let resp: pkijs.TimeStampResp;
    try {
      resp = pkijs.TimeStampResp.fromBER(toArrayBuffer(der));
    } catch (err) {
      throw tsaFailure(`unparseable response: ${(err as Error).message}`);
    }
    const status = resp.status.status;
    if (status !== 0 && status !== 1) {
      const text = resp.status.statusStrings?.map((s) => s.valueBlock.value).join('; ') ?? '';
      const failInfo = resp.status.failInfo ? Buffer.from(resp.status.failInfo.valueBlock.valueHexView).toString('hex') : '';
      throw tsaFailure(`TSA refused the request (status ${status}${text ? `, ${text}` : ''}${failInfo ? `, failInfo ${failInfo}` : ''})`);
    }
    if (!resp.timeStampToken) throw tsaFailure('granted response without token');
    const token = new Uint8Array(resp.timeStampToken.toSchema().toBER(false));
    const info = await inspectTimestampToken(token, data);
    if (!info.imprintMatches) throw tsaFailure('token imprint does not match the request');
    if (!info.signatureValid) throw tsaFailure('token signature invalid');
    if (info.nonce !== Buffer.from(nonce).toString('hex').replace(/^0+/, '')) throw tsaFailure('token nonce does not match the request');
    return token;
  }
}
