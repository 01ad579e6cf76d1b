/**
 * Validation of a PES_Aller, streaming. Two paths:
 * - the fast path (aller-fast.ts), tried first: one light walk over the tags cuts the XSD batches for the
 *   libxml2-wasm workers (xsd-pool.ts) and feeds the business rules (rules.ts); it answers when every batch
 *   is XSD-valid (with the rule findings, if any), and gives up otherwise;
 * - the exact path, for everything else: the decoded text goes at once to the XSD windows (xsd-stream.ts,
 *   which maps every libxml2 message to its line and place) and to the saxes reader that feeds the same
 *   business rules; the two run at the same time.
 * Both give the same report for a file the fast path answers (aller-fast.test.ts compares them).
 * Refusals of the input itself (not XML, DOCTYPE, wrong root, unknown version, too large) are thrown as
 * AppError; everything found inside a readable PES is returned as findings with their place.
 */
import { AppError } from '../../shared/errors.ts';
import { fastValidateAller, FastPathGaveUp } from './aller-fast.ts';
import { findXmllint, XmllintXsd, type WholeFileXsd } from './xmllint-xsd.ts';
import { AllerReader } from './aller-reader.ts';
import { pesConfig, pesSchemaPath, PES_SCHEMA_VERSIONS, type PesConfig, type PesSchemaVersion } from './config.ts';
import { decodedChunks, sniffPes, type PesSniff, type PesSource } from './input.ts';
import { FindingSink, type PesFinding } from './report.ts';
import { AllerRules } from './rules.ts';
import { XsdStreamValidator, xsdValidatorFor } from './xsd-stream.ts';

export interface PesValidationReport {
  valid: boolean;
  /** XSD verdict alone (what xmllint --schema says). */
  xsdValid: boolean;
  rulesValid: boolean;
  schemaVersion: PesSchemaVersion;
  file: PesSniff & { pesVersion?: string; typFic?: string; nomFic?: string };
  errors: PesFinding[];
  errorCount: number;
  /** Errors counted but not listed (over PesConfig.maxErrors). */
  errorsNotListed: number;
  stats: {
    bordereaux: number;
    pieces: number;
    lignes: number;
    pjs: number;
    xsdBatches: number;
    largestXsdBatchChars: number;
    /** Answered by the fast path (aller-fast.ts: XSD valid); otherwise the report comes from the exact path. */
    fastPath: boolean;
    /** Why the fast path gave up, when it did. */
    fastPathGaveUp?: string;
  };
}

export interface ValidateOptions {
  /** Skip the business rules (XSD only). */
  xsdOnly?: boolean;
  /** Skip the fast path (aller-fast.ts) and build the report on the exact path directly (tests, comparisons). */
  exactOnly?: boolean;
  /**
   * The fast path's XSD verdict: `xmllint` on the whole file when the machine has it (default), or the batches
   * validated by libxml2 in WebAssembly (`wasm`: tests, comparisons).
   */
  fastXsd?: 'auto' | 'wasm';
}

/** xmllint beside the fast path when available (xmllint-xsd.ts), else the WebAssembly batches. */
function wholeFileXsd(schemaPath: string, choice: ValidateOptions['fastXsd']): { xsd: WholeFileXsd; schemaPath: string } | undefined {
  const command = choice === 'wasm' ? null : findXmllint();
  return command ? { xsd: new XmllintXsd(command), schemaPath } : undefined;
}

export async function validatePesAller(src: PesSource, config: Partial<PesConfig> = {}, opts: ValidateOptions = {}): Promise<PesValidationReport> {
  const cfg = pesConfig(config);
  const sniff = await sniffPes(src, cfg.maxFileBytes, ['PES_Aller']);
  const schemaPath = pesSchemaPath(cfg.schemaVersion, 'aller');
  const validator = xsdValidatorFor(schemaPath);
  // Fast path first: a file valid against the XSD (the common case) is answered by it, with its business rule
  // findings; anything else by the exact path below.
  let gaveUp: string | undefined;
  if (!opts.exactOnly) {
    const fast = await fastValidateAller(src, sniff.encoding, cfg, validator, opts.xsdOnly === true, wholeFileXsd(schemaPath, opts.fastXsd));
    if (!(fast instanceof FastPathGaveUp)) {
      return {
        valid: fast.rules.total === 0,
        xsdValid: true,
        rulesValid: fast.rules.total === 0,
        schemaVersion: cfg.schemaVersion,
        file: { ...sniff, pesVersion: fast.header.version, typFic: fast.header.typFic, nomFic: fast.header.nomFic },
        errors: fast.rules.items,
        errorCount: fast.rules.total,
        errorsNotListed: fast.rules.truncated,
        stats: { ...fast.stats, fastPath: true },
      };
    }
    gaveUp = fast.reason;
  }
  const xsdSink = new FindingSink(cfg.maxErrors);
  const ruleSink = new FindingSink(cfg.maxErrors);
  const xsd = new XsdStreamValidator(validator, xsdSink, cfg.xsdBatchChars);
  const rules = new AllerRules(ruleSink, cfg);
  let header: { version?: string; typFic?: string; nomFic?: string } = {};
  const handlers = rules.handlers();
  const reader = opts.xsdOnly
    ? undefined
    : new AllerReader({
        ...handlers,
        onHeader: (h) => {
          header = h.parametres;
          handlers.onHeader?.(h);
        },
      });
  let readerAlive = reader !== undefined;
  let readerError: AppError | undefined;
  for await (const chunk of decodedChunks(src, sniff.encoding)) {
    if (!xsd.fatal) await xsd.push(chunk);
    if (readerAlive) {
      try {
        reader!.write(chunk);
      } catch (e) {
        if (!(e instanceof AppError) || (e.details as { code?: string } | undefined)?.code !== 'XML_MAL_FORME') throw e;
        readerAlive = false;
        readerError = e;
      }
    }
    if (rules.pendingCount > 0) await rules.drain();
    if (xsd.fatal && !readerAlive) break;
  }
  await xsd.end();
  if (readerAlive) {
    try {
      reader!.end();
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      readerError = e;
      readerAlive = false;
    }
  }
  if (readerAlive) await rules.finish();
  else await rules.drain();
  if (readerError && !xsd.fatal) {
    xsdSink.add({ source: 'xml', code: 'XML_MAL_FORME', line: (readerError.details as { line?: number }).line, place: {}, messageFr: readerError.messageFr, messageEn: readerError.message });
  }
  const errors = [...xsdSink.items, ...ruleSink.items];
  const errorCount = xsdSink.total + ruleSink.total;
  return {
    valid: errorCount === 0,
    xsdValid: xsdSink.total === 0,
    rulesValid: ruleSink.total === 0 && !readerError,
    schemaVersion: cfg.schemaVersion,
    file: { ...sniff, pesVersion: header.version, typFic: header.typFic, nomFic: header.nomFic },
    errors,
    errorCount,
    errorsNotListed: xsdSink.truncated + ruleSink.truncated,
    stats: { ...rules.stats, xsdBatches: xsd.stats.batches, largestXsdBatchChars: xsd.stats.largestBatchChars, fastPath: false, fastPathGaveUp: gaveUp },
  };
}

/** Validates any PES (Aller, ACQUIT, Retour) against the XSD only, with the configured set. */
export async function validatePesXsd(src: PesSource, config: Partial<PesConfig> = {}): Promise<{ valid: boolean; sniff: PesSniff; errors: PesFinding[]; errorCount: number }> {
  const cfg = pesConfig(config);
  const sniff = await sniffPes(src, cfg.maxFileBytes);
  const kind = sniff.kind === 'PES_Aller' ? 'aller' : sniff.kind === 'PES_ACQUIT' ? 'acquit' : 'retour';
  const schemaPath = pesSchemaPath(cfg.schemaVersion, kind);
  const validator = xsdValidatorFor(schemaPath);
  if (kind === 'aller' && !(await fastValidateAller(src, sniff.encoding, cfg, validator, true, wholeFileXsd(schemaPath, 'auto')) instanceof FastPathGaveUp)) {
    return { valid: true, sniff, errors: [], errorCount: 0 };
  }
  const sink = new FindingSink(cfg.maxErrors);
  const xsd = new XsdStreamValidator(validator, sink, cfg.xsdBatchChars);
  for await (const chunk of decodedChunks(src, sniff.encoding)) {
    await xsd.push(chunk);
    if (xsd.fatal) break;
  }
  await xsd.end();
  return { valid: sink.total === 0, sniff, errors: sink.items, errorCount: sink.total };
}

/**
 * The bundled schema versions that accept this file (XSD only). A PES carries no schema version, so this
 * is how "which version is it" is answered: e.g. a 2020 file valid under 5.12 only.
 */
export async function detectPesSchemaVersions(src: PesSource, config: Partial<PesConfig> = {}): Promise<PesSchemaVersion[]> {
  const ok: PesSchemaVersion[] = [];
  for (const v of PES_SCHEMA_VERSIONS) {
    if ((await validatePesXsd(src, { ...config, schemaVersion: v })).valid) ok.push(v);
  }
  return ok;
}
