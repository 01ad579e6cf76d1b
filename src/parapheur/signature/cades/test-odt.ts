/**
 * A small OpenDocument text file for the tests: a ZIP (stored, no compression) whose first entry is the
 * uncompressed `mimetype`, as ODF 1.2 §3.3 requires and as the documents sniffer recognises it.
 */
import { crc32 } from 'node:zlib';

/** A small CSV with an accented header: the signed file of the CAdES tests. */
export const TEST_CSV = new TextEncoder().encode('compte;libellé;montant\n6061;Fournitures non stockables;1250,00\n6226;Honoraires;830,50\n');

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

function storedZip(entries: [string, Buffer][]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const common = [u16(20), u16(0x0800), u16(0), u16(0), u16(0x21), u32(crc), u32(data.length), u32(data.length), u16(n.length), u16(0)];
    const local = Buffer.concat([u32(0x04034b50), ...common, n, data]);
    centrals.push(Buffer.concat([u32(0x02014b50), u16(20), ...common, u16(0), u16(0), u16(0), u32(0), u32(offset), n]));
    locals.push(local);
    offset += local.length;
  }
  const central = Buffer.concat(centrals);
  const end = Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(central.length), u32(offset), u16(0)]);
  return new Uint8Array(Buffer.concat([...locals, central, end]));
}

export function makeTestOdt(text: string): Uint8Array {
  const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return storedZip([
    ['mimetype', Buffer.from('application/vnd.oasis.opendocument.text')],
    ['content.xml', Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:text><text:p>${esc}</text:p></office:text></office:body></office:document-content>\n`)],
    ['META-INF/manifest.xml', Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>\n')],
  ]);
}
