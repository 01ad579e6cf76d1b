/**
 * One streaming pass over a decoded PES (saxes, namespace-aware) that records where the parts we sign or
 * verify sit in the text: domains and their headers, every Bordereau, every ds:Signature and its parent,
 * and every Id value. Nothing else of the document is kept in memory, so signing a large file costs one
 * copy of its text plus one bordereau at a time.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
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
  /** retained children (depth ≤ 4 and signatures) */
  children: ElementSpan[];
}

export interface PesScan {
  root: ElementSpan;
  /** every ds:Signature element, in document order */
  signatures: ElementSpan[];
  ids: Set<string>;
}

const RETAIN_DEPTH = 4;

export function scanPes(text: string): PesScan {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: ElementSpan[] = [];
  const nsStack: Record<string, string>[] = [{}];
  const signatures: ElementSpan[] = [];
  const ids = new Set<string>();
  let root: ElementSpan | undefined;
  let pendingStart = -1;
  let failure: Error | undefined;

  parser.on('opentagstart', () => {
    pendingStart = text.lastIndexOf('<', parser.position - 1);
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    const parent = stack[stack.length - 1];
    const inherited = nsStack[nsStack.length - 1]!;
    const own = tag.ns;
    let hasOwn = false;
    for (const _k in own) {
      hasOwn = true;
      break;
    }
    nsStack.push(hasOwn ? { ...inherited, ...own } : inherited);
    const attributes: Record<string, string> = {};
    for (const key in tag.attributes) {
      const a = tag.attributes[key]!;
      if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
      attributes[a.name] = a.value;
    }
    const id = attributes.Id;
    if (id !== undefined) ids.add(id);
    const depth = stack.length + 1;
    const el: ElementSpan = {
      qname: tag.name,
      local: tag.local,
      uri: tag.uri,
      depth,
      start: pendingStart,
      openEnd: parser.position,
      closeStart: -1,
      end: -1,
      attributes,
      ownNs: own,
      inheritedNs: inherited,
      parent,
      children: [],
    };
    if (depth === 1) root = el;
    const isSignature = tag.local === 'Signature' && tag.uri === NS_DS;
    if (isSignature) signatures.push(el);
    if (parent && (depth <= RETAIN_DEPTH || isSignature)) {
      parent.children.push(el);
      // a signature deep in the tree keeps its parent reachable through `parent`
    }
    stack.push(el);
  });
  parser.on('closetag', (tag) => {
    const el = stack.pop()!;
    nsStack.pop();
    el.end = parser.position;
    el.closeStart = tag.isSelfClosing ? el.end : text.lastIndexOf('</', el.end - 1);
  });
  parser.on('error', (e) => {
    failure ??= e;
  });
  try {
    parser.write(text).close();
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
  return { root, signatures, ids };
}

export function childElements(el: ElementSpan, local: string): ElementSpan[] {
  return el.children.filter((c) => c.local === local);
}

/**
 * The element's text with the namespace bindings it inherits written on its start tag, so that it parses
 * on its own. Exclusive c14n only renders the bindings an element visibly uses, wherever they are declared,
 * so the fragment canonicalizes exactly like the element in its document.
 */
export function standaloneFragment(text: string, el: ElementSpan): string {
  let decls = '';
  for (const prefix in el.inheritedNs) {
    if (prefix in el.ownNs || prefix === 'xml') continue;
    const uri = el.inheritedNs[prefix]!;
    if (prefix === '' && uri === '') continue;
    decls += prefix === '' ? ` xmlns="${escapeAttr(uri)}"` : ` xmlns:${prefix}="${escapeAttr(uri)}"`;
  }
  const afterName = el.start + 1 + el.qname.length;
  return text.slice(el.start, afterName) + decls + text.slice(afterName, el.end);
}

export function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}
