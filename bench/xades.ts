/**
 * `node --import tsx bench/index.ts xades [sizeMB=50]`: signs a generated PES_Aller (unsigned, valid
 * structure, built from the accented Pastell sample: many bordereaux of 50 pièces) with our code and, in the
 * same run, signs the same file with `xmlsec1 --sign` using a template with one equivalent signature (one
 * enveloped exc-c14n rsa-sha256 reference over the whole PES_Aller, i.e. the same bytes canonicalized and
 * hashed as our per-bordereau references). Both run as child processes measured the same way (wall time,
 * peak RSS and CPU time through getrusage of the child), and the figures are printed with ratios. The shipped
 * command (`node bin/paraphe.mjs pes sign`, through the bundle) is measured too: that is what users run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePesAller, xadesTestKeys } from '../test/support/xades-keys.ts';
import { KeySigner, signPesParts, verifyPesSignatures } from '../src/parapheur/signature/xades/index.ts';
import { repoRoot } from '../src/shared/paths.ts';
import { buildBundle } from './pes.ts';

const MEASURE = `
import resource, subprocess, sys, time
t = time.monotonic()
r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
wall = time.monotonic() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(r.stderr.decode(errors="replace")[-2000:])
print(f"{r.returncode} {wall:.3f} {ru.ru_maxrss} {ru.ru_utime + ru.ru_stime:.3f}")
`;

interface Measure {
  seconds: number;
  /** user + system CPU seconds (all threads) */
  cpuSeconds: number;
  peakRssMB: number;
  detail: string;
}

function measure(cmd: string[]): Measure {
  const r = spawnSync('python3', ['-c', MEASURE, ...cmd], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error) throw new Error(`python3 is needed to measure child processes: ${r.error.message}`);
  const [rc, wall, rss, cpu] = r.stdout.trim().split('\n').pop()!.split(' ');
  if (rc !== '0') throw new Error(`${cmd.join(' ')} failed (${rc}): ${r.stderr}`);
  return { seconds: Number(wall), cpuSeconds: Number(cpu), peakRssMB: Number(rss) / 1024, detail: r.stderr.trim() };
}

/** Child mode: sign with our code, print in-process timing. */
async function child(input: string, output: string, certPath: string, keyPath: string): Promise<void> {
  const t0 = process.hrtime.bigint();
  const signer = new KeySigner(readFileSync(certPath, 'utf8'), readFileSync(keyPath, 'utf8'));
  const parts = await signPesParts(readFileSync(input), signer, { role: 'Ordonnateur', city: 'Montpellier', postalCode: '34000', countryName: 'FR' });
  const { open } = await import('node:fs/promises');
  const fh = await open(output, 'w');
  for (let i = 0; i < parts.length; i += 512) await fh.writev(parts.slice(i, i + 512));
  await fh.close();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.error(`in-process signing ${ms.toFixed(0)} ms, ${parts.length} chunks, maxRSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

function xmlsecTemplate(pes: Buffer): Buffer {
  const text = pes.toString('latin1');
  const id = /<n:PES_Aller[^>]*\sId="([^"]+)"/.exec(text)?.[1];
  if (!id) throw new Error('generated PES has no PES_Aller Id');
  const sig =
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>' +
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>' +
    `<ds:Reference URI="#${id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
    '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>' +
    '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>' +
    '<ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature>';
  const end = text.lastIndexOf('</n:PES_Aller>');
  return Buffer.from(text.slice(0, end) + sig + text.slice(end), 'latin1');
}

export async function run(args: string[]): Promise<void> {
  if (args[0] === '--child') return child(args[1]!, args[2]!, args[3]!, args[4]!);
  const targetMB = Number(args[0] ?? 50);
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-bench-xades-'));
  const keys = xadesTestKeys();
  const perBordereau = generatePesAller(1, 50).length;
  const count = Math.max(1, Math.round((targetMB * 1e6) / perBordereau));
  const pes = generatePesAller(count, 50);
  const input = join(dir, 'pes.xml');
  writeFileSync(input, pes);
  const template = join(dir, 'template.xml');
  writeFileSync(template, xmlsecTemplate(pes));
  const sizeMB = statSync(input).size / 1e6;
  console.log(`PES_Aller: ${sizeMB.toFixed(1)} MB, ${count} bordereaux × 50 pièces (ISO-8859-1, accented)`);

  const oursOut = join(dir, 'ours.xml');
  const xmlsecOut = join(dir, 'xmlsec.xml');
  const nodeBaseline = measure([process.execPath, '--import', 'tsx', '-e', '0']);
  // the shipped command, as users run it (bin/paraphe.mjs loads the bundle, rebuilt first so that it is current)
  const bundled = buildBundle();
  const cli = join(repoRoot, 'bin/paraphe.mjs');
  const shippedOut = join(dir, 'shipped.xml');
  const cliBaseline = measure([process.execPath, cli, 'pes', '--help']);
  const shipped = measure([process.execPath, cli, 'pes', 'sign', '--in', input, '--out', shippedOut, '--p12', keys.p12Path, '--pass', keys.p12Password,
    '--role', 'Ordonnateur', '--city', 'Montpellier', '--postal-code', '34000']);
  const ours = measure([process.execPath, '--import', 'tsx', join(repoRoot, 'bench/index.ts'), 'xades', '--child', input, oursOut, keys.signerCertPath, keys.signerKeyPath]);
  const xmlsec = measure(['xmlsec1', '--sign', '--privkey-pem', `${keys.signerKeyPath},${keys.signerCertPath}`,
    '--id-attr:Id', 'http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller:PES_Aller', '--output', xmlsecOut, template]);

  const check = verifyPesSignatures(readFileSync(oursOut));
  console.log(`our output: ${check.signatures.length} signatures, all valid: ${check.valid}`);
  // the full check (xml-crypto) takes minutes on 50 MB: done once above; here the signatures are counted
  const shippedSignatures = readFileSync(shippedOut, 'latin1').split('<ds:SignatureValue ').length - 1;
  console.log(`shipped command's output: ${shippedSignatures} signatures${bundled ? '' : ' (NO BUNDLE: sources through tsx)'}`);
  const row = (name: string, m: Measure) =>
    console.log(`${name.padEnd(28)} ${m.seconds.toFixed(2).padStart(7)} s  CPU ${m.cpuSeconds.toFixed(2).padStart(6)} s  peak RSS ${m.peakRssMB.toFixed(0).padStart(5)} MB  (${(m.peakRssMB / sizeMB).toFixed(2)}× file)`);
  row('node + tsx start-up only', nodeBaseline);
  row('paraphe pes --help start-up', cliBaseline);
  row('paraphe pes sign (shipped)', shipped);
  row('paraphe signPes (child)', ours);
  row('xmlsec1 --sign (1 sig)', xmlsec);
  console.log(`  ${ours.detail}`);
  console.log(`ratio time shipped pes sign/xmlsec1: ${(shipped.seconds / xmlsec.seconds).toFixed(2)} (goal ≤ 1.5), CPU ${(shipped.cpuSeconds / xmlsec.cpuSeconds).toFixed(2)}; peak RSS / file size ${(shipped.peakRssMB / sizeMB).toFixed(2)} (goal < 4)`);
  console.log(`ratio time ours/xmlsec1: ${(ours.seconds / xmlsec.seconds).toFixed(2)} (goal ≤ 1.5); without node start-up: ${((ours.seconds - nodeBaseline.seconds) / xmlsec.seconds).toFixed(2)}`);
  console.log(`ratio peak RSS / file size: ours ${(ours.peakRssMB / sizeMB).toFixed(2)} (goal < 4), xmlsec1 ${(xmlsec.peakRssMB / sizeMB).toFixed(2)}`);
}
