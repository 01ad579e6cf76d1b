import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { AppError } from '../../shared/errors.ts';
import { parseRetourClassification } from '../classification/classification.ts';
import { parseActesMessage } from '../messages/parse.ts';
import { readActesArchive } from '../messages/read-archive.ts';
import {
  buildActeArchive,
  buildAnnulationArchive,
  buildDemandeClassificationArchive,
  buildReplyArchive,
  REPLY_KINDS,
  type ReplyKind,
  type TransmissionContext,
} from './build.ts';
import {
  ARCHIVE_NAME_RE,
  ENVELOPPE_CL_NAME_RE,
  OUR_DOCUMENT_RE,
  OUR_MESSAGE_XML_RE,
  OUR_NO_ACTE_MESSAGE_XML_RE,
  OUR_REPLY_DOCUMENT_RE,
  parseActesFileName,
} from './names.ts';
import { extractTarGz } from './tar.ts';
import { CONFORMANCE_ACTES_XSD, conformancePath, tarList, xmllintSchema } from './testing.ts';

const PDF = readFileSync(conformancePath('sictiam-stela/acte-service/src/test/resources/data/Delib.pdf'));
const ANNEXE = readFileSync(conformancePath('sictiam-stela/acte-service/src/test/resources/data/Annexe_delib.pdf'));
const CLASSIFICATION = parseRetourClassification(
  readFileSync(conformancePath('pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/999-1234----7-2_1.xml')),
);
const OBJET = "Délibération relative à l'éclairage";

const ctx: TransmissionContext = {
  collectivite: {
    siren: '214400152',
    departement: '044',
    arrondissement: '1',
    nature: '31',
    referent: { nom: 'Hélène Maïté', telephone: '02 40 00 00 00', email: 'dgs@mairie-exemple.fr' },
    adressesRetour: ['retour@paraphe-tdt.fr', 'dgs@mairie-exemple.fr'],
  },
  trigram: 'PAR',
  sequence: 2,
  sentAt: new Date('2024-03-05T23:30:00Z'), // 6 March in Paris
};

const metadata = {
  nature: 1,
  classification: '7.1',
  numeroInterne: '2024_015',
  dateDecision: '2024-02-28',
  objet: OBJET,
  documentPapier: false,
  typologieActe: '99_DE',
  typologieAnnexes: ['41_RA'],
};

async function buildSample() {
  return buildActeArchive({
    ...ctx,
    metadata,
    classificationDateVersion: '2019-04-18',
    acte: { fileName: 'Délibération éclairage.PDF', data: PDF },
    annexes: [{ fileName: 'rapport.pdf', data: ANNEXE }],
    classification: CLASSIFICATION,
  });
}

test('the acte archive is a flat tar.gz whose names follow A.5 (tar tzf)', async () => {
  const b = await buildSample();
  assert.equal(b.archiveName, 'PAR-EACT--214400152--20240306-2.tar.gz');
  assert.match(b.archiveName, ARCHIVE_NAME_RE);
  assert.equal(b.idActe, '044-214400152-20240228-2024_015-DE');
  const listed = tarList(b.archive);
  assert.deepEqual(listed, [
    'EACT--214400152--20240306-2.xml',
    '044-214400152-20240228-2024_015-DE-1-1_0.xml',
    '99_DE-044-214400152-20240228-2024_015-DE-1-1_1.pdf',
    '41_RA-044-214400152-20240228-2024_015-DE-1-1_2.pdf',
  ]);
  for (const n of listed) assert.ok(!n.includes('/'), n);
  assert.match(listed[0]!, ENVELOPPE_CL_NAME_RE);
  assert.match(listed[1]!, OUR_MESSAGE_XML_RE);
  assert.match(listed[2]!, OUR_DOCUMENT_RE);
  assert.match(listed[3]!, OUR_DOCUMENT_RE);
  assert.equal(b.archiveName, `PAR-${listed[0]!.replace(/\.xml$/, '')}.tar.gz`);
});

test('the enveloppe and the Acte pass xmllint --schema on the conformance copy of the schema', async () => {
  const b = await buildSample();
  for (const f of b.files.filter((x) => x.name.endsWith('.xml'))) {
    const r = xmllintSchema(CONFORMANCE_ACTES_XSD, f.data);
    assert.ok(r.valid, `${f.name}: ${r.output}`);
  }
});

test('the Acte is ISO-8859-1 with prefixed attributes in schema order, and the accented objet survives the round trip', async () => {
  const b = await buildSample();
  const acte = b.files.find((f) => f.role === 'message')!.data;
  assert.ok(acte.subarray(0, 50).toString('latin1').startsWith('<?xml version="1.0" encoding="ISO-8859-1"?>'));
  assert.ok(acte.includes(iconv.encode(OBJET, 'latin1')), 'objet written as ISO-8859-1 bytes');
  assert.ok(!acte.includes(Buffer.from('é', 'utf8')), 'no UTF-8 sequence');
  const text = acte.toString('latin1');
  assert.match(text, /<actes:Acte [^>]*actes:Date="2024-02-28" actes:NumeroInterne="2024_015" actes:CodeNatureActe="1">/);
  const order = ['CodeMatiere1', 'CodeMatiere2', 'Objet', 'ClassificationDateVersion', 'Document', 'Annexes', 'DocumentPapier'];
  const positions = order.map((e) => text.indexOf(`<actes:${e}`));
  assert.deepEqual([...positions].sort((x, y) => x - y), positions);
  assert.ok(positions.every((p) => p > 0));
  const parsed = parseActesMessage(acte);
  assert.equal(parsed.kind, 'Acte');
  assert.equal(parsed.kind === 'Acte' && parsed.acte.objet, OBJET);
  assert.equal(parsed.kind === 'Acte' && parsed.acte.documentPapier, 'N');
  const env = parseActesMessage(b.files.find((f) => f.role === 'enveloppe')!.data);
  assert.equal(env.kind === 'EnveloppeCLMISILL' && env.enveloppe.referent?.nom, 'Hélène Maïté');
  assert.deepEqual(env.kind === 'EnveloppeCLMISILL' && env.enveloppe.adressesRetour, ['retour@paraphe-tdt.fr', 'dgs@mairie-exemple.fr']);
});

test('our archive has the structure of the real Stela archive SIC-EACT--210600730--20180115-1.tar.gz', async () => {
  const stela = await readActesArchive(readFileSync(conformancePath('sictiam-stela/acte-service/src/test/resources/data/SIC-EACT--210600730--20180115-1.tar.gz')));
  const ours = await readActesArchive((await buildSample()).archive);
  for (const r of [stela, ours]) {
    assert.equal(r.enveloppe?.message.kind, 'EnveloppeCLMISILL');
    assert.equal(parseActesFileName(r.enveloppe!.name)?.kind, 'enveloppe-cl');
    assert.equal(r.messages.length, 1);
    assert.equal(r.messages[0]!.message.kind, 'Acte');
    assert.equal(r.messages[0]!.fileName?.kind === 'message' && r.messages[0]!.fileName.code, '1-1');
    assert.equal(r.messages[0]!.fileName?.kind === 'message' && r.messages[0]!.fileName.index, 0);
    for (const d of r.documents) {
      const n = parseActesFileName(d.name);
      assert.equal(n?.kind === 'message' && n.code, '1-1', d.name);
      assert.ok(n?.kind === 'message' && n.typologie, `${d.name} carries a typology prefix`);
    }
    assert.deepEqual(r.missing, []);
    assert.deepEqual(r.others, []);
    assert.equal(r.entries[0]!.name, r.enveloppe!.name, 'enveloppe first');
  }
  assert.equal(stela.documents.length, 1);
  assert.equal(ours.documents.length, 2);
  assert.match('SIC-EACT--210600730--20180115-1.tar.gz', ARCHIVE_NAME_RE);
});

test('the test platform uses TACT and accepts département 999 with a test SIREN', async () => {
  const b = await buildActeArchive({
    ...ctx,
    collectivite: { ...ctx.collectivite, siren: '999100057', departement: '999' },
    testPlatform: true,
    metadata: { ...metadata, typologieAnnexes: [] },
    classificationDateVersion: '2019-04-18',
    acte: { fileName: 'a.pdf', data: PDF },
  });
  assert.equal(b.archiveName, 'PAR-TACT--999100057--20240306-2.tar.gz');
  assert.match(b.archiveName, ARCHIVE_NAME_RE);
});

const replyDocs = (kind: ReplyKind) => {
  const spec = REPLY_KINDS[kind];
  if (spec.documents === 'none') return [];
  if (spec.documents === 'one') return [{ fileName: 'reponse.pdf', data: PDF }];
  return [{ fileName: 'piece1.pdf', data: PDF }, { fileName: 'plan.png', data: Buffer.from([0x89, 0x50, 0x4e, 0x47]) }];
};

for (const kind of Object.keys(REPLY_KINDS) as ReplyKind[]) {
  test(`the ${kind} (${REPLY_KINDS[kind].code}) archive is flat, well named and passes xmllint`, async () => {
    const b = await buildReplyArchive(kind, { ...ctx, idActe: '044-214400152-20240228-2024_015-DE', dateCourrierPref: '2024-03-04', documents: replyDocs(kind) });
    const listed = tarList(b.archive);
    assert.match(b.archiveName, ARCHIVE_NAME_RE);
    assert.equal(listed[1], `044-214400152-20240228-2024_015-DE-${REPLY_KINDS[kind].code}_0.xml`);
    assert.match(listed[1]!, OUR_MESSAGE_XML_RE);
    for (const d of listed.slice(2)) assert.match(d, OUR_REPLY_DOCUMENT_RE);
    assert.equal(listed.length, 2 + replyDocs(kind).length);
    for (const f of b.files.filter((x) => x.name.endsWith('.xml'))) {
      const r = xmllintSchema(CONFORMANCE_ACTES_XSD, f.data);
      assert.ok(r.valid, `${f.name}: ${r.output}`);
    }
    const m = parseActesMessage(b.files[1]!.data);
    assert.equal(m.kind, kind);
    assert.equal(m.code, REPLY_KINDS[kind].code);
    assert.deepEqual(m.fichiers, listed.slice(2));
  });
}

test('the Annulation (6-1) and DemandeClassification (7-1) archives pass xmllint', async () => {
  const a = await buildAnnulationArchive({ ...ctx, idActe: '044-214400152-20240228-2024_015-DE' });
  const d = await buildDemandeClassificationArchive({ ...ctx, dateClassification: '2001-01-01' });
  const d2 = await buildDemandeClassificationArchive(ctx);
  assert.equal(a.messageName, '044-214400152-20240228-2024_015-DE-6-1_0.xml');
  assert.equal(d.messageName, '044-214400152----7-1_0.xml');
  assert.match(d.messageName, OUR_NO_ACTE_MESSAGE_XML_RE);
  for (const b of [a, d, d2]) {
    assert.equal(tarList(b.archive).length, 2);
    for (const f of b.files) assert.ok(xmllintSchema(CONFORMANCE_ACTES_XSD, f.data).valid, f.name);
  }
  const m = parseActesMessage(d.files[1]!.data);
  assert.equal(m.kind === 'DemandeClassification' && m.dateClassification, '2001-01-01');
});

test('our archive is read back by our own extractor byte for byte', async () => {
  const b = await buildSample();
  const entries = await extractTarGz(b.archive);
  assert.deepEqual(entries.map((e) => e.name), b.files.map((f) => f.name));
  entries.forEach((e, i) => assert.ok(e.data.equals(b.files[i]!.data)));
});

const isFr = (re: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof AppError, String(e));
  assert.match(e.messageFr, re);
  return true;
};

test('building refuses a typology not valid for the nature, in French, naming the field', async () => {
  await assert.rejects(
    buildActeArchive({
      ...ctx,
      metadata: { ...metadata, nature: 5, typologieActe: '99_DE', typologieAnnexes: ['99_BU'] },
      classificationDateVersion: '2019-04-18',
      acte: { fileName: 'a.pdf', data: PDF },
      annexes: [{ fileName: 'b.pdf', data: PDF }],
      classification: CLASSIFICATION,
    }),
    isFr(/typologieActe : Le type de pièce « 99_DE » de l’acte n’est pas admis pour la nature « Documents budgétaires et financiers »/),
  );
});

test('building refuses a bad collectivité (département, SIREN) and an unsupported document format', async () => {
  await assert.rejects(
    buildActeArchive({ ...ctx, collectivite: { ...ctx.collectivite, departement: '20', siren: '214400153' }, metadata, classificationDateVersion: '2019-04-18', acte: { fileName: 'a.pdf', data: PDF }, annexes: [{ fileName: 'b.pdf', data: PDF }] }),
    isFr(/siren : Le SIREN « 214400153 » n’est pas valide \(clé de contrôle incorrecte\).*departement : Le département « 20 » n’est pas valide/),
  );
  await assert.rejects(
    buildActeArchive({ ...ctx, metadata, classificationDateVersion: '2019-04-18', acte: { fileName: 'a.docx', data: PDF }, annexes: [{ fileName: 'b.pdf', data: PDF }] }),
    isFr(/« a\.docx » \(acte\) n’est pas dans un format accepté/),
  );
  await assert.rejects(
    buildActeArchive({ ...ctx, metadata, classificationDateVersion: '2019-04-18', acte: { fileName: 'a.pdf', data: PDF } }),
    isFr(/0 annexe\(s\) jointe\(s\) mais 1 typologie/),
  );
  await assert.rejects(
    buildActeArchive({ ...ctx, metadata: { ...metadata, classification: '7.99' }, classificationDateVersion: '2019-04-18', acte: { fileName: 'a.pdf', data: PDF }, annexes: [{ fileName: 'b.pdf', data: PDF }], classification: CLASSIFICATION }),
    isFr(/La matière 7\.99 n’existe pas/),
  );
  await assert.rejects(buildReplyArchive('ARLettreObservations', { ...ctx, idActe: 'nope', dateCourrierPref: '2024-03-04' }), isFr(/identifiant d’acte « nope »/));
  await assert.rejects(buildActeArchive({ ...ctx, trigram: 'TOOLONG', metadata, classificationDateVersion: '2019-04-18', acte: { fileName: 'a.pdf', data: PDF } }), isFr(/trigramme/));
});
