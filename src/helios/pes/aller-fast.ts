/**
 * Fast path of the PES_Aller validation: one light pass over the decoded text that feeds the business rules
 * (rules.ts) and, on a machine without xmllint, cuts the XSD batches handed to the WebAssembly libxml2
 * workers (xsd-pool.ts), instead of the exact scanner of xsd-stream.ts plus a second full saxes pass
 * (aller-reader.ts). Where xmllint is installed, the XSD verdict is its own on the whole file, in a process
 * running beside this pass (xmllint-xsd.ts); this pass still checks xs:ID uniqueness, which
 * `xmllint --stream` does not.
 *
 * It answers only when every XSD batch is validated without any issue: the report is then made of the
 * business rule findings, if any, found by the same rules.ts on the same facts, with the same line numbers
 * (counted as saxes counts them). Whenever anything else happens (an XSD issue, a comment, CDATA section,
 * processing instruction or DOCTYPE inside the root, an entity it does not know in a value it reads, tags
 * whose nesting it cannot follow, an input error; or a rule finding in a file with a lone carriage return,
 * whose lines it does not count), it gives up and the caller runs the exact path (validate.ts), which
 * produces the report, its line numbers, places and French messages, exactly as before. XSD findings
 * (their lines and places) always come from the exact path.
 *
 * The batches are built like xsd-stream.ts's (same reasoning for why they give xmllint's verdict): the
 * spine heads (root start tag with Enveloppe and EnTetePES, domain start tag with its EnTete, Bordereau
 * start tag with BlocBordereau, Piece start tag with BlocPiece) followed by a window of records
 * (Bordereau, Piece, LigneDePiece, PJ) cut only between two sibling records, closed by synthesised end
 * tags; xs:ID uniqueness across batches is checked on every `Id` attribute.
 *
 * The tags are found by looking for `<` and the next `>` (no tokenizer): with no comment, CDATA or
 * processing instruction in the file (checked), every `<` starts a tag. A `>` inside an attribute value
 * would make a tag end early: every end tag is compared with the open element, and the values read are
 * checked to fill their tag, so such a file leaves the fast path instead of being misread.
 */
import { AppError } from '../../shared/errors.ts';
import type { PesConfig } from './config.ts';
import { AllerFacts, type StartTag } from './aller-facts.ts';
import type { PesHeader } from './aller-reader.ts';
import { decodedChunks, type PesSource } from './input.ts';
import { FindingSink, type PesFinding } from './report.ts';
import { AllerRules } from './rules.ts';
import type { LibxmlIssue, XsdBatchValidator } from './xsd-pool.ts';
import type { WholeFileXsd } from './xmllint-xsd.ts';

export interface FastAllerResult {
  header: PesHeader['parametres'];
  /** The business rule findings (rules.ts's sink), in their order. */
  rules: { items: PesFinding[]; total: number; truncated: number };
  stats: { bordereaux: number; pieces: number; lignes: number; pjs: number; xsdBatches: number; largestXsdBatchChars: number };
}

/** Why the fast path gave up (for tests and diagnostics). */
export class FastPathGaveUp {
  constructor(readonly reason: string) {}
}

/** Batches handed to the workers and not yet answered before reading on (bounds memory), as in xsd-stream.ts. */
const MAX_IN_FLIGHT = 3;

const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>';
const ID_RE = /\sId\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const V_RE = /\sV\s*=\s*(?:"([^"]*)"|'([^']*)')/;
const ID_ATTR_RE = /\sId\s*=\s*(?:"([^"]*)"|'([^']*)')/;
const MIME_TYPE_RE = /\sMIMEType\s*=\s*(?:"([^"]*)"|'([^']*)')/;
/** The whole attribute part of a start tag (as xsd-stream.ts's TAG_RE reads it). */
const ATTRS_RE = /^(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*\/?$/;
const ENTITY_RE = /&(?:#x([0-9a-fA-F]+);|#([0-9]+);|(lt|gt|amp|quot|apos);)?/g;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

const ROOT_HEADERS: ReadonlySet<string> = new Set(['Enveloppe', 'EnTetePES']);
const DOMAIN_HEADERS: Record<string, ReadonlySet<string>> = {
  PES_DepenseAller: new Set(['EnTeteDepense']),
  PES_RecetteAller: new Set(['EnTeteRecette']),
  PES_PJ: new Set(['EnTetePES_PJ']),
};
const BORDEREAU_HEADERS: ReadonlySet<string> = new Set(['BlocBordereau']);
const PIECE_HEADERS: ReadonlySet<string> = new Set(['BlocPiece']);

/** Entities of an attribute value or text, as an XML parser gives them; gives up on any other `&`. */
function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(ENTITY_RE, (_m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (name) return NAMED[name]!;
    if (hex === undefined && dec === undefined) throw new FastPathGaveUp('entity reference');
    const cp = hex !== undefined ? parseInt(hex, 16) : Number(dec);
    if (!(cp > 0 && cp <= 0x10ffff)) throw new FastPathGaveUp('character reference');
    return String.fromCodePoint(cp);
  });
}

/** A spine element: its head is repeated at the start of every later batch while it is open. */
interface Spine {
  depth: number;
  qname: string;
  headers: ReadonlySet<string>;
  /** Text of its head once complete (start tag and header blocks). */
  head?: string;
  recordsInBatch: number;
}

class FastAllerPass {
  // text
  private buf = '';
  private pos = 0;
  // element stack (qualified and local names)
  private qn: string[] = [];
  private ln: string[] = [];
  private rootSeen = false;
  private rootClosed = false;
  // batches
  private spines: Spine[] = [];
  private capturing: Spine | undefined;
  private capStart = 0;
  private capParts: string[] = [];
  private winStart = 0;
  private winParts: string[] = [];
  private winChars = 0;
  private idFrom = 0;
  private ids = new Set<string>();
  private inFlight: Promise<LibxmlIssue[]>[] = [];
  readonly batchStats = { batches: 0, largest: 0 };
  // business rules: the same facts as aller-reader.ts (aller-facts.ts), without the view's line details
  private readonly facts: AllerFacts;
  private pjText: string[] = [];
  private textStart = 0;
  // lines, for the places of rule findings (saxes's count: 1-based, at the '>' of the start tag)
  private lineIdx = 0;
  private lineNo = 1;
  /** The first line feed at or after lineIdx in the buffer (-1: none; -2: not looked for yet). */
  private nextNl = -2;
  /** A carriage return not followed by a line feed (a line break for XML): lines are not counted then. */
  loneCr = false;

  /** `validator` null: no batches, the XSD verdict on the whole file comes from elsewhere (xmllint-xsd.ts). */
  constructor(
    private readonly validator: XsdBatchValidator | null,
    private readonly batchChars: number,
    private readonly rules: AllerRules | undefined,
    private readonly sink: FindingSink,
  ) {
    this.facts = new AllerFacts(rules?.handlers() ?? {}, {
      maxPiecesKept: 0,
      lineDetails: false,
      pjText: () => {
        const raw = this.pjText.length === 1 ? this.pjText[0]! : this.pjText.join('');
        this.pjText = [];
        return decodeEntities(raw);
      },
    });
  }

  get parametres(): PesHeader['parametres'] {
    return this.facts.header.parametres;
  }

  async push(chunk: string): Promise<void> {
    // keep what is not yet copied into the window, the head being captured and the Fichier text
    if (this.rootSeen) {
      this.noteIds(this.pos);
      if (this.validator && this.winStart < this.pos) {
        const part = this.buf.slice(this.winStart, this.pos);
        this.winParts.push(part);
        this.winChars += part.length;
      }
      if (this.capturing && this.capStart < this.pos) this.capParts.push(this.buf.slice(this.capStart, this.pos));
      if (this.facts.inFichier && this.textStart < this.pos) this.pjText.push(this.buf.slice(this.textStart, this.pos));
    }
    this.lineAt(this.pos);
    if (!this.loneCr && chunk.includes('\r') && /\r(?!\n)/.test(chunk)) this.loneCr = true;
    this.buf = this.pos < this.buf.length ? this.buf.slice(this.pos) + chunk : chunk;
    this.pos = this.winStart = this.capStart = this.textStart = this.idFrom = this.lineIdx = 0;
    this.nextNl = -2;
    this.scan();
    await this.settle(false);
  }

  async end(): Promise<void> {
    if (this.pos < this.buf.length && /\S/.test(this.buf.slice(this.pos))) throw new FastPathGaveUp('incomplete markup at end');
    if (!this.rootClosed) throw new FastPathGaveUp('no complete root element');
    this.noteIds(this.buf.length);
    if (this.validator) this.flush(true);
    await this.settle(true);
  }

  /** Waits for the answered batches (all of them, or while too many are in flight); any issue ends the fast path. */
  private async settle(all: boolean): Promise<void> {
    while (this.inFlight.length > (all ? 0 : MAX_IN_FLIGHT)) {
      const issues = await this.inFlight.shift()!;
      if (issues.length > 0) throw new FastPathGaveUp('XSD issues');
    }
    if (this.sink.total > 0 && this.loneCr) throw new FastPathGaveUp('business rule findings in a file with lone carriage returns');
  }

  /** Line of `idx` (never before the last one asked in this buffer); each line feed is looked for once. */
  private lineAt(idx: number): number {
    if (idx <= this.lineIdx) return this.lineNo;
    const buf = this.buf;
    let nl = this.nextNl;
    if (nl === -2) nl = buf.indexOf('\n', this.lineIdx);
    while (nl >= 0 && nl < idx) {
      this.lineNo++;
      nl = buf.indexOf('\n', nl + 1);
    }
    this.nextNl = nl;
    this.lineIdx = idx;
    return this.lineNo;
  }

  /** Abandons the batches still in flight (their answers are awaited so that no rejection goes unhandled). */
  async abandon(): Promise<void> {
    const p = this.inFlight;
    this.inFlight = [];
    await Promise.allSettled(p);
  }

  private scan(): void {
    const buf = this.buf;
    const len = buf.length;
    let pos = this.pos;
    while (pos < len) {
      const lt = buf.indexOf('<', pos);
      if (lt < 0) {
        if (!this.rootSeen || this.rootClosed) this.outsideText(pos, len);
        pos = len;
        break;
      }
      if (lt > pos && (!this.rootSeen || this.rootClosed)) this.outsideText(pos, lt);
      if (lt + 1 >= len) {
        pos = lt;
        break;
      }
      const c = buf.charCodeAt(lt + 1);
      if (c === 47 /* / */) {
        const gt = buf.indexOf('>', lt + 2);
        if (gt < 0) {
          pos = lt;
          break;
        }
        this.endTag(lt, gt);
        pos = gt + 1;
        continue;
      }
      if ((c === 33 /* ! */ || c === 63) /* ? */ && (!this.rootSeen || this.rootClosed)) {
        // prologue and epilogue: XML declaration, comments and processing instructions (no DOCTYPE)
        const close = c === 63 ? '?>' : buf.startsWith('<!--', lt) ? '-->' : undefined;
        if (close === undefined) {
          if (len - lt < 4) {
            pos = lt;
            break;
          }
          throw new FastPathGaveUp('DOCTYPE or other declaration');
        }
        const e = buf.indexOf(close, lt + 2);
        if (e < 0) {
          pos = lt;
          break;
        }
        pos = e + close.length;
        continue;
      }
      if (c === 33 /* ! */ || c === 63 /* ? */) throw new FastPathGaveUp('comment, CDATA section or processing instruction in the root element');
      let ne = lt + 1;
      for (; ne < len; ne++) {
        const d = buf.charCodeAt(ne);
        if (d === 62 /* > */ || d === 47 /* / */ || d === 32 || d === 10 || d === 9 || d === 13) break;
      }
      const gt = buf.indexOf('>', ne);
      if (gt < 0) {
        pos = lt;
        break;
      }
      pos = this.startTag(lt, ne, gt);
    }
    this.pos = pos;
  }

  private outsideText(from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const c = this.buf.charCodeAt(i);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) throw new FastPathGaveUp('text outside the root element');
    }
  }

  /** Handles a start tag; returns where the walk goes on (after the tag, or after a skipped subtree). */
  private startTag(lt: number, ne: number, gt: number): number {
    const buf = this.buf;
    const qname = buf.slice(lt + 1, ne);
    const colon = qname.indexOf(':');
    const local = colon < 0 ? qname : qname.slice(colon + 1);
    const depth = this.ln.length;
    const selfClosing = buf.charCodeAt(gt - 1) === 47;
    if (depth === 0) {
      if (this.rootSeen) throw new FastPathGaveUp('second root element');
      this.rootSeen = true;
      this.winStart = this.capStart = this.idFrom = lt;
      if (selfClosing) throw new FastPathGaveUp('empty root');
    } else {
      const parentSpine = this.spines[this.spines.length - 1];
      if (parentSpine && parentSpine.depth === depth - 1) {
        if (this.capturing === parentSpine && !parentSpine.headers.has(local)) this.endCapture(lt);
        if (this.isRecord(local, depth)) {
          // window boundary: only between two sibling records (no spine element left without one)
          if (this.winChars + (lt - this.winStart) >= this.batchChars && parentSpine.recordsInBatch >= 1) this.cutAt(lt);
          parentSpine.recordsInBatch++;
        }
      }
    }
    let headers: ReadonlySet<string> | undefined;
    if (depth === 0) headers = ROOT_HEADERS;
    else if (depth === 1) headers = DOMAIN_HEADERS[local];
    else if (depth === 2 && local === 'Bordereau' && (this.ln[1] === 'PES_DepenseAller' || this.ln[1] === 'PES_RecetteAller')) headers = BORDEREAU_HEADERS;
    else if (depth === 3 && local === 'Piece' && this.ln[2] === 'Bordereau') headers = PIECE_HEADERS;
    if (this.validator && headers && !selfClosing && (depth === 0 || this.spines[this.spines.length - 1]?.depth === depth - 1)) {
      const sp: Spine = { depth, qname, headers, recordsInBatch: 0 };
      this.spines.push(sp);
      this.capturing = sp;
      this.capStart = lt;
      this.capParts = [];
    }
    this.qn.push(qname);
    this.ln.push(local);
    this.open(ne, gt);
    if (selfClosing) this.close(local);
    else if (this.facts.inFichier) this.textStart = gt + 1;
    else if ((local === 'Tiers' && depth === 5) || local === 'Signature') return this.skipSubtree(qname, local, lt, gt);
    return gt + 1;
  }

  /**
   * Tiers (read by the view only) and signatures (only their presence counts) are not walked: the walk
   * jumps to the first `</name>` when it is in the text already read and no `<name` starts before it (so
   * no nested element of the same name). Their content is libxml2's (the batch holds it). Were that end
   * tag inside a comment or CDATA section, the real one would come next and not match the open element.
   */
  private skipSubtree(qname: string, local: string, lt: number, gt: number): number {
    const buf = this.buf;
    const end = buf.indexOf(`</${qname}>`, gt + 1);
    if (end < 0 || buf.lastIndexOf(`<${qname}`, end) !== lt) return gt + 1;
    this.close(local);
    return end + qname.length + 3;
  }

  private isRecord(local: string, depth: number): boolean {
    const p = this.ln[depth - 1];
    if (depth === 2) return (local === 'Bordereau' && (p === 'PES_DepenseAller' || p === 'PES_RecetteAller')) || (local === 'PJ' && p === 'PES_PJ');
    if (depth === 3) return local === 'Piece' && p === 'Bordereau';
    if (depth === 4) return local === 'LigneDePiece' && p === 'Piece';
    return false;
  }

  private endCapture(at: number): void {
    const sp = this.capturing!;
    const part = this.buf.slice(this.capStart, at);
    sp.head = this.capParts.length ? this.capParts.join('') + part : part;
    this.capParts = [];
    this.capturing = undefined;
  }

  private endTag(lt: number, gt: number): void {
    const buf = this.buf;
    const depth = this.qn.length - 1;
    if (depth < 0) throw new FastPathGaveUp('end tag without start tag');
    const qname = this.qn[depth]!;
    // the end tag must be the open element's (`</name>` or `</name  >`)
    if (!buf.startsWith(qname, lt + 2)) throw new FastPathGaveUp('end tag does not match');
    for (let i = lt + 2 + qname.length; i < gt; i++) {
      const c = buf.charCodeAt(i);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) throw new FastPathGaveUp('end tag does not match');
    }
    if (this.facts.inFichier && this.textStart < lt) this.pjText.push(buf.slice(this.textStart, lt));
    const local = this.ln[depth]!;
    this.close(local);
    if (this.capturing?.depth === depth) {
      // a spine element that ends while its head is being read (no record in it: left whole in the window)
      this.capturing = undefined;
      this.capParts = [];
    }
    const top = this.spines[this.spines.length - 1];
    if (top && top.depth === depth) this.spines.pop();
    if (depth === 0) this.rootClosed = true;
  }

  /** Checks xs:ID uniqueness across batches on every `Id` attribute of the text up to `to`. */
  private noteIds(to: number): void {
    if (to <= this.idFrom) return;
    const buf = this.buf;
    ID_RE.lastIndex = this.idFrom;
    for (;;) {
      const m = ID_RE.exec(buf);
      if (!m || m.index >= to) break;
      const id = (m[1] ?? m[2] ?? '').trim();
      if (this.ids.has(id)) throw new FastPathGaveUp('duplicate Id');
      if (this.ids.size < 1_000_000) this.ids.add(id);
      if (ID_RE.lastIndex > to) throw new FastPathGaveUp('Id attribute across the window end');
    }
    this.idFrom = to;
  }

  /** Closes the batch before the record starting at `at` and opens the next one with the spine heads. */
  private cutAt(at: number): void {
    const part = this.buf.slice(this.winStart, at);
    this.winParts.push(part);
    this.winChars += part.length;
    this.winStart = at;
    this.flush(false);
  }

  private flush(final: boolean): void {
    if (!final) {
      // the heads of the open spine elements, for the next batch (all complete at a record boundary)
      const closers: string[] = [];
      for (let i = this.qn.length - 1; i >= 0; i--) closers.push(`</${this.qn[i]!}>`);
      this.winParts.push('\n', closers.join(''));
    } else if (this.winStart < this.buf.length) {
      this.winParts.push(this.buf.slice(this.winStart));
    }
    const text = this.winParts.join('');
    this.batchStats.batches++;
    this.batchStats.largest = Math.max(this.batchStats.largest, text.length);
    this.inFlight.push(this.validator!.validate(text));
    this.winParts = [XML_DECL];
    this.winChars = 0;
    if (final) return;
    if (this.spines.length !== this.qn.length || this.spines.some((s) => s.head === undefined)) throw new FastPathGaveUp('cut outside the spine');
    for (const s of this.spines) {
      s.recordsInBatch = 0;
      this.winParts.push('\n', s.head!);
    }
    this.winParts.push('\n');
  }

  startBatch(): void {
    this.winParts = [XML_DECL, '\n'];
  }

  /** The value of an attribute of the start tag between `ne` and `gt`, entities decoded. */
  private attribute(re: RegExp, ne: number, gt: number): string | undefined {
    const attrs = this.buf.slice(ne, gt);
    if (!ATTRS_RE.test(attrs)) throw new FastPathGaveUp('unreadable attributes');
    const m = re.exec(attrs);
    if (!m) return undefined;
    const raw = m[1] ?? m[2]!;
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (c === 10 || c === 13 || c === 9) throw new FastPathGaveUp('white space to normalise in a value');
    }
    return decodeEntities(raw);
  }

  private open(ne: number, gt: number): void {
    const tag: StartTag = {
      value: () => this.attribute(V_RE, ne, gt),
      attribute: (name) => this.attribute(name === 'Id' ? ID_ATTR_RE : MIME_TYPE_RE, ne, gt),
      line: () => this.lineAt(gt),
    };
    this.facts.open(this.ln, tag);
  }

  private close(name: string): void {
    const depth = this.ln.length - 1;
    this.qn.pop();
    this.ln.pop();
    this.facts.close(name, depth);
  }
}

/**
 * Validates a PES_Aller on the fast path. Returns the facts of a clean file (valid XSD, no rule finding),
 * or a FastPathGaveUp: the caller then runs the exact path. `xsdOnly`: no business rules. `wholeFile`: the
 * XSD verdict comes from xmllint on the whole file (xmllint-xsd.ts), run beside this pass, instead of the
 * batches; xs:ID uniqueness, which `xmllint --stream` does not check, is still checked here.
 */
export async function fastValidateAller(
  src: PesSource,
  encoding: string,
  cfg: PesConfig,
  validator: XsdBatchValidator,
  xsdOnly: boolean,
  wholeFile?: { xsd: WholeFileXsd; schemaPath: string },
): Promise<FastAllerResult | FastPathGaveUp> {
  const sink = new FindingSink(cfg.maxErrors);
  const rules = xsdOnly ? undefined : new AllerRules(sink, cfg);
  const pass = new FastAllerPass(wholeFile ? null : validator, cfg.xsdBatchChars, rules, sink);
  const external = wholeFile?.xsd.validate(src, wholeFile.schemaPath);
  pass.startBatch();
  try {
    for await (const chunk of decodedChunks(src, encoding)) {
      await pass.push(chunk);
      if (rules && rules.pendingCount > 0) await rules.drain();
      if (sink.total > 0 && pass.loneCr) throw new FastPathGaveUp('business rule findings in a file with lone carriage returns');
    }
    await pass.end();
    if (rules) await rules.finish();
    if (sink.total > 0 && pass.loneCr) throw new FastPathGaveUp('business rule findings in a file with lone carriage returns');
    if (external && !(await external.verdict)) throw new FastPathGaveUp('XSD issues (xmllint)');
  } catch (e) {
    external?.cancel();
    await pass.abandon();
    if (rules) await rules.drain().catch(() => undefined);
    if (e instanceof FastPathGaveUp) return e;
    if (e instanceof AppError) return new FastPathGaveUp(`input error: ${e.message}`);
    return new FastPathGaveUp(`error: ${e instanceof Error ? e.message : String(e)}`);
  }
  const st = rules?.stats ?? { bordereaux: 0, pieces: 0, lignes: 0, pjs: 0 };
  return { header: pass.parametres, rules: { items: sink.items, total: sink.total, truncated: sink.truncated }, stats: { ...st, xsdBatches: pass.batchStats.batches, largestXsdBatchChars: pass.batchStats.largest } };
}
