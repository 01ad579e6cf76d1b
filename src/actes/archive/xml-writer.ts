/**
 * A very small XML writer for ACTES messages: elements in the order the caller gives (the schema's
 * sequence), prefixed names, ISO-8859-1 output. Characters outside ISO-8859-1 become numeric character
 * references, so the text survives intact whatever the encoding.
 */
import iconv from 'iconv-lite';

export const ACTES_NS = 'http://www.interieur.gouv.fr/ACTES#v1.1-20040216';
export const INSEE_NS = 'http://xml.insee.fr/schema';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

export interface XNode {
  name: string;
  attrs?: [string, string][];
  children?: (XNode | string)[];
}

export const el = (name: string, attrs: [string, string][] = [], children: (XNode | string)[] = []): XNode => ({
  name,
  attrs,
  children,
});

function escapeChar(c: string, inAttr: boolean): string {
  switch (c) {
    case '&':
      return '&amp;';
    case '<':
      return '&lt;';
    case '>':
      return '&gt;';
    case '"':
      return inAttr ? '&quot;' : c;
    case '\t':
    case '\n':
    case '\r':
      return inAttr ? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};` : c === '\r' ? '&#xD;' : c;
    default: {
      const cp = c.codePointAt(0)!;
      if (cp < 0x20 || (cp >= 0xd800 && cp <= 0xdfff) || cp === 0xfffe || cp === 0xffff) {
        throw new Error(`character U+${cp.toString(16)} is not allowed in XML`);
      }
      return cp > 0xff ? `&#x${cp.toString(16).toUpperCase()};` : c;
    }
  }
}

export function escapeXml(text: string, inAttr = false): string {
  let out = '';
  for (const c of text) out += escapeChar(c, inAttr);
  return out;
}

function serializeNode(n: XNode, indent: string, out: string[]): void {
  const attrs = (n.attrs ?? []).map(([k, v]) => ` ${k}="${escapeXml(v, true)}"`).join('');
  const children = n.children ?? [];
  if (children.length === 0) {
    out.push(`${indent}<${n.name}${attrs}/>`);
  } else if (children.every((c) => typeof c === 'string')) {
    out.push(`${indent}<${n.name}${attrs}>${escapeXml(children.join(''))}</${n.name}>`);
  } else {
    out.push(`${indent}<${n.name}${attrs}>`);
    for (const c of children) {
      if (typeof c === 'string') out.push(indent + '  ' + escapeXml(c));
      else serializeNode(c, indent + '  ', out);
    }
    out.push(`${indent}</${n.name}>`);
  }
}

/** Serialises a document in ISO-8859-1 with its declaration. */
export function serializeLatin1(root: XNode): Buffer {
  const lines = ['<?xml version="1.0" encoding="ISO-8859-1"?>'];
  serializeNode(root, '', lines);
  return iconv.encode(lines.join('\n') + '\n', 'latin1');
}

/** Namespace declarations every ACTES root carries. */
export function actesRootAttrs(withInsee = false): [string, string][] {
  const a: [string, string][] = [['xmlns:actes', ACTES_NS]];
  if (withInsee) a.push(['xmlns:insee', INSEE_NS]);
  return a;
}
