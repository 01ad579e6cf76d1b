import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AppError } from '../../shared/errors.ts';
import { conformancePath } from '../archive/testing.ts';
import { parseActesMessage, type ActesMessage } from './parse.ts';
import { readActesArchive } from './read-archive.ts';
import { parseActesFileName } from '../archive/names.ts';

const STELA = 'sictiam-stela/acte-service/src/test/resources/data';
const read = (rel: string): Buffer => readFileSync(conformancePath(rel));
function parse<K extends ActesMessage['kind']>(rel: string, kind: K): Extract<ActesMessage, { kind: K }> {
  const m = parseActesMessage(read(rel));
  assert.equal(m.kind, kind);
  return m as Extract<ActesMessage, { kind: K }>;
}

test('a real ARActe from préfecture 06 gives IDActe, reception date, the acte received and the classification date', () => {
  const m = parse(`${STELA}/006-210600235-20180522-684-AI-1-2_5279.xml`, 'ARActe');
  assert.equal(m.code, '1-2');
  assert.equal(m.direction, 'prefecture-vers-collectivite');
  assert.equal(m.encoding, 'ISO-8859-1');
  assert.equal(m.idActe, '006-210600235-20180522-684-AI');
  assert.equal(m.dateReception, '2018-05-28');
  assert.equal(m.classificationDateVersionEnCours, '2017-04-19');
  assert.equal(m.acteRecu?.objet, 'Contrat à durée déterminée - Jean Dupont');
  assert.equal(m.acteRecu?.codeNatureActe, 3);
  assert.equal(m.acteRecu?.natureAbbr, 'AI');
  assert.deepEqual(m.acteRecu?.classification, [4, 2]);
  assert.equal(m.acteRecu?.document, '99_DE-006-210600235-20180522-684-AI-1-1_1.pdf');
  assert.equal(m.acteRecu?.documentPapier, '0');
});

test('ARActe samples from S²LOW, Pastell and FAST all parse (with and without DocumentPapier)', () => {
  const s2low = parse('pastell-tdt/test/PHPUnit/module/actes-preversement-seda/fixtures/acte1-transaction/034-491011698-20171207-CL20171227_06-DE-1-2.xml', 'ARActe');
  assert.equal(s2low.acteRecu?.objet, 'Fichier signé parapheur');
  assert.equal(s2low.encoding, 'UTF-8');
  const old = parse('s2low-extra/test/PHPUnit/class/fixtures/test-archive-MISILCL/034-000000000-20170701-20170721D-AI-1-2_0.xml', 'ARActe');
  assert.equal(old.acteRecu?.documentPapier, undefined);
  assert.equal(old.idActe, '034-000000000-20170701-20170721D-AI');
  const fast = parse('pastell-tdt/test/PHPUnit/connecteur/fast-tdt/fixtures/999-1234----1-2_0.xml', 'ARActe');
  assert.deepEqual(fast.acteRecu?.annexes, ['99_AR-999-999100057-20190515-201905151546_MR-AR-1-1_2.PDF']);
  const pastell = parse('pastell-tdt/test/PHPUnit/module/actes-generique/fixtures/aractes.xml', 'ARActe');
  assert.ok(pastell.idActe);
  // windows-1252 negative sample with repeated blocks: still read, first ActeRecu kept
  const odd = parse('pastell-tdt/data/connector/fakeTdt/ar-actes.xml', 'ARActe');
  assert.equal(odd.encoding, 'WINDOWS-1252');
  assert.equal(odd.idActe, '069-123456789-20130601-20130623C-AI');
});

test('AnomalieActe "classification not up to date" gives nature 002, its detail, and levels 1,2,3,5 of the echo', () => {
  const m = parse(`${STELA}/044-214400152----1-3_1.xml`, 'AnomalieActe');
  assert.equal(m.code, '1-3');
  assert.equal(m.nature, '002');
  assert.match(m.detail ?? '', /^ODT-VERIF-01 : Votre acte a été transmis avec une date de classification qui n'est pas à jour/);
  assert.equal(m.classificationDateVersionEnCours, '2018-10-10');
  assert.deepEqual(m.acteRecu?.codesMatiere, { 1: 1, 2: 1, 3: 1, 5: 1 });
  assert.equal(m.acteRecu?.documentPapier, null);
  assert.deepEqual(m.fichiers, ['99_DE-044-214400152-20181012-123456-DE-1-1_1.pdf', '01_01-044-214400152-20181012-123456-DE-1-1_2.xml']);
});

test('AnomalieActe samples outside the schema (nature "2", no DocumentPapier) are read leniently', () => {
  assert.equal(parse('s2low-index/test/PHPUnit/class/fixtures/test-message-anomalie-avec-erreur/034-000000000-20170701-20170721D-AI-1-3_0.xml', 'AnomalieActe').nature, '2');
  assert.equal(parse('s2low-extra/test/PHPUnit/class/fixtures/test-message-anomalie/034-000000000-20170701-20170721D-AI-1-3_0.xml', 'AnomalieActe').nature, '042');
  const fast = parse('pastell-tdt/test/PHPUnit/connecteur/fast-tdt/fixtures/999-1234----1-3_0.xml', 'AnomalieActe');
  assert.equal(fast.acteRecu?.objet, 'test de télétransmission');
});

test('AnomalieEnveloppe with Nature 999 (outside the XSD) and with Nature 5 both parse with their detail and the enveloppe received', () => {
  const m = parse(`${STELA}/ANO_EACT--214400152--20180925-1.xml`, 'AnomalieEnveloppe');
  assert.equal(m.code, null);
  assert.equal(m.nature, '999');
  assert.match(m.detail ?? '', /^ODT-VERIF-17/);
  assert.equal(m.enveloppeRecue?.siren, '214400152');
  assert.equal(m.enveloppeRecue?.natureCollectivite, '31');
  assert.deepEqual(m.enveloppeRecue?.formulaires, ['044-214400152-20180905-4365-DE-4365-DE_0.xml']);
  const s2 = parse('s2low-index/test/PHPUnit/class/fixtures/test-anomalie/ANO_EACT--210703385--20170612-2.xml', 'AnomalieEnveloppe');
  assert.equal(s2.nature, '5');
  assert.match(s2.detail ?? '', /PREF-VERIF-02 : Votre numéro de SIREN/);
  assert.equal(s2.enveloppeRecue?.referent?.nom, 'Robert Petitpoid');
});

test('ARAnnulation (Stela, Pastell, FAST with a 4-digit test SIREN) gives IDActe and reception date', () => {
  const a = parse(`${STELA}/044-214400152-20181106-TEST_DGCL_4-DE-6-2_10.xml`, 'ARAnnulation');
  assert.equal(a.code, '6-2');
  assert.equal(a.idActe, '044-214400152-20181106-TEST_DGCL_4-DE');
  assert.equal(a.dateReception, '2018-11-28');
  assert.equal(parse('pastell-tdt/test/PHPUnit/connecteur-type/TdT/fixtures/ACTE-ar-annulation.xml', 'ARAnnulation').dateReception, '2023-04-20');
  assert.equal(parse('pastell-tdt/test/PHPUnit/connecteur/fast-tdt/fixtures/999-1234----6-2_0.xml', 'ARAnnulation').idActe, '999-1234-20190515-201905151412-AI');
});

test('DefereTA gives the filing date, the nature of the illegality and the attached pieces', () => {
  const m = parse('s2low-index/test/PHPUnit/class/fixtures/test-defere-ta/034-000000000-20170701-20170725A-AI-5-1_0.xml', 'DefereTA');
  assert.equal(m.code, '5-1');
  assert.equal(m.idActe, '034-000000000-20170701-20170725A-AI');
  assert.equal(m.dateDepot, '2017-07-01');
  assert.equal(m.natureIllegalite, 'NATURE_TEST');
  assert.deepEqual(m.piecesJointes, ['034-000000000-20170701-20170725A-AI-5-1_1.pdf']);
});

test('PieceComplementaire, RefusPieceComplementaire and ARPieceComplementaire parse with their letter reference', () => {
  const pc = parse('s2low-index/test/PHPUnit/public.ssl/module/actes/fixtures/001-000000000-20170130-TEST42-DE-3-4_0.xml', 'PieceComplementaire');
  assert.equal(pc.direction, 'collectivite-vers-prefecture');
  assert.equal(pc.idActe, '032-213201601-20170616-ARP201706407-AI');
  assert.equal(pc.dateCourrierPref, '2017-06-17');
  assert.equal(pc.documents.length, 2);
  const refus = parse('s2low-extra/test/PHPUnit/public.ssl/module/actes/fixtures/001-000000000-20170130-TEST42-DE-3-3_0.xml', 'RefusPieceComplementaire');
  assert.equal(refus.document, '001-000000000-20170130-TEST42-DE-3-3_1.pdf');
  const ar = parse('pastell-tdt/test/PHPUnit/connecteur-type/TdT/fixtures/ARPieceComplementaire.xml', 'ARPieceComplementaire');
  assert.equal(ar.code, '3-5');
  assert.equal(ar.dateReception, '2019-08-28');
  assert.equal(ar.idActe, '034-491011698-20190828-201908281122-AI');
  assert.equal(ar.dateCourrierPref, '2019-08-28');
});

test('the collectivité-side messages (Acte, Annulation, enveloppes) parse for the simulator', () => {
  const acte = parse('pastell-tdt/test/PHPUnit/connecteur/fast-tdt/fixtures/999-1234----1-1_0.xml', 'Acte');
  assert.equal(acte.acte.codeNatureActe, 6);
  assert.equal(acte.acte.nombreAnnexes, 4);
  assert.equal(acte.fichiers.length, 5);
  assert.equal(parse('pastell-tdt/test/PHPUnit/connecteur/fast-tdt/fixtures/999-1234----6-1_0.xml', 'Annulation').idActe, '999-999100057-20190429-20190429_TEST1-AI');
  const env = parse('s2low-index/test/PHPUnit/fixtures/ok/EACT--214502494--20170717-6.xml', 'EnveloppeCLMISILL');
  assert.deepEqual(env.enveloppe.adressesRetour, ['totoo@toto.org']);
  assert.equal(env.enveloppe.departement, '045');
  const pref = parse(`${STELA}/EACT--SPREF0441-214400152-20181012-9.xml`, 'EnveloppeMISILLCL');
  assert.deepEqual(pref.emetteur, { type: 'IDSousPref', departement: '044', arrondissement: '1' });
  assert.equal(pref.destinataireSiren, '214400152');
  assert.deepEqual(pref.formulaires, ['044-214400152----1-3_1.xml']);
});

test('the S²LOW reply archive (courrier simple) is read: préfecture enveloppe, CourrierSimple, its PDF, and S²LOW extras', async () => {
  const r = await readActesArchive(read('pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/reponse_prefecture.tar.gz'));
  assert.equal(r.enveloppe?.name, 'TACT--SPREF001-491011698-20190829-689.xml');
  assert.equal(r.messages.length, 1);
  const m = r.messages[0]!.message;
  assert.equal(m.kind, 'CourrierSimple');
  assert.equal(m.kind === 'CourrierSimple' && m.idActe, '034-491011698-20190829-201908291002-AI');
  assert.equal(m.kind === 'CourrierSimple' && m.dateCourrierPref, '2019-08-29');
  assert.deepEqual(r.documents.map((d) => d.name), ['034-491011698-20190829-201908291002-AI-2-1_1.pdf']);
  assert.deepEqual(r.others.map((d) => d.name).sort(), ['logo_s2low.jpg', 'message_body.html']);
  assert.deepEqual(r.missing, []);
  const older = await readActesArchive(read('pastell-flows/test/PHPUnit/fixtures/tar_ball/courrier_simple.tar.gz'));
  assert.equal(older.messages[0]?.message.kind, 'CourrierSimple');
  assert.equal(older.documents.length, 1);
});

test('préfecture file names are parsed (SPREF enveloppes with and without arrondissement, messages without acte, odd k, ANO_)', () => {
  assert.deepEqual(parseActesFileName('EACT--SPREF0441-214400152-20181012-9.xml'), {
    kind: 'enveloppe-prefecture', testPlatform: false, departement: '044', arrondissement: '1', siren: '214400152', date: '20181012', sequence: 9,
  });
  assert.deepEqual(parseActesFileName('TACT--SPREF001-491011698-20190829-689.xml'), {
    kind: 'enveloppe-prefecture', testPlatform: true, departement: '001', siren: '491011698', date: '20190829', sequence: 689,
  });
  const ano = parseActesFileName('044-214400152----1-3_1.xml');
  assert.equal(ano?.kind === 'message' && ano.code, '1-3');
  assert.equal(ano?.kind === 'message' && ano.idActe, undefined);
  const ar = parseActesFileName('006-210600235-20180522-684-AI-1-2_5279.xml');
  assert.equal(ar?.kind === 'message' && ar.idActe, '006-210600235-20180522-684-AI');
  assert.equal(ar?.kind === 'message' && ar.index, 5279);
  const noK = parseActesFileName('034-491011698-20171207-CL20171227_06-DE-1-2.xml');
  assert.equal(noK?.kind === 'message' && noK.code, '1-2');
  const doc = parseActesFileName('99_DE-044-214400152-20181012-123456-DE-1-1_1.pdf');
  assert.equal(doc?.kind === 'message' && doc.typologie, '99_DE');
  const anoEnv = parseActesFileName('ANO_EACT--214400152--20180925-1.xml');
  assert.equal(anoEnv?.kind, 'anomalie-enveloppe');
  assert.equal(anoEnv?.kind === 'anomalie-enveloppe' && anoEnv.of?.kind, 'enveloppe-cl');
  assert.deepEqual(parseActesFileName('SIC-EACT--210600730--20180115-1.tar.gz'), {
    kind: 'archive', trigram: 'SIC', testPlatform: false, siren: '210600730', date: '20180115', sequence: 1,
  });
  assert.equal(parseActesFileName('message_body.html'), undefined);
});

test('a message with a DOCTYPE is refused before parsing, in French', () => {
  const xml = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><actes:ARAnnulation xmlns:actes="http://www.interieur.gouv.fr/ACTES#v1.1-20040216" actes:IDActe="&e;"/>';
  assert.throws(() => parseActesMessage(Buffer.from(xml)), (e: unknown) => e instanceof AppError && /DOCTYPE/.test(e.messageFr));
});

test('an unknown root element is refused with its name', () => {
  assert.throws(() => parseActesMessage(Buffer.from('<Foo/>')), (e: unknown) => e instanceof AppError && /« Foo »/.test(e.messageFr));
});

test('unprefixed elements in the default namespace and UTF-8 accents parse the same', () => {
  const xml = '<?xml version="1.0" encoding="UTF-8"?><ReponseClassificationSansChangement xmlns="http://www.interieur.gouv.fr/ACTES#v1.1-20040216"><DateClassification>2024-01-02</DateClassification></ReponseClassificationSansChangement>';
  const m = parseActesMessage(Buffer.from(xml));
  assert.equal(m.kind, 'ReponseClassificationSansChangement');
  assert.equal(m.kind === 'ReponseClassificationSansChangement' && m.dateClassification, '2024-01-02');
  assert.equal(m.code, '7-3');
});
