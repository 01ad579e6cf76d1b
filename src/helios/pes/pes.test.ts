import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { conformanceDir } from '../../shared/paths.ts';
import { AppError } from '../../shared/errors.ts';
import { pesSchemaPath, type PesSchemaVersion } from './config.ts';
import { validatePesAller, validatePesXsd, detectPesSchemaVersions } from './validate.ts';
import { parsePesAcquit, parsePesRetour, retourSummaryFr } from './acquit.ts';
import { readPesView, extractPj } from './view.ts';
import { isValidSiret } from './rules.ts';

const expected = readFileSync(join(conformanceDir, 'EXPECTED-protocols.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'))
  .filter((c) => c[1]?.startsWith('PES_'));

const CONF = (p: string) => join(conformanceDir, p);

function conformanceEntry(v: PesSchemaVersion, root: string): string {
  const base = join(conformanceDir, 'iparapheur-v5-xsd/src/test/resources/xsd', v === '5.17' ? 'schemas_pes_v5.17' : 'schemas_pes.v5.12');
  const rel = root === 'PES_Aller' ? 'PES_V2/Rev0/PES_Aller.xsd' : root === 'PES_ACQUIT' ? 'PES_V2/Rev0/PES_V2_Acquit_Autonome_V2.xsd' : 'PES_V2/RETOUR/Rev0/PES_Retour.xsd';
  return join(base, rel);
}

function xmllintValid(schema: string, file: string): boolean {
  const r = spawnSync('xmllint', ['--noout', '--schema', schema, file], { encoding: 'utf8' });
  if (r.error) throw new Error(`xmllint missing (apt-get install -y libxml2-utils): ${r.error.message}`);
  if (r.status !== 0 && r.status !== 3) throw new Error(`xmllint failed: ${r.stderr}`);
  return r.status === 0;
}

test('the bundled PES schema sets are byte-identical to the conformance copies', () => {
  for (const [v, dir] of [['5.17', 'schemas_pes_v5.17'], ['5.12', 'schemas_pes.v5.12']] as const) {
    const r = spawnSync('diff', ['-r', join(conformanceDir, 'iparapheur-v5-xsd/src/test/resources/xsd', dir), pesSchemaPath(v, 'aller').replace(/\/PES_V2\/Rev0\/PES_Aller\.xsd$/, '')]);
    assert.equal(r.status, 0, `schemas v${v} differ from the conformance copy`);
  }
});

for (const [path, root, , result, alt] of expected) {
  if (!path || !root || !result) continue;
  test(`${path.split('/').pop()}: XSD v5.17 verdict is "${result}" with our validator and with xmllint`, async () => {
    const file = CONF(path);
    assert.equal(xmllintValid(conformanceEntry('5.17', root), file), result === 'valid', 'xmllint disagrees with EXPECTED');
    const ours = await validatePesXsd(file, { schemaVersion: '5.17' });
    assert.equal(ours.valid, result === 'valid', JSON.stringify(ours.errors.slice(0, 3)));
    if (!ours.valid) {
      assert.ok(ours.errors.every((e) => e.messageFr.length > 0 && e.placeFr.length > 0));
    }
    // small windows: cutting the file in many XSD batches gives the same verdict
    const tiny = await validatePesXsd(file, { schemaVersion: '5.17', xsdBatchChars: 1 });
    assert.equal(tiny.valid, ours.valid);
  });
  if (alt === 'valid' || alt === 'INVALID') {
    test(`${path.split('/').pop()}: XSD v5.12 verdict is "${alt}" with our validator and with xmllint`, async () => {
      const file = CONF(path);
      assert.equal(xmllintValid(conformanceEntry('5.12', root), file), alt === 'valid');
      assert.equal((await validatePesXsd(file, { schemaVersion: '5.12' })).valid, alt === 'valid');
    });
  }
}

test('a 2020 PES valid only under v5.12 is detected as such, with the failing element placed', async () => {
  const f = CONF('iparapheur-v5-xsd/src/test/resources/files/xml/PESALR1_unsigned.xml');
  assert.deepEqual(await detectPesSchemaVersions(f), ['5.12']);
  const r = await validatePesAller(f);
  const e = r.errors.find((x) => x.source === 'xsd');
  assert.equal(e?.line, 58);
  assert.match(e!.placeFr, /bordereau n° 3536 \(exercice 2020\), pièce n° 13712/);
  assert.match(e!.messageFr, /CarteAchatNiveau1/);
});

test('a clean unsigned PES passes both XSD and business rules', async () => {
  const r = await validatePesAller(CONF('pastell-tdt/documentation/data-exemple/PES_ex.xml'));
  assert.equal(r.valid, true, JSON.stringify(r.errors));
  assert.equal(r.file.encoding, 'ISO-8859-1');
  assert.equal(r.file.pesVersion, '2');
});

test('business rules report signature with InfoDematerialisee 0, bad SIRET and inconsistent totals', async () => {
  const r = await validatePesAller(CONF('pastell-tdt/test/PHPUnit/connecteur-type/glaneur/fixtures/pes_manifest/PESALR2_49101169800000_171227_2045.xml'));
  const codes = new Set(r.errors.filter((e) => e.source === 'regle').map((e) => e.code));
  for (const c of ['SIGNATURE_SANS_DEMAT', 'IDCOLL_SIRET', 'MTBORDHT', 'NOMPJ', 'PJ_GZIP']) assert.ok(codes.has(c), `missing ${c}`);
  const sig = r.errors.find((e) => e.code === 'SIGNATURE_SANS_DEMAT')!;
  assert.match(sig.placeFr, /bordereau n° 1234567/);
  assert.match(sig.messageFr, /InfoDematerialisee/);
});

test('SIRET check uses the Luhn key', () => {
  assert.equal(isValidSiret('24310063300011'), true);
  assert.equal(isValidSiret('12345678912345'), false);
  assert.equal(isValidSiret('2431006330001'), false);
});

const tmp = mkdtempSync(join(tmpdir(), 'pes-test-'));
const HEAD = (codCol = '100', info = '0') => `<?xml version="1.0" encoding="ISO-8859-1"?>
<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller">
<Enveloppe><Parametres><Version V="2"/><TypFic V="PESALR2"/><NomFic V="TEST1"/></Parametres><Emetteur><Sigle V="t"/><Adresse V="t"/></Emetteur></Enveloppe>
<EnTetePES><DteStr V="2024-01-01"/><IdPost V="031007"/><IdColl V="24310063300011"/><CodCol V="${codCol}"/><CodBud V="00"/></EnTetePES>
<PES_DepenseAller><EnTeteDepense><IdVer V="2"/><InfoDematerialisee V="${info}"/></EnTeteDepense>
`;
const PIECE = (id: number, ht = '10.00') => `<Piece><BlocPiece><InfoPce><IdPce V="${id}"/><TypPce V="01"/><NatPce V="01"/><Obj V="Pièce ${id}"/></InfoPce></BlocPiece><LigneDePiece><BlocLignePiece><InfoLignePce><IdLigne V="1"/><Nature V="60628"/><Fonction V="64"/><TVAIntraCom V="0"/><MtHT V="${ht}"/></InfoLignePce></BlocLignePiece></LigneDePiece></Piece>\n`;
const BORD = (idBord: number, pieces: string[], ht: string, nbr = pieces.length) =>
  `<Bordereau Id="B${idBord}"><BlocBordereau><Exer V="2024"/><IdBord V="${idBord}"/><DteBordEm V="2024-01-01"/><TypBord V="01"/><NbrPce V="${nbr}"/><MtBordHT V="${ht}"/></BlocBordereau>\n${pieces.join('')}</Bordereau>\n`;
const PJS = (pjs: string[]) => `</PES_DepenseAller><PES_PJ><EnTetePES_PJ><IdVer V="1"/></EnTetePES_PJ>${pjs.join('')}</PES_PJ></n:PES_Aller>\n`;
const PJ = (id: string, nom: string, b64: string) => `<PJ><Contenu><Fichier MIMEType="application/pdf">${b64}</Fichier></Contenu><IdUnique V="${id}"/><NomPJ V="${nom}"/><TypePJ V="003"/><Description V="Facture"/></PJ>\n`;
const write = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, Buffer.from(text, 'latin1'));
  return p;
};

test('a generated multi-bordereau PES with PJ is valid with us and xmllint, and its view shows everything', async () => {
  const gz = gzipSync(Buffer.from('%PDF-1.4 facture')).toString('base64');
  const f = write('ok.xml', HEAD() + BORD(1, [PIECE(1), PIECE(2)], '20.00') + BORD(2, [PIECE(3)], '10.00') + PJS([PJ('A1', 'facture.pdf', gz)]));
  assert.equal(xmllintValid(pesSchemaPath('5.17', 'aller'), f), true);
  const r = await validatePesAller(f, { xsdBatchChars: 1 }, { fastXsd: 'wasm' });
  assert.equal(r.valid, true, JSON.stringify(r.errors));
  assert.ok(r.stats.xsdBatches > 1);
  const byXmllint = await validatePesAller(f);
  assert.equal(byXmllint.valid, true, JSON.stringify(byXmllint.errors));
  assert.deepEqual([byXmllint.stats.fastPath, byXmllint.stats.xsdBatches], [true, 0]);
  const v = await readPesView(f);
  assert.equal(v.bordereaux.length, 2);
  assert.equal(v.bordereaux[0]!.type, 'mandat');
  assert.equal(v.bordereaux[0]!.pieces[1]!.objet, 'Pièce 2');
  assert.equal(v.pjs[0]!.nom, 'facture.pdf');
  assert.equal(v.pjs[0]!.tailleAnnoncee, 16);
  const { content } = await extractPj(f, 'A1');
  assert.equal(content.toString(), '%PDF-1.4 facture');
});

test('XSD findings of many windows (validated in a worker) come in document order and stop at the first malformed window', async () => {
  const bad = PIECE(2).replace('<MtHT V="10.00"/>', '<MtHT V="dix"/>');
  const malformed = PIECE(5).replace('</BlocPiece>', '</BlocPieceX>');
  const text =
    HEAD() + BORD(1, [PIECE(1)], '10.00') + BORD(2, [bad, PIECE(3)], '20.00') + BORD(1, [PIECE(4)], '10.00').replace('<IdBord V="1"/>', '<IdBord V="3"/>') +
    BORD(4, [malformed], '10.00') + BORD(5, [PIECE(6).replace('<MtHT V="10.00"/>', '<MtHT V="onze"/>')], '10.00') + PJS([]);
  const f = write('windows.xml', text);
  const lineOf = (needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;
  for (const xsdBatchChars of [1, 600]) {
    const r = await validatePesXsd(f, { schemaVersion: '5.17', xsdBatchChars });
    const got = r.errors.map((e) => [e.code, e.line]);
    assert.deepEqual(
      got,
      [
        ['XSD', lineOf('<MtHT V="dix"/>')],
        ['XSD', lineOf('<Bordereau Id="B1"><BlocBordereau><Exer V="2024"/><IdBord V="3"/>')],
        ['XML_MAL_FORME', lineOf('</BlocPieceX>')],
      ],
      `xsdBatchChars ${xsdBatchChars}: ${JSON.stringify(r.errors.map((e) => [e.code, e.line, e.messageEn]))}`,
    );
    assert.match(r.errors[1]!.messageFr, /B1.*en double/);
  }
});

test('rules: CodCol 000, IdBord gap and duplicate, NbrPce, duplicate IdUnique, bad NomPJ, bad base64, bad gzip', async () => {
  const gz = gzipSync(Buffer.from('x')).toString('base64');
  const f = write(
    'rules.xml',
    HEAD('000') + BORD(1, [PIECE(1)], '10.00', 2) + BORD(3, [PIECE(2)], '99.00') + BORD(3, [PIECE(3)], '10.00') +
      PJS([PJ('A1', 'a.pdf', gz), PJ('A1', 'sans_extension', gz), PJ('A2', 'b.pdf', 'Zm9v!!!='), PJ('A3', 'c.pdf', Buffer.from('not gzip at all, plain').toString('base64'))]),
  );
  const r = await validatePesAller(f);
  const codes = r.errors.map((e) => e.code);
  for (const c of ['CODCOL_000', 'NBRPCE', 'MTBORDHT', 'IDBORD_DOUBLON', 'IDBORD_SEQUENCE', 'IDUNIQUE_DOUBLON', 'NOMPJ', 'PJ_BASE64', 'PJ_GZIP']) {
    assert.ok(codes.includes(c), `missing ${c}: ${codes.join(',')}`);
  }
  const seq = r.errors.find((e) => e.code === 'IDBORD_SEQUENCE')!;
  assert.match(seq.messageFr, /il manque 2/);
  const b64 = r.errors.find((e) => e.code === 'PJ_BASE64')!;
  assert.match(b64.messageFr, /base64/);
  assert.match(b64.placeFr, /IdUnique A2/);
});

test('InfoDematerialisee 1 without signature is an error; a PJ bomb is refused by size and ratio', async () => {
  const bomb = gzipSync(Buffer.alloc(30 * 1024 * 1024)).toString('base64');
  const f = write('bomb.xml', HEAD('100', '1') + BORD(1, [PIECE(1)], '10.00') + PJS([PJ('B1', 'bombe.pdf', bomb)]));
  const r = await validatePesAller(f, { pj: { maxDecompressedBytes: 10 * 1024 * 1024, maxRatio: 10_000 } });
  assert.ok(r.errors.some((e) => e.code === 'DEMAT_SANS_SIGNATURE'));
  const big = r.errors.find((e) => e.code === 'PJ_TROP_GROSSE');
  assert.ok(big, JSON.stringify(r.errors));
  assert.match(big.messageFr, /bombe de décompression/);
  const r2 = await validatePesAller(f, { pj: { maxDecompressedBytes: 100 * 1024 * 1024, maxRatio: 200 } });
  assert.ok(r2.errors.some((e) => e.code === 'PJ_RATIO'));
  await assert.rejects(extractPj(f, 'B1', { pj: { maxDecompressedBytes: 1024 * 1024, maxRatio: 200 } }), (e: AppError) => /décompress/.test(e.messageFr));
});

async function refused(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AppError, String(e));
    assert.match(e.messageFr, re);
    return true;
  });
}

test('bad input is refused with a French message: not XML, DOCTYPE, entity, wrong root, unknown namespace, unknown schema, too large', async () => {
  await refused(validatePesAller(write('notxml.xml', 'PK\u0003\u0004 binary')), /n’est pas un document XML/);
  await refused(validatePesAller(write('doctype.xml', '<?xml version="1.0"?><!DOCTYPE n:PES_Aller [<!ENTITY x "y">]><n:PES_Aller/>')), /DOCTYPE ou ENTITY/);
  await refused(validatePesAller(write('entity.xml', '<?xml version="1.0"?>\n<!ENTITY x SYSTEM "file:///etc/passwd">\n<n:PES_Aller/>')), /DOCTYPE ou ENTITY/);
  await refused(validatePesAller(write('root.xml', '<?xml version="1.0"?><Acte/>')), /racine « Acte » inattendu/);
  await refused(validatePesAller(write('ns.xml', '<?xml version="1.0"?><n:PES_Aller xmlns:n="urn:autre"/>')), /version de PES non reconnue/);
  await refused(validatePesAller(CONF('pastell-tdt/documentation/data-exemple/PES_ex.xml'), { schemaVersion: '5.99' as PesSchemaVersion }), /Version de schéma PES inconnue/);
  await refused(validatePesAller(CONF('pastell-tdt/documentation/data-exemple/PES_ex.xml'), { maxFileBytes: 1000 }), /taille maximale autorisée/);
  await refused(parsePesAcquit(CONF('pastell-tdt/documentation/data-exemple/PES_ex.xml')), /PES_ACQUIT attendu/);
});

test('a malformed or truncated PES is reported as malformed XML, not as a crash', async () => {
  const full = HEAD() + BORD(1, [PIECE(1)], '10.00') + PJS([]);
  const r = await validatePesAller(write('trunc.xml', full.slice(0, full.length - 40)));
  assert.equal(r.valid, false);
  assert.ok(r.errors.some((e) => e.code === 'XML_MAL_FORME'), JSON.stringify(r.errors));
  const r2 = await validatePesAller(write('mismatch.xml', full.replace('</BlocBordereau>', '</Bloc>')));
  assert.ok(r2.errors.some((e) => e.code === 'XML_MAL_FORME'));
});

const ackDir = CONF('sictiam-stela/pes-service/src/test/resources/data/pes-ack-ko');
const acquits = [
  ...readdirSync(ackDir).map((f) => join(ackDir, f)),
  ...expected.filter((c) => c[1] === 'PES_ACQUIT').map((c) => CONF(c[0]!)),
].filter((v, i, a) => a.indexOf(v) === i);

for (const f of acquits) {
  test(`PES_ACQUIT ${f.split('/').pop()} parses with its NomFic, status and errors`, async () => {
    const a = await parsePesAcquit(f);
    assert.ok(a.nomFic, 'NomFic (correlation key) missing');
    assert.ok(a.elements.length > 0);
    const ko = a.elements.some((e) => e.etatAck === '0');
    assert.equal(a.statut, ko ? 'KO' : 'OK');
    const text = readFileSync(f, 'latin1');
    assert.equal(a.nombreErreurs, (text.match(/<Erreur>/g) ?? []).length);
  });
}

test('the MIX acquit gives errors per bordereau, pièce and ligne with codes and labels', async () => {
  const a = await parsePesAcquit(join(ackDir, '006111_190130123456-ACK-A3020100_A0000MIX_KO.xml'));
  assert.equal(a.statut, 'KO');
  const dep = a.elements.find((e) => e.numBord === '5')!;
  assert.equal(dep.accepte, false);
  assert.equal(dep.pieces[0]!.numPiece, '20');
  assert.deepEqual(dep.pieces[0]!.lignes[0]!.erreurs[0], { code: 'ERREUR_AUTRE', libelle: '1971 - Compte fonction présent à tort', codeNumerique: '1971' });
  const pj = a.elements.find((e) => e.idUnique === 'TI00064567')!;
  assert.equal(pj.erreurs[0]!.code, 'ERREUR_DOUBLON_PJ');
  assert.equal(pj.domaineLibelle, 'pièce justificative');
});

test('an OK acquit is OK', async () => {
  const a = await parsePesAcquit(CONF('pastell-tdt/data/connector/fakeTdt/pes_acquit.xml'));
  assert.equal(a.statut, 'OK');
});

test('PES_Retour gives its type and identifiers', async () => {
  const r = await parsePesRetour(CONF('pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/HELIOS_SIMU_RETOUR_1565181244_184723364.xml'));
  assert.equal(r.typFic, 'PESRETOUR_DEP');
  assert.equal(r.entete.idPost, '082008');
  assert.equal(r.domaines[0]!.nom, 'PES_DepenseRetour');
  assert.deepEqual(r.bordereaux, [{ domaine: 'PES_DepenseRetour', exercice: '2009', numero: '1234567', pieces: 1, etatsPieces: { '01': 1 }, lignesRejetees: 0 }]);
  assert.deepEqual(retourSummaryFr(r), ['Mandats, exercice 2009, bordereau n° 1234567 : 1 pièce (1 en instance)']);
});
