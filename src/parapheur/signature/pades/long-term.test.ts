/**
 * PAdES B-LT / B-LTA checked by independent tools: pdfsig (every signature still valid and trusted), qpdf
 * --check, openssl ts -verify on the document timestamp (pdfsig does not check those), the DSS read back with
 * @libpdf/core, and our own verification. A missing tool makes the test fail, never skip.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PDF, type PdfDict, type PdfName, type PdfString } from '@libpdf/core';
import { createTestPki, type TestIdentity, type TestPki } from '../../../../test/support/pki.ts';
import { nssDbTrusting, runAsync, tool } from '../../../../test/support/tools.ts';
import { startTestTsa, type TestTsa } from '../../../../test/support/tsa-server.ts';
import { AppError } from '../../../shared/errors.ts';
import { HttpCrlSource } from '../certificates/crl-source.ts';
import { loadTrustAnchors } from '../certificates/trust-anchors.ts';
import { asn1js, toArrayBuffer, x509 } from '../certificates/x509.ts';
import { readDss } from './dss.ts';
import { Pkcs12KeySource } from './key-source.ts';
import { addDocumentTimestamp } from './long-term.ts';
import { signPdf, type PadesSignOptions } from './sign-pdf.ts';
import { makeTestPdf } from './test-pdf.ts';
import { verifyPdfSignatures } from './verify.ts';

let dir: string;
let pki: TestPki;
let tsa: TestTsa;
let trustAnchors: Uint8Array[];
let nssDir: string;
let signedBB: Uint8Array;
let signedLta: Uint8Array;


const options = (extra: Partial<PadesSignOptions> = {}): PadesSignOptions => ({ trustAnchors, crlSource: new HttpCrlSource(), ...extra });
const keyOf = (id: TestIdentity) => Pkcs12KeySource.fromFile(id.p12Path, id.p12Password);
const sha256 = (d: Uint8Array): string => createHash('sha256').update(d).digest('hex');

function write(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** The signature dictionaries of the document, read with @libpdf/core. */
async function signatureDicts(bytes: Uint8Array): Promise<Map<string, PdfDict>> {
  const pdf = await PDF.load(bytes);
  const out = new Map<string, PdfDict>();
  for (const f of pdf.getForm()?.getSignatureFields() ?? []) {
    const d = f.getSignatureDict();
    if (d) out.set(f.name, d);
  }
  return out;
}

/** `paraphe …` through bin/paraphe.mjs (the bundled program); the CRL and TSA servers live in this process. */
function paraphe(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runAsync(process.execPath, [resolve('bin/paraphe.mjs'), ...args], { env: { ...process.env, LOG_LEVEL: 'silent' } });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paraphe-pades-lt-'));
  pki = await createTestPki(join(dir, 'pki'));
  tsa = await startTestTsa(pki);
  trustAnchors = loadTrustAnchors(pki.trustDir);
  nssDir = nssDbTrusting(join(dir, 'nss'), pki.root.certPath);
  const source = await makeTestPdf({ lines: ['Objet : délibération.', 'Signatures : #signature#'] });
  signedBB = (await signPdf(source, await keyOf(pki.agents[0]), options())).pdf;
  const lta = await signPdf(signedBB, await keyOf(pki.agents[1]), options({ level: 'B-LTA', tsaUrl: tsa.url }));
  assert.equal(lta.level, 'B-LTA');
  signedLta = lta.pdf;
});

after(async () => {
  await tsa?.close();
  await pki?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('PAdES B-LT / B-LTA', () => {
  it('B-LTA after another agent’s B-B: pdfsig, qpdf, the DSS and our verify agree, earlier bytes untouched', async () => {
    assert.ok(Buffer.from(signedLta.subarray(0, signedBB.length)).equals(Buffer.from(signedBB)), 'the B-B file must be a prefix');

    const sig = tool('pdfsig', ['-nssdir', `sql:${nssDir}`, write('lta.pdf', signedLta)], 'poppler-utils');
    assert.equal(sig.status, 0, sig.out);
    // the two CAdES signatures are checked by pdfsig; the document timestamp is listed but not validated by it
    assert.equal(sig.out.match(/Signature Type: ETSI\.CAdES\.detached/g)?.length, 2, sig.out);
    assert.equal(sig.out.match(/Signature Validation: Signature is Valid\./g)?.length, 2, sig.out);
    assert.equal(sig.out.match(/Certificate Validation: Certificate is Trusted\./g)?.length, 2, sig.out);
    const stamp = sig.out.slice(sig.out.indexOf('Signature Field Name: Horodatage1'));
    assert.ok(stamp.length > 0 && sig.out.includes('Signature Field Name: Horodatage1'), sig.out);
    assert.match(stamp, /Signer Certificate Common Name: Paraphe Test TSA/);
    assert.match(stamp, /Total document signed/);

    const qpdf = tool('qpdf', ['--check', write('lta-qpdf.pdf', signedLta)], 'qpdf');
    assert.equal(qpdf.status, 0, qpdf.out);
    assert.match(qpdf.out, /No syntax or stream encoding errors found/);

    // the DSS, read back with @libpdf/core
    const pdf = await PDF.load(signedLta);
    const dssDict = pdf.getCatalog().getDict('DSS', (ref) => pdf.context.registry.resolve(ref));
    assert.ok(dssDict, 'no /DSS in the catalog');
    const dss = readDss(pdf);
    const held = new Set(dss.certificates.map(sha256));
    for (const id of [pki.agents[1], pki.tsa, pki.intermediate, pki.root]) assert.ok(held.has(sha256(id.certDer)), `${id.name} missing from the DSS`);
    assert.ok(dss.crls.length + dss.ocspResponses.length >= 1, 'no revocation data in the DSS');
    for (const crl of dss.crls) assert.equal(new x509.X509Crl(toArrayBuffer(crl)).issuer, pki.intermediate.cert.subject);
    const contents = (await signatureDicts(signedLta)).get('Signature2')!.get('Contents') as PdfString;
    assert.ok(dss.vriKeys.has(createHash('sha1').update(contents.bytes).digest('hex').toUpperCase()), 'no VRI entry for Signature2');

    const report = await verifyPdfSignatures(signedLta, { trustAnchors, crlSource: new HttpCrlSource() });
    assert.equal(report.valid, true, JSON.stringify([report.signatures.map((s) => s.problems), report.documentTimestamps.map((t) => t.problems)]));
    assert.deepEqual(report.signatures.map((s) => [s.fieldName, s.level]), [['Signature1', 'B-B'], ['Signature2', 'B-LTA']]);
    assert.equal(report.documentTimestamps.length, 1);
    assert.equal(report.documentTimestamps[0]!.fieldName, 'Horodatage1');
    assert.equal(report.documentTimestamps[0]!.coversWholeDocument, true);
    assert.match(report.documentTimestamps[0]!.tsaSubject ?? '', /CN=Paraphe Test TSA/);
  });

  it('openssl ts -verify accepts the document timestamp over the bytes of its ByteRange', async () => {
    const dict = (await signatureDicts(signedLta)).get('Horodatage1')!;
    assert.equal((dict.get('Type') as PdfName).value, 'DocTimeStamp');
    assert.equal((dict.get('SubFilter') as PdfName).value, 'ETSI.RFC3161');
    const [a, b, c, d] = dict.getArray('ByteRange')!.toArray().map((n) => (n as unknown as { value: number }).value) as [number, number, number, number];
    const data = Buffer.concat([signedLta.subarray(a, a + b), signedLta.subarray(c, c + d)]);
    const padded = (dict.get('Contents') as PdfString).bytes;
    const token = padded.subarray(0, asn1js.fromBER(toArrayBuffer(padded)).offset);
    const untrusted = write('intermediate.pem', readFileSync(pki.intermediate.certPath));
    const res = tool('openssl', ['ts', '-verify', '-data', write('stamped.bin', data), '-in', write('doc-ts.tst', token), '-token_in', '-CAfile', pki.rootPemPath, '-untrusted', untrusted], 'openssl');
    assert.equal(res.status, 0, res.out);
    assert.match(res.out, /Verification: OK/);
  });

  it('refuses B-LT without a TSA with a French message and leaves the input untouched', async () => {
    const before = Buffer.from(signedBB);
    await assert.rejects(signPdf(signedBB, await keyOf(pki.agents[2]), options({ level: 'B-LT' })), (err: unknown) => {
      assert.ok(err instanceof AppError, String(err));
      assert.equal(err.messageFr, 'Le niveau B-LT exige un serveur d’horodatage');
      return true;
    });
    await assert.rejects(addDocumentTimestamp(signedBB, {}), (err: unknown) => err instanceof AppError && err.messageFr === 'L’horodatage du document exige un serveur d’horodatage');
    assert.ok(before.equals(Buffer.from(signedBB)));
  });

  it('paraphe pdf sign --level B-LTA on the B-LTA file, then verify prints the levels and both document timestamps', async () => {
    const input = write('cli-in.pdf', signedLta);
    const out = join(dir, 'cli-out.pdf');
    const s = await paraphe('pdf', 'sign', '--in', input, '--out', out, '--p12', pki.agents[2].p12Path, '--pass', pki.agents[2].p12Password, '--tsa', tsa.url, '--level', 'B-LTA', '--trust', pki.trustDir);
    assert.equal(s.code, 0, s.stdout + s.stderr);
    assert.match(s.stdout, /Signé : .*niveau B-LTA/);
    const v = await paraphe('pdf', 'verify', '--in', out, '--trust', pki.rootPemPath);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /Signature 3 \(Signature3\) : VALIDE[\s\S]*?Niveau : B-LTA/);
    assert.match(v.stdout, /Horodatage du document 1 \(Horodatage1\) : VALIDE/);
    assert.match(v.stdout, /Horodatage du document 2 \(Horodatage2\) : VALIDE/);
    assert.doesNotMatch(v.stdout, /Signature 4/);
    const qpdf = tool('qpdf', ['--check', out], 'qpdf');
    assert.equal(qpdf.status, 0, qpdf.out);
    // the existing DSS was merged into, not replaced
    const before = readDss(await PDF.load(signedLta));
    const after = readDss(await PDF.load(readFileSync(out)));
    for (const key of before.vriKeys) assert.ok(after.vriKeys.has(key), `VRI ${key} lost`);
    assert.equal(after.vriKeys.size, before.vriKeys.size + 1);
  });
});
