/**
 * Télétransmission demo data: for each demo collectivité the préfecture's classification (bundled
 * RetourClassification, the one the simulator serves), and once the simulators run — through the normal
 * use cases and dossier actions, so that the background jobs do the sending — one acte transmitted to the
 * préfecture simulator and one signed PES_Aller transmitted to the Hélios simulator. A new user sees them
 * reach "Acquittement reçu" within seconds of the start.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import iconv from 'iconv-lite';
import PDFDocument from 'pdfkit';
import type { Deps } from '../app/deps.ts';
import type { Actor } from '../identity/principal.ts';
import { importClassification } from '../actes/use-cases/import-classification.ts';
import { createActe } from '../actes/use-cases/create-acte.ts';
import { parisDate } from '../actes/archive/build.ts';
import { addDocument } from '../documents/add-document.ts';
import { runDossierAction } from '../dossiers/run-dossier-action.ts';
import { deposerPes } from '../helios/use-cases/deposer-pes.ts';
import { heliosPorts } from '../helios/install.ts';
import { KeySigner, signPes } from '../parapheur/signature/xades/index.ts';
import { repoRoot } from '../shared/paths.ts';
import { DEMO_CLASSIFICATION } from './demo-simulators.ts';

const PES_TEMPLATE = join(repoRoot, 'src/demo/fixtures/pes-aller-demo.xml');

export interface DemoCollectivite {
  id: string;
  name: string;
  slug: string;
  siret: string;
  /** The agent who creates and sends (journal author). */
  agentUserId: string;
}

function demoPdf(title: string, lines: string[]): Promise<Buffer> {
  const doc = new PDFDocument({ info: { Title: title } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((ok, ko) => {
    doc.on('end', () => ok(Buffer.concat(chunks)));
    doc.on('error', ko);
  });
  doc.fontSize(16).text(title);
  doc.moveDown();
  for (const l of lines) doc.fontSize(11).text(l).moveDown(0.5);
  doc.end();
  return done;
}

/** The bundled PES_Aller with this collectivité's SIRET, a unique NomFic and today's dates. */
export function demoPesAller(siret: string, nomFic: string, today: string): Buffer {
  const text = iconv
    .decode(readFileSync(PES_TEMPLATE), 'latin1')
    .replace(/<NomFic V="[^"]*"\/>/, `<NomFic V="${nomFic}"/>`)
    .replace(/<IdColl V="[0-9]+"\/>/, `<IdColl V="${siret}"/>`)
    .replace(/<DteStr V="[^"]*"\/>/, `<DteStr V="${today}"/>`)
    .replace(/<IdBord V="[0-9]+"\/>/, '<IdBord V="1"/>')
    // One pièce in the bordereau: its total is that pièce's line.
    .replace('<MtBordHT V="75724.75"/>', '<MtBordHT V="39724.75"/>');
  return iconv.encode(text, 'latin1');
}

/** The préfecture's classification for each demo collectivité, so that the acte form works at once. */
export async function importDemoClassifications(deps: Deps, actor: Actor, collectiviteIds: string[]): Promise<void> {
  const classification = readFileSync(DEMO_CLASSIFICATION);
  for (const id of collectiviteIds) await importClassification(deps, actor, id, classification);
}

/** One acte and one signed PES per collectivité, transmitted in the background (needs the simulators). */
export async function seedTeletransmissionDemo(deps: Deps, actor: Actor, cols: DemoCollectivite[]): Promise<{ actes: string[]; pes: string[] }> {
  const today = parisDate(deps.clock.now());
  const out = { actes: [] as string[], pes: [] as string[] };
  for (const [i, c] of cols.entries()) {
    const agent: Actor = { ...actor, userId: c.agentUserId };
    const who = { kind: 'user' as const, role: 'agent' as const, permissions: new Set(['dossier:act', 'dossier:write']) };

    const acte = await createActe(deps, agent, c.id, {
      metadata: {
        nature: 'DE',
        classification: '7.1',
        numeroInterne: `DEMO_${today.slice(0, 4)}_${String(i + 1).padStart(3, '0')}`,
        dateDecision: today,
        objet: 'Tarifs de la restauration scolaire (démonstration)',
        documentPapier: false,
        typologieActe: '99_DE',
        typologieAnnexes: [],
      },
    });
    const pdf = await demoPdf(`${c.name} — délibération`, ['Objet : tarifs de la restauration scolaire.', 'Le conseil, après en avoir délibéré, fixe les tarifs ci-dessous.', 'Acte de démonstration : transmis au simulateur de préfecture de Paraphe.']);
    await addDocument(deps, agent, c.id, acte.id, { role: 'principal', filename: 'deliberation-tarifs.pdf', stream: Readable.from([pdf]) });
    await runDossierAction(deps, agent, who, c.id, acte.id, 'transmettre');
    out.actes.push(acte.id);

    // The PES is signed per bordereau with the collectivité's demo seal (made by the parapheur demo).
    const pki = resolve(join(deps.config.dataDir, 'demo-pki'));
    const signer = new KeySigner(readFileSync(join(pki, `cachet-${c.slug}.pem`)), readFileSync(join(pki, `cachet-${c.slug}.key`), 'utf8'));
    const nomFic = `DEMO-${c.siret}-${today.replaceAll('-', '')}-1`;
    const signed = await signPes(demoPesAller(c.siret, nomFic, today), signer, { role: 'Ordonnateur', city: c.name, countryName: 'France', infoDematerialisee: 'set' });
    const dir = mkdtempSync(join(tmpdir(), 'paraphe-demo-pes-'));
    try {
      const path = join(dir, 'pes.xml');
      writeFileSync(path, signed);
      const pes = await deposerPes(deps, agent, c.id, { path, filename: `${nomFic}.xml` }, heliosPorts(deps).pes);
      await runDossierAction(deps, agent, who, c.id, pes.id, 'transmettre');
      out.pes.push(pes.id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}
