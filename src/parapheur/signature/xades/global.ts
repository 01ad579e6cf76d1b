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
import { excC14nBytes, excC14nDigest, type C14nPool } from './c14n.ts';
import type { CertificateInfo } from './certificate.ts';
import { NS_DS, NS_XAD, SIGNED_DOMAINS } from './constants.ts';
import { Latin1Text, type Edit } from './encoding.ts';
import { childElements, type ElementSpan, type PesScan, type PesText } from './scan.ts';
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

/** The text of [from, to) with the edits that fall inside it applied. */
function applyToSlice(text: string | PesText, from: number, to: number, edits: Edit[]): string {
  let out = '';
  let pos = from;
  for (const e of [...edits].sort((a, b) => a.from - b.from)) {
    if (e.from < from || e.to > to) continue;
    out += text.slice(pos, e.from) + e.insert;
    pos = e.to;
  }
  return out + text.slice(pos, to);
}

/** Characters of the document put in one fragment at most (unless a single leaf element is bigger): small, since a worker's WebAssembly memory grows to the largest document it parsed and never shrinks. */
export const GLOBAL_PIECE_CHARS = 256 * 1024;

/**
 * One fragment of the canonicalization of the whole PES_Aller: `fragment` is a standalone document (the
 * start tags of `chain`, the ancestors, around a run of their content); its canonical form is that of the
 * same nodes in the whole document, between the canonical start and end tags of the chain, which are cut
 * off. `take` 'start'/'end': the fragment's content is one empty element (a big child handled piecewise)
 * of which only the start or the end tag is kept.
 */
interface Piece {
  /** canonical start tags of the chain (with edits) */
  open: string;
  /** content: the document's [from, to) with edits applied, or `literal` */
  from: number;
  to: number;
  literal?: string;
  close: string;
  chain: string;
  take: 'all' | 'start' | 'end';
}

/**
 * The piece as a standalone document: a string, or for an ISO-8859-1 file its original bytes behind an XML
 * declaration (a fresh buffer, transferable). Made when the piece is sent, so that only the pieces in
 * flight are held in memory.
 */
export function pieceFragment(text: string | PesText, edits: Edit[], p: Piece): string | Uint8Array {
  if (!(text instanceof Latin1Text)) return p.open + (p.literal ?? applyToSlice(text, p.from, p.to, edits)) + p.close;
  const segments: Uint8Array[] = [Buffer.from(`<?xml version="1.0" encoding="ISO-8859-1"?>${p.open}`, 'latin1')];
  if (p.literal !== undefined) segments.push(Buffer.from(p.literal, 'latin1'));
  else {
    let pos = p.from;
    for (const e of [...edits].sort((a, b) => a.from - b.from)) {
      if (e.from < p.from || e.to > p.to) continue;
      segments.push(text.bytes.subarray(pos, e.from), Buffer.from(e.insert, 'latin1'));
      pos = e.to;
    }
    segments.push(text.bytes.subarray(pos, p.to));
  }
  segments.push(Buffer.from(p.close, 'latin1'));
  const out = new Uint8Array(segments.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of segments) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}

/**
 * The pieces whose canonical forms, concatenated, are the exclusive c14n of the PES_Aller (edits applied,
 * no signature yet: the enveloped-signature transform's view). Exclusive c14n renders an element from its
 * own name, attributes and the namespace prefixes it visibly uses that an output ancestor has not rendered
 * with the same value; a fragment carrying the same ancestors (same start tags) therefore gives each of
 * its nodes the same canonical form as in the whole document. libxml2 canonicalizes every piece; we only
 * cut off the canonical chain tags (libxml2's own output for the chain around an empty content).
 */
export function globalPieces(text: string | PesText, root: ElementSpan, edits: Edit[], maxChars = GLOBAL_PIECE_CHARS): { pieces: Piece[]; chains: Map<string, string> } {
  const pieces: Piece[] = [];
  const chains = new Map<string, string>();
  const startTag = (el: ElementSpan) => applyToSlice(text, el.start, el.openEnd, edits);
  const endTag = (el: ElementSpan) => `</${el.qname}>`;
  const chainOf = (path: ElementSpan[]) => {
    const key = path.map((e) => e.start).join('/');
    const open = path.map(startTag).join('');
    const close = [...path].reverse().map(endTag).join('');
    if (!chains.has(key)) chains.set(key, open + close);
    return { key, open, close };
  };
  const range = (path: ElementSpan[], from: number, to: number) => {
    if (to <= from) return;
    const c = chainOf(path);
    pieces.push({ open: c.open, from, to, close: c.close, chain: c.key, take: 'all' });
  };
  const walk = (path: ElementSpan[]) => {
    const el = path[path.length - 1]!;
    if (el.closeStart - el.openEnd <= maxChars || el.children.length === 0) {
      range(path, el.openEnd, el.closeStart);
      return;
    }
    let from = el.openEnd;
    for (const child of el.children) {
      const big = child.end - child.start > maxChars && child.children.length > 0 && child.closeStart > child.openEnd;
      if (big) {
        range(path, from, child.start);
        const c = chainOf(path);
        const empty = startTag(child) + endTag(child);
        pieces.push({ open: c.open, from: 0, to: 0, literal: empty, close: c.close, chain: c.key, take: 'start' });
        walk([...path, child]);
        pieces.push({ open: c.open, from: 0, to: 0, literal: empty, close: c.close, chain: c.key, take: 'end' });
        from = child.end;
      } else if (child.end - from > maxChars) {
        range(path, from, child.start);
        from = child.start;
      }
    }
    range(path, from, el.closeStart);
  };
  const emptyRoot = startTag(root) + endTag(root);
  pieces.push({ open: '', from: 0, to: 0, literal: emptyRoot, close: '', chain: '', take: 'start' });
  walk([root]);
  pieces.push({ open: '', from: 0, to: 0, literal: emptyRoot, close: '', chain: '', take: 'end' });
  return { pieces, chains };
}

/** Splits the canonical form of elements around an empty content at the first end tag (`<` never appears in a canonical attribute value). */
function splitEmpty(canonical: Buffer): [Buffer, Buffer] {
  const at = canonical.indexOf('</');
  if (at < 0) throw new Error('canonical empty element without end tag');
  return [canonical.subarray(0, at), canonical.subarray(at)];
}

/** The part of a piece's canonical form that belongs to the whole document's. */
function pieceOutput(piece: Piece, canonical: Buffer, chainTags: Map<string, [Buffer, Buffer]>): Buffer {
  let inner = canonical;
  if (piece.chain !== '') {
    const [open, close] = chainTags.get(piece.chain)!;
    if (!canonical.subarray(0, open.length).equals(open) || !canonical.subarray(canonical.length - close.length).equals(close)) {
      throw new Error('canonical piece does not sit between its chain tags');
    }
    inner = canonical.subarray(open.length, canonical.length - close.length);
  }
  if (piece.take === 'all') return inner;
  const [start, end] = splitEmpty(inner);
  return piece.take === 'start' ? start : end;
}

/** SHA-256 of the exclusive c14n of the PES_Aller, piece by piece (one libxml2 worker, in turn). */
export function globalDigestSync(text: string | PesText, root: ElementSpan, edits: Edit[], maxChars = GLOBAL_PIECE_CHARS): Buffer {
  const { pieces, chains } = globalPieces(text, root, edits, maxChars);
  const chainTags = new Map([...chains].map(([k, f]) => [k, splitEmpty(excC14nBytes(f))] as const));
  const hash = createHash('sha256');
  for (const p of pieces) hash.update(pieceOutput(p, excC14nBytes(pieceFragment(text, edits, p)), chainTags));
  return hash.digest();
}

/** Pieces canonicalized at once on the pool (bounds the canonical bytes held while waiting for the next in order). */
const GLOBAL_WINDOW = 4;

/** globalDigestSync on the worker pool. */
export async function globalDigest(text: string | PesText, root: ElementSpan, edits: Edit[], pool: C14nPool, maxChars = GLOBAL_PIECE_CHARS): Promise<Buffer> {
  const { pieces, chains } = globalPieces(text, root, edits, maxChars);
  const keys = [...chains.keys()];
  const tagged = await pool.run(keys.map((k) => ({ fragment: chains.get(k)! })));
  const chainTags = new Map(keys.map((k, i) => [k, splitEmpty(tagged[i]!)] as const));
  const hash = createHash('sha256');
  const inFlight: Promise<Buffer[]>[] = [];
  let next = 0;
  const launch = () => {
    if (next < pieces.length) inFlight.push(pool.run([{ fragment: pieceFragment(text, edits, pieces[next++]!) }]));
  };
  for (let i = 0; i < GLOBAL_WINDOW; i++) launch();
  for (const p of pieces) {
    const [canonical] = await inFlight.shift()!;
    launch();
    hash.update(pieceOutput(p, canonical!, chainTags));
  }
  return hash.digest();
}

interface GlobalPlan {
  root: ElementSpan;
  rootId: string;
  sigId: string;
  spId: string;
  edits: Edit[];
  dematerialisedDomains: string[];
}

/**
 * Phase 1 of a global signature (one libxml2 worker, in turn); phase 2 is sign.ts' assembleXadesSignatureParts.
 * The document is canonicalized and hashed piece by piece (globalPieces): memory stays bounded whatever its size.
 */
export function prepareGlobalSignature(
  bytes: Buffer,
  text: string | PesText,
  encoding: string,
  scan: PesScan,
  cert: CertificateInfo,
  options: XadesSignOptions,
): PreparedXades {
  const plan = planGlobal(scan, options);
  const rootDigest = globalDigestSync(text, plan.root, plan.edits).toString('base64');
  const spDigest = excC14nDigest(signedPropertiesXml(plan.spId, cert, options, true)).toString('base64');
  const dataToSign = excC14nBytes(signedInfoXml(plan.rootId, rootDigest, plan.spId, spDigest, true));
  return finishGlobal({ bytes, text, encoding, cert, options }, plan, rootDigest, spDigest, dataToSign);
}

/** prepareGlobalSignature on the worker pool (the pieces are canonicalized on several workers at once). */
export async function prepareGlobalSignatureAsync(
  bytes: Buffer,
  text: string | PesText,
  encoding: string,
  scan: PesScan,
  cert: CertificateInfo,
  options: XadesSignOptions,
  pool: C14nPool,
): Promise<PreparedXades> {
  const plan = planGlobal(scan, options);
  const rootDigest = (await globalDigest(text, plan.root, plan.edits, pool)).toString('base64');
  const [before, after] = signedInfoXml(plan.rootId, rootDigest, plan.spId, '\u0000', true).split('\u0000');
  const [r] = await pool.run([{ signedProperties: signedPropertiesXml(plan.spId, cert, options, true), signedInfo: [before!, after!] }]);
  const spDigest = r!.subarray(r!.length - 32).toString('base64');
  return finishGlobal({ bytes, text, encoding, cert, options }, plan, rootDigest, spDigest, Buffer.from(r!.subarray(0, r!.length - 32)));
}

function planGlobal(scan: PesScan, options: XadesSignOptions): GlobalPlan {
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
  return { root, rootId, sigId, spId: `${sigId}_SP`, edits, dematerialisedDomains };
}

function finishGlobal(
  st: { bytes: Buffer; text: string | PesText; encoding: string; cert: CertificateInfo; options: XadesSignOptions },
  plan: GlobalPlan,
  rootDigest: string,
  spDigest: string,
  dataToSign: Buffer,
): PreparedXades {
  const { bytes, text, encoding, cert, options } = st;
  const { root, rootId, sigId, spId, edits, dematerialisedDomains } = plan;
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
