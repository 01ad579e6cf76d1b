/**
 * Deposit into a GED (document management). The file-system GED writes one folder per deposit, named by
 * the idempotency key and made visible by an atomic rename: a repeated deposit finds it and does nothing.
 * A CMIS or Alfresco connector implements the same interface.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { AppError } from '../shared/errors.ts';
import { safeFilename } from '../documents/add-document.ts';

export interface GedDeposit {
  idempotencyKey: string;
  metadata: Record<string, unknown>;
  files: { filename: string; open(): Readable }[];
}

export interface GedConnector {
  deposit(d: GedDeposit): Promise<{ reference: string; repeated: boolean }>;
}

export const gedFsConfig = z.object({ path: z.string().min(1, 'Dossier de dépôt GED manquant.') });

export class FsGed implements GedConnector {
  readonly #root: string;
  constructor(root: string) {
    this.#root = root;
  }

  async deposit(d: GedDeposit): Promise<{ reference: string; repeated: boolean }> {
    if (!/^[A-Za-z0-9-]+$/.test(d.idempotencyKey)) throw new AppError('BAD_INPUT', 'Clé de dépôt invalide.', 'bad idempotency key');
    const final = join(this.#root, d.idempotencyKey);
    if (existsSync(final)) return { reference: final, repeated: true };
    const tmp = join(this.#root, `.tmp-${d.idempotencyKey}`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    for (const f of d.files) await pipeline(f.open(), createWriteStream(join(tmp, safeFilename(f.filename))));
    await writeFile(join(tmp, 'metadata.json'), JSON.stringify(d.metadata, null, 2));
    await rename(tmp, final);
    return { reference: final, repeated: false };
  }
}
