/**
 * A lazy page tree for @libpdf/core 0.4.2. The library parses objects on demand through the cross-reference
 * section, except in PDF.load, which walks the whole page tree (PDFPageTree.load) and parses every page
 * dictionary: most of the cost of loading a long document, and useless to append a signature.
 *
 * loadWithLazyPageTree() runs the library's own PDF.load with PDFPageTree.load replaced, for the duration of
 * that synchronous call only, by a stand-in that performs the library's walk the first time the tree is
 * used (page counts, getPage, the visible mark, flattening...). Every read still goes through the library's
 * parser; nothing is parsed here. findFirstPage() descends the tree to the first page in the same order as
 * the library's walk, resolving only the nodes on the way.
 *
 * If a future version of the library no longer has this shape, the normal (eager) load is used.
 */
import { PDF, PdfDict, PdfRef, type PdfObject } from '@libpdf/core';

type Resolver = (ref: PdfRef) => PdfObject | null;
interface PageTreeClass {
  load(pagesRef: PdfRef, getObject: Resolver): object;
  prototype: object;
}

interface LazyTree {
  tree: PageTreeClass;
  walk: PageTreeClass['load'];
  pagesRef: PdfRef;
  getObject: Resolver;
  full: object | null;
}

/** Each lazy tree handed to the library, by its proxy; the proxy's target maps to the same state. */
const lazyTrees = new WeakMap<object, LazyTree>();

let treeClass: PageTreeClass | null | undefined;

function pageTreeClass(): PageTreeClass | null {
  if (treeClass === undefined) {
    const ctor = (PDF.create().context.pages as unknown as { constructor?: unknown }).constructor;
    const candidate = ctor as Partial<PageTreeClass> | undefined;
    treeClass = typeof ctor === 'function' && typeof candidate?.load === 'function' && candidate.load.length === 2 ? (ctor as unknown as PageTreeClass) : null;
  }
  return treeClass;
}

function realize(target: object): object {
  const state = lazyTrees.get(target)!;
  state.full ??= state.walk.call(state.tree, state.pagesRef, state.getObject);
  return state.full;
}

/** Methods run with the proxy as `this`: every field they read or write is the walked tree's. */
const forwardToWalkedTree: ProxyHandler<object> = {
  get: (target, key, receiver) => Reflect.get(realize(target), key, receiver),
  set: (target, key, value) => Reflect.set(realize(target), key, value),
  has: (target, key) => Reflect.has(realize(target), key),
};

/** The arguments of the PDFPageTree.load call being replaced, set for the duration of one PDF.load. */
let pending: { tree: PageTreeClass; walk: PageTreeClass['load'] } | null = null;

function lazyLoad(pagesRef: PdfRef, getObject: Resolver): object {
  const { tree, walk } = pending!;
  const target = Object.create(tree.prototype) as object;
  const state: LazyTree = { tree, walk, pagesRef, getObject, full: null };
  const proxy = new Proxy(target, forwardToWalkedTree);
  lazyTrees.set(target, state);
  lazyTrees.set(proxy, state);
  return proxy;
}

/** PDF.load, with the page tree walked on first use instead of during the load. */
export async function loadWithLazyPageTree(bytes: Uint8Array): Promise<PDF> {
  const tree = pageTreeClass();
  if (!tree || pending) return PDF.load(bytes);
  const walk = tree.load;
  pending = { tree, walk };
  tree.load = lazyLoad;
  try {
    // PDF.load has no await: the whole load, and the page tree construction, happen within this call
    return PDF.load(bytes);
  } finally {
    tree.load = walk;
    pending = null;
  }
}

/** Whether the library has walked the page tree of this document (always true after a normal load). */
export function pageTreeWalked(pdf: PDF): boolean {
  const state = lazyTrees.get(pdf.context.pages);
  return state ? state.full !== null : true;
}

/** The first page, as the library's walk would list it first (depth first, /Kids in order), or null. */
export function findFirstPage(pdf: PDF): PdfRef | null {
  const pagesRef = pdf.getCatalog().getRef('Pages');
  if (!pagesRef) return null;
  const registry = pdf.context.registry;
  const visited = new Set<string>();
  const descend = (ref: PdfRef): PdfRef | null => {
    const key = `${ref.objectNumber} ${ref.generation}`;
    if (visited.has(key)) return null;
    visited.add(key);
    const node = registry.resolve(ref);
    if (!(node instanceof PdfDict)) return null;
    const type = node.getName('Type')?.value;
    if (type === 'Page') return ref;
    if (type !== 'Pages') return null;
    const kids = node.getArray('Kids');
    for (let i = 0; kids && i < kids.length; i++) {
      const kid = kids.at(i);
      const found = kid instanceof PdfRef ? descend(kid) : null;
      if (found) return found;
    }
    return null;
  };
  return descend(pagesRef);
}
