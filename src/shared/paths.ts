import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

/** Root of the repository (where package.json lives), whatever the working directory. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Official schemas bundled with the product (unchanged copies; see each folder's ORIGIN.md). */
export const schemasDir = join(repoRoot, 'schemas');

/**
 * The State's samples and schemas used as test inputs. Only tests and benchmarks read it: the product
 * runs without it.
 */
export const conformanceDir = process.env.PARAPHE_CONFORMANCE_DIR ?? resolve(repoRoot, '../shared/conformance');
