/**
 * Limits and choices of the PES module. Every limit is configurable; the defaults follow PROTOCOLS.md B.5
 * (Pastell caps a PES at 128,000,000 bytes; no official figure is known).
 */
import { join } from 'node:path';
import { schemasDir } from '../../shared/paths.ts';
import { AppError } from '../../shared/errors.ts';

export const PES_SCHEMA_VERSIONS = ['5.17', '5.12'] as const;
export type PesSchemaVersion = (typeof PES_SCHEMA_VERSIONS)[number];
export const DEFAULT_PES_SCHEMA: PesSchemaVersion = '5.17';

export interface PjLimits {
  /** Largest decompressed size of one PJ (bytes). */
  maxDecompressedBytes: number;
  /** Largest decompressed/compressed ratio of one PJ (zip-bomb guard). */
  maxRatio: number;
}

export interface PesConfig {
  schemaVersion: PesSchemaVersion;
  /** Files above this size are refused before any parsing. */
  maxFileBytes: number;
  pj: PjLimits;
  /** Errors kept in a report (the total is still counted) so that memory stays bounded. */
  maxErrors: number;
  /** Size of the text handed to libxml2 per XSD validation batch (see xsd-stream.ts). */
  xsdBatchChars: number;
  /**
   * The file is deposited to be signed afterwards (HELIOS dossier, signed in a parapheur circuit): a PES with
   * InfoDematerialisee 1 and no signature at all is accepted; partly signed files stay errors.
   */
  unsignedToBeSigned?: boolean;
}

export const DEFAULT_PES_CONFIG: PesConfig = {
  schemaVersion: DEFAULT_PES_SCHEMA,
  maxFileBytes: 128 * 1024 * 1024,
  pj: { maxDecompressedBytes: 100 * 1024 * 1024, maxRatio: 200 },
  maxErrors: 1000,
  // libxml2's WebAssembly heap grows to the tree of the largest batch and never shrinks, in each of the two
  // validation workers (xsd-pool.ts): 256 KiB windows keep `paraphe pes validate` of a 50 MB PES under 4x its
  // size (512 KiB with two workers: ~4.2x; 2 MiB with one: ~4.6x) for the same CPU time.
  xsdBatchChars: 256 * 1024,
};

export function pesConfig(overrides: Partial<PesConfig> = {}): PesConfig {
  const cfg = { ...DEFAULT_PES_CONFIG, ...overrides, pj: { ...DEFAULT_PES_CONFIG.pj, ...(overrides.pj ?? {}) } };
  assertSchemaVersion(cfg.schemaVersion);
  return cfg;
}

export function assertSchemaVersion(v: string): asserts v is PesSchemaVersion {
  if (!(PES_SCHEMA_VERSIONS as readonly string[]).includes(v)) {
    throw new AppError(
      'BAD_INPUT',
      `Version de schéma PES inconnue : « ${v} ». Versions disponibles : ${PES_SCHEMA_VERSIONS.join(', ')}.`,
      `unknown PES schema version ${v} (known: ${PES_SCHEMA_VERSIONS.join(', ')})`,
      { schemaVersion: v },
    );
  }
}

export type PesSchemaKind = 'aller' | 'acquit' | 'retour';

const ENTRY: Record<PesSchemaKind, string> = {
  aller: 'PES_V2/Rev0/PES_Aller.xsd',
  acquit: 'PES_V2/Rev0/PES_V2_Acquit_Autonome_V2.xsd',
  retour: 'PES_V2/RETOUR/Rev0/PES_Retour.xsd',
};

/** Entry XSD of the bundled set (schemas/pes/vX.Y/...). */
export function pesSchemaPath(version: PesSchemaVersion, kind: PesSchemaKind, root = join(schemasDir, 'pes')): string {
  return join(root, `v${version}`, ENTRY[kind]);
}
