/**
 * `node --import tsx bench/index.ts pes [--mb 50] [--keep] [--file PES_Aller.xml] [--whole]`
 * Generates a PES_Aller of about 50 MB (ISO-8859-1, accents, thousands of pièces, some PJ), then measures
 * (a) our validation (XSD windows + business rules, and XSD alone) beside `xmllint --stream --schema` on
 * the same file, with peak RSS of each process (GNU time), and (b) the readable view. Goals: validation
 * within 1.5x of xmllint, peak memory under 4x the file size.
 * Two ways of running our code are measured: the shipped command (`node bin/paraphe.mjs pes validate|view`,
 * which loads the esbuild bundle, rebuilt first so that it is current), the way users run it, and a child
 * of this benchmark through tsx (with the in-process time, start-up excluded). CPU time (user + system, all
 * threads) is printed beside wall time: on a loaded machine it is the steadier figure. The exact path
 * alone (what a file with XSD findings takes, and every file took before the fast path) is measured too.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import iconv from 'iconv-lite';
import { pesSchemaPath } from '../src/helios/pes/config.ts';
import { repoRoot } from '../src/shared/paths.ts';

const GNU_TIME = '/usr/bin/time';

function lineXml(i: number, ht: string, tva: string): string {
  return `<LigneDePiece>
<BlocLignePiece>
<InfoLignePce><IdLigne V="${i}"/><Nature V="60628"/><Fonction V="64"/><LibVir1 V="Fourniture d'équipements n°${i}"/><ModRegl V="03"/><TVAIntraCom V="0"/><MtHT V="${ht}"/><MtTVA V="${tva}"/></InfoLignePce>
</BlocLignePiece>
<Tiers>
<InfoTiers><IdTiers V="37909534200018"/><NatIdTiers V="01"/><RefTiers V="4078"/><CatTiers V="50"/><NatJur V="03"/><Nom V="SOCIÉTÉ DES ÉTABLISSEMENTS GÉNÉRAUX"/><ComplNom V="Agence de Château-Thierry"/></InfoTiers>
<Adresse><TypAdr V="1"/><Adr2 V="ZI LA LANDE DU MOULIN"/><CP V="56803"/><Ville V="PLOËRMEL"/><CodRes V="0"/></Adresse>
<CpteBancaire><BIC V="SOGEFRPPXXX"/><IBAN V="FR7630003017020002010412521"/><TitCpte V="SOCIÉTÉ DES ÉTABLISSEMENTS"/></CpteBancaire>
</Tiers>
</LigneDePiece>
`;
}

function pieceXml(id: number): string {
  return `<Piece>
<BlocPiece>
<InfoPce><IdPce V="${id}"/><TypPce V="01"/><NatPce V="01"/><Obj V="Facture n° ${id} — entretien des bâtiments communaux"/></InfoPce>
</BlocPiece>
${lineXml(1, '100.50', '20.10')}${lineXml(2, '19.50', '3.90')}</Piece>
`;
}

/** Writes the PES; returns its size. Amounts per pièce: HT 120.00, TVA 24.00. */
async function generate(path: string, targetBytes: number): Promise<{ bytes: number; pieces: number; bordereaux: number; pjs: number }> {
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (s: string) => {
    const b = iconv.encode(s, 'latin1');
    bytes += b.length;
    if (!out.write(b)) await once(out, 'drain');
  };
  await write(`<?xml version="1.0" encoding="ISO-8859-1"?>
<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller">
<Enveloppe><Parametres><Version V="2"/><TypFic V="PESALR2"/><NomFic V="PESALR2_24310063300011_bench_001"/></Parametres><Emetteur><Sigle V="Paraphe bench"/><Adresse V="Paraphe 0.1"/></Emetteur></Enveloppe>
<EnTetePES><DteStr V="2024-03-01"/><IdPost V="031007"/><IdColl V="24310063300011"/><CodCol V="100"/><CodBud V="00"/><LibelleColBud V="Commune de Fléville"/></EnTetePES>
<PES_DepenseAller>
<EnTeteDepense><IdVer V="2"/><InfoDematerialisee V="0"/></EnTeteDepense>
`);
  const pjBudget = Math.round(targetBytes * 0.15);
  const perBord = 500;
  const pieceSize = Buffer.byteLength(pieceXml(1));
  const totalPieces = Math.max(1, Math.floor((targetBytes - pjBudget) / pieceSize));
  let pieceId = 1;
  let bordereaux = 0;
  while (pieceId <= totalPieces) {
    const n = Math.min(perBord, totalPieces - pieceId + 1);
    bordereaux++;
    const ht = (120 * n).toFixed(2);
    const tva = (24 * n).toFixed(2);
    let s = `<Bordereau Id="BORD${bordereaux}">
<BlocBordereau><Exer V="2024"/><IdBord V="${bordereaux}"/><DteBordEm V="2024-02-28"/><TypBord V="01"/><NbrPce V="${n}"/><MtCumulAnnuel V="${(120 * pieceId + 120 * n).toFixed(2)}"/><MtBordHT V="${ht}"/><MtBordTVA V="${tva}"/></BlocBordereau>
`;
    for (let k = 0; k < n; k++) s += pieceXml(pieceId++);
    s += '</Bordereau>\n';
    await write(s);
  }
  await write('</PES_DepenseAller>\n<PES_PJ>\n<EnTetePES_PJ><IdVer V="1"/></EnTetePES_PJ>\n');
  let pjs = 0;
  while (bytes < targetBytes - 200) {
    pjs++;
    // half random (incompressible), half text: a realistic PDF-like ratio
    const raw = Buffer.concat([randomBytes(150_000), Buffer.from('BT /F1 12 Tf (Facture) Tj ET\n'.repeat(5000))]);
    const b64 = gzipSync(raw).toString('base64').replace(/.{76}/g, '$&\n');
    await write(`<PJ><Contenu><Fichier MIMEType="application/pdf">${b64}</Fichier></Contenu><IdUnique V="24310063300011DEP2024${String(pjs).padStart(6, '0')}"/><NomPJ V="facture_${pjs}.pdf"/><TypePJ V="003"/><Description V="Facture numérisée n° ${pjs}"/></PJ>\n`);
  }
  await write('</PES_PJ>\n</n:PES_Aller>\n');
  out.end();
  await once(out, 'finish');
  return { bytes, pieces: totalPieces, bordereaux, pjs };
}

/** Rebuilds the esbuild bundle that bin/paraphe.mjs loads (it falls back to tsx when the bundle is stale). */
export function buildBundle(): boolean {
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts/build-bundle.mjs')], { encoding: 'utf8' });
  return r.status === 0 && existsSync(join(repoRoot, '.cache/bundle/paraphe.mjs'));
}

interface Measure {
  wallS: number;
  /** user + system CPU seconds of the process (all threads) */
  cpuS: number;
  rssMb: number;
  inProcS?: number;
  out: string;
  status: number | null;
}

function timed(cmd: string, args: string[]): Measure {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(GNU_TIME, ['-f', 'TIME %e %M %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing from ${cmd}: ${r.stderr.slice(-500)}`);
  const inProc = /INPROC ([\d.]+)/.exec(r.stdout);
  return { wallS, cpuS: Number(m[3]) + Number(m[4]), rssMb: Number(m[2]) / 1024, inProcS: inProc ? Number(inProc[1]) : undefined, out: r.stdout + r.stderr.replace(/TIME .*\n?$/, ''), status: r.status };
}

/** Child mode: one measured operation in a fresh process. */
async function child(mode: string, file: string): Promise<void> {
  const t0 = process.hrtime.bigint();
  if (mode === 'validate' || mode === 'xsd' || mode === 'exact') {
    const { validatePesAller } = await import('../src/helios/pes/validate.ts');
    const r = await validatePesAller(file, {}, { xsdOnly: mode === 'xsd', exactOnly: mode === 'exact' });
    console.log(`RESULT valid=${r.valid} xsd=${r.xsdValid} errors=${r.errorCount} batches=${r.stats.xsdBatches} largestBatch=${r.stats.largestXsdBatchChars} ${r.stats.fastPath ? 'fast path' : `exact path${r.stats.fastPathGaveUp ? ` (fast path gave up: ${r.stats.fastPathGaveUp})` : ''}`}`);
    for (const e of r.errors.slice(0, 3)) console.log(`  ${e.placeFr}: ${e.messageFr}`);
  } else if (mode === 'view') {
    const { readPesView } = await import('../src/helios/pes/view.ts');
    let n = 0;
    const v = await readPesView(file, {}, { handlers: { onBordereau: () => void n++, onPj: () => undefined } });
    console.log(`RESULT bordereaux=${n} pieces=${v.totaux.pieces} pjs=${v.totaux.pjs}`);
  } else if (mode === 'whole') {
    // reference: the shared whole-document validation (libxml2-wasm tree of the full file)
    const { readFileSync } = await import('node:fs');
    const { validateAgainstXsd } = await import('../src/shared/xml/xsd.ts');
    const r = validateAgainstXsd(readFileSync(file), pesSchemaPath('5.17', 'aller'));
    console.log(`RESULT valid=${r.valid}`);
  }
  console.log(`INPROC ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(3)}`);
}

export async function run(args: string[]): Promise<void> {
  if (args[0] === '--child') return child(args[1]!, args[2]!);
  if (!existsSync(GNU_TIME)) throw new Error('GNU time (/usr/bin/time, Debian package "time") is required for peak memory figures');
  const which = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
  if (which.status !== 0) throw new Error('xmllint is required (Debian package libxml2-utils)');
  const mbIdx = args.indexOf('--mb');
  const targetMb = mbIdx >= 0 ? Number(args[mbIdx + 1]) : 50;
  // --file PATH: measure a file kept by an earlier run (--keep) instead of generating one
  const fileIdx = args.indexOf('--file');
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-bench-pes-'));
  const file = fileIdx >= 0 ? args[fileIdx + 1]! : join(dir, 'PESALR2_bench.xml');
  try {
    const sizeMb0 = fileIdx >= 0 ? statSync(file).size / 1024 / 1024 : 0;
    if (fileIdx < 0) {
      const g = await generate(file, targetMb * 1024 * 1024);
      console.log(`generated ${(statSync(file).size / 1024 / 1024).toFixed(1)} MB: ${g.bordereaux} bordereaux, ${g.pieces} pièces (2 lignes each), ${g.pjs} PJ`);
    } else console.log(`file ${file}: ${sizeMb0.toFixed(1)} MB`);
    const sizeMb = statSync(file).size / 1024 / 1024;
    const schema = pesSchemaPath('5.17', 'aller');
    const self = [...process.execArgv, process.argv[1]!, 'pes', '--child'];
    const bundled = buildBundle();
    const cli = join(repoRoot, 'bin/paraphe.mjs');
    // xmllint and the shipped commands: three rounds, one after the other, and the median run of each (a
    // single run after writing 50 MB varied by a third on this machine)
    const runs: Record<'xl' | 'shipped' | 'shippedView', Measure[]> = { xl: [], shipped: [], shippedView: [] };
    for (let round = 0; round < 3; round++) {
      runs.xl.push(timed('xmllint', ['--noout', '--stream', '--schema', schema, file]));
      runs.shipped.push(timed(process.execPath, [cli, 'pes', 'validate', file]));
      runs.shippedView.push(timed(process.execPath, [cli, 'pes', 'view', file]));
    }
    const medianRun = (ms: Measure[]): Measure => [...ms].sort((a, b) => a.wallS - b.wallS)[1]!;
    const xl = medianRun(runs.xl);
    const xlOk = /validates/.test(xl.out);
    const shipped = medianRun(runs.shipped);
    const shippedView = medianRun(runs.shippedView);
    const ours = timed(process.execPath, [...self, 'validate', file]);
    const oursXsd = timed(process.execPath, [...self, 'xsd', file]);
    // the exact path alone (xsd-stream.ts scanner + saxes rules): what every file took before the fast path
    const oursExact = timed(process.execPath, [...self, 'exact', file]);
    const view = timed(process.execPath, [...self, 'view', file]);
    const node0 = timed(process.execPath, ['-e', '0']);
    const cli0 = timed(process.execPath, [cli, 'pes', '--help']);
    const fmt = (m: Measure) =>
      `wall ${m.wallS.toFixed(2)} s, CPU ${m.cpuS.toFixed(2)} s${m.inProcS !== undefined ? ` (in-process ${m.inProcS.toFixed(2)} s)` : ''}, peak RSS ${m.rssMb.toFixed(0)} MB`;
    const firstLine = (m: Measure) => m.out.split('\n').find((l) => l.trim() !== '')?.slice(0, 120) ?? '';
    console.log(`xmllint --stream --schema     : ${fmt(xl)} -> ${xlOk ? 'valid' : 'INVALID'}`);
    console.log(`paraphe pes validate (shipped): ${fmt(shipped)} -> exit ${shipped.status}: ${firstLine(shipped)}`);
    console.log(`paraphe pes view (shipped)    : ${fmt(shippedView)} -> exit ${shippedView.status}`);
    console.log(`ours validate (XSD+rules, tsx): ${fmt(ours)} -> ${/RESULT (.*)/.exec(ours.out)?.[1] ?? ours.out}`);
    console.log(`ours XSD only (tsx)           : ${fmt(oursXsd)} -> ${/RESULT (.*)/.exec(oursXsd.out)?.[1] ?? ''}`);
    console.log(`ours validate, exact path only: ${fmt(oursExact)} -> ${/RESULT (.*)/.exec(oursExact.out)?.[1] ?? ''}`);
    console.log(`ours readable view (tsx)      : ${fmt(view)} -> ${/RESULT (.*)/.exec(view.out)?.[1] ?? ''}`);
    console.log(`(bare node start-up: ${fmt(node0)})`);
    console.log(`(paraphe pes --help start-up: ${fmt(cli0)}${bundled ? '' : ' — NO BUNDLE, sources through tsx'})`);
    console.log('ratios:');
    console.log(`  shipped validate time / xmllint: ${(shipped.wallS / xl.wallS).toFixed(2)} (wall), ${(shipped.cpuS / xl.cpuS).toFixed(2)} (CPU)  goal <= 1.5`);
    console.log(`  validation time / xmllint      : ${(ours.wallS / xl.wallS).toFixed(2)} (wall), ${((ours.inProcS ?? 0) / xl.wallS).toFixed(2)} (in-process)  goal <= 1.5`);
    console.log(`  XSD-only time / xmllint        : ${(oursXsd.wallS / xl.wallS).toFixed(2)} (wall), ${((oursXsd.inProcS ?? 0) / xl.wallS).toFixed(2)} (in-process)`);
    console.log(`  exact-path time / xmllint      : ${(oursExact.wallS / xl.wallS).toFixed(2)} (wall), ${(oursExact.cpuS / xl.cpuS).toFixed(2)} (CPU)`);
    console.log(`  shipped validate RSS / file    : ${(shipped.rssMb / sizeMb).toFixed(2)}  goal < 4   (xmllint: ${(xl.rssMb / sizeMb).toFixed(2)})`);
    console.log(`  shipped view RSS / file        : ${(shippedView.rssMb / sizeMb).toFixed(2)}  goal < 4`);
    console.log(`  validation peak RSS / file size: ${(ours.rssMb / sizeMb).toFixed(2)}  goal < 4`);
    console.log(`  view peak RSS / file size      : ${(view.rssMb / sizeMb).toFixed(2)}  goal < 4`);
    if (args.includes('--whole')) {
      const whole = timed(process.execPath, [...self, 'whole', file]);
      console.log(`reference, whole-document libxml2-wasm (src/shared/xml/xsd.ts): ${fmt(whole)} -> ${/RESULT (.*)/.exec(whole.out)?.[1] ?? whole.out.slice(0, 300)}`);
      console.log(`  whole-document peak RSS / file size: ${(whole.rssMb / sizeMb).toFixed(2)}`);
    }
  } finally {
    if (!args.includes('--keep') || fileIdx >= 0) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${file}`);
  }
}
