/**
 * Flat `.tar.gz` archives of the ACTES exchange: writing ours, and reading any (incoming préfecture archives,
 * or ours in the simulator) under strict limits against hostile input.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { AppError } from '../../shared/errors.ts';

export interface ArchiveEntry {
  name: string;
  data: Buffer;
}

/** Writes a flat tar (ustar, mode 0644, owner 0) compressed with gzip; same input, same bytes. */
export async function createTarGz(entries: ArchiveEntry[], mtime: Date): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const e of entries) {
    assertSafeEntryName(e.name);
    await new Promise<void>((resolve, reject) => {
      pack.entry({ name: e.name, size: e.data.length, mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime, type: 'file' }, e.data, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks), { level: 9 });
}

export interface ExtractLimits {
  /** Maximum number of entries (default 1,000). */
  maxEntries: number;
  /** Maximum total size of the files once decompressed (default 200 MiB: 150 MB of documents plus margin). */
  maxTotalBytes: number;
  /** Maximum decompressed/compressed ratio, checked above 1 MiB of output (default 200). */
  maxRatio: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = {
  maxEntries: 1000,
  maxTotalBytes: 200 * 1024 * 1024,
  maxRatio: 200,
};

const RATIO_FLOOR = 1024 * 1024;

function refuse(messageFr: string, messageEn: string, details?: unknown): AppError {
  return new AppError('BAD_INPUT', `Archive ACTES refusée : ${messageFr}`, `ACTES archive refused: ${messageEn}`, details);
}

/** An entry must be a plain name: no directory, no `..`, not absolute, no control character. */
export function assertSafeEntryName(name: string): void {
  if (name.length === 0 || name.length > 255) throw refuse('un fichier a un nom vide ou trop long.', 'empty or too long entry name');
  if (name.includes('/') || name.includes('\\')) {
    throw refuse(`le fichier « ${name} » est placé dans un dossier ; l’archive doit être plate.`, `entry with a path: ${name}`, { name });
  }
  if (name === '.' || name === '..' || name.includes('..')) {
    throw refuse(`le nom de fichier « ${name} » contient « .. ».`, `entry with '..': ${name}`, { name });
  }
  if (/^[A-Za-z]:/.test(name)) throw refuse(`le nom de fichier « ${name} » est un chemin absolu.`, `absolute entry: ${name}`, { name });
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw refuse('un nom de fichier contient un caractère de contrôle.', 'control character in entry name');
}

function gunzipBounded(bytes: Uint8Array, limits: ExtractLimits): Buffer {
  // The tar stream holds a 512-byte header per entry (two with long names) plus the final padding.
  const maxOutput = limits.maxTotalBytes + (limits.maxEntries + 2) * 1536 + 20 * 1024;
  let out: Buffer;
  try {
    out = gunzipSync(bytes, { maxOutputLength: maxOutput });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw refuse(
        `une fois décompressée, elle dépasse la taille maximale de ${Math.round(limits.maxTotalBytes / 1024 / 1024)} Mo (bombe de décompression ?).`,
        `decompressed size above ${maxOutput} bytes`,
      );
    }
    throw refuse('ce n’est pas un fichier gzip valide.', `gunzip failed: ${(e as Error).message}`);
  }
  if (out.length > RATIO_FLOOR && out.length / Math.max(1, bytes.length) > limits.maxRatio) {
    throw refuse(
      `le taux de compression (${Math.round(out.length / bytes.length)} pour 1) dépasse la limite de ${limits.maxRatio} (bombe de décompression ?).`,
      `compression ratio ${out.length / bytes.length} above ${limits.maxRatio}`,
    );
  }
  return out;
}

/**
 * Length of the tar stream up to its end marker (the first all-zero header block). GNU tar stops there;
 * tar-stream reads on and chokes on the junk some writers leave after it (PHP Archive_Tar in a 2015
 * préfecture reply). Every header's size says how many data blocks follow (pax and GNU long-name headers too).
 */
export function tarEndOffset(t: Buffer): number {
  let off = 0;
  while (off + 512 <= t.length) {
    const h = t.subarray(off, off + 512);
    if (h.every((b) => b === 0)) return off;
    if ((h[124]! & 0x80) !== 0) return t.length; // base-256 size: leave it to tar-stream
    const raw = h.subarray(124, 136).toString('latin1').replace(/[\0 ]+/g, ' ').trim();
    const size = raw === '' ? 0 : parseInt(raw, 8);
    if (!Number.isFinite(size) || size < 0) return t.length;
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return t.length;
}

/**
 * Extracts a flat tar.gz in memory. Refuses links, directories and special files, any name with a path,
 * `..` or an absolute form, duplicates, and archives above the limits.
 */
export async function extractTarGz(bytes: Uint8Array, limits: Partial<ExtractLimits> = {}): Promise<ArchiveEntry[]> {
  const lim = { ...DEFAULT_EXTRACT_LIMITS, ...limits };
  const tarBytes = gunzipBounded(bytes, lim);
  const entries: ArchiveEntry[] = [];
  const seen = new Set<string>();
  let total = 0;
  // PHP's Archive_Tar (S²LOW, 2015 préfecture replies) writes "ustar\0" with an empty version: accept it;
  // the header checksum is still verified.
  // (tar-stream's own typings omit this documented option, hence the cast)
  const extract = tar.extract({ allowUnknownFormat: true } as Parameters<typeof tar.extract>[0]);
  try {
    for await (const entry of Readable.from([tarBytes.subarray(0, tarEndOffset(tarBytes))]).pipe(extract)) {
      const h = entry.header;
      const name = h.name.startsWith('./') ? h.name.slice(2) : h.name;
      if (h.type !== 'file' && h.type !== 'contiguous-file') {
        const what =
          h.type === 'symlink' || h.type === 'link'
            ? `un lien (« ${name} » → « ${h.linkname ?? ''} »)`
            : h.type === 'directory'
              ? `un dossier (« ${name} »)`
              : `un fichier spécial (« ${name} », type ${h.type})`;
        throw refuse(`elle contient ${what} ; seuls des fichiers simples sont admis.`, `entry of type ${h.type}: ${name}`, { name, type: h.type });
      }
      if (name.startsWith('/')) throw refuse(`le nom de fichier « ${name} » est un chemin absolu.`, `absolute entry: ${name}`, { name });
      assertSafeEntryName(name);
      if (seen.has(name)) throw refuse(`le fichier « ${name} » y figure deux fois.`, `duplicate entry ${name}`, { name });
      seen.add(name);
      if (entries.length + 1 > lim.maxEntries) {
        throw refuse(`elle contient plus de ${lim.maxEntries} fichiers.`, `more than ${lim.maxEntries} entries`);
      }
      total += h.size ?? 0;
      if (total > lim.maxTotalBytes) {
        throw refuse(
          `ses fichiers dépassent ${Math.round(lim.maxTotalBytes / 1024 / 1024)} Mo au total.`,
          `total size above ${lim.maxTotalBytes}`,
        );
      }
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      entries.push({ name, data: Buffer.concat(chunks) });
    }
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw refuse('ce n’est pas une archive tar lisible.', `tar parse failed: ${(e as Error).message}`);
  }
  return entries;
}
