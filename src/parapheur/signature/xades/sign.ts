/**
 * XAdES-EPES (1.1.1) enveloped signature of each Bordereau of a PES_Aller (PROTOCOLS.md B.3), in two
 * phases so the private key can live elsewhere (smart card, remote signer, browser):
 *   prepareXadesSignature → per bordereau, the canonical SignedInfo bytes to sign (and their SHA-256);
 *   assembleXadesSignature → checks each RSA-SHA256 value against the certificate, then splices the
 *   signatures into the original bytes.
 * Canonicalization is libxml2's (c14n.ts); digests and signature checks are node:crypto's.
 *
 * Decisions:
 * - A Bordereau without Id cannot be referenced (`URI="#Id"`): the file is refused.
 * - A Bordereau that already carries a signature is refused by default (`alreadySigned: 'refuse'`), or
 *   left untouched with `alreadySigned: 'skip'` (the schema allows one Signature per Bordereau).
 * - Hélios rejects signed bordereaux when the domain's InfoDematerialisee is absent or 0, so by default
 *   (`infoDematerialisee: 'set'`) we write V="1" in that header (outside every signed part); with
 *   `'require'` such a file is refused instead.
 */
import { createHash, randomBytes, verify as cryptoVerify } from 'node:crypto';
import { AppError } from '../../../shared/errors.ts';
import {
  ALG_ENVELOPED, ALG_EXC_C14N, ALG_RSA_SHA256, ALG_SHA256, HELIOS_POLICY_1_7, NS_DS, NS_XAD, SIGNED_DOMAINS,
  SIGNED_PROPERTIES_TYPE, type SignaturePolicy,
} from './constants.ts';
import { C14nPool, excC14nBytes, excC14nDigest, type C14nJob } from './c14n.ts';
import { certificateInfo, certDigestBase64, type CertificateInfo } from './certificate.ts';
import { applyEdits, decodePesLazily, Latin1Text, type Edit } from './encoding.ts';
import {
  bordereauInteriors, childElements, escapeAttr, escapeText, scanPes, standaloneFragment, verifySkipped, standaloneFragmentBytes, type ElementSpan, type PesScan, type PesText,
} from './scan.ts';
import { prepareGlobalSignature, prepareGlobalSignatureAsync, resolveSignatureScope, type SignatureScope } from './global.ts';

/** A key able to make an RSA PKCS#1 v1.5 SHA-256 signature, with its certificate. */
export interface Signer {
  /** DER of the signer's certificate */
  readonly certificate: Uint8Array;
  /** RSA-SHA256 signature of `data` (the signer hashes it) */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export interface XadesSignOptions {
  /** ClaimedRole, e.g. "Ordonnateur" */
  role?: string;
  city?: string;
  postalCode?: string;
  countryName?: string;
  policy?: SignaturePolicy;
  signingTime?: Date;
  alreadySigned?: 'refuse' | 'skip';
  infoDematerialisee?: 'set' | 'require';
  /**
   * Fixed prefix of the signature Ids (letters, digits, _): with the same file, certificate, signingTime and
   * prefix, preparation is deterministic, so a server can prepare again in phase 2 instead of keeping state.
   */
  signatureIdPrefix?: string;
  /**
   * What is signed: 'auto' (default) follows the file (every Bordereau has an Id → one signature per
   * bordereau, else PES_Aller has an Id → one global signature), 'bordereaux' or 'global' force it (global.ts).
   */
  scope?: SignatureScope;
}

export interface PreparedBordereau {
  /** Id of the signed element: a Bordereau, or PES_Aller for a global signature */
  bordereauId: string;
  /** the signed element (absent = Bordereau) */
  element?: 'Bordereau' | 'PES_Aller';
  signatureId: string;
  /** exclusive-c14n SignedInfo: the bytes an RSA-SHA256 signer signs */
  dataToSign: Buffer;
  /** SHA-256 of dataToSign (for signers that take a digest) */
  dataToSignSha256: Buffer;
}

interface PreparedItem extends PreparedBordereau {
  insertAt: number;
  before: string;
  after: string;
}

interface PreparedState { bytes: Buffer; text: string | PesText; encoding: string; cert: CertificateInfo; items: PreparedItem[]; edits: Edit[] }
const internal = new WeakMap<PreparedXades, PreparedState>();

/** Lets another preparation (global.ts) reuse phase 2. */
export function registerPrepared(prepared: PreparedXades, state: PreparedState): void {
  internal.set(prepared, state);
}

/** Opaque result of phase 1; only `bordereaux` is meant to be read. */
export class PreparedXades {
  constructor(readonly bordereaux: readonly PreparedBordereau[], readonly skipped: readonly string[], readonly dematerialisedDomains: readonly string[]) {}
}

const ID_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function refuse(fr: string, en: string, details?: unknown): never {
  throw new AppError('BAD_INPUT', fr, en, details);
}

function xsDateTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function isTrue(v: string | undefined): boolean {
  return v === '1' || v === 'true';
}

export function signedPropertiesXml(spId: string, cert: CertificateInfo, o: XadesSignOptions, declare: boolean): string {
  const policy = o.policy ?? HELIOS_POLICY_1_7;
  const ns = declare ? ` xmlns:xad="${NS_XAD}" xmlns:ds="${NS_DS}"` : '';
  let place = '';
  if (o.city || o.postalCode || o.countryName) {
    place =
      '<xad:SignatureProductionPlace>' +
      (o.city ? `<xad:City>${escapeText(o.city)}</xad:City>` : '') +
      (o.postalCode ? `<xad:PostalCode>${escapeText(o.postalCode)}</xad:PostalCode>` : '') +
      (o.countryName ? `<xad:CountryName>${escapeText(o.countryName)}</xad:CountryName>` : '') +
      '</xad:SignatureProductionPlace>';
  }
  const role = o.role
    ? `<xad:SignerRole><xad:ClaimedRoles><xad:ClaimedRole>${escapeText(o.role)}</xad:ClaimedRole></xad:ClaimedRoles></xad:SignerRole>`
    : '';
  return (
    `<xad:SignedProperties${ns} Id="${spId}"><xad:SignedSignatureProperties>` +
    `<xad:SigningTime>${xsDateTime(o.signingTime ?? new Date())}</xad:SigningTime>` +
    '<xad:SigningCertificate><xad:Cert><xad:CertDigest>' +
    `<xad:DigestMethod Algorithm="${ALG_SHA256}"/><xad:DigestValue>${certDigestBase64(cert.der)}</xad:DigestValue>` +
    '</xad:CertDigest><xad:IssuerSerial>' +
    `<ds:X509IssuerName>${escapeText(cert.issuerName)}</ds:X509IssuerName><ds:X509SerialNumber>${cert.serialDecimal}</ds:X509SerialNumber>` +
    '</xad:IssuerSerial></xad:Cert></xad:SigningCertificate>' +
    '<xad:SignaturePolicyIdentifier><xad:SignaturePolicyId><xad:SigPolicyId>' +
    `<xad:Identifier>${escapeText(policy.identifier)}</xad:Identifier><xad:Description>${escapeText(policy.description)}</xad:Description>` +
    '</xad:SigPolicyId><xad:SigPolicyHash>' +
    `<xad:DigestMethod Algorithm="${escapeAttr(policy.hashAlgorithm)}"/><xad:DigestValue>${escapeText(policy.hashBase64)}</xad:DigestValue>` +
    '</xad:SigPolicyHash><xad:SigPolicyQualifiers><xad:SigPolicyQualifier>' +
    `<xad:SPURI>${escapeText(policy.spuri)}</xad:SPURI>` +
    '</xad:SigPolicyQualifier></xad:SigPolicyQualifiers></xad:SignaturePolicyId></xad:SignaturePolicyIdentifier>' +
    place +
    role +
    '</xad:SignedSignatureProperties></xad:SignedProperties>'
  );
}

export function signedInfoXml(bordereauId: string, bordereauDigest: string, spId: string, spDigest: string, declare: boolean): string {
  const ns = declare ? ` xmlns:ds="${NS_DS}"` : '';
  return (
    `<ds:SignedInfo${ns}><ds:CanonicalizationMethod Algorithm="${ALG_EXC_C14N}"/><ds:SignatureMethod Algorithm="${ALG_RSA_SHA256}"/>` +
    `<ds:Reference URI="#${bordereauId}"><ds:Transforms><ds:Transform Algorithm="${ALG_ENVELOPED}"/><ds:Transform Algorithm="${ALG_EXC_C14N}"/></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${ALG_SHA256}"/><ds:DigestValue>${bordereauDigest}</ds:DigestValue></ds:Reference>` +
    `<ds:Reference URI="#${spId}" Type="${SIGNED_PROPERTIES_TYPE}"><ds:Transforms><ds:Transform Algorithm="${ALG_EXC_C14N}"/></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${ALG_SHA256}"/><ds:DigestValue>${spDigest}</ds:DigestValue></ds:Reference>` +
    '</ds:SignedInfo>'
  );
}

interface Started {
  options: XadesSignOptions;
  cert: CertificateInfo;
  bytes: Buffer;
  text: string | PesText;
  encoding: string;
}

function start(pes: Uint8Array, signerCert: Uint8Array | string, givenOptions: XadesSignOptions): Started {
  // One SigningTime for the whole preparation: the SignedProperties are written twice (once digested, once
  // inserted), and two `new Date()` on either side of a second boundary made the digest wrong.
  const options: XadesSignOptions = { ...givenOptions, signingTime: givenOptions.signingTime ?? new Date() };
  const cert = certificateInfo(signerCert);
  if (cert.publicKey.asymmetricKeyType !== 'rsa') {
    refuse('Seuls les certificats RSA sont acceptés pour signer un PES (rsa-sha256).', `unsupported key type ${cert.publicKey.asymmetricKeyType}`);
  }
  const bytes = Buffer.from(pes.buffer, pes.byteOffset, pes.byteLength);
  const { text, encoding } = decodePesLazily(bytes);
  return { options, cert, bytes, text, encoding };
}

function checkRoot(scan: PesScan): void {
  if (scan.root.local !== 'PES_Aller') {
    refuse('Le fichier n’est pas un PES_Aller : seuls les bordereaux d’un PES_Aller sont signés.', `root element is ${scan.root.qname}, not PES_Aller`);
  }
}

interface Plan {
  toSign: ElementSpan[];
  skipped: string[];
  edits: Edit[];
  dematerialisedDomains: string[];
  /** per bordereau of toSign: signature Id and SignedProperties Id */
  ids: Array<{ sigId: string; spId: string }>;
}

/** Which bordereaux are signed, the header edits, the signature Ids (every check that may refuse the file). */
function planBordereaux(scan: PesScan, options: XadesSignOptions): Plan {
  const alreadySigned = options.alreadySigned ?? 'refuse';
  const edits: Edit[] = [];
  const toSign: ElementSpan[] = [];
  const skipped: string[] = [];
  const dematerialisedDomains: string[] = [];
  for (const domain of scan.root.children) {
    const headerName = SIGNED_DOMAINS[domain.local];
    if (!headerName) continue;
    const bordereaux = childElements(domain, 'Bordereau');
    let signHere = 0;
    bordereaux.forEach((b, i) => {
      const id = b.attributes.Id;
      if (!id) {
        refuse(
          `Le bordereau n° ${i + 1} de ${domain.local} n’a pas d’attribut Id : il ne peut pas être signé.`,
          `Bordereau #${i + 1} of ${domain.local} has no Id attribute`,
        );
      }
      if (!ID_RE.test(id)) {
        refuse(`L’identifiant de bordereau « ${id} » n’est pas utilisable dans une référence de signature.`, `unusable Bordereau Id ${JSON.stringify(id)}`);
      }
      if (isSigned(b)) {
        if (alreadySigned === 'skip') {
          skipped.push(id);
          return;
        }
        refuse(`Le bordereau ${id} est déjà signé.`, `Bordereau ${id} already carries a signature`, { bordereauId: id });
      }
      toSign.push(b);
      signHere++;
    });
    if (signHere === 0) continue;
    const header = childElements(domain, headerName)[0];
    const info = header ? childElements(header, 'InfoDematerialisee')[0] : undefined;
    if (isTrue(info?.attributes.V)) continue;
    if ((options.infoDematerialisee ?? 'set') === 'require') {
      refuse(
        `${domain.local} : InfoDematerialisee doit valoir 1 pour des bordereaux signés (Hélios rejette sinon le flux).`,
        `${domain.local}: InfoDematerialisee is not 1, signed bordereaux would be rejected`,
      );
    }
    if (info) {
      edits.push({ from: info.start, to: info.end, insert: '<InfoDematerialisee V="1"/>' });
    } else {
      const idVer = header ? childElements(header, 'IdVer')[0] : undefined;
      if (!idVer) refuse(`${domain.local} : en-tête sans IdVer, fichier non conforme.`, `${domain.local}: header without IdVer`);
      edits.push({ from: idVer.end, to: idVer.end, insert: '<InfoDematerialisee V="1"/>' });
    }
    dematerialisedDomains.push(domain.local);
  }
  if (toSign.length === 0 && skipped.length === 0) {
    refuse('Le PES ne contient aucun bordereau à signer.', 'no Bordereau to sign');
  }

  if (options.signatureIdPrefix !== undefined && !/^[A-Za-z0-9_]{1,40}$/.test(options.signatureIdPrefix)) {
    refuse('Préfixe d’identifiant de signature invalide.', `bad signatureIdPrefix ${JSON.stringify(options.signatureIdPrefix)}`);
  }
  const runId = options.signatureIdPrefix ?? randomBytes(6).toString('hex');
  const ids = toSign.map((_, i) => {
    let sigId = `PARAPHE_${runId}_${i + 1}`;
    while (scan.ids.has(sigId) || scan.ids.has(`${sigId}_SP`)) sigId += 'x';
    return { sigId, spId: `${sigId}_SP` };
  });
  return { toSign, skipped, edits, dematerialisedDomains, ids };
}

function isSigned(bordereau: ElementSpan): boolean {
  return bordereau.children.some((c) => c.local === 'Signature' && c.uri === NS_DS);
}

/** Per bordereau of the plan: the digest of the bordereau, the canonical SignedInfo and the SignedProperties' digest. */
interface Digested {
  bordereauDigest: string;
  spDigest: string;
  dataToSign: Buffer;
}

function finish(st: Started, plan: Plan, digested: Digested[]): PreparedXades {
  const certB64 = st.cert.der.toString('base64');
  const items: PreparedItem[] = plan.toSign.map((b, i) => {
    const bordereauId = b.attributes.Id!;
    const { sigId, spId } = plan.ids[i]!;
    const { bordereauDigest, spDigest, dataToSign } = digested[i]!;
    const before =
      `<ds:Signature xmlns:ds="${NS_DS}" Id="${sigId}">` +
      signedInfoXml(bordereauId, bordereauDigest, spId, spDigest, false) +
      `<ds:SignatureValue Id="${sigId}_SV">`;
    const after =
      `</ds:SignatureValue><ds:KeyInfo Id="${sigId}_KI"><ds:X509Data><ds:X509Certificate>${certB64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
      `<ds:Object Id="${sigId}_OB"><xad:QualifyingProperties xmlns:xad="${NS_XAD}" Target="#${sigId}">` +
      signedPropertiesXml(spId, st.cert, st.options, false) +
      '</xad:QualifyingProperties></ds:Object></ds:Signature>';
    return {
      bordereauId,
      signatureId: sigId,
      dataToSign,
      dataToSignSha256: createHash('sha256').update(dataToSign).digest(),
      insertAt: b.closeStart,
      before,
      after,
    };
  });
  const prepared = new PreparedXades(
    items.map(({ bordereauId, signatureId, dataToSign, dataToSignSha256 }) => ({ bordereauId, signatureId, dataToSign, dataToSignSha256 })),
    plan.skipped,
    plan.dematerialisedDomains,
  );
  internal.set(prepared, { bytes: st.bytes, text: st.text, encoding: st.encoding, cert: st.cert, items, edits: plan.edits });
  return prepared;
}

/** Phase 1: what must be signed, per bordereau (synchronous: one libxml2 worker, called in turn). */
export function prepareXadesSignature(pes: Uint8Array, signerCert: Uint8Array | string, givenOptions: XadesSignOptions = {}): PreparedXades {
  const st = start(pes, signerCert, givenOptions);
  const { options, cert, text } = st;
  const scan = scanPes(text);
  checkRoot(scan);
  if (resolveSignatureScope(scan, options.scope) === 'global') return prepareGlobalSignature(st.bytes, text, st.encoding, scan, cert, options);
  const plan = planBordereaux(scan, options);
  const digested = plan.toSign.map((b, i): Digested => {
    const { spId } = plan.ids[i]!;
    const bordereauDigest = excC14nDigest(standaloneFragment(text, b)).toString('base64');
    const spDigest = excC14nDigest(signedPropertiesXml(spId, cert, options, true)).toString('base64');
    const dataToSign = excC14nBytes(signedInfoXml(b.attributes.Id!, bordereauDigest, spId, spDigest, true));
    return { bordereauDigest, spDigest, dataToSign };
  });
  return finish(st, plan, digested);
}

/** Bordereaux handed to the workers and not answered yet, at most. */
const BORDEREAUX_IN_FLIGHT = 8;

/** SignedInfo jobs sent to a worker at a time. */
const SIGNED_INFO_BATCH = 24;

/**
 * Phase 1 on a pool of libxml2 workers (c14n.ts), same result as prepareXadesSignature: each bordereau is sent
 * to a worker as soon as the scan has read its end tag (an ISO-8859-1 file as its original bytes), so that
 * scanning, canonicalization and hashing overlap on two cores; then the SignedProperties and SignedInfo of
 * every signature, in batches.
 */
export async function prepareXadesSignatureAsync(pes: Uint8Array, signerCert: Uint8Array | string, givenOptions: XadesSignOptions = {}): Promise<PreparedXades> {
  const st = start(pes, signerCert, givenOptions);
  const { options, cert, text } = st;
  const pool = new C14nPool();
  try {
    const early = new Map<ElementSpan, Promise<Buffer>>();
    // At most BORDEREAUX_IN_FLIGHT fragments copied and handed to the workers at a time: the scan outruns
    // them, and a copy of every bordereau waiting in their queues would cost the size of the file again.
    const waiting: Array<() => void> = [];
    let inFlight = 0;
    let cancelled = false;
    const digestOf = (b: ElementSpan): Promise<Buffer> =>
      new Promise<Buffer>((resolve, reject) => {
        const go = () => {
          if (cancelled) return reject(new Error('cancelled'));
          inFlight++;
          const fragment = text instanceof Latin1Text ? standaloneFragmentBytes(text.bytes, 'ISO-8859-1', b) : standaloneFragment(text, b);
          pool.run([{ fragment, digest: 'sha256' }]).then((r) => resolve(r[0]!), reject).finally(() => {
            inFlight--;
            waiting.shift()?.();
          });
        };
        if (inFlight < BORDEREAUX_IN_FLIGHT) go();
        else waiting.push(go);
      });
    const onClose = options.scope === 'global' ? undefined : (el: ElementSpan) => {
      if (el.local !== 'Bordereau' || el.depth !== 3 || !el.parent || !SIGNED_DOMAINS[el.parent.local] || !el.attributes.Id || isSigned(el)) return;
      const p = digestOf(el);
      p.catch(() => undefined); // awaited below, or not needed (file refused, global signature)
      early.set(el, p);
    };
    // The main thread skips the inside of the bordereaux (libxml2 parses each of them in a worker, or in
    // the pieces of a global signature): most of the scanning time and of its garbage. Ids inside them are
    // not collected, so not when the file already holds our signature Ids ('PARAPHE_'); and the file is
    // scanned again in full whenever the skipped ranges were not exactly bordereaux of a signed domain.
    const skip = text instanceof Latin1Text && text.bytes.indexOf('PARAPHE_') < 0 ? bordereauInteriors(text.bytes) : [];
    let scan: PesScan | undefined;
    if (skip.length > 0) {
      try {
        scan = scanPes(text, onClose, skip);
      } catch {
        scan = undefined; // malformed once cut: the full scan below tells why
      }
      if (scan && !verifySkipped(scan, skip, SIGNED_DOMAINS)) scan = undefined;
    }
    scan ??= scanPes(text, onClose);
    checkRoot(scan);
    if (resolveSignatureScope(scan, options.scope) === 'global') {
      cancelled = true;
      return await prepareGlobalSignatureAsync(st.bytes, text, st.encoding, scan, cert, options, pool);
    }
    const plan = planBordereaux(scan, options);
    const bordereauDigests = await Promise.all(plan.toSign.map((b) => early.get(b) ?? digestOf(b)));
    const jobs = plan.toSign.map((b, i): C14nJob => {
      const { spId } = plan.ids[i]!;
      const [before, after] = signedInfoXml(b.attributes.Id!, bordereauDigests[i]!.toString('base64'), spId, '\u0000', true).split('\u0000');
      return { signedProperties: signedPropertiesXml(spId, cert, options, true), signedInfo: [before!, after!] };
    });
    const batches: Promise<Buffer[]>[] = [];
    for (let i = 0; i < jobs.length; i += SIGNED_INFO_BATCH) batches.push(pool.run(jobs.slice(i, i + SIGNED_INFO_BATCH)));
    const replies = (await Promise.all(batches)).flat();
    const digested = replies.map((r, i): Digested => ({
      bordereauDigest: bordereauDigests[i]!.toString('base64'),
      spDigest: r.subarray(r.length - 32).toString('base64'),
      dataToSign: Buffer.from(r.subarray(0, r.length - 32)),
    }));
    return finish(st, plan, digested);
  } finally {
    await pool.close();
  }
}

/**
 * Phase 2, as chunks (no copy of the document): `signatureValues` in the order of `prepared.bordereaux`
 * or keyed by bordereau Id. Each value is checked against the certificate before anything is written.
 */
export function assembleXadesSignatureParts(prepared: PreparedXades, signatureValues: readonly Uint8Array[] | Record<string, Uint8Array>): Buffer[] {
  const state = internal.get(prepared);
  if (!state) refuse('Préparation de signature inconnue.', 'unknown prepared signature state');
  const edits = [...state.edits];
  state.items.forEach((item, i) => {
    const value = Array.isArray(signatureValues)
      ? (signatureValues as readonly Uint8Array[])[i]
      : (signatureValues as Record<string, Uint8Array>)[item.bordereauId];
    if (!value) {
      refuse(`Valeur de signature manquante pour le bordereau ${item.bordereauId}.`, `missing signature value for Bordereau ${item.bordereauId}`);
    }
    const ok = cryptoVerify('sha256', item.dataToSign, state.cert.publicKey, value);
    if (!ok) {
      refuse(
        `La valeur de signature du bordereau ${item.bordereauId} ne correspond pas au certificat du signataire : signature refusée.`,
        `signature value for Bordereau ${item.bordereauId} does not verify with the signer certificate`,
        { bordereauId: item.bordereauId },
      );
    }
    edits.push({ from: item.insertAt, to: item.insertAt, insert: item.before + Buffer.from(value).toString('base64') + item.after });
  });
  return applyEdits(state.bytes, state.text, state.encoding, edits);
}

export function assembleXadesSignature(prepared: PreparedXades, signatureValues: readonly Uint8Array[] | Record<string, Uint8Array>): Buffer {
  return Buffer.concat(assembleXadesSignatureParts(prepared, signatureValues));
}

/** One-shot signing with a local signer; returns the output chunks. */
export async function signPesParts(pes: Uint8Array, signer: Signer, options: XadesSignOptions = {}): Promise<Buffer[]> {
  const prepared = await prepareXadesSignatureAsync(pes, signer.certificate, options);
  const values: Uint8Array[] = [];
  for (const b of prepared.bordereaux) values.push(await signer.sign(b.dataToSign));
  return assembleXadesSignatureParts(prepared, values);
}

export async function signPes(pes: Uint8Array, signer: Signer, options: XadesSignOptions = {}): Promise<Buffer> {
  return Buffer.concat(await signPesParts(pes, signer, options));
}
