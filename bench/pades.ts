/**
 * PAdES signing throughput on a generated ~1 MB PDF with the PKCS#12 seal, printed beside
 *  - the limit measured in the same run: SHA-256 of the same file + one RSA-2048 signature (node:crypto);
 *  - poppler's `pdfsig -add-signature` (adbe.pkcs7.detached: poppler 22.12 refuses -etsi with -add-signature) (NSS database holding the same key) on the same file
 *    (one process per signature, as it is used from the command line).
 * Usage: node --import tsx bench/index.ts pades [--iterations N] [--rounds N] [--pdfsig-iterations N]
 * Needs openssl, poppler-utils, libnss3-tools.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, sign as cryptoSign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki } from '../test/support/pki.ts';
import { HttpCrlSource } from '../src/parapheur/signature/certificates/crl-source.ts';
import { loadTrustAnchors } from '../src/parapheur/signature/certificates/trust-anchors.ts';
import { CertificateVerdictCache } from '../src/parapheur/signature/certificates/verify-certificate.ts';
import { Pkcs12KeySource } from '../src/parapheur/signature/pades/key-source.ts';
import { signPdf, type PadesSignResult } from '../src/parapheur/signature/pades/sign-pdf.ts';
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

interface Measure {
  /** Per operation. */
  wallMs: number;
  cpuMs: number;
}

async function measure(n: number, fn: () => Promise<void>): Promise<Measure> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn();
  const wallMs = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { wallMs: wallMs / n, cpuMs: (used.user + used.system) / 1000 / n };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** CPU time of the waited-for child processes (user + system), from /proc/self/stat (Linux). */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields from the 3rd of proc(5): cutime and cstime are the 16th and 17th
  const ticks = Number(fields[13]) + Number(fields[14]);
  const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return (ticks * 1000) / hz;
}

const fmt = (n: number): string => n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2);

export async function run(args: string[]): Promise<void> {
  const iterations = argValue(args, '--iterations', 200);
  const rounds = argValue(args, '--rounds', 5);
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
    console.log(`PAdES bench: ${(pdf.length / 1e6).toFixed(2)} MB PDF, PKCS#12 seal (RSA-2048), B-B`);

    // warm-up (JIT, CRL cache, certificate verdict)
    for (let i = 0; i < 5; i++) await signPdf(pdf, seal, options);
    // The signed file comes back as parts (the input untouched, then the update), which storage writes one
    // after the other: joined once, for the pdfsig check, outside the measure.
    let last: PadesSignResult | undefined;
    const cached = { ...options, certificateCache: new CertificateVerdictCache(60_000) };
    await signPdf(pdf, seal, cached);

    // Interleaved rounds: ours, ours with the batch cache and the limit run one after the other in each round,
    // so that the load of a shared machine weighs on all three alike; the ratios are taken within each round
    // and their median is printed. Single thread: everything runs on the main thread, one signature at a time.
    // CPU time is the process's (all its threads, GC included), wall time the elapsed time.
    const limitOp = (): void => {
      const digest = createHash('sha256').update(pdf).digest();
      cryptoSign('sha256', digest, pki.seal.privateKey);
    };
    const ours: Measure[] = [];
    const oursCached: Measure[] = [];
    const limits: Measure[] = [];
    for (let r = 0; r < rounds; r++) {
      ours.push(await measure(iterations, async () => { last = await signPdf(pdf, seal, options); }));
      oursCached.push(await measure(iterations, async () => { await signPdf(pdf, seal, cached); }));
      limits.push(await measure(iterations, async () => limitOp()));
    }
    writeFileSync(join(dir, 'ours.pdf'), last!.pdf);

    // ours, certificate checked afresh for every signature (chain validation, CRL signature; CRL bytes cached)
    const oursCold = await measure(Math.max(5, Math.ceil(iterations / 3)), async () => {
      await signPdf(pdf, seal, { ...options, certificateCache: new CertificateVerdictCache() });
    });

    // poppler pdfsig -add-signature with the same key in an NSS database (its CPU time: the children's, from /proc)
    const nss = join(dir, 'nss');
    mkdirSync(nss);
    need('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password'], 'libnss3-tools');
    need('pk12util', ['-i', pki.seal.p12Path, '-d', `sql:${nss}`, '-W', pki.seal.p12Password, '-K', ''], 'libnss3-tools');
    const outPath = join(dir, 'pdfsig.pdf');
    need('pdfsig', ['-add-signature', '-nssdir', `sql:${nss}`, '-nick', 'seal', pdfPath, outPath], 'poppler-utils');
    const childCpu0 = childrenCpuMs();
    const t = performance.now();
    for (let i = 0; i < pdfsigIterations; i++) {
      execFileSync('pdfsig', ['-add-signature', '-nssdir', `sql:${nss}`, '-nick', 'seal', pdfPath, outPath], { stdio: 'ignore' });
    }
    const pdfsig: Measure = { wallMs: (performance.now() - t) / pdfsigIterations, cpuMs: (childrenCpuMs() - childCpu0) / pdfsigIterations };
    const check = need('pdfsig', ['-nssdir', `sql:${nss}`, join(dir, 'ours.pdf')], 'poppler-utils');
    if (!/Signature is Valid/.test(check)) throw new Error(`our benchmark output is not valid for pdfsig:\n${check}`);

    const m = (xs: Measure[]): Measure => ({ wallMs: median(xs.map((x) => x.wallMs)), cpuMs: median(xs.map((x) => x.cpuMs)) });
    const line = (label: string, x: Measure, unit = 'signatures/s'): string =>
      `  ${label.padEnd(62)} ${fmt(1000 / x.wallMs).padStart(6)} ${unit.padEnd(13)} (${fmt(x.wallMs)} ms wall, ${fmt(x.cpuMs)} ms CPU each)`;
    const ratio = (a: Measure[], b: Measure[], k: keyof Measure): string => median(a.map((x, i) => b[i]![k] / x[k])).toFixed(3);
    console.log('');
    console.log(`  ${rounds} interleaved rounds of ${iterations}; medians; single thread`);
    console.log(line('ours (signPdf, defaults: verdict reused while the CRL is same)', m(ours)));
    console.log(line('ours, the batch seal\'s own verdict cache', m(oursCached)));
    console.log(line('ours, certificate path + CRL checked afresh every signature', oursCold));
    console.log(line('limit (SHA-256 of the file + 1 RSA-2048 signature)', m(limits), 'ops/s'));
    console.log(line('poppler pdfsig -add-signature (adbe.pkcs7, process each)', pdfsig));
    console.log('');
    console.log(`  ratio ours / limit         = ${ratio(ours, limits, 'wallMs')} wall, ${ratio(ours, limits, 'cpuMs')} CPU   (goal: >= 0.5)`);
    console.log(`  ratio ours cached / limit  = ${ratio(oursCached, limits, 'wallMs')} wall, ${ratio(oursCached, limits, 'cpuMs')} CPU`);
    console.log(`  ratio ours cold / limit    = ${(m(limits).wallMs / oursCold.wallMs).toFixed(3)} wall, ${(m(limits).cpuMs / oursCold.cpuMs).toFixed(3)} CPU`);
    console.log(`  ratio ours / pdfsig        = ${(pdfsig.wallMs / m(ours).wallMs).toFixed(3)} wall, ${(pdfsig.cpuMs / m(ours).cpuMs).toFixed(3)} CPU   (goal: > 1)`);
    console.log(`  ratio ours cached / pdfsig = ${(pdfsig.wallMs / m(oursCached).wallMs).toFixed(3)} wall`);
    console.log(`  ratio ours cold / pdfsig   = ${(pdfsig.wallMs / oursCold.wallMs).toFixed(3)} wall`);
  } finally {
    await pki.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
