/**
 * Revocation through OCSP (RFC 6960), for certificates that name a responder in their Authority Information
 * Access, alone or besides a CRL. The request, the response and the responder's authority are handled by
 * pkijs (CertID, BasicOCSPResponse.verify: signature, responder chain, id-kp-OCSPSigning delegation); this
 * module only asks, checks freshness and the nonce, and reports what it saw as evidence.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '../../../shared/errors.ts';
import { asn1js, certDer, pkijs, toArrayBuffer, x509 } from './x509.ts';

export interface OcspSource {
  /** POSTs a DER OCSPRequest, returns the DER OCSPResponse. */
  query(url: string, request: Uint8Array): Promise<Uint8Array>;
}

export class HttpOcspSource implements OcspSource {
  constructor(private readonly options: { timeoutMs?: number; maxBytes?: number; fetch?: typeof globalThis.fetch } = {}) {}

  async query(url: string, request: Uint8Array): Promise<Uint8Array> {
    if (!/^https?:\/\//i.test(url)) throw new Error(`unsupported OCSP URL scheme: ${url}`);
    const maxBytes = this.options.maxBytes ?? 1024 * 1024;
    let res: Response;
    try {
      res = await (this.options.fetch ?? globalThis.fetch)(url, {
        method: 'POST',
        headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
        body: Buffer.from(request),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new AppError('EXTERNAL_FAILURE', 'Répondeur OCSP injoignable', `OCSP request to ${url} failed: ${(err as Error).message}`);
    }
    if (!res.ok) throw new AppError('EXTERNAL_FAILURE', 'Répondeur OCSP injoignable', `OCSP responder ${url} answered HTTP ${res.status}`);
    const der = new Uint8Array(await res.arrayBuffer());
    if (der.length > maxBytes) throw new Error(`OCSP response too large (${der.length} bytes)`);
    return der;
  }
}

export function ocspUrls(cert: x509.X509Certificate): string[] {
  const aia = cert.getExtension(x509.AuthorityInfoAccessExtension);
  return (aia?.ocsp ?? []).filter((n) => n.type === 'url' && /^https?:\/\//i.test(n.value)).map((n) => n.value);
}

const OID_NONCE = '1.3.6.1.5.5.7.48.1.2';
const OID_BASIC = '1.3.6.1.5.5.7.48.1.1';
/** Accepted clock difference with the responder. */
const SKEW_MS = 5 * 60_000;
/** A response without nextUpdate is taken as fresh for this long after its thisUpdate. */
const NO_NEXT_UPDATE_MAX_AGE_MS = 24 * 3600_000;

export interface OcspOutcome {
  url: string;
  status: 'good' | 'revoked' | 'revoked-after-validation-time' | 'unavailable';
  thisUpdate?: string;
  nextUpdate?: string;
  revocationDate?: string;
  responder?: string;
  detail?: string;
}

/** Asks each responder in turn until one gives a usable answer; never throws. */
export async function checkOcsp(cert: pkijs.Certificate, issuer: pkijs.Certificate, urls: string[], at: Date, now: Date, source: OcspSource): Promise<OcspOutcome> {
  const errors: string[] = [];
  for (const url of urls) {
    try {
      return await askOne(cert, issuer, url, at, now, source);
    } catch (err) {
      errors.push(`${url}: ${(err as Error).message}`);
    }
  }
  return { url: urls[0] ?? '', status: 'unavailable', detail: errors.join('; ') };
}

async function askOne(cert: pkijs.Certificate, issuer: pkijs.Certificate, url: string, at: Date, now: Date, source: OcspSource): Promise<OcspOutcome> {
  const request = new pkijs.OCSPRequest();
  await request.createForCertificate(cert, { hashAlgorithm: 'SHA-1', issuerCertificate: issuer });
  const nonce = randomBytes(16);
  request.tbsRequest.requestExtensions = [new pkijs.Extension({ extnID: OID_NONCE, extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER(false) })];
  const response = pkijs.OCSPResponse.fromBER(toArrayBuffer(await source.query(url, new Uint8Array(request.toSchema(true).toBER(false)))));
  const status = response.responseStatus.valueBlock.valueDec;
  if (status !== 0) throw new Error(`responder status ${status} (${['successful', 'malformedRequest', 'internalError', 'tryLater', '', 'sigRequired', 'unauthorized'][status] ?? 'unknown'})`);
  if (!response.responseBytes || response.responseBytes.responseType !== OID_BASIC) throw new Error('not a basic OCSP response');
  const basic = pkijs.BasicOCSPResponse.fromBER(toArrayBuffer(response.responseBytes.response.valueBlock.valueHexView));
  // A CA answering for its own certificates may omit its certificate: it is the issuer we already hold.
  if (!basic.certs || basic.certs.length === 0) basic.certs = [issuer];
  if (!(await basic.verify({ trustedCerts: [issuer], issuerCerts: [issuer] }))) throw new Error('OCSP response signature invalid');

  const echoed = basic.tbsResponseData.responseExtensions?.find((e) => e.extnID === OID_NONCE);
  if (echoed) {
    const value = asn1js.fromBER(echoed.extnValue.valueBlock.valueHexView).result;
    const got = value instanceof asn1js.OctetString ? Buffer.from(value.valueBlock.valueHexView) : Buffer.from(echoed.extnValue.valueBlock.valueHexView);
    if (!got.equals(nonce)) throw new Error('OCSP nonce mismatch (replayed response?)');
  }

  const { isForCertificate } = await basic.getCertificateStatus(cert, issuer);
  if (!isForCertificate) throw new Error('the response is not about this certificate');
  const single = await matchingResponse(basic, cert, issuer);
  const thisUpdate = single.thisUpdate;
  const nextUpdate = single.nextUpdate;
  if (thisUpdate.getTime() > now.getTime() + SKEW_MS) throw new Error('OCSP thisUpdate in the future');
  if (nextUpdate ? nextUpdate.getTime() < now.getTime() - SKEW_MS : now.getTime() - thisUpdate.getTime() > NO_NEXT_UPDATE_MAX_AGE_MS) throw new Error('OCSP response too old');
  const responder = basic.certs.find((c) => c !== issuer);
  const common = {
    url,
    thisUpdate: thisUpdate.toISOString(),
    ...(nextUpdate ? { nextUpdate: nextUpdate.toISOString() } : {}),
    ...(responder ? { responder: new x509.X509Certificate(toArrayBuffer(certDer(responder))).subject } : {}),
  };
  const certStatus = single.certStatus as asn1js.BaseBlock;
  if (!certStatus.idBlock.isConstructed && certStatus.idBlock.tagNumber === 0) return { ...common, status: 'good' };
  if (certStatus.idBlock.isConstructed && certStatus.idBlock.tagNumber === 1) {
    const time = (certStatus as asn1js.Constructed).valueBlock.value[0] as asn1js.GeneralizedTime | undefined;
    const revocationDate = time?.toDate();
    if (!revocationDate) throw new Error('revoked without a revocation time');
    return { ...common, status: revocationDate <= at ? 'revoked' : 'revoked-after-validation-time', revocationDate: revocationDate.toISOString() };
  }
  return { ...common, status: 'unavailable', detail: 'the responder does not know this certificate (unknown)' };
}

async function matchingResponse(basic: pkijs.BasicOCSPResponse, cert: pkijs.Certificate, issuer: pkijs.Certificate): Promise<pkijs.SingleResponse> {
  for (const r of basic.tbsResponseData.responses) {
    const id = new pkijs.CertID();
    await id.createForCertificate(cert, { hashAlgorithm: 'SHA-1', issuerCertificate: issuer });
    if (r.certID.isEqual(id)) return r;
    const other = new pkijs.CertID();
    await other.createForCertificate(cert, { hashAlgorithm: 'SHA-256', issuerCertificate: issuer });
    if (r.certID.isEqual(other)) return r;
  }
  throw new Error('no SingleResponse for this certificate');
}
