/**
 * One streaming pass over a decoded PES (saxes, namespace-aware) that records where the parts we sign or
 * verify sit in the text: domains and their headers, every Bordereau, every ds:Signature and its parent,
 * and every Id value. Nothing else of the document is kept in memory, so signing a large file costs one
 * copy of its text plus one bordereau at a time.
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { AppError } from '../../../shared/errors.ts';
import { NS_DS } from './constants.ts';

export interface ElementSpan {
  qname: string;
  local: string;
  uri: string;
  depth: number;
  /** index of `<` of the start tag */
  start: number;
  /** index just after the start tag's `>` */
  openEnd: number;
  /** index of `</` of the end tag (= end for an empty element) */
  closeStart: number;
  /** index just after the end tag */
  end: number;
  attributes: Record<string, string>;
  /** namespace declarations written on this element (prefix '' = default) */
  ownNs: Record<string, string>;
  /** namespace bindings in scope at the parent (what a fragment cut out here must redeclare) */
  inheritedNs: Record<string, string>;
  parent: ElementSpan | undefined;
  /** retained children (depth ≤ 4, and signatures at depth 5) */
  children: ElementSpan[];
}

/**
 * The decoded text of a PES as the scanner and standaloneFragment read it: a string, or a view that decodes
 * slices on demand (Latin1Text in encoding.ts: an ISO-8859-1 file is then never held as a second, decoded
 * copy beside its bytes).
 */
export interface PesText {
  readonly length: number;
  slice(start: number, end?: number): string;
  lastIndexOf(search: string, position?: number): number;
}

/** Characters handed to saxes at a time when the text is a PesText view: under 1 MB, so that Node makes
 * them ordinary heap strings (collected young) and not external ones. */
const SCAN_CHUNK = 256 * 1024;

export interface PesScan {
  root: ElementSpan;
  /** every ds:Signature element down to depth 5 (bordereau, PJ, global), in document order */
  signatures: ElementSpan[];
  /** Signature-named elements deeper than that (not verified; reported) */
  deepSignatures: number;
  ids: Set<string>;
}

/** PES_Aller(1) / domain(2) / Bordereau, PJ(3) / their children(4); a signature may sit at 5 (in a PJ's child). */
const RETAIN_DEPTH = 4;

/**
 * `onClose` is called for every retained element as soon as its end tag is read (the scan goes on after it
 * returns): a caller can start working on a bordereau while the rest of the file is scanned.
 */
export function scanPes(text: string | PesText, onClose?: (el: ElementSpan) => void, skip: ReadonlyArray<readonly [number, number]> = []): PesScan {
  // Namespace processing is done here (saxes' own xmlns mode costs ~40 % more on a 50 MB file): we only
  // need the bindings in scope and the namespace of Signature elements. Undeclared prefixes are refused.
  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: Array<ElementSpan | null> = [];
  let deepSignatures = 0;
  const nsStack: Record<string, string>[] = [{}];
  const signatures: ElementSpan[] = [];
  const ids = new Set<string>();
  let root: ElementSpan | undefined;
  let pendingStart = -1;
  let failure: Error | undefined;
  // characters of `text` not handed to the parser before the current write (skipped ranges)
  let delta = 0;
  const position = () => parser.position + delta;

  parser.on('opentagstart', () => {
    pendingStart = stack.length < RETAIN_DEPTH + 1 ? text.lastIndexOf('<', position() - 1) : -1;
  });
  parser.on('opentag', (tag: SaxesTagPlain) => {
    const inherited = nsStack[nsStack.length - 1]!;
    let own: Record<string, string> | undefined;
    for (const name in tag.attributes) {
      if (name === 'xmlns') (own ??= {})[''] = tag.attributes[name]!;
      else if (name.charCodeAt(0) === 120 && name.startsWith('xmlns:')) (own ??= {})[name.slice(6)] = tag.attributes[name]!;
    }
    const scope = own ? { ...inherited, ...own } : inherited;
    nsStack.push(scope);
    const depth = stack.length + 1;
    const name = tag.name;
    const anyId = tag.attributes.Id;
    if (anyId !== undefined) ids.add(anyId);
    // Deep elements (pièces, lignes…) are only checked for well-formedness: no record, no copy.
    if (depth > RETAIN_DEPTH + 1 || (depth === RETAIN_DEPTH + 1 && !name.endsWith('Signature'))) {
      if (name.endsWith('Signature')) deepSignatures++;
      stack.push(null);
      return;
    }
    const colon = name.indexOf(':');
    const prefix = colon < 0 ? '' : name.slice(0, colon);
    const local = colon < 0 ? name : name.slice(colon + 1);
    const uri = scope[prefix] ?? (prefix === 'xml' ? 'http://www.w3.org/XML/1998/namespace' : prefix === '' ? '' : undefined);
    if (uri === undefined) failure ??= new Error(`undeclared namespace prefix ${prefix} on ${name}`);
    const isSignature = local === 'Signature' && uri === NS_DS;
    const parent = stack[stack.length - 1] ?? undefined;
    if (depth === RETAIN_DEPTH + 1 && !isSignature) {
      stack.push(null);
      return;
    }
    const attributes: Record<string, string> = {};
    for (const a in tag.attributes) if (a !== 'xmlns' && !a.startsWith('xmlns:')) attributes[a] = tag.attributes[a]!;
    const el: ElementSpan = {
      qname: name,
      local,
      uri: uri ?? '',
      depth,
      start: pendingStart,
      openEnd: position(),
      closeStart: -1,
      end: -1,
      attributes,
      ownNs: own ?? {},
      inheritedNs: inherited,
      parent,
      children: [],
    };
    if (depth === 1) root = el;
    if (isSignature) signatures.push(el);
    if (parent) parent.children.push(el);
    stack.push(el);
  });
  parser.on('closetag', (tag) => {
    const el = stack.pop();
    nsStack.pop();
    if (!el) return;
    el.end = position();
    el.closeStart = tag.isSelfClosing ? el.end : text.lastIndexOf('</', el.end - 1);
    if (onClose && !failure) onClose(el);
  });
  parser.on('error', (e) => {
    failure ??= e;
  });
  try {
    if (typeof text === 'string' && skip.length === 0) parser.write(text);
    else {
      const feed = (from: number, to: number) => {
        for (let off = from; off < to && !failure; off += SCAN_CHUNK) parser.write(text.slice(off, Math.min(off + SCAN_CHUNK, to)));
      };
      let pos = 0;
      for (const [from, to] of skip) {
        feed(pos, from);
        delta += to - from;
        pos = to;
      }
      feed(pos, text.length);
    }
    parser.close();
  } catch (e) {
    failure ??= e as Error;
  }
  if (failure || !root) {
    throw new AppError(
      'BAD_INPUT',
      'Le fichier PES n’est pas un XML bien formé.',
      `malformed PES XML: ${failure?.message ?? 'no root element'}`,
    );
  }
  return { root, signatures, ids, deepSignatures };
}

/**
 * The interiors (from the end of the start tag to the start of the end tag) of the `<Bordereau …>` elements
 * found by a byte search, for scanPes to skip: each is canonicalized, hence parsed, by libxml2 on its own,
 * so the main thread need not parse it too. Only plain cases are proposed (no Signature inside, an end tag
 * written `</Bordereau>`); `verifySkipped` then checks that the scan saw each as a bordereau of a signed
 * domain, else the caller scans again without skipping.
 */
export function bordereauInteriors(bytes: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let pos = 0;
  for (;;) {
    const at = bytes.indexOf('<Bordereau', pos, 'latin1');
    if (at < 0) return out;
    const gt = bytes.indexOf(0x3e, at); // '>'
    if (gt < 0) return out;
    pos = gt + 1;
    const after = bytes[at + 10];
    if (bytes[gt - 1] === 0x2f || !(after === 0x20 || after === 0x3e || after === 0x09 || after === 0x0a || after === 0x0d)) continue;
    const close = bytes.indexOf('</Bordereau>', pos, 'latin1');
    if (close < 0) return out;
    if (bytes.subarray(pos, close).indexOf('Signature', 0, 'latin1') < 0) out.push([gt + 1, close]);
    pos = close + 12;
  }
}

/** Every skipped interior is that of a Bordereau (depth 3) with no child seen, of one of `domains`. */
export function verifySkipped(scan: PesScan, skipped: ReadonlyArray<readonly [number, number]>, domains: Record<string, unknown>): boolean {
  const byStart = new Map<number, ElementSpan>();
  for (const d of scan.root.children) if (domains[d.local]) for (const b of d.children) if (b.local === 'Bordereau') byStart.set(b.openEnd, b);
  return skipped.every(([from, to]) => {
    const b = byStart.get(from);
    return b !== undefined && b.closeStart === to && b.children.length === 0;
  });
}

export function childElements(el: ElementSpan, local: string): ElementSpan[] {
  return el.children.filter((c) => c.local === local);
}

/**
 * The element's text with the namespace bindings it inherits written on its start tag, so that it parses
 * on its own. Exclusive c14n only renders the bindings an element visibly uses, wherever they are declared,
 * so the fragment canonicalizes exactly like the element in its document.
 */
export function standaloneFragment(text: string | PesText, el: ElementSpan): string {
  const afterName = el.start + 1 + el.qname.length;
  return text.slice(el.start, afterName) + inheritedDeclarations(el) + text.slice(afterName, el.end);
}

/**
 * standaloneFragment as the bytes of an XML document in the file's single-byte encoding (an XML declaration
 * naming it, then the original bytes): nothing is decoded, and libxml2 reads it as it reads the file.
 * A fresh buffer of its own (it can be transferred to a worker).
 */
export function standaloneFragmentBytes(bytes: Uint8Array, encoding: string, el: ElementSpan): Uint8Array {
  const afterName = el.start + 1 + el.qname.length;
  const head = Buffer.from(`<?xml version="1.0" encoding="${encoding}"?>${Buffer.from(bytes.subarray(el.start, afterName)).toString('latin1')}${inheritedDeclarations(el)}`, 'latin1');
  const out = new Uint8Array(head.length + (el.end - afterName));
  out.set(head, 0);
  out.set(bytes.subarray(afterName, el.end), head.length);
  return out;
}

function inheritedDeclarations(el: ElementSpan): string {
  let decls = '';
  for (const prefix in el.inheritedNs) {
    if (prefix in el.ownNs || prefix === 'xml') continue;
    const uri = el.inheritedNs[prefix]!;
    if (prefix === '' && uri === '') continue;
    decls += prefix === '' ? ` xmlns="${escapeAttr(uri)}"` : ` xmlns:${prefix}="${escapeAttr(uri)}"`;
  }
  return decls;
}

export function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}
