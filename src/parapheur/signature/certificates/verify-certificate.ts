/**
 * Signer certificate verification: chain up to a trust anchor, validity dates at the signing time, key usage
 * for the intended use, and revocation through the CRL or the OCSP responder the certificate names (OCSP when
 * there is no CRL or the CRL cannot be used). pkijs reports a chain "valid"
 * when it is given no revocation data, so revocation is checked here, and required as soon as a certificate
 * names a CRL or an OCSP responder. The result is an evidence object recording what was checked, when, and
 * with which outcome; `assertCertificateAcceptable` turns a failure into an AppError with a French message.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../../../shared/errors.ts';
import { HttpCrlSource, type CrlSource } from './crl-source.ts';
import { checkOcsp, HttpOcspSource, ocspUrls, type OcspSource } from './ocsp.ts';
import { certDer, OID, parsePkijsCertificate, pkijs, summarize, toArrayBuffer, x509, type CertificateSummary } from './x509.ts';

export type CertificateUsage = 'personal' | 'seal' | 'timestamping';

export type CertificateFailureCode =
  | 'CERT_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'CERT_REVOKED'
  | 'CERT_UNTRUSTED'
  | 'CERT_NO_NON_REPUDIATION'
  | 'CERT_NO_DIGITAL_SIGNATURE'
  | 'CERT_NOT_TIMESTAMPING'
  | 'CERT_REVOCATION_UNAVAILABLE'
  | 'CERT_UNREADABLE';

const FAILURE_TEXT: Record<CertificateFailureCode, [fr: string, en: string]> = {
  CERT_EXPIRED: ['Certificat expiré', 'certificate expired at the validation time'],
  CERT_NOT_YET_VALID: ['Certificat pas encore valide', 'certificate not yet valid at the validation time'],
  CERT_REVOKED: ['Certificat révoqué', 'certificate revoked'],
  CERT_UNTRUSTED: ['Autorité de certification non reconnue', 'certificate does not chain to a trust anchor'],
  CERT_NO_NON_REPUDIATION: ['Le certificat ne permet pas la signature (non-répudiation absente)', 'key usage lacks nonRepudiation'],
  CERT_NO_DIGITAL_SIGNATURE: ['Le certificat ne permet pas la signature (usage signature absent)', 'key usage lacks digitalSignature and nonRepudiation'],
  CERT_NOT_TIMESTAMPING: ['Le certificat n’est pas un certificat d’horodatage', 'certificate lacks a critical timeStamping extended key usage'],
  CERT_REVOCATION_UNAVAILABLE: ['Impossible de vérifier la révocation du certificat', 'revocation status unavailable'],
  CERT_UNREADABLE: ['Certificat illisible', 'certificate cannot be parsed'],
};

export interface CheckRecord {
  check: 'validity' | 'keyUsage' | 'trust' | 'revocation';
  ok: boolean;
  detail: string;
}

export interface RevocationEvidence {
  subject: string;
  serialNumber: string;
  source: 'crl' | 'ocsp' | 'none';
  url?: string;
  /** OCSP: the responder certificate's subject when a delegated responder signed. */
  responder?: string;
  thisUpdate?: string;
  nextUpdate?: string;
  status: 'good' | 'revoked' | 'revoked-after-validation-time' | 'unavailable' | 'not-published';
  revocationDate?: string;
  detail?: string;
}

export interface CertificateEvidence {
  /** When the checks ran. */
  checkedAt: string;
  /** The time the certificate had to be valid at (signing time). */
  validationTime: string;
  usage: CertificateUsage;
  certificate: CertificateSummary;
  /** Path from the certificate to the trust anchor, when one was found. */
  chain: CertificateSummary[];
  checks: CheckRecord[];
  revocation: RevocationEvidence[];
  valid: boolean;
  failure?: { code: CertificateFailureCode; messageFr: string; messageEn: string };
}

export interface CertificateCheckInput {
  certificate: Uint8Array;
  /** Intermediate certificates that may complete the path (e.g. from the CMS or the PKCS#12). */
  intermediates?: Uint8Array[];
  trustAnchors: Uint8Array[];
  usage: CertificateUsage;
  /** Signing time; defaults to now. */
  at?: Date;
  crlSource?: CrlSource;
  ocspSource?: OcspSource;
  /** Clock, for tests. */
  now?: () => Date;
  /** Reuse a recent positive verdict for the same certificate (only when `at` is "now"). */
  cache?: CertificateVerdictCache;
}

/** One CRL download made during a check: its bytes, or null when the download failed. */
interface CrlUse {
  url: string;
  der: Uint8Array | null;
}

interface CacheEntry {
  evidence: CertificateEvidence;
  from: number;
  until: number;
  crls: CrlUse[];
}

/**
 * Positive verdicts per (certificate, intermediates, trust anchors, usage) and per CRL: a hit requires the CRL
 * source to hand, for every CRL the check downloaded, the very bytes the verdict relied on (a new CRL, e.g. one
 * revoking the certificate, means a full check again), and the current time to lie between the check and the
 * first of: the nextUpdate of those CRLs, the notAfter of every certificate of the path. Within these bounds a
 * new check would reach the same verdict. Without any CRL (none published, or OCSP), an entry lives `ttlMs`. Refusals
 * are never cached. The evidence keeps its original `checkedAt`, so it states truthfully when the checks ran,
 * and which CRL (thisUpdate, nextUpdate) they used.
 */
export class CertificateVerdictCache {
  private readonly entries = new Map<string, CacheEntry>();
  constructor(private readonly ttlMs = 60_000, private readonly maxEntries = 256) {}

  static key(input: CertificateCheckInput): string {
    const h = createHash('sha256');
    h.update(input.usage);
    for (const part of [input.certificate, ...(input.intermediates ?? []), ...input.trustAnchors]) h.update(createHash('sha256').update(part).digest());
    return h.digest('hex');
  }

  async get(input: CertificateCheckInput, now: Date, crlSource: CrlSource): Promise<CertificateEvidence | undefined> {
    const key = CertificateVerdictCache.key(input);
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    const t = now.getTime();
    if (t < hit.from || t >= hit.until) {
      this.entries.delete(key);
      return undefined;
    }
    for (const use of hit.crls) {
      let current: Uint8Array | null;
      try {
        current = await crlSource.fetchCrl(use.url);
      } catch {
        current = null;
      }
      const same = current === use.der || (!!current && !!use.der && Buffer.from(current.buffer, current.byteOffset, current.byteLength).equals(Buffer.from(use.der.buffer, use.der.byteOffset, use.der.byteLength)));
      if (!same) {
        this.entries.delete(key);
        return undefined;
      }
    }
    return hit.evidence;
  }

  set(input: CertificateCheckInput, evidence: CertificateEvidence, now: Date, crls: CrlUse[] = []): void {
    if (!evidence.valid) return;
    const limits = [Date.parse(evidence.certificate.notAfter), ...evidence.chain.map((c) => Date.parse(c.notAfter))];
    const fromCrl = evidence.revocation.filter((r) => r.source === 'crl');
    if (fromCrl.length === 0 || fromCrl.some((r) => !r.nextUpdate)) limits.push(now.getTime() + this.ttlMs);
    for (const r of fromCrl) if (r.nextUpdate) limits.push(Date.parse(r.nextUpdate));
    // An OCSP answer is not fetched again on a hit: the verdict lives ttlMs at most, and never past its nextUpdate.
    for (const r of evidence.revocation) if (r.source === 'ocsp') limits.push(now.getTime() + this.ttlMs, ...(r.nextUpdate ? [Date.parse(r.nextUpdate)] : []));
    const key = CertificateVerdictCache.key(input);
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { evidence, from: now.getTime(), until: Math.min(...limits), crls });
  }
}

export const defaultCrlSource = new HttpCrlSource();
export const defaultOcspSource = new HttpOcspSource();

/** Used by signing when the caller brings no cache of its own (see CertificateVerdictCache: hits are exact). */
export const defaultCertificateVerdictCache = new CertificateVerdictCache();

function keyUsageCheck(cert: x509.X509Certificate, usage: CertificateUsage): CertificateFailureCode | null {
  if (usage === 'timestamping') {
    const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
    if (!eku || !eku.critical || !eku.usages.map(String).includes(OID.ekuTimeStamping)) return 'CERT_NOT_TIMESTAMPING';
    return null;
  }
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  const flags = ku?.usages ?? 0;
  if (usage === 'personal') {
    return flags & x509.KeyUsageFlags.nonRepudiation ? null : 'CERT_NO_NON_REPUDIATION';
  }
  if (!ku) return null; // no KeyUsage extension: any usage allowed (RFC 5280 §4.2.1.3)
  return flags & (x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation) ? null : 'CERT_NO_DIGITAL_SIGNATURE';
}

function crlUrls(cert: x509.X509Certificate): string[] {
  const ext = cert.getExtension(x509.CRLDistributionPointsExtension);
  if (!ext) return [];
  const urls: string[] = [];
  for (const dp of ext.distributionPoints) {
    for (const name of dp.distributionPoint?.fullName ?? []) {
      if (name.uniformResourceIdentifier && /^https?:\/\//i.test(name.uniformResourceIdentifier)) urls.push(name.uniformResourceIdentifier);
    }
  }
  return urls;
}

function sameDer(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

async function checkRevocation(
  cert: pkijs.Certificate,
  issuer: pkijs.Certificate,
  at: Date,
  now: Date,
  sources: { crl: CrlSource; ocsp: OcspSource },
): Promise<RevocationEvidence> {
  const xc = new x509.X509Certificate(toArrayBuffer(certDer(cert)));
  const base = { subject: xc.subject, serialNumber: xc.serialNumber };
  const ocsp = ocspUrls(xc);
  const byOcsp = async (before?: string): Promise<RevocationEvidence> => {
    const o = await checkOcsp(cert, issuer, ocsp, at, now, sources.ocsp);
    const detail = [before, o.detail].filter(Boolean).join('; ');
    return { ...base, source: 'ocsp', ...o, ...(detail ? { detail } : {}) };
  };
  const urls = crlUrls(xc);
  if (urls.length === 0) return ocsp.length > 0 ? byOcsp() : { ...base, source: 'none', status: 'not-published' };
  const crl = await checkCrl(cert, issuer, urls, at, now, sources.crl, base);
  return crl.status === 'unavailable' && ocsp.length > 0 ? byOcsp(`CRL: ${crl.detail ?? 'unavailable'}`) : crl;
}

async function checkCrl(
  cert: pkijs.Certificate,
  issuer: pkijs.Certificate,
  urls: string[],
  at: Date,
  now: Date,
  source: CrlSource,
  base: { subject: string; serialNumber: string },
): Promise<RevocationEvidence> {
  const errors: string[] = [];
  for (const url of urls) {
    let crl: pkijs.CertificateRevocationList;
    try {
      crl = pkijs.CertificateRevocationList.fromBER(toArrayBuffer(await source.fetchCrl(url)));
    } catch (err) {
      errors.push(`${url}: ${(err as Error).message}`);
      continue;
    }
    if (!crl.issuer.isEqual(cert.issuer)) { errors.push(`${url}: CRL issuer differs from certificate issuer`); continue; }
    let signatureOk = false;
    try { signatureOk = await crl.verify({ issuerCertificate: issuer }); } catch { signatureOk = false; }
    if (!signatureOk) { errors.push(`${url}: CRL signature invalid`); continue; }
    const thisUpdate = crl.thisUpdate.value;
    const nextUpdate = crl.nextUpdate?.value;
    if (thisUpdate > now) { errors.push(`${url}: CRL thisUpdate in the future`); continue; }
    if (nextUpdate && nextUpdate < now) { errors.push(`${url}: CRL expired at ${nextUpdate.toISOString()}`); continue; }
    const common = { ...base, source: 'crl' as const, url, thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate?.toISOString() };
    const entry = crl.revokedCertificates?.find((r) => r.userCertificate.isEqual(cert.serialNumber));
    if (!entry) return { ...common, status: 'good' };
    const revocationDate = entry.revocationDate.value;
    return {
      ...common,
      status: revocationDate <= at ? 'revoked' : 'revoked-after-validation-time',
      revocationDate: revocationDate.toISOString(),
    };
  }
  return { ...base, source: 'crl', url: urls[0], status: 'unavailable', detail: errors.join('; ') };
}

/** Runs every check and returns the evidence; never throws for a bad certificate. */
export async function checkCertificate(input: CertificateCheckInput): Promise<CertificateEvidence> {
  const now = (input.now ?? (() => new Date()))();
  const at = input.at ?? now;
  const checks: CheckRecord[] = [];
  const revocation: RevocationEvidence[] = [];
  let failure: CertificateFailureCode | null = null;
  const fail = (code: CertificateFailureCode): void => { failure ??= code; };

  let summary: CertificateSummary;
  let xc: x509.X509Certificate;
  let pc: pkijs.Certificate;
  try {
    summary = summarize(input.certificate);
    xc = new x509.X509Certificate(toArrayBuffer(input.certificate));
    pc = parsePkijsCertificate(input.certificate);
  } catch (err) {
    const [fr, en] = FAILURE_TEXT.CERT_UNREADABLE;
    return {
      checkedAt: now.toISOString(), validationTime: at.toISOString(), usage: input.usage,
      certificate: { subject: '', issuer: '', serialNumber: '', notBefore: '', notAfter: '', sha256: '' },
      chain: [], checks: [{ check: 'validity', ok: false, detail: (err as Error).message }], revocation: [], valid: false,
      failure: { code: 'CERT_UNREADABLE', messageFr: fr, messageEn: en },
    };
  }

  // 1. validity dates at the signing time
  if (at > xc.notAfter) { fail('CERT_EXPIRED'); checks.push({ check: 'validity', ok: false, detail: `expired on ${xc.notAfter.toISOString()}` }); }
  else if (at < xc.notBefore) { fail('CERT_NOT_YET_VALID'); checks.push({ check: 'validity', ok: false, detail: `valid from ${xc.notBefore.toISOString()}` }); }
  else checks.push({ check: 'validity', ok: true, detail: `${xc.notBefore.toISOString()} – ${xc.notAfter.toISOString()}` });

  // 2. key usage for the intended use
  const kuFailure = keyUsageCheck(xc, input.usage);
  if (kuFailure) fail(kuFailure);
  checks.push({ check: 'keyUsage', ok: !kuFailure, detail: kuFailure ? FAILURE_TEXT[kuFailure][1] : `acceptable for ${input.usage}` });

  // 3. path to a trust anchor (pkijs), at the signing time
  const trusted = input.trustAnchors.map(parsePkijsCertificate);
  const intermediates = (input.intermediates ?? []).filter((d) => !sameDer(d, input.certificate)).map(parsePkijsCertificate);
  const engine = new pkijs.CertificateChainValidationEngine({ trustedCerts: trusted, certs: [pc, ...intermediates], checkDate: at });
  let path: pkijs.Certificate[] = [];
  try {
    const res = await engine.verify();
    if (res.result && res.certificatePath) {
      path = orderPath(pc, res.certificatePath);
      checks.push({ check: 'trust', ok: true, detail: `chains to ${summarize(certDer(path[path.length - 1]!)).subject}` });
    } else {
      const msg = res.resultMessage || res.error?.toString() || 'no path';
      fail(/expired|not yet valid/i.test(msg) && input.trustAnchors.length > 0 && trustedPathExists(pc, intermediates, trusted) ? 'CERT_EXPIRED' : 'CERT_UNTRUSTED');
      checks.push({ check: 'trust', ok: false, detail: msg });
    }
  } catch (err) {
    fail('CERT_UNTRUSTED');
    checks.push({ check: 'trust', ok: false, detail: String((err as { resultMessage?: string }).resultMessage ?? err) });
  }

  // 4. revocation of every non-anchor certificate of the path
  if (path.length > 0) {
    const anchorsDer = input.trustAnchors;
    const sources = { crl: input.crlSource ?? defaultCrlSource, ocsp: input.ocspSource ?? defaultOcspSource };
    for (let i = 0; i < path.length - 1; i++) {
      const cert = path[i]!;
      if (anchorsDer.some((a) => sameDer(a, certDer(cert)))) break;
      const ev = await checkRevocation(cert, path[i + 1]!, at, now, sources);
      revocation.push(ev);
      if (ev.status === 'revoked') fail('CERT_REVOKED');
      if (ev.status === 'unavailable') fail('CERT_REVOCATION_UNAVAILABLE');
    }
    const bad = revocation.find((r) => r.status === 'revoked' || r.status === 'unavailable');
    checks.push({ check: 'revocation', ok: !bad, detail: bad ? `${bad.subject}: ${bad.status}${bad.detail ? ` (${bad.detail})` : ''}` : revocation.map((r) => `${r.subject}: ${r.status}`).join('; ') });
  }

  const f = failure as CertificateFailureCode | null;
  return {
    checkedAt: now.toISOString(),
    validationTime: at.toISOString(),
    usage: input.usage,
    certificate: summary,
    chain: path.map((c) => summarize(certDer(c))),
    checks,
    revocation,
    valid: f === null,
    ...(f ? { failure: { code: f, messageFr: FAILURE_TEXT[f][0], messageEn: FAILURE_TEXT[f][1] } } : {}),
  };
}

/** pkijs' certificatePath may omit the end entity or list it root first: order it end entity → anchor. */
function orderPath(leaf: pkijs.Certificate, certs: pkijs.Certificate[]): pkijs.Certificate[] {
  const leafDer = certDer(leaf);
  const pool = certs.filter((c) => !sameDer(certDer(c), leafDer));
  const out = [leaf];
  let current = leaf;
  while (pool.length > 0 && !current.subject.isEqual(current.issuer)) {
    const idx = pool.findIndex((c) => c.subject.isEqual(current.issuer));
    if (idx < 0) break;
    current = pool.splice(idx, 1)[0]!;
    out.push(current);
  }
  return out;
}

/** Whether the issuer names at least link the certificate to an anchor (to tell "expired CA" from "unknown CA"). */
function trustedPathExists(cert: pkijs.Certificate, intermediates: pkijs.Certificate[], trusted: pkijs.Certificate[]): boolean {
  let current = cert;
  for (let depth = 0; depth < 8; depth++) {
    if (trusted.some((t) => t.subject.isEqual(current.issuer))) return true;
    const next = intermediates.find((c) => c.subject.isEqual(current.issuer));
    if (!next || next === current) return false;
    current = next;
  }
  return false;
}

/** Same checks; throws an AppError (French message) when the certificate is not acceptable. */
export async function assertCertificateAcceptable(input: CertificateCheckInput): Promise<CertificateEvidence> {
  const now = (input.now ?? (() => new Date()))();
  const crlSource = input.crlSource ?? defaultCrlSource;
  const cache = input.at ? undefined : input.cache;
  const cached = cache ? await cache.get(input, now, crlSource) : undefined;
  if (cached) return cached;
  const crls: CrlUse[] = [];
  const recording: CrlSource = {
    async fetchCrl(url) {
      try {
        const der = await crlSource.fetchCrl(url);
        crls.push({ url, der });
        return der;
      } catch (err) {
        crls.push({ url, der: null });
        throw err;
      }
    },
  };
  const evidence = await checkCertificate({ ...input, crlSource: cache ? recording : crlSource, now: () => now });
  if (cache) cache.set(input, evidence, now, crls);
  if (evidence.failure) {
    throw new AppError('UNPROCESSABLE', evidence.failure.messageFr, `${evidence.failure.messageEn}: ${evidence.certificate.subject}`, {
      reason: evidence.failure.code,
      evidence,
    });
  }
  return evidence;
}
