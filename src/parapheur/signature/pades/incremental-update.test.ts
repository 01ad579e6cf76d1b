/**
 * The signature's incremental update on both kinds of cross-reference section (classic table from pdfkit,
 * cross-reference stream with object streams from qpdf), checked by pdfsig and qpdf; the document loaded for
 * signing without walking its page tree; the first page of a nested page tree.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDF, PdfArray, PdfDict, PdfName, PdfNumber, PdfRef } from '@libpdf/core';
import { createTestPki, type TestIdentity, type TestPki } from '../../../../test/support/pki.ts';
import { nssDbTrusting, tool } from '../../../../test/support/tools.ts';
import { HttpCrlSource } from '../certificates/crl-source.ts';
import { loadTrustAnchors } from '../certificates/trust-anchors.ts';
import { Pkcs12KeySource } from './key-source.ts';
import { findFirstPage, pageTreeWalked } from './lazy-page-tree.ts';
import { loadPdf } from './pdf-input.ts';
import { signPdf, type PadesSignOptions } from './sign-pdf.ts';
import { makeTestPdf } from './test-pdf.ts';
import { verifyPdfSignatures } from './verify.ts';

let dir: string;
let pki: TestPki;
let nssDir: string;
let trustAnchors: Uint8Array[];
let classic: Uint8Array;
let xrefStream: Uint8Array;


function write(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const options = (extra: Partial<PadesSignOptions> = {}): PadesSignOptions => ({ trustAnchors, crlSource: new HttpCrlSource(), ...extra });
const keyOf = (id: TestIdentity) => Pkcs12KeySource.fromFile(id.p12Path, id.p12Password);
const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paraphe-incremental-'));
  pki = await createTestPki(join(dir, 'pki'));
  trustAnchors = loadTrustAnchors(pki.trustDir);
  nssDir = nssDbTrusting(join(dir, 'nss'), pki.root.certPath);
  classic = await makeTestPdf({ targetBytes: 60_000 });
  const streamPath = join(dir, 'xref-stream.pdf');
  const { status, out } = tool('qpdf', ['--object-streams=generate', write('classic.pdf', classic), streamPath], 'qpdf');
  assert.equal(status, 0, out);
  xrefStream = new Uint8Array(readFileSync(streamPath));
});

after(async () => {
  await pki?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('signature updates on both kinds of cross-reference section', () => {
  it('the fixtures are what they claim: pdfkit writes a classic table, qpdf a cross-reference stream with object streams', () => {
    assert.match(latin1(classic), /\nxref\s/);
    assert.doesNotMatch(latin1(classic), /\/Type\s*\/XRef/);
    assert.match(latin1(xrefStream), /\/Type\s*\/XRef/);
    assert.match(latin1(xrefStream), /\/Type\s*\/ObjStm/);
    assert.doesNotMatch(latin1(xrefStream), /\nxref\s/);
  });

  for (const kind of ['table', 'stream'] as const) {
    // three signers: pdfsig (NSS) reports a certificate met twice in one file as an "unknown issue"
    it(`three signers on a PDF with a cross-reference ${kind}: each update ends with a ${kind}, pdfsig reports all valid and trusted, qpdf --check is clean`, async () => {
      const signers = [await keyOf(pki.agents[0]!), await keyOf(pki.seal), await keyOf(pki.agents[1]!)];
      let pdf = kind === 'table' ? classic : xrefStream;
      for (const [i, signer] of signers.entries()) {
        const before = pdf;
        pdf = (await signPdf(before, signer, options({ usage: i === 1 ? 'seal' : 'personal', reason: `Signature ${i + 1}` }))).pdf;
        assert.ok(Buffer.from(pdf.subarray(0, before.length)).equals(Buffer.from(before)), 'earlier bytes unchanged');
        const update = latin1(pdf.subarray(before.length));
        const prev = /\/Prev (\d+)/.exec(update);
        const startxref = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(latin1(before));
        assert.ok(prev && startxref, 'the update chains to the previous cross-reference section');
        assert.equal(prev[1], startxref[1]);
        if (kind === 'table') {
          assert.match(update, /\nxref\n[\s\S]*trailer\n<<[\s\S]*\/Root \d+ 0 R/);
          assert.doesNotMatch(update, /\/Type \/XRef/);
        } else {
          assert.match(update, /\/Type \/XRef[\s\S]*stream\r?\n[\s\S]*endstream/);
          assert.doesNotMatch(update, /\nxref\n/);
        }
      }
      const path = write(`three-seals-${kind}.pdf`, pdf);
      const sig = tool('pdfsig', ['-nssdir', `sql:${nssDir}`, path], 'poppler-utils');
      assert.equal((sig.out.match(/Signature is Valid/g) ?? []).length, 3, sig.out);
      assert.equal((sig.out.match(/Certificate is Trusted/g) ?? []).length, 3, sig.out);
      const check = tool('qpdf', ['--check', path], 'qpdf');
      assert.equal(check.status, 0, check.out);
      assert.match(check.out, /No syntax or stream encoding errors found/);
      const report = await verifyPdfSignatures(pdf, { trustAnchors, crlSource: new HttpCrlSource() });
      assert.equal(report.signatures.length, 3);
      assert.ok(report.valid, JSON.stringify(report.signatures.map((s) => s.problems)));
    });
  }

  it('a visible mark after invisible seals on a cross-reference stream PDF keeps every signature valid', async () => {
    let pdf = (await signPdf(xrefStream, await keyOf(pki.agents[0]!), options())).pdf;
    pdf = (await signPdf(pdf, await keyOf(pki.seal), options({ usage: 'seal', mark: { text: 'Cachet de la commune' } }))).pdf;
    pdf = (await signPdf(pdf, await keyOf(pki.agents[2]!), options())).pdf;
    const sig = tool('pdfsig', ['-nssdir', `sql:${nssDir}`, write('mark-between.pdf', pdf)], 'poppler-utils');
    assert.equal((sig.out.match(/Signature is Valid/g) ?? []).length, 3, sig.out);
    assert.equal(tool('qpdf', ['--check', join(dir, 'mark-between.pdf')], 'qpdf').status, 0);
    const text = tool('pdftotext', [join(dir, 'mark-between.pdf'), '-'], 'poppler-utils').out;
    assert.match(text, /Cachet de la commune/);
  });
});

describe('loading for signing', () => {
  it('does not walk the page tree, which the library still walks completely when asked for', async () => {
    const full = await PDF.load(classic);
    const pdf = await loadPdf(classic, 'sign');
    assert.equal(pageTreeWalked(pdf), false);
    assert.equal(findFirstPage(pdf)?.toString(), full.context.pages.getPage(0)?.toString());
    assert.equal(pageTreeWalked(pdf), false);
    assert.ok(full.getPageCount() > 5);
    assert.equal(pdf.getPageCount(), full.getPageCount());
    assert.equal(pageTreeWalked(pdf), true);
    assert.deepEqual(pdf.context.pages.getPages().map(String), full.context.pages.getPages().map(String));
  });

  it('finds the first page of a nested page tree whose first branch is empty, as the library orders pages', async () => {
    const doc = await PDF.load(await makeTestPdf({ targetBytes: 30_000 }));
    const registry = doc.context.registry;
    const rootRef = doc.getCatalog().getRef('Pages')!;
    const root = registry.resolve(rootRef) as PdfDict;
    const pages = doc.context.pages.getPages();
    assert.ok(pages.length >= 3);
    const emptyRef = registry.register(PdfDict.of({ Type: PdfName.of('Pages'), Kids: new PdfArray([]), Count: PdfNumber.of(0), Parent: rootRef }));
    const branch = PdfDict.of({ Type: PdfName.of('Pages'), Kids: new PdfArray(pages.slice(1)), Count: PdfNumber.of(pages.length - 1), Parent: rootRef });
    const branchRef = registry.register(branch);
    const leafBranch = PdfDict.of({ Type: PdfName.of('Pages'), Kids: new PdfArray([pages[0]!]), Count: PdfNumber.of(1), Parent: branchRef });
    const leafBranchRef = registry.register(leafBranch);
    branch.set('Kids', new PdfArray([leafBranchRef, ...pages.slice(1)]));
    (registry.resolve(pages[0]!) as PdfDict).set('Parent', leafBranchRef);
    for (const p of pages.slice(1)) (registry.resolve(p) as PdfDict).set('Parent', branchRef);
    root.set('Kids', new PdfArray([emptyRef, branchRef]));
    const nested = await doc.save();

    const full = await PDF.load(nested);
    const first = full.context.pages.getPage(0);
    assert.ok(first instanceof PdfRef);
    assert.equal(full.getPageCount(), pages.length);
    const savedRoot = full.context.registry.resolve(full.getCatalog().getRef('Pages')!) as PdfDict;
    assert.equal(savedRoot.getArray('Kids')?.length, 2, 'the nested tree survived the save');
    const lazy = await loadPdf(nested, 'sign');
    assert.equal(String(findFirstPage(lazy)), String(first));

    const seal = await Pkcs12KeySource.fromFile(pki.seal.p12Path, pki.seal.p12Password);
    const signed = (await signPdf(nested, seal, options({ usage: 'seal' }))).pdf;
    assert.match(latin1(signed.subarray(nested.length)), new RegExp(`/P ${first.objectNumber} ${first.generation} R`));
    const sig = tool('pdfsig', ['-nssdir', `sql:${nssDir}`, write('nested.pdf', signed)], 'poppler-utils');
    assert.match(sig.out, /Signature is Valid/, sig.out);
  });
});
