/**
 * PAdES signing throughput on a generated ~1 MB PDF with the PKCS#12 seal, printed beside
 *  - the limit measured in the same run: SHA-256 of the same file + one RSA-2048 signature (node:crypto);
 *  - poppler's `pdfsig -add-signature` (adbe.pkcs7.detached: poppler 22.12 refuses -etsi with -add-signature) (NSS database holding the same key) on the same file
 *    (one process per signature, as it is used from the command line).
 * Usage: node --import tsx bench/index.ts pades [--iterations N] [--pdfsig-iterations N]
 * Needs openssl, poppler-utils, libnss3-tools.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, sign as cryptoSign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki } from '../test/support/pki.ts';
import { HttpCrlSource } from '../src/parapheur/signature/certificates/crl-source.ts';
import { loadTrustAnchors } from '../src/parapheur/signature/certificates/trust-anchors.ts';
import { CertificateVerdictCache } from '../src/parapheur/signature/certificates/verify-certificate.ts';
import { Pkcs12KeySource } from '../src/parapheur/signature/pades/key-source.ts';
import { signPdf } from '../src/parapheur/signature/pades/sign-pdf.ts';
import { makeTestPdf } from '../src/parapheur/signature/pades/test-pdf.ts';

function argValue(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 1) throw new Error(`invalid ${name}`);
  return v;
}

function need(cmd: string, args: string[], pkg: string): string {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  if (res.error) throw new Error(`${cmd} not available (apt-get install -y ${pkg}): ${res.error.message}`);
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${res.stdout}${res.stderr}`);
  return res.stdout;
}

const perSecond = (count: number, ms: number): number => (count * 1000) / ms;
const fmt = (n: number): string => n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2);

export async function run(args: string[]): Promise<void> {
  const iterations = argValue(args, '--iterations', 30);
  const pdfsigIterations = argValue(args, '--pdfsig-iterations', 30);
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-bench-pades-'));
  const pki = await createTestPki(join(dir, 'pki'));
  try {
    const pdf = await makeTestPdf({ targetBytes: 1_000_000 });
    const pdfPath = join(dir, 'in.pdf');
    writeFileSync(pdfPath, pdf);
    const trustAnchors = loadTrustAnchors(pki.trustDir);
    const crlSource = new HttpCrlSource();
    const seal = await Pkcs12KeySource.fromFile(pki.seal.p12Path, pki.seal.p12Password);
    const options = { trustAnchors, crlSource, usage: 'seal' as const };
    console.log(`PAdES bench: ${(pdf.length / 1e6).toFixed(2)} MB PDF, PKCS#12 seal (RSA-2048), B-B, ${iterations} signatures`);

    // warm-up (JIT, CRL cache, certificate verdict)
    for (let i = 0; i < 5; i++) await signPdf(pdf, seal, options);

    // 1. ours
    let t = performance.now();
    let last: Uint8Array = pdf;
    for (let i = 0; i < iterations; i++) last = (await signPdf(pdf, seal, options)).pdf;
    const oursMs = performance.now() - t;
    const ours = perSecond(iterations, oursMs);
    writeFileSync(join(dir, 'ours.pdf'), last);

    // 1b. ours, batch mode: the cachet job's own verdict cache (seal signing many documents)
    const cached = { ...options, certificateCache: new CertificateVerdictCache(60_000) };
    await signPdf(pdf, seal, cached);
    t = performance.now();
    for (let i = 0; i < iterations; i++) await signPdf(pdf, seal, cached);
    const oursCachedMs = performance.now() - t;
    const oursCached = perSecond(iterations, oursCachedMs);

    // 1c. ours, certificate checked afresh for every signature (chain validation, CRL signature; CRL bytes cached)
    t = performance.now();
    for (let i = 0; i < iterations; i++) await signPdf(pdf, seal, { ...options, certificateCache: new CertificateVerdictCache() });
    const oursColdMs = performance.now() - t;
    const oursCold = perSecond(iterations, oursColdMs);

    // 2. limit: hash the same file + one RSA-2048 signature
    const limitIterations = Math.max(iterations * 5, 100);
    t = performance.now();
    for (let i = 0; i < limitIterations; i++) {
      const digest = createHash('sha256').update(pdf).digest();
      cryptoSign('sha256', digest, pki.seal.privateKey);
    }
    const limit = perSecond(limitIterations, performance.now() - t);

    // 3. poppler pdfsig -add-signature with the same key in an NSS database
    const nss = join(dir, 'nss');
    mkdirSync(nss);
    need('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password'], 'libnss3-tools');
    need('pk12util', ['-i', pki.seal.p12Path, '-d', `sql:${nss}`, '-W', pki.seal.p12Password, '-K', ''], 'libnss3-tools');
    const outPath = join(dir, 'pdfsig.pdf');
    need('pdfsig', ['-add-signature', '-nssdir', `sql:${nss}`, '-nick', 'seal', pdfPath, outPath], 'poppler-utils');
    t = performance.now();
    for (let i = 0; i < pdfsigIterations; i++) {
      execFileSync('pdfsig', ['-add-signature', '-nssdir', `sql:${nss}`, '-nick', 'seal', pdfPath, outPath], { stdio: 'ignore' });
    }
    const pdfsig = perSecond(pdfsigIterations, performance.now() - t);
    const check = need('pdfsig', ['-nssdir', `sql:${nss}`, join(dir, 'ours.pdf')], 'poppler-utils');
    if (!/Signature is Valid/.test(check)) throw new Error(`our benchmark output is not valid for pdfsig:\n${check}`);

    console.log('');
    console.log(`  ours (signPdf, defaults: verdict reused while the CRL is same) ${fmt(ours)} signatures/s  (${fmt(oursMs / iterations)} ms each)`);
    console.log(`  ours, the batch seal's own verdict cache                       ${fmt(oursCached)} signatures/s  (${fmt(oursCachedMs / iterations)} ms each)`);
    console.log(`  ours, certificate path + CRL checked afresh every signature    ${fmt(oursCold)} signatures/s  (${fmt(oursColdMs / iterations)} ms each)`);
    console.log(`  limit (SHA-256 of the file + 1 RSA-2048 signature)            ${fmt(limit)} ops/s        (${fmt(1000 / limit)} ms each)`);
    console.log(`  poppler pdfsig -add-signature (adbe.pkcs7, process each)       ${fmt(pdfsig)} signatures/s  (${fmt(1000 / pdfsig)} ms each)`);
    console.log('');
    console.log(`  ratio ours / limit   = ${(ours / limit).toFixed(3)}`);
    console.log(`  ratio ours / pdfsig  = ${(ours / pdfsig).toFixed(3)}`);
    console.log(`  ratio ours cached / limit  = ${(oursCached / limit).toFixed(3)}`);
    console.log(`  ratio ours cached / pdfsig = ${(oursCached / pdfsig).toFixed(3)}`);
    console.log(`  ratio ours cold / limit    = ${(oursCold / limit).toFixed(3)}`);
    console.log(`  ratio ours cold / pdfsig   = ${(oursCold / pdfsig).toFixed(3)}`);
  } finally {
    await pki.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
