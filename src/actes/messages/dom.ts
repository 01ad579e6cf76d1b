/**
 * Lenient DOM helpers for ACTES messages: elements and attributes are matched by local name, with or
 * without prefix or namespace, because real préfecture messages do not all follow the schema.
 */
import type { Element, Node } from '@xmldom/xmldom';

const ELEMENT_NODE = 1;

export function childElements(el: Element): Element[] {
  const out: Element[] = [];
  for (let n: Node | null = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === ELEMENT_NODE) out.push(n as Element);
  }
  return out;
}

function localOf(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}

export function childrenLocal(el: Element, local: string): Element[] {
  return childElements(el).filter((c) => (c.localName ?? localOf(c.nodeName)) === local);
}

export function firstChildLocal(el: Element, local: string): Element | undefined {
  return childrenLocal(el, local)[0];
}

/** Attribute by local name, prefixed or not (`actes:IDActe`, `IDActe`, `insee:SIREN`). */
export function attrLocal(el: Element, local: string): string | undefined {
  const attrs = el.attributes;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs.item(i)!;
    if (a.name.startsWith('xmlns')) continue;
    if ((a.localName ?? localOf(a.name)) === local) return a.value;
  }
  return undefined;
}

export function textOf(el: Element | undefined): string | undefined {
  if (!el) return undefined;
  return (el.textContent ?? '').trim();
}

export function isNil(el: Element): boolean {
  return attrLocal(el, 'nil') === 'true';
}
