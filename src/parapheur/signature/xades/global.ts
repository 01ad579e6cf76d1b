/**
 * Global signature of a PES_Aller: one enveloped XAdES-EPES (1.1.1) signature of the whole `PES_Aller`,
 * written as its last child (PROTOCOLS.md B.3), same profile as the per-bordereau signatures (exclusive
 * c14n, rsa-sha256, reference to `#<PES_Aller/@Id>` with enveloped-signature then exc-c14n, reference to the
 * SignedProperties), in the file's own encoding, same two phases (prepare / assemble in sign.ts).
 *
 * Where the PES schema (v5.12 and v5.17) allows a ds:Signature: last child of `Bordereau` (dépense and
 * recette, attribute `Id` optional, "obligatoire si signature unitaire des bordereaux") and last child of
 * `PES_Aller` (attribute `Id` optional, needed for the reference). `PJ` has **no** place for a signature
 * and no Id attribute: the XSD's sequence carries the comment "Signature Optionnelle de chaque PJ par
 * l'ordonnateur" but no element, so a PJ with its own ds:Signature fails the schema (and Hélios has an
 * `ERREUR_PJ_SIGNEE` code). We therefore never sign a PJ element; a signed PJ document is signed inside
 * its own format (PAdES…) before it is put in the PES.
 *
 * What "the file asks for" (scope 'auto', the default):
 * - every Bordereau of the dépense/recette domains has an Id → one signature per bordereau (the usual
 *   Hélios case, even when PES_Aller has an Id too: most producers write both);
 * - otherwise, when PES_Aller has an Id (some bordereau without Id, or no bordereau at all) → global;
 * - otherwise the file cannot be signed (no Id to reference).
 * Scope 'global' forces a global signature (an Id is added to PES_Aller when it has none: the attribute is
 * optional in the schema); scope 'bordereaux' keeps the per-bordereau behaviour.
 * InfoDematerialisee: Hélios rejects a signature when no domain has InfoDematerialisee = 1, so with
 * `infoDematerialisee: 'set'` (default) every dépense/recette header gets V="1" (inside the signed part,
 * before the digest); with 'require' a domain not at 1 refuses the file; a file without a dépense or
 * recette domain cannot carry InfoDematerialisee and is refused.
 * Existing bordereau signatures are kept and covered by the global one; an existing global signature is
 * refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../../shared/errors.ts';
import { excC14nBytes, excC14nDigest } from './c14n.ts';
import type { CertificateInfo } from './certificate.ts';
import { NS_DS, NS_XAD, SIGNED_DOMAINS } from './constants.ts';
import type { Edit } from './encoding.ts';
import { childElements, type PesScan, type PesText } from './scan.ts';
import { PreparedXades, registerPrepared, signedInfoXml, signedPropertiesXml, type XadesSignOptions } from './sign.ts';

export type SignatureScope = 'auto' | 'bordereaux' | 'global';

const ID_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function refuse(fr: string, en: string, details?: unknown): never {
  throw new AppError('BAD_INPUT', fr, en, details);
}

/** 'global' or 'bordereaux' for this file and option (see the module comment). */
export function resolveSignatureScope(scan: PesScan, scope: SignatureScope = 'auto'): 'global' | 'bordereaux' {
  if (scope !== 'auto') return scope;
  const bordereaux = scan.root.children.filter((d) => SIGNED_DOMAINS[d.local]).flatMap((d) => childElements(d, 'Bordereau'));
  if (bordereaux.length > 0 && bordereaux.every((b) => b.attributes.Id)) return 'bordereaux';
  return scan.root.attributes.Id ? 'global' : 'bordereaux';
}

function applyToSlice(text: string | PesText, from: number, to: number, edits: Edit[]): string {
  let out = '';
  let pos = from;
  for (const e of [...edits].sort((a, b) => a.from - b.from)) {
    out += text.slice(pos, e.from) + e.insert;
    pos = e.to;
  }
  return out + text.slice(pos, to);
}

/** Phase 1 of a global signature; phase 2 is sign.ts' assembleXadesSignatureParts. */
export function prepareGlobalSignature(
  bytes: Buffer,
  text: string | PesText,
  encoding: string,
  scan: PesScan,
  cert: CertificateInfo,
  options: XadesSignOptions,
): PreparedXades {
  const root = scan.root;
  if (root.children.some((c) => c.local === 'Signature' && c.uri === NS_DS)) {
    refuse('Le PES porte déjà une signature globale.', 'PES_Aller already carries a global signature');
  }
  if (options.signatureIdPrefix !== undefined && !/^[A-Za-z0-9_]{1,40}$/.test(options.signatureIdPrefix)) {
    refuse('Préfixe d’identifiant de signature invalide.', `bad signatureIdPrefix ${JSON.stringify(options.signatureIdPrefix)}`);
  }
  const runId = options.signatureIdPrefix ?? randomBytes(6).toString('hex');
  const edits: Edit[] = [];
  let rootId = root.attributes.Id;
  if (rootId === undefined) {
    rootId = `PARAPHE_${runId}_PES`;
    while (scan.ids.has(rootId)) rootId += 'x';
    const afterName = root.start + 1 + root.qname.length;
    edits.push({ from: afterName, to: afterName, insert: ` Id="${rootId}"` });
  } else if (!ID_RE.test(rootId)) {
    refuse(`L’identifiant du PES_Aller « ${rootId} » n’est pas utilisable dans une référence de signature.`, `unusable PES_Aller Id ${JSON.stringify(rootId)}`);
  }

  const domains = root.children.filter((d) => SIGNED_DOMAINS[d.local]);
  if (domains.length === 0) {
    refuse(
      'Signature globale impossible : le PES n’a ni domaine dépense ni domaine recette, donc pas d’InfoDematerialisee à 1 (Hélios rejette une signature sans lui).',
      'global signature needs a dépense or recette domain (InfoDematerialisee)',
    );
  }
  const dematerialisedDomains: string[] = [];
  for (const domain of domains) {
    const header = childElements(domain, SIGNED_DOMAINS[domain.local]!)[0];
    const info = header ? childElements(header, 'InfoDematerialisee')[0] : undefined;
    const v = info?.attributes.V;
    if (v === '1' || v === 'true') continue;
    if ((options.infoDematerialisee ?? 'set') === 'require') {
      refuse(
        `${domain.local} : InfoDematerialisee doit valoir 1 pour un PES signé (Hélios rejette sinon le flux).`,
        `${domain.local}: InfoDematerialisee is not 1, a signed PES would be rejected`,
      );
    }
    if (info) edits.push({ from: info.start, to: info.end, insert: '<InfoDematerialisee V="1"/>' });
    else {
      const idVer = header ? childElements(header, 'IdVer')[0] : undefined;
      if (!idVer) refuse(`${domain.local} : en-tête sans IdVer, fichier non conforme.`, `${domain.local}: header without IdVer`);
      edits.push({ from: idVer.end, to: idVer.end, insert: '<InfoDematerialisee V="1"/>' });
    }
    dematerialisedDomains.push(domain.local);
  }

  let sigId = `PARAPHE_${runId}_G`;
  while (scan.ids.has(sigId) || scan.ids.has(`${sigId}_SP`) || sigId === rootId) sigId += 'x';
  const spId = `${sigId}_SP`;
  // The root has no inherited bindings: its own text (edits applied) is a standalone fragment. The
  // signature is not there yet, which is what the enveloped-signature transform gives.
  const rootDigest = excC14nDigest(applyToSlice(text, root.start, root.end, edits)).toString('base64');
  const spDigest = excC14nDigest(signedPropertiesXml(spId, cert, options, true)).toString('base64');
  const dataToSign = excC14nBytes(signedInfoXml(rootId, rootDigest, spId, spDigest, true));
  const before =
    `<ds:Signature xmlns:ds="${NS_DS}" Id="${sigId}">` + signedInfoXml(rootId, rootDigest, spId, spDigest, false) + `<ds:SignatureValue Id="${sigId}_SV">`;
  const after =
    `</ds:SignatureValue><ds:KeyInfo Id="${sigId}_KI"><ds:X509Data><ds:X509Certificate>${cert.der.toString('base64')}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
    `<ds:Object Id="${sigId}_OB"><xad:QualifyingProperties xmlns:xad="${NS_XAD}" Target="#${sigId}">` +
    signedPropertiesXml(spId, cert, options, false) +
    '</xad:QualifyingProperties></ds:Object></ds:Signature>';
  const item = {
    bordereauId: rootId,
    element: 'PES_Aller' as const,
    signatureId: sigId,
    dataToSign,
    dataToSignSha256: createHash('sha256').update(dataToSign).digest(),
  };
  const prepared = new PreparedXades([item], [], dematerialisedDomains);
  registerPrepared(prepared, { bytes, text, encoding, cert, items: [{ ...item, insertAt: root.closeStart, before, after }], edits });
  return prepared;
}
