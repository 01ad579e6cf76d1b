/**
 * XSD validation of a PES_Aller with bounded memory.
 *
 * libxml2-wasm 0.7.2 only exposes whole-document validation (`xmlSchemaValidateDoc`): no text reader, no
 * SAX or push validation. A 50 MB PES loaded as one libxml2 tree takes several times its size in the
 * WebAssembly heap, and that heap never shrinks. So the file is cut, while it streams, into batches that
 * are each a complete PES_Aller: the "spine" (root, domain, bordereau and pièce start tags with their
 * header blocks: Enveloppe + EnTetePES, EnTeteDepense, BlocBordereau, BlocPiece...) followed by a window
 * of repeated elements (Bordereau, Piece, LigneDePiece, PJ), closed by synthesised end tags. Each batch
 * is validated by libxml2 with the same schema as xmllint, in a worker thread (xsd-pool.ts) while the
 * scanner goes on; findings still reach the sink in document order.
 *
 * Why this gives the same verdict as validating the whole file with the v5.x PES schemas:
 * - the schemas declare no identity constraint (no xs:unique/xs:key/xs:keyref);
 * - every element cut into windows is `maxOccurs="unbounded"`, and whatever follows it in its parent is
 *   optional (Piece is followed by an optional Signature; Bordereau, LigneDePiece and PJ by nothing), so a
 *   window closed early is valid exactly when its content so far is;
 * - the siblings dropped from later batches (PES_DepenseAller, PES_RecetteAller, PES_Facture, PES_Marche,
 *   PES_PJ) are all optional;
 * - xs:ID uniqueness across batches is checked here on every `Id` attribute.
 * The text is copied byte for byte (as decoded), so character, entity and well-formedness errors inside a
 * window are libxml2's own. Line numbers are mapped back to the original file.
 */
import { AppError } from '../../shared/errors.ts';
import { snapshotPlace, type Domaine, type FindingSink, type PesFinding, type PesPlace } from './report.ts';
import { xsdMessageFr } from './xsd-messages.ts';
import type { LibxmlIssue, XsdBatchValidator } from './xsd-pool.ts';

export { xsdValidatorFor, type LibxmlIssue, type XsdBatchValidator } from './xsd-pool.ts';

type Finding = Omit<PesFinding, 'placeFr'>;

/** Where a batch's issues are mapped back to: each segment's original line and place (snapshot). */
interface BatchMeta {
  segs: { line: number; nl: number; place: PesPlace }[];
  starts: number[];
}

/**
 * What the validator reports, in document order: batches still being validated by the worker, findings
 * of the scanner itself, and an error to throw. Findings are given to the sink in this order, so that the
 * report is the same as if each batch had been validated in place, and nothing after a fatal error counts.
 */
type QueueEntry =
  | { kind: 'batch'; meta: BatchMeta; done: boolean; issues?: LibxmlIssue[]; error?: unknown; promise: Promise<void> }
  | { kind: 'finding'; finding: Finding; stop: boolean }
  | { kind: 'throw'; error: unknown };

/**
 * Batches handed to the workers and not yet answered before `push` waits (bounds memory): one being
 * validated by each of the two workers (xsd-pool.ts) and one waiting.
 */
const MAX_IN_FLIGHT = 3;

interface Seg {
  text: string;
  /** Original line of the first character. */
  line: number;
  nl: number;
  place: PesPlace;
}

interface Entry {
  qname: string;
  local: string;
  /** Carries a place (cut points before its start and after its end). */
  placed: boolean;
  /** A window may be closed right after it. */
  record: boolean;
  /** Header children kept at the start of every later window; undefined when the element is not spine. */
  headers?: ReadonlySet<string>;
  capturing: boolean;
  headSeg?: Seg;
  place: PesPlace;
  counts?: Map<string, number>;
  /** Record children in the current window (a window never leaves a spine element without one). */
  recordsInBatch: number;
}

const TAG_RE = /<([^\s/>!?][^\s/>]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
const V_RE = /\sV\s*=\s*(?:"([^"]*)"|'([^']*)')/;
const ID_RE = /\sId\s*=\s*(?:"([^"]*)"|'([^']*)')/;
const MAX_MARKUP = 1024 * 1024;

const localOf = (q: string) => {
  const i = q.indexOf(':');
  return i < 0 ? q : q.slice(i + 1);
};

function countNl(s: string, from = 0, to = s.length): number {
  let n = 0;
  let i = s.indexOf('\n', from);
  while (i >= 0 && i < to) {
    n++;
    i = s.indexOf('\n', i + 1);
  }
  return n;
}

const DOMAIN_OF: Record<string, { domaine: Domaine; headers: ReadonlySet<string> }> = {
  PES_DepenseAller: { domaine: 'depense', headers: new Set(['EnTeteDepense']) },
  PES_RecetteAller: { domaine: 'recette', headers: new Set(['EnTeteRecette']) },
  PES_PJ: { domaine: 'pj', headers: new Set(['EnTetePES_PJ']) },
};
const ROOT_HEADERS: ReadonlySet<string> = new Set(['Enveloppe', 'EnTetePES']);
const BORDEREAU_HEADERS: ReadonlySet<string> = new Set(['BlocBordereau']);
const PIECE_HEADERS: ReadonlySet<string> = new Set(['BlocPiece']);

function attrV(attrs: string): string | undefined {
  const m = V_RE.exec(attrs);
  return m ? (m[1] ?? m[2]) : undefined;
}

export interface XsdStreamStats {
  batches: number;
  largestBatchChars: number;
}

/**
 * Push decoded text with `push`, then call `end`. Findings go to the sink (source `xsd` or `xml`).
 */
export class XsdStreamValidator {
  readonly stats: XsdStreamStats = { batches: 0, largestBatchChars: 0 };
  private buf = '';
  private pos = 0;
  private lineIdx = 0;
  private lineNo = 1;
  private segStart = 0;
  private segParts: string[] = [];
  private segLine = 1;
  private segPlace: PesPlace = {};
  private batch: Seg[] = [];
  private batchChars = 0;
  private stack: Entry[] = [];
  private rootSeen = false;
  private rootClosed = false;
  /** The scanner stopped (fatal error found by the scanner itself, or a batch reported one). */
  private scanStopped = false;
  /** A validated batch reported a well-formedness error: everything after it is dropped. */
  private batchFatal = false;
  private queue: QueueEntry[] = [];
  private inFlight = 0;
  private ids = new Set<string>();

  constructor(
    private readonly validator: XsdBatchValidator,
    private readonly sink: FindingSink,
    private readonly batchChars_ = 2 * 1024 * 1024,
  ) {}

  /**
   * True once a fatal (well-formedness) error stopped the validation. While batches are still being
   * validated this may become true later than the text that caused it was pushed; after `end` it is final.
   */
  get fatal(): boolean {
    return this.batchFatal || this.scanStopped;
  }

  private get stopped(): boolean {
    return this.scanStopped || this.batchFatal;
  }

  async push(chunk: string): Promise<void> {
    if (this.stopped) return;
    // keep the not yet copied part of the current segment, then rotate the buffer
    this.lineAt(this.pos);
    if (this.segStart < this.pos) this.segParts.push(this.buf.slice(this.segStart, this.pos));
    this.buf = this.buf.slice(this.pos) + chunk;
    this.pos = 0;
    this.segStart = 0;
    this.lineIdx = 0;
    this.guarded(() => this.scan(false));
    if (this.queue.some((e) => e.kind === 'throw')) await this.drain(true);
    else await this.drain(false);
  }

  /** Ends the text and waits for every batch; throws what the scanner would have thrown in place. */
  async end(): Promise<void> {
    if (!this.stopped) this.guarded(() => this.finish());
    await this.drain(true);
  }

  private finish(): void {
    this.scan(true);
    if (this.stopped) return;
    if (this.pos < this.buf.length) return this.fatalAt(this.pos, 'balise incomplète en fin de fichier', 'incomplete markup at end of file');
    if (!this.rootSeen) return this.fatalAt(this.pos, 'aucun élément racine', 'no root element');
    if (this.stack.length > 0) {
      const open = this.stack[this.stack.length - 1]!.qname;
      return this.fatalAt(this.pos, `fichier tronqué : la balise « ${open} » n’est pas fermée`, `truncated document: ${open} not closed`);
    }
    this.cut(this.buf.length);
    this.flush(true);
  }

  /** Runs the scanner; an error it throws is thrown at once, or after the batches before it are known. */
  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.scanStopped = true;
      if (this.queue.length === 0) throw e;
      this.queue.push({ kind: 'throw', error: e });
    }
  }

  /** A finding of the scanner, in document order with the batches. */
  private emit(finding: Finding, stop = false): void {
    if (this.batchFatal) return;
    if (stop) this.scanStopped = true;
    if (this.queue.length === 0) {
      this.sink.add(finding);
      return;
    }
    this.queue.push({ kind: 'finding', finding: { ...finding, place: snapshotPlace(finding.place) }, stop });
  }

  /**
   * Gives the answered head of the queue to the sink. `all`: waits for every batch; otherwise waits only
   * while more than MAX_IN_FLIGHT batches are unanswered.
   */
  private async drain(all: boolean): Promise<void> {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.kind === 'batch' && !head.done) {
        if (!all && this.inFlight <= MAX_IN_FLIGHT) return;
        await head.promise;
      }
      this.queue.shift();
      if (head.kind === 'throw') {
        this.queue = [];
        throw head.error;
      }
      if (head.kind === 'finding') {
        this.sink.add(head.finding);
        continue;
      }
      if (head.error !== undefined) {
        this.queue = [];
        throw head.error;
      }
      if (this.applyIssues(head.meta, head.issues ?? [])) {
        this.batchFatal = true;
        this.queue = [];
        return;
      }
    }
  }

  private lineAt(idx: number): number {
    if (idx > this.lineIdx) {
      this.lineNo += countNl(this.buf, this.lineIdx, idx);
      this.lineIdx = idx;
    }
    return this.lineNo;
  }

  private currentPlace(): PesPlace {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const e = this.stack[i]!;
      if (e.placed) return e.place;
    }
    return {};
  }

  /** Ends the current segment at `at` (exclusive) and starts a new one there. */
  private cut(at: number): Seg | undefined {
    if (at < this.segStart) return undefined;
    const piece = this.buf.slice(this.segStart, at);
    const text = this.segParts.length ? this.segParts.join('') + piece : piece;
    this.segParts = [];
    let seg: Seg | undefined;
    if (this.rootSeen && text.length > 0) {
      seg = { text, line: this.segLine, nl: countNl(text), place: this.segPlace };
      this.batch.push(seg);
      this.batchChars += text.length;
    }
    this.segStart = at;
    this.segLine = this.lineAt(at);
    this.segPlace = this.currentPlace();
    return seg;
  }

  private flush(final: boolean): void {
    const segs = this.batch;
    if (segs.length === 0) return;
    const parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
    const starts: number[] = [];
    let line = 2;
    for (const s of segs) {
      parts.push('\n', s.text);
      starts.push(line);
      line += s.nl + 1;
    }
    if (!final) {
      parts.push('\n');
      for (let i = this.stack.length - 1; i >= 0; i--) parts.push(`</${this.stack[i]!.qname}>`);
    }
    const text = parts.join('');
    this.stats.batches++;
    this.stats.largestBatchChars = Math.max(this.stats.largestBatchChars, text.length);
    const meta: BatchMeta = { segs: segs.map((sg) => ({ line: sg.line, nl: sg.nl, place: snapshotPlace(sg.place) })), starts };
    const entry: QueueEntry & { kind: 'batch' } = { kind: 'batch', meta, done: false, promise: Promise.resolve() };
    this.inFlight++;
    entry.promise = this.validator.validate(text).then(
      (issues) => {
        entry.issues = issues;
      },
      (e: unknown) => {
        entry.error = e;
      },
    ).finally(() => {
      entry.done = true;
      this.inFlight--;
    });
    this.queue.push(entry);
    // next window: the spine of the open elements
    this.batch = [];
    this.batchChars = 0;
    for (const e of this.stack) {
      e.recordsInBatch = 0;
      if (e.headSeg) {
        this.batch.push(e.headSeg);
        this.batchChars += e.headSeg.text.length;
      }
    }
  }

  /** Gives a batch's issues to the sink with their original line and place; true when one is fatal. */
  private applyIssues(meta: BatchMeta, issues: LibxmlIssue[]): boolean {
    const { segs, starts } = meta;
    for (const is of issues) {
      let seg = segs[segs.length - 1]!;
      let origLine: number | undefined;
      if (is.line !== undefined && is.line >= 2) {
        // binary search of the segment holding that synthetic line
        let lo = 0;
        let hi = segs.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (starts[mid]! <= is.line) lo = mid;
          else hi = mid - 1;
        }
        seg = segs[lo]!;
        const delta = is.line - starts[lo]!;
        if (delta <= seg.nl) origLine = seg.line + delta;
      }
      this.sink.add({
        source: is.fatal ? 'xml' : 'xsd',
        code: is.fatal ? 'XML_MAL_FORME' : 'XSD',
        line: origLine,
        place: seg.place,
        messageFr: is.fatal ? `XML mal formé : ${is.message}` : xsdMessageFr(is.message),
        messageEn: is.message,
      });
    }
    return issues.some((i) => i.fatal);
  }

  private fatalAt(idx: number, fr: string, en: string): void {
    const line = this.lineAt(Math.min(idx, this.buf.length));
    this.emit({ source: 'xml', code: 'XML_MAL_FORME', line, place: this.currentPlace(), messageFr: `XML mal formé : ${fr}.`, messageEn: `malformed XML: ${en}` }, true);
  }

  private scan(final: boolean): void {
    const buf = this.buf;
    const len = buf.length;
    let pos = this.pos;
    while (pos < len && !this.stopped) {
      const lt = buf.indexOf('<', pos);
      if (lt < 0) {
        this.text(pos, len);
        pos = len;
        break;
      }
      if (lt > pos) this.text(pos, lt);
      pos = lt;
      if (len - lt < 2 && !final) break;
      const c = buf.charCodeAt(lt + 1);
      if (c === 47 /* / */) {
        const gt = buf.indexOf('>', lt + 2);
        if (gt < 0) {
          if (!final && len - lt < MAX_MARKUP) break;
          this.fatalAt(lt, 'balise fermante incomplète', 'incomplete end tag');
          break;
        }
        this.endTag(buf.slice(lt + 2, gt).trim(), lt, gt + 1);
        pos = gt + 1;
      } else if (c === 63 /* ? */) {
        const e = buf.indexOf('?>', lt + 2);
        if (e < 0) {
          if (!final && len - lt < MAX_MARKUP) break;
          this.fatalAt(lt, 'instruction de traitement incomplète', 'incomplete processing instruction');
          break;
        }
        pos = e + 2;
      } else if (c === 33 /* ! */) {
        if (len - lt < 9 && !final) break;
        let close: string;
        if (buf.startsWith('<!--', lt)) close = '-->';
        else if (buf.startsWith('<![CDATA[', lt)) close = ']]>';
        else {
          throw new AppError(
            'BAD_INPUT',
            'Le fichier XML contient une déclaration DOCTYPE ou ENTITY, refusée pour raison de sécurité.',
            'XML with a DOCTYPE/ENTITY declaration refused',
            { line: this.lineAt(lt) },
          );
        }
        const e = buf.indexOf(close, lt + 4);
        if (e < 0) {
          if (!final && len - lt < 64 * MAX_MARKUP) break;
          this.fatalAt(lt, 'commentaire ou section CDATA non terminé', 'unterminated comment or CDATA');
          break;
        }
        if (close === ']]>' && this.stack.length === 0) this.fatalAt(lt, 'section CDATA hors de l’élément racine', 'CDATA outside the root');
        pos = e + close.length;
      } else {
        TAG_RE.lastIndex = lt;
        const m = TAG_RE.exec(buf);
        if (!m) {
          if (!final && len - lt < MAX_MARKUP && buf.indexOf('>', lt) < 0) break;
          if (!final && len - lt < MAX_MARKUP) {
            // maybe a '>' inside an attribute value and the rest not read yet
            const q = buf.slice(lt).match(/["']/g);
            if (q && q.length % 2 === 1) break;
          }
          this.fatalAt(lt, 'balise ouvrante illisible', 'unreadable start tag');
          break;
        }
        const end = lt + m[0].length;
        this.startTag(m[1]!, m[2] ?? '', m[3] === '/', lt, end);
        pos = end;
      }
    }
    this.pos = pos;
  }

  private text(from: number, to: number): void {
    if (this.stack.length === 0 && /\S/.test(this.buf.slice(from, to))) {
      this.fatalAt(from, 'texte hors de l’élément racine', 'text outside the root element');
    }
  }

  private startTag(qname: string, attrs: string, selfClosing: boolean, at: number, end: number): void {
    const local = localOf(qname);
    const parent = this.stack[this.stack.length - 1];
    if (!parent && this.rootClosed) return this.fatalAt(at, 'second élément racine', 'second root element');
    const entry: Entry = { qname, local, placed: false, record: false, capturing: false, place: {}, recordsInBatch: 0 };
    if (!parent) {
      entry.headers = ROOT_HEADERS;
    } else if (parent.headers) {
      const pl = parent.local;
      const ppl = parent.place;
      if (this.stack.length === 1 && DOMAIN_OF[local]) {
        const d = DOMAIN_OF[local]!;
        entry.placed = true;
        entry.headers = d.headers;
        entry.place = { domaine: d.domaine };
      } else if (this.stack.length === 1 && (local === 'PES_Facture' || local === 'PES_Marche')) {
        entry.placed = true;
        entry.place = { domaine: local === 'PES_Facture' ? 'facture' : 'marche' };
      } else if (local === 'Bordereau' && (pl === 'PES_DepenseAller' || pl === 'PES_RecetteAller') && this.stack.length === 2) {
        entry.placed = entry.record = true;
        entry.headers = BORDEREAU_HEADERS;
        entry.place = { ...ppl, bordereau: { index: this.bump(parent, 'Bordereau') } };
      } else if (local === 'Piece' && pl === 'Bordereau' && this.stack.length === 3) {
        entry.placed = entry.record = true;
        entry.headers = PIECE_HEADERS;
        entry.place = { ...ppl, piece: { index: this.bump(parent, 'Piece') } };
      } else if (local === 'LigneDePiece' && pl === 'Piece' && this.stack.length === 4) {
        entry.placed = entry.record = true;
        entry.place = { ...ppl, ligne: { index: this.bump(parent, 'LigneDePiece') } };
      } else if (local === 'PJ' && pl === 'PES_PJ' && this.stack.length === 2) {
        entry.placed = entry.record = true;
        entry.place = { ...ppl, pj: { index: this.bump(parent, 'PJ') } };
      }
      if (parent.capturing && !parent.headers.has(local)) {
        // the parent's head (its start tag and header blocks) ends here
        const seg = this.cut(at);
        parent.headSeg = seg ?? parent.headSeg;
        parent.capturing = false;
      }
    }
    if (entry.record && parent) {
      // window boundary: only between two sibling records, so that no element is left without its records
      if (this.batchChars >= this.batchChars_ && parent.recordsInBatch >= 1) {
        this.cut(at);
        this.flush(false);
        if (this.stopped) return;
      }
      parent.recordsInBatch++;
    }
    if (entry.placed || !parent) this.cut(at);
    if (!parent) this.rootSeen = true;
    if (attrs) this.noteAttrs(local, attrs, at);
    if (parent) this.noteIdentifier(local, parent, attrs);
    if (selfClosing) {
      if (!parent) this.rootClosed = true;
      if (entry.placed) {
        this.stack.push(entry);
        this.segPlace = entry.place;
        this.stack.pop();
        this.cut(end);
      }
      return;
    }
    if (entry.headers) entry.capturing = true;
    this.stack.push(entry);
    if (entry.placed || !parent) this.segPlace = entry.place;
  }

  private bump(parent: Entry, name: string): number {
    parent.counts ??= new Map();
    const n = (parent.counts.get(name) ?? 0) + 1;
    parent.counts.set(name, n);
    return n;
  }

  private noteAttrs(local: string, attrs: string, at: number): void {
    if (!attrs.includes('Id')) return;
    const m = ID_RE.exec(attrs);
    if (!m) return;
    const id = (m[1] ?? m[2] ?? '').trim();
    if (this.ids.has(id)) {
      this.emit({
        source: 'xsd',
        code: 'XSD',
        line: this.lineAt(at),
        place: this.currentPlace(),
        messageFr: `Élément « ${local} », attribut « Id » : la valeur « ${id} » est déjà utilisée par un autre élément (identifiant en double).`,
        messageEn: `Element '${local}', attribute 'Id': duplicate ID '${id}'`,
      });
    } else if (this.ids.size < 1_000_000) {
      this.ids.add(id);
    }
  }

  /** Keeps the identifiers that make error places readable (IdBord, IdPce, IdLigne, IdUnique, NomPJ). */
  private noteIdentifier(local: string, parent: Entry, attrs: string): void {
    const p = parent.local;
    if (p !== 'BlocBordereau' && p !== 'InfoPce' && p !== 'InfoLignePce' && p !== 'PJ') return;
    const pick = attrV.bind(null, attrs);
    const owner = this.currentPlace();
    if (p === 'BlocBordereau' && owner.bordereau) {
      if (local === 'IdBord') owner.bordereau.idBord = pick();
      else if (local === 'Exer') owner.bordereau.exer = pick();
    } else if (p === 'InfoPce' && local === 'IdPce' && owner.piece) owner.piece.idPce = pick();
    else if (p === 'InfoLignePce' && local === 'IdLigne' && owner.ligne) owner.ligne.idLigne = pick();
    else if (p === 'PJ' && owner.pj) {
      if (local === 'IdUnique') owner.pj.idUnique = pick();
      else if (local === 'NomPJ') owner.pj.nomPJ = pick();
    }
  }

  private endTag(qname: string, at: number, end: number): void {
    const entry = this.stack.pop();
    if (!entry) return this.fatalAt(at, `balise fermante « ${qname} » sans balise ouvrante`, `end tag ${qname} without start tag`);
    if (entry.qname !== qname) {
      return this.fatalAt(at, `balise fermante « ${qname} » au lieu de « ${entry.qname} »`, `end tag ${qname} does not match ${entry.qname}`);
    }
    if (this.stack.length === 0) this.rootClosed = true;
    if (entry.placed) {
      this.stack.push(entry);
      this.cut(end);
      this.stack.pop();
      this.segPlace = this.currentPlace();
    }
  }
}
