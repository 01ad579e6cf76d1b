/**
 * Opens an ACTES `.tar.gz` (a préfecture's archive, or ours in the simulator): bounded extraction, then each
 * XML is parsed leniently and sorted into enveloppe / messages / documents.
 */
import { AppError } from '../../shared/errors.ts';
import { extractTarGz, type ArchiveEntry, type ExtractLimits } from '../archive/tar.ts';
import { parseActesFileName, type ActesFileName } from '../archive/names.ts';
import { parseActesMessage, type ActesMessage } from './parse.ts';

export interface ReadArchiveResult {
  entries: ArchiveEntry[];
  /** `EnveloppeCLMISILL` or `EnveloppeMISILLCL`, when present. */
  enveloppe?: { name: string; message: Extract<ActesMessage, { kind: 'EnveloppeCLMISILL' | 'EnveloppeMISILLCL' }> };
  /** The message XMLs the enveloppe lists (or every ACTES XML when there is no enveloppe). */
  messages: { name: string; message: ActesMessage; fileName?: ActesFileName }[];
  /** Files referenced by a message (acte, annexes, letters). */
  documents: ArchiveEntry[];
  /** Files neither listed nor referenced (S²LOW adds `message_body.html`, a logo…). */
  others: ArchiveEntry[];
  /** Names referenced by the enveloppe or a message but absent from the archive. */
  missing: string[];
}

export async function readActesArchive(bytes: Uint8Array, limits: Partial<ExtractLimits> = {}): Promise<ReadArchiveResult> {
  const entries = await extractTarGz(bytes, limits);
  const parsed = new Map<string, ActesMessage>();
  for (const e of entries) {
    if (!/\.xml$/i.test(e.name)) continue;
    try {
      parsed.set(e.name, parseActesMessage(e.data));
    } catch (err) {
      // An XML that is not an ACTES message may be a document (an annexe in XML): keep it as such, but a
      // DOCTYPE is a refusal for the whole archive.
      if (err instanceof AppError && /DOCTYPE/.test(err.message)) throw err;
    }
  }
  let enveloppe: ReadArchiveResult['enveloppe'];
  for (const [name, m] of parsed) {
    if (m.kind === 'EnveloppeCLMISILL' || m.kind === 'EnveloppeMISILLCL') {
      if (enveloppe) {
        throw new AppError('BAD_INPUT', 'Archive ACTES refusée : elle contient deux enveloppes.', 'two enveloppes in the archive');
      }
      enveloppe = { name, message: m };
    }
  }
  const names = new Set(entries.map((e) => e.name));
  const envName = enveloppe?.name;
  const listed = enveloppe ? enveloppe.message.fichiers : [...parsed.keys()].filter((n) => n !== envName);
  const messages: ReadArchiveResult['messages'] = [];
  const missing: string[] = [];
  const referenced = new Set<string>();
  for (const name of listed) {
    const m = parsed.get(name);
    if (!m) {
      if (!names.has(name)) missing.push(name);
      continue;
    }
    const fileName = parseActesFileName(name);
    messages.push({ name, message: m, ...(fileName ? { fileName } : {}) });
    for (const f of m.fichiers) {
      referenced.add(f);
      if (!names.has(f)) missing.push(f);
    }
  }
  const used = new Set([...(envName ? [envName] : []), ...messages.map((m) => m.name)]);
  return {
    entries,
    ...(enveloppe ? { enveloppe } : {}),
    messages,
    documents: entries.filter((e) => referenced.has(e.name) && !used.has(e.name)),
    others: entries.filter((e) => !referenced.has(e.name) && !used.has(e.name)),
    missing,
  };
}
