/**
 * Tiny writer for the PES "all values in a V attribute" style. Output is ISO-8859-1 like every PES file:
 * characters outside Latin-1 are written as character references so nothing is lost (STACK.md trap).
 */
import iconv from 'iconv-lite';

export function escapeAttr(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    // control characters are not allowed in XML 1.0 at all
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, ' ');
}

export class PesXmlWriter {
  readonly #parts: string[] = [];
  #depth = 0;

  open(name: string, attrs = ''): this {
    this.#parts.push(`${'  '.repeat(this.#depth)}<${name}${attrs}>\n`);
    this.#depth++;
    return this;
  }

  close(name: string): this {
    this.#depth--;
    this.#parts.push(`${'  '.repeat(this.#depth)}</${name}>\n`);
    return this;
  }

  /** `<Name V="value"/>`, skipped when value is undefined. */
  v(name: string, value: string | number | undefined): this {
    if (value === undefined) return this;
    this.#parts.push(`${'  '.repeat(this.#depth)}<${name} V="${escapeAttr(String(value))}"/>\n`);
    return this;
  }

  /** The document encoded in ISO-8859-1, with its XML declaration. */
  toLatin1(): Buffer {
    const body = this.#parts.join('').replace(/[\u0100-\u{10ffff}]/gu, (c) => `&#${c.codePointAt(0)};`);
    return iconv.encode(`<?xml version="1.0" encoding="ISO-8859-1"?>\n${body}`, 'latin1');
  }
}
