/**
 * Test helpers: the simulator started as a separate process (real FTP between two processes), and PES_Aller
 * fixtures built from the accented Pastell sample (ISO-8859-1) with chosen SIRET, NomFic, bordereaux, PJ.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { repoRoot } from '../../shared/paths.ts';
import { generatePesAller } from '../../../test/support/xades-keys.ts';

/** Valid SIRET (Luhn key): the one the simulator knows, and one it does not. */
export const KNOWN_SIRET = '21060088800015';
export const UNKNOWN_SIRET = '21340172200011';

export interface RunningSim {
  port: number;
  root: string;
  child: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

export async function spawnHeliosSim(args: { knownSirets?: string[]; trustAnchorPaths?: string[]; root?: string; retourAuto?: boolean } = {}): Promise<RunningSim> {
  const root = args.root ?? mkdtempSync(join(tmpdir(), 'paraphe-helios-sim-'));
  const argv = ['--import', 'tsx', join(repoRoot, 'src/simulators/helios/run.ts'), 'helios', '--port', '0', '--root', root];
  for (const s of args.knownSirets ?? [KNOWN_SIRET]) argv.push('--known-siret', s);
  for (const p of args.trustAnchorPaths ?? []) argv.push('--trust-anchor', p);
  if (args.retourAuto) argv.push('--retour-auto');
  const child = spawn(process.execPath, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        output.push(line);
        if (line.startsWith('{"event":"listening"')) resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.stderr!.on('data', (d: Buffer) => output.push(d.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}) before listening:\n${output.join('\n')}`)));
  });
  return {
    port,
    root,
    child,
    output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface TestPesOptions {
  siret?: string;
  nomFic: string;
  /** IdBord of each bordereau (one pièce each). */
  idBords?: number[];
  /** IdUnique of each PJ added in PES_PJ. */
  pjs?: string[];
  /** InfoDematerialisee written in EnTeteDepense (the signer sets it to 1 itself). */
  demat?: boolean;
}

/** A schema-valid, rule-clean PES_Aller (ISO-8859-1, accents) ready to be signed. */
export function testPesAller(o: TestPesOptions): Buffer {
  const idBords = o.idBords ?? [1];
  let text = iconv.decode(generatePesAller(idBords.length, 1), 'latin1');
  text = text
    .replace(/<IdColl V="[0-9]+"\/>/, `<IdColl V="${o.siret ?? KNOWN_SIRET}"/>`)
    .replace(/<NomFic V="[^"]*"\/>/, `<NomFic V="${o.nomFic}"/>`)
    .replace(/<InfoDematerialisee V="[01]"\/>/, `<InfoDematerialisee V="${o.demat ? 1 : 0}"/>`)
    // one pièce per bordereau: the bordereau total is that pièce's lines
    .replace(/<MtBordHT V="75724.75"\/>/g, '<MtBordHT V="39724.75"/>');
  let n = 0;
  text = text.replace(/<IdBord V="[0-9]+"\/>/g, () => `<IdBord V="${idBords[n++]}"/>`);
  const pjs = (o.pjs ?? [])
    .map((id, i) => {
      const content = gzipSync(Buffer.from(`%PDF-1.4\n% pièce justificative ${id}\n%%EOF\n`, 'latin1')).toString('base64');
      return `<PJ><Contenu><Fichier MIMEType="application/pdf">${content}</Fichier></Contenu><IdUnique V="${id}"/><NomPJ V="facture${i + 1}.pdf"/><TypePJ V="003"/><Description V="Facture de la pièce"/></PJ>\n`;
    })
    .join('');
  text = text.replace('</EnTetePES_PJ>', `</EnTetePES_PJ>\n${pjs}`);
  return iconv.encode(text, 'latin1');
}
