/**
 * Verification of every XMLDSig/XAdES signature of a PES (bordereaux, global, PJ). The XMLDSig core
 * (references, signature value) is checked by xml-crypto, an implementation independent from the one we
 * sign with (libxml2 c14n); the XAdES 1.1.1 properties, the certificate's validity at SigningTime and the
 * optional chain to trust anchors are checked here with node:crypto. Each signature is checked on its own
 * parent element cut out of the file, so a large PES is never loaded as one DOM.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { AppError } from '../../../shared/errors.ts';
import { ALG_SHA1, DIGEST_NODE_NAMES, NS_DS, NS_XAD, SIGNED_DOMAINS } from './constants.ts';
import { certificateInfo } from './certificate.ts';
import { decodePes } from './encoding.ts';
import { childElements, scanPes, standaloneFragment, type ElementSpan } from './scan.ts';
import { checkRootReferenceByC14n, STREAMED_GLOBAL_ABOVE } from './verify-global.ts';

export interface VerifyIssue {
  code: string;
  messageFr: string;
  messageEn: string;
}

export interface SignatureReport {
  signatureId: string | undefined;
  /** element the signature sits in (Bordereau, PES_Aller, PJ…) and its Id */
  target: { element: string; id: string | undefined };
  valid: boolean;
  /** references and signature value (XMLDSig core) */
  cryptoValid: boolean;
  signatureAlgorithm: string | undefined;
  signer?: { subject: string; issuer: string; serialNumber: string; notBefore: string; notAfter: string };
  signingTime?: string;
  certificateValidAtSigningTime?: boolean;
  /** undefined when no trust anchor was given */
  trusted?: boolean;
  policy?: { identifier: string | undefined; hashAlgorithm: string | undefined; hashBase64: string | undefined };
  productionPlace?: { city?: string; postalCode?: string; countryName?: string };
  claimedRoles: string[];
  errors: VerifyIssue[];
  warnings: VerifyIssue[];
}

export interface PesVerification {
  /** every signature valid (and at least one present) */
  valid: boolean;
  signatures: SignatureReport[];
  /** file-level findings that do not invalidate a signature (e.g. InfoDematerialisee inconsistent) */
  warnings: VerifyIssue[];
}

export interface VerifyOptions {
  /** PEM or DER certificates; when given, each signer must chain to one of them */
  trustAnchors?: Array<string | Uint8Array>;
  /** Size (characters) above which a global signature is checked without a DOM of the file (verify-global.ts). */
  streamedGlobalAbove?: number;
}

const issue = (code: string, messageFr: string, messageEn: string): VerifyIssue => ({ code, messageFr, messageEn });

function elementChildren(el: Element, ns: string, local: string): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).localName === local && (n as Element).namespaceURI === ns) out.push(n as Element);
  }
  return out;
}

function descendant(el: Element | undefined, path: Array<[string, string]>): Element | undefined {
  let cur: Element | undefined = el;
  for (const [ns, local] of path) {
    if (!cur) return undefined;
    cur = elementChildren(cur, ns, local)[0];
  }
  return cur;
}

const text = (el: Element | undefined): string | undefined => (el ? (el.textContent ?? '').trim() : undefined);

function normalizeDn(dn: string): string {
  return dn
    .split(/(?<!\\),/)
    .map((p) => p.trim().toLowerCase())
    .join(',');
}

function toX509(input: string | Uint8Array): X509Certificate {
  return new X509Certificate(typeof input === 'string' ? input : Buffer.from(input));
}

function chainsToAnchor(cert: X509Certificate, extra: X509Certificate[], anchors: X509Certificate[], at: Date): boolean {
  let current = cert;
  for (let depth = 0; depth < 8; depth++) {
    for (const a of anchors) {
      if (current.checkIssued(a) && current.verify(a.publicKey) && new Date(a.validFrom) <= at && at <= new Date(a.validTo)) return true;
      if (current.raw.equals(a.raw)) return true;
    }
    const next = extra.find((c) => !c.raw.equals(current.raw) && current.checkIssued(c) && current.verify(c.publicKey));
    if (!next) return false;
    current = next;
  }
  return false;
}

function verifyOne(text0: string, sigSpan: ElementSpan, anchors: X509Certificate[] | undefined, streamedAbove = STREAMED_GLOBAL_ABOVE): SignatureReport {
  const parent = sigSpan.parent!;
  const report: SignatureReport = {
    signatureId: sigSpan.attributes.Id,
    target: { element: parent.local, id: parent.attributes.Id },
    valid: false,
    cryptoValid: false,
    signatureAlgorithm: undefined,
    claimedRoles: [],
    errors: [],
    warnings: [],
  };
  // A large PES_Aller's global signature: only the signature element as a DOM (verify-global.ts).
  const streamed = parent.depth === 1 && parent.end - parent.start > streamedAbove;
  const fragment = standaloneFragment(text0, streamed ? sigSpan : parent);
  const doc = new DOMParser().parseFromString(fragment, 'text/xml');
  const root = doc.documentElement!;
  const index = parent.children.filter((c) => c.local === 'Signature' && c.uri === NS_DS).indexOf(sigSpan);
  const sigEl = streamed ? root : elementChildren(root, NS_DS, 'Signature')[index];
  if (!sigEl) {
    report.errors.push(issue('SIGNATURE_NOT_FOUND', 'Signature introuvable.', 'signature element not found in fragment'));
    return report;
  }
  const signedInfo = descendant(sigEl, [[NS_DS, 'SignedInfo']]);
  report.signatureAlgorithm = descendant(signedInfo, [[NS_DS, 'SignatureMethod']])?.getAttribute('Algorithm') ?? undefined;
  const refUris = signedInfo ? elementChildren(signedInfo, NS_DS, 'Reference').map((r) => r.getAttribute('URI') ?? '') : [];

  // XMLDSig core through xml-crypto.
  try {
    const sx = new SignedXml({ getCertFromKeyInfo: SignedXml.getCertFromKeyInfo });
    sx.loadSignature(sigEl);
    if (streamed) checkRootReferenceByC14n(sx, text0, parent, sigSpan);
    report.cryptoValid = sx.checkSignature(fragment);
    if (!report.cryptoValid) {
      report.errors.push(issue('SIGNATURE_INVALID', 'Signature cryptographiquement invalide (empreinte ou valeur de signature).', 'XMLDSig core validation failed'));
    }
  } catch (e) {
    report.errors.push(
      issue('SIGNATURE_INVALID', 'Signature invalide : le contenu signé a été modifié ou la valeur de signature est fausse.', `XMLDSig core validation failed: ${(e as Error).message}`),
    );
  }
  if (report.signatureAlgorithm?.endsWith('rsa-sha1')) {
    report.warnings.push(issue('SHA1', 'Signature RSA-SHA1 : algorithme obsolète.', 'rsa-sha1 signature (obsolete)'));
  }
  // The signature must cover its parent element.
  const parentId = parent.attributes.Id;
  const coversParent = (parentId !== undefined && refUris.includes(`#${parentId}`)) || (parent.depth === 1 && refUris.includes(''));
  if (!coversParent) {
    report.errors.push(issue('TARGET_NOT_SIGNED', `La signature ne porte pas sur l’élément ${parent.local} qui la contient.`, `signature does not reference its parent ${parent.local}`));
  }

  // Certificate.
  const certB64 = text(descendant(sigEl, [[NS_DS, 'KeyInfo'], [NS_DS, 'X509Data'], [NS_DS, 'X509Certificate']]));
  let der: Buffer | undefined;
  let info: ReturnType<typeof certificateInfo> | undefined;
  if (certB64) {
    der = Buffer.from(certB64.replace(/\s+/g, ''), 'base64');
    try {
      info = certificateInfo(der);
      report.signer = {
        subject: info.subjectName,
        issuer: info.issuerName,
        serialNumber: info.serialDecimal,
        notBefore: info.notBefore.toISOString(),
        notAfter: info.notAfter.toISOString(),
      };
    } catch {
      report.errors.push(issue('CERT_UNREADABLE', 'Certificat du signataire illisible.', 'unreadable signer certificate'));
    }
  } else {
    report.errors.push(issue('CERT_MISSING', 'Certificat du signataire absent (KeyInfo/X509Certificate).', 'no KeyInfo/X509Certificate'));
  }

  // XAdES properties.
  const qps = elementChildren(sigEl, NS_DS, 'Object').flatMap((o) => elementChildren(o, NS_XAD, 'QualifyingProperties'));
  const sp = qps.map((q) => elementChildren(q, NS_XAD, 'SignedProperties')[0]).find(Boolean);
  if (!sp) {
    const other = elementChildren(sigEl, NS_DS, 'Object').some((o) => elementChildren(o, 'http://uri.etsi.org/01903/v1.3.2#', 'QualifyingProperties').length > 0);
    report.errors.push(
      issue('XADES_MISSING', other ? 'Propriétés XAdES en version 1.3.2 : Hélios attend la version 1.1.1.' : 'Propriétés XAdES 1.1.1 absentes.', other ? 'XAdES 1.3.2 properties instead of 1.1.1' : 'no XAdES 1.1.1 SignedProperties'),
    );
  } else {
    const spId = sp.getAttribute('Id');
    if (!spId || !refUris.includes(`#${spId}`)) {
      report.errors.push(issue('XADES_NOT_SIGNED', 'Les propriétés XAdES ne sont pas couvertes par la signature.', 'SignedProperties not referenced from SignedInfo'));
    }
    const ssp = descendant(sp, [[NS_XAD, 'SignedSignatureProperties']]);
    report.signingTime = text(descendant(ssp, [[NS_XAD, 'SigningTime']]));
    const cert = descendant(ssp, [[NS_XAD, 'SigningCertificate'], [NS_XAD, 'Cert']]);
    const certDigest = descendant(cert, [[NS_XAD, 'CertDigest']]);
    const digestAlg = descendant(certDigest, [[NS_XAD, 'DigestMethod']])?.getAttribute('Algorithm') ?? undefined;
    const digestValue = text(descendant(certDigest, [[NS_XAD, 'DigestValue']]));
    if (!certDigest || !digestAlg || !digestValue) {
      const dsStyle = certDigest && descendant(certDigest, [[NS_DS, 'DigestValue']]);
      report.errors.push(
        issue(
          'CERT_DIGEST_MISSING',
          dsStyle ? 'CertDigest utilise ds:DigestValue au lieu de xad:DigestValue (XAdES 1.1.1).' : 'Empreinte du certificat (CertDigest) absente.',
          dsStyle ? 'CertDigest uses ds: digest elements instead of xad:' : 'no xad:CertDigest',
        ),
      );
    } else if (der) {
      const nodeAlg = DIGEST_NODE_NAMES[digestAlg];
      if (!nodeAlg) {
        report.errors.push(issue('CERT_DIGEST_ALG', `Algorithme d’empreinte inconnu : ${digestAlg}.`, `unknown CertDigest algorithm ${digestAlg}`));
      } else if (createHash(nodeAlg).update(der).digest('base64') !== digestValue.replace(/\s+/g, '')) {
        report.errors.push(issue('CERT_DIGEST_MISMATCH', 'L’empreinte du certificat signé ne correspond pas au certificat joint.', 'CertDigest does not match the embedded certificate'));
      }
      if (digestAlg === ALG_SHA1) report.warnings.push(issue('SHA1', 'Empreinte du certificat en SHA-1 (obsolète).', 'sha1 CertDigest'));
    }
    const serial = text(descendant(cert, [[NS_XAD, 'IssuerSerial'], [NS_DS, 'X509SerialNumber']]));
    const issuerName = text(descendant(cert, [[NS_XAD, 'IssuerSerial'], [NS_DS, 'X509IssuerName']]));
    if (info && serial !== undefined) {
      let same = false;
      try {
        same = BigInt(serial) === BigInt(info.serialDecimal);
      } catch {
        same = false;
      }
      if (!same) report.errors.push(issue('ISSUER_SERIAL_MISMATCH', 'Le numéro de série signé ne correspond pas au certificat joint.', 'IssuerSerial serial does not match the certificate'));
    }
    if (info && issuerName !== undefined && normalizeDn(issuerName) !== normalizeDn(info.issuerName)) {
      report.warnings.push(issue('ISSUER_NAME_DIFFERS', 'Le nom d’émetteur signé est écrit différemment de celui du certificat.', `X509IssuerName "${issuerName}" differs from "${info.issuerName}"`));
    }
    const policyId = descendant(ssp, [[NS_XAD, 'SignaturePolicyIdentifier'], [NS_XAD, 'SignaturePolicyId']]);
    if (!policyId) {
      report.errors.push(issue('POLICY_MISSING', 'Politique de signature absente (XAdES-EPES attendu).', 'no SignaturePolicyId'));
    } else {
      const hash = descendant(policyId, [[NS_XAD, 'SigPolicyHash']]);
      report.policy = {
        identifier: text(descendant(policyId, [[NS_XAD, 'SigPolicyId'], [NS_XAD, 'Identifier']])),
        hashAlgorithm: descendant(hash, [[NS_XAD, 'DigestMethod']])?.getAttribute('Algorithm') ?? undefined,
        hashBase64: text(descendant(hash, [[NS_XAD, 'DigestValue']])),
      };
      if (!report.policy.identifier) report.errors.push(issue('POLICY_MISSING', 'Identifiant de politique de signature absent.', 'no SigPolicyId/Identifier'));
    }
    const place = descendant(ssp, [[NS_XAD, 'SignatureProductionPlace']]);
    if (place) {
      report.productionPlace = {
        city: text(descendant(place, [[NS_XAD, 'City']])),
        postalCode: text(descendant(place, [[NS_XAD, 'PostalCode']])),
        countryName: text(descendant(place, [[NS_XAD, 'CountryName']])),
      };
    }
    const roles = descendant(ssp, [[NS_XAD, 'SignerRole'], [NS_XAD, 'ClaimedRoles']]);
    report.claimedRoles = roles ? elementChildren(roles, NS_XAD, 'ClaimedRole').map((r) => text(r) ?? '') : [];
  }

  // Validity at SigningTime, and chain.
  const at = report.signingTime ? new Date(report.signingTime) : undefined;
  if (!at || Number.isNaN(at.getTime())) {
    report.errors.push(issue('SIGNING_TIME_MISSING', 'Date de signature (SigningTime) absente ou illisible.', 'missing or unreadable SigningTime'));
  } else if (info) {
    report.certificateValidAtSigningTime = info.notBefore <= at && at <= info.notAfter;
    if (at > info.notAfter) {
      report.errors.push(
        issue('CERT_EXPIRED', `Certificat expiré le ${info.notAfter.toISOString().slice(0, 10)}, avant la date de signature ${report.signingTime}.`, `certificate expired ${info.notAfter.toISOString()} before SigningTime ${report.signingTime}`),
      );
    } else if (at < info.notBefore) {
      report.errors.push(issue('CERT_NOT_YET_VALID', 'Certificat pas encore valide à la date de signature.', 'certificate not yet valid at SigningTime'));
    }
    if (anchors && der) {
      const extra = elementChildren(descendant(sigEl, [[NS_DS, 'KeyInfo']]) ?? sigEl, NS_DS, 'X509Data')
        .flatMap((d) => elementChildren(d, NS_DS, 'X509Certificate'))
        .map((c) => toX509(Buffer.from((text(c) ?? '').replace(/\s+/g, ''), 'base64')));
      report.trusted = chainsToAnchor(toX509(der), extra, anchors, at);
      if (!report.trusted) {
        report.errors.push(issue('UNTRUSTED', 'Le certificat du signataire n’est pas émis par une autorité de confiance.', 'signer certificate does not chain to a trust anchor'));
      }
    }
  }
  report.valid = report.errors.length === 0;
  return report;
}

export function verifyPesSignatures(bytes: Uint8Array, options: VerifyOptions = {}): PesVerification {
  const { text: t } = decodePes(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const scan = scanPes(t);
  let anchors: X509Certificate[] | undefined;
  try {
    anchors = options.trustAnchors?.map(toX509);
  } catch (e) {
    throw new AppError('BAD_INPUT', 'Certificat d’autorité de confiance illisible.', `unreadable trust anchor: ${(e as Error).message}`);
  }
  const signatures = scan.signatures.filter((s) => s.parent).map((s) => verifyOne(t, s, anchors, options.streamedGlobalAbove));
  const warnings: VerifyIssue[] = [];
  if (scan.deepSignatures > 0) {
    warnings.push(issue('DEEP_SIGNATURE', `${scan.deepSignatures} signature(s) placée(s) hors bordereau/PJ/PES_Aller n’ont pas été vérifiées.`, `${scan.deepSignatures} signature(s) deeper than a bordereau/PJ child not verified`));
  }
  // A global signature (last child of PES_Aller) stands for the bordereaux' own signatures.
  const globallySigned = scan.root.children.some((c) => c.local === 'Signature' && c.uri === NS_DS);
  for (const domain of scan.root.children) {
    const headerName = SIGNED_DOMAINS[domain.local];
    if (!headerName) continue;
    const header = childElements(domain, headerName)[0];
    const v = header ? childElements(header, 'InfoDematerialisee')[0]?.attributes.V : undefined;
    const demat = v === '1' || v === 'true';
    const bordereaux = childElements(domain, 'Bordereau');
    const signed = bordereaux.filter((b) => b.children.some((c) => c.local === 'Signature' && c.uri === NS_DS));
    if (demat && !globallySigned && signed.length < bordereaux.length) {
      warnings.push(issue('DEMAT_UNSIGNED', `${domain.local} : InfoDematerialisee = 1 mais des bordereaux ne sont pas signés (rejet Hélios).`, `${domain.local}: InfoDematerialisee=1 with unsigned bordereaux`));
    }
    if (!demat && signed.length > 0) {
      warnings.push(issue('SIGNED_NOT_DEMAT', `${domain.local} : bordereaux signés alors que InfoDematerialisee vaut 0 ou est absent (rejet Hélios).`, `${domain.local}: signed bordereaux while InfoDematerialisee is not 1`));
    }
  }
  return { valid: signatures.length > 0 && signatures.every((s) => s.valid), signatures, warnings };
}
