import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFORMANCE_ACTES_XSD, xmllintSchema } from '../../actes/archive/testing.ts';
import { parseActesMessage, type ActeContent } from '../../actes/messages/parse.ts';
import {
  anomalieActe,
  anomalieEnveloppe,
  arActe,
  arAnnulation,
  arReponse,
  courrier,
  enveloppeMISILLCL,
  reponseClassificationSansChangement,
  type CourrierKind,
} from './prefecture-messages.ts';
import { simplePdf } from './pdf.ts';

const ID = '044-214400152-20240228-2024_015-DE';
const acte: ActeContent = {
  dateDecision: '2024-02-28',
  numeroInterne: '2024_015',
  codeNatureActe: 1,
  codesMatiere: { 1: 7, 2: 1 },
  classification: [7, 1],
  objet: 'Délibération « éclairage »',
  classificationDateVersion: '2019-04-18',
  document: `99_DE-${ID}-1-1_1.pdf`,
  annexes: [`41_RA-${ID}-1-1_2.pdf`],
  documentPapier: 'N',
};
const enveloppe = {
  siren: '214400152',
  departement: '044',
  arrondissement: '1',
  natureCollectivite: '31',
  adressesRetour: ['retour@paraphe.test'],
  formulaires: [`${ID}-1-1_0.xml`],
};

/** Checked by xmllint (libxml2-utils) against the current schema, an oracle independent of our validator. */
function assertValid(bytes: Buffer): void {
  const r = xmllintSchema(CONFORMANCE_ACTES_XSD, bytes);
  assert.ok(r.valid, r.output);
}

test('ARActe echoes the acte, the reception date and the current classification date', () => {
  const xml = arActe(ID, '2024-03-06', acte, '2019-04-18');
  assertValid(xml);
  const m = parseActesMessage(xml);
  assert.equal(m.kind, 'ARActe');
  if (m.kind !== 'ARActe') return;
  assert.equal(m.idActe, ID);
  assert.equal(m.dateReception, '2024-03-06');
  assert.equal(m.classificationDateVersionEnCours, '2019-04-18');
  assert.equal(m.acteRecu?.objet, acte.objet);
  assert.deepEqual(m.acteRecu?.annexes, acte.annexes);
  assert.equal(m.encoding.toUpperCase(), 'ISO-8859-1');
});

test('AnomalieActe and AnomalieEnveloppe are schema-valid and carry nature and detail', () => {
  const a = anomalieActe('2024-03-06', '002', 'ODT-VERIF-01 : classification pas à jour', acte, '2024-01-01');
  assertValid(a);
  const pa = parseActesMessage(a);
  assert.equal(pa.kind === 'AnomalieActe' && pa.nature, '002');
  const e = anomalieEnveloppe('2024-03-06', '002', 'PREF-VERIF-02 : SIREN inconnu', enveloppe, true);
  assertValid(e);
  const pe = parseActesMessage(e);
  assert.equal(pe.kind === 'AnomalieEnveloppe' && pe.enveloppeRecue?.siren, '214400152');
});

test('ARAnnulation, ARPieceComplementaire, ARReponseRejetLettreObservations and 7-3 are schema-valid', () => {
  for (const xml of [
    arAnnulation(ID, '2024-03-06'),
    arReponse('ARPieceComplementaire', '2024-03-06', ID, '2024-03-01'),
    arReponse('ARReponseRejetLettreObservations', '2024-03-06', ID, '2024-03-01'),
    reponseClassificationSansChangement('2019-04-18'),
  ]) {
    assertValid(xml);
  }
  const ar = parseActesMessage(arReponse('ARPieceComplementaire', '2024-03-06', ID, '2024-03-01'));
  assert.equal(ar.kind === 'ARPieceComplementaire' && ar.dateCourrierPref, '2024-03-01');
});

test('each préfecture letter (2-1, 3-1, 4-1, 5-1) is schema-valid and names its document', () => {
  for (const kind of ['CourrierSimple', 'DemandePieceComplementaire', 'LettreObservations', 'DefereTA'] as CourrierKind[]) {
    const xml = courrier(kind, { idActe: ID, dateCourrierPref: '2024-03-06', documentName: 'doc_1.pdf', motif: 'Motif' });
    assertValid(xml);
    const m = parseActesMessage(xml);
    assert.equal(m.kind, kind);
    assert.deepEqual(m.fichiers, ['doc_1.pdf']);
  }
});

test('the préfecture enveloppe names a sous-préfecture when an arrondissement is given', () => {
  const xml = enveloppeMISILLCL('044', '1', '214400152', [`${ID}-2-1_0.xml`]);
  assertValid(xml);
  const m = parseActesMessage(xml);
  assert.equal(m.kind === 'EnveloppeMISILLCL' && m.emetteur.type, 'IDSousPref');
  assert.equal(m.kind === 'EnveloppeMISILLCL' && m.destinataireSiren, '214400152');
});

test('the generated PDF passes qpdf --check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-pdf-'));
  try {
    const f = join(dir, 'a.pdf');
    writeFileSync(f, simplePdf('Préfecture – courrier', ['Acte : ' + ID, 'Texte accentué : été, ça']));
    const r = spawnSync('qpdf', ['--check', f], { encoding: 'utf8' });
    if (r.error) throw new Error(`qpdf is required for this test (apt-get install -y qpdf): ${r.error.message}`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
