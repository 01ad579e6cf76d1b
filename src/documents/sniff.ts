import { fileTypeFromBuffer } from 'file-type';

/**
 * The real type of an upload, from its first bytes (never from its name or the client's header).
 * file-type knows binary formats; XML and plain text are recognised here.
 */
export async function sniffMediaType(head: Buffer): Promise<string> {
  const ft = await fileTypeFromBuffer(head);
  if (ft) return ft.mime === 'application/xml' ? 'application/xml' : ft.mime;
  const text = head.toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart();
  if (text.startsWith('<?xml') || /^<[A-Za-z_][\w.:-]*[\s>]/.test(text)) return 'application/xml';
  if (head.length > 0 && !head.includes(0)) return 'text/plain';
  return 'application/octet-stream';
}
