import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { validatePesAller, validatePesXsd, type PesValidationReport } from './validate.ts';

const tmp = mkdtempSync(join(tmpdir(), 'pes-fast-'));
const write = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, Buffer.from(text, 'latin1'));
  return p;
};

const HEAD = `<?xml version="1.0" encoding="ISO-8859-1"?>
<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller">
<Enveloppe><Parametres><Version V="2"/><TypFic V="PESALR2"/><NomFic V="FAST1"/></Parametres><Emetteur><Sigle V="t"/><Adresse V="t"/></Emetteur></Enveloppe>
<EnTetePES><DteStr V="2024-01-01"/><IdPost V="031007"/><IdColl V="24310063300011"/><CodCol V="100"/><CodBud V="00"/></EnTetePES>
<PES_DepenseAller><EnTeteDepense><IdVer V="2"/><InfoDematerialisee V="0"/></EnTeteDepense>
`;
const LIGNE = (n: number, ht: string) =>
  `<LigneDePiece><BlocLignePiece><InfoLignePce><IdLigne V="${n}"/><Nature V="60628"/><Fonction V="64"/><TVAIntraCom V="0"/><MtHT V="${ht}"/></InfoLignePce></BlocLignePiece></LigneDePiece>\n`;
const PIECE = (id: number, obj = `Pièce ${id}`) =>
  `<Piece><BlocPiece><InfoPce><IdPce V="${id}"/><TypPce V="01"/><NatPce V="01"/><Obj V="${obj}"/></InfoPce></BlocPiece>\n${LIGNE(1, '6.00')}${LIGNE(2, '4.00')}</Piece>\n`;
const BORD = (idBord: number, pieces: string[], nbr = pieces.length) =>
  `<Bordereau Id="B${idBord}"><BlocBordereau><Exer V="2024"/><IdBord V="${idBord}"/><DteBordEm V="2024-01-01"/><TypBord V="01"/><NbrPce V="${nbr}"/><MtBordHT V="${(10 * pieces.length).toFixed(2)}"/></BlocBordereau>\n${pieces.join('')}</Bordereau>\n`;
const gz = gzipSync(Buffer.from('%PDF-1.4 facture')).toString('base64');
const PJ = (id: string, nom = 'facture.pdf', b64 = gz) =>
  `<PJ><Contenu><Fichier MIMEType="application/pdf">${b64}</Fichier></Contenu><IdUnique V="${id}"/><NomPJ V="${nom}"/><TypePJ V="003"/><Description V="Facture"/></PJ>\n`;
const TAIL = (pjs: string[]) => `</PES_DepenseAller>\n<PES_PJ><EnTetePES_PJ><IdVer V="1"/></EnTetePES_PJ>\n${pjs.join('')}</PES_PJ>\n</n:PES_Aller>\n`;
const CLEAN = HEAD + BORD(1, [PIECE(1), PIECE(2), PIECE(3)]) + BORD(2, [PIECE(4)]) + TAIL([PJ('A1'), PJ('A2', 'b.pdf')]);

/** The report without what says which path made it. */
function comparable(r: PesValidationReport): unknown {
  const { fastPath: _f, fastPathGaveUp: _g, xsdBatches: _b, largestXsdBatchChars: _l, ...stats } = r.stats;
  return { ...r, stats };
}

/**
 * Validates on the default path (fast first, xmllint's verdict on the whole file), on the fast path with the
 * WebAssembly batches, and on the exact path; the three reports must be the same. Returns the default one.
 */
async function bothPaths(file: string, batchChars?: number): Promise<PesValidationReport> {
  const cfg = batchChars === undefined ? {} : { xsdBatchChars: batchChars };
  const r = await validatePesAller(file, cfg);
  const batches = await validatePesAller(file, cfg, { fastXsd: 'wasm' });
  const exact = await validatePesAller(file, cfg, { exactOnly: true });
  assert.equal(exact.stats.fastPath, false);
  if (r.stats.fastPath) assert.equal(r.stats.xsdBatches, 0, 'xmllint gives the XSD verdict, no batch is made');
  assert.equal(batches.stats.fastPath, r.stats.fastPath, `${r.stats.fastPathGaveUp} / ${batches.stats.fastPathGaveUp}`);
  assert.deepEqual(comparable(r), comparable(exact));
  assert.deepEqual(comparable(batches), comparable(exact));
  return r;
}

test('a clean PES is answered by the fast path, with the same report as the exact path, in one batch or many', async () => {
  const f = write('clean.xml', CLEAN);
  for (const batchChars of [undefined, 1, 700]) {
    const r = await bothPaths(f, batchChars);
    assert.equal(r.valid, true, JSON.stringify(r.errors));
    assert.equal(r.stats.fastPath, true, r.stats.fastPathGaveUp);
    assert.deepEqual([r.stats.bordereaux, r.stats.pieces, r.stats.lignes, r.stats.pjs], [2, 4, 8, 2]);
    assert.equal(r.file.nomFic, 'FAST1');
  }
  const batches = await validatePesAller(f, { xsdBatchChars: 1 }, { fastXsd: 'wasm' });
  assert.ok(batches.stats.xsdBatches >= 5, `only ${batches.stats.xsdBatches} batches`);
  assert.equal((await validatePesXsd(f, { xsdBatchChars: 1 })).valid, true);
});

test('a comment, CDATA section or processing instruction inside the root sends the file to the exact path, which is not misled by a tag in it', async () => {
  // the comment holds what looks like a second Bordereau start (a byte-level cut there would break the batches)
  const inComment = CLEAN.replace('<Piece>', '<!-- <Bordereau Id="B1"><Piece> --><Piece>');
  const withPi = CLEAN.replace('<Piece>', '<?traitement <Bordereau?><Piece>');
  for (const [name, text] of [['comment.xml', inComment], ['pi.xml', withPi]] as const) {
    const r = await bothPaths(write(name, text), 1);
    assert.equal(r.stats.fastPath, false);
    assert.match(r.stats.fastPathGaveUp ?? '', /comment, CDATA section or processing instruction/);
    assert.equal(r.valid, true, JSON.stringify(r.errors));
  }
  const cdata = CLEAN.replace(`>${gz}</Fichier>`, `><![CDATA[${gz}]]></Fichier>`);
  const r = await bothPaths(write('cdata.xml', cdata), 1);
  assert.equal(r.stats.fastPath, false);
  assert.equal(r.valid, true, JSON.stringify(r.errors));
});

test('comments and processing instructions before and after the root keep the fast path', async () => {
  const text = CLEAN.replace('<n:PES_Aller', '<!-- édité par un logiciel <PES_Aller> --><?suivi oui?>\n<n:PES_Aller') + '<!-- fin -->\n';
  const r = await bothPaths(write('prolog.xml', text), 1);
  assert.equal(r.stats.fastPath, true, r.stats.fastPathGaveUp);
});

test('entities in the values read by the rules are decoded as an XML parser does', async () => {
  const text = HEAD + BORD(1, [PIECE(1, 'Travaux &amp; entretien &#233;t&#xE9;')]) + TAIL([PJ('A&#49;', 'a&amp;b.pdf')]);
  const r = await bothPaths(write('entities.xml', text), 1);
  assert.equal(r.stats.fastPath, true, r.stats.fastPathGaveUp);
  assert.equal(r.valid, true);
  // a decoded value that breaks a rule: "a/b.pdf" is not a valid NomPJ, found (and reported) like the exact path
  const bad = await bothPaths(write('entities-bad.xml', HEAD + BORD(1, [PIECE(1)]) + TAIL([PJ('A1', 'a&#47;b.pdf')])), 1);
  assert.ok(bad.errors.some((e) => e.code === 'NOMPJ'));
});

test('a ">" inside an attribute value does not mislead the fast path', async () => {
  const gtInValues = CLEAN.replace('<Obj V="Pièce 2"/>', '<Obj V="Pièce > 2 />"/>').replace('<Description V="Facture"/>', '<Description V="a/>b"/>');
  const r = await bothPaths(write('gt.xml', gtInValues), 1);
  assert.equal(r.valid, true, JSON.stringify(r.errors));
  // a value read by the rules with "/>" inside: the tag looks complete before its end; the value is not truncated
  const nom = await bothPaths(write('gt-nom.xml', HEAD + BORD(1, [PIECE(1)]) + TAIL([PJ('A1', 'x/>y.pdf')])), 1);
  assert.ok(nom.errors.some((e) => e.code === 'NOMPJ'));
});

test('files with XSD or XML findings get their report from the exact path, the same as before', async () => {
  const cases: [string, string, string][] = [
    ['xsd.xml', CLEAN.replace('<MtHT V="6.00"/>', '<MtHT V="six"/>'), 'XSD'],
    ['dup-id.xml', HEAD + BORD(1, [PIECE(1)]) + BORD(2, [PIECE(2)]).replace('Id="B2"', 'Id="B1"') + TAIL([]), 'XSD'],
    ['mismatch.xml', CLEAN.replace('</BlocBordereau>', '</Bloc>'), 'XML_MAL_FORME'],
    ['truncated.xml', CLEAN.slice(0, CLEAN.length - 30), 'XML_MAL_FORME'],
  ];
  for (const [name, text, code] of cases) {
    for (const batchChars of [1, 700]) {
      const r = await bothPaths(write(name, text), batchChars);
      assert.equal(r.stats.fastPath, false, name);
      assert.ok(r.errors.some((e) => e.code === code), `${name}: ${JSON.stringify(r.errors.map((e) => e.code))}`);
    }
  }
});

test('business rule findings of an XSD-valid file come from the fast path with the same lines and places', async () => {
  const cases: [string, string, string][] = [
    ['nbrpce.xml', HEAD + BORD(1, [PIECE(1)]) + BORD(2, [PIECE(2), PIECE(3)], 3) + TAIL([]), 'NBRPCE'],
    ['idbord.xml', HEAD + BORD(1, [PIECE(1)]) + BORD(3, [PIECE(2)]) + BORD(3, [PIECE(3)]).replace('Id="B3"', 'Id="B4"') + TAIL([]), 'IDBORD_SEQUENCE'],
    ['dup-pj.xml', HEAD + BORD(1, [PIECE(1)]) + TAIL([PJ('A1'), PJ('A2', 'x.pdf', Buffer.from('pas du gzip').toString('base64')), PJ('A1', 'c.pdf')]), 'IDUNIQUE_DOUBLON'],
    ['siret.xml', CLEAN.replace('<IdColl V="24310063300011"/>', '<IdColl V="24310063300012"/>'), 'IDCOLL_SIRET'],
    ['demat.xml', CLEAN.replace('<InfoDematerialisee V="0"/>', '<InfoDematerialisee V="1"/>'), 'DEMAT_SANS_SIGNATURE'],
    ['one-line.xml', (HEAD + BORD(1, [PIECE(1)]) + BORD(2, [PIECE(2)], 2) + TAIL([PJ('A1')])).replace(/\n/g, ''), 'NBRPCE'],
    ['crlf.xml', (HEAD + BORD(1, [PIECE(1)]) + BORD(2, [PIECE(2)], 2) + TAIL([PJ('A1')])).replace(/\n/g, '\r\n'), 'NBRPCE'],
  ];
  for (const [name, text, code] of cases) {
    for (const batchChars of [1, 700]) {
      const r = await bothPaths(write(name, text), batchChars);
      assert.equal(r.stats.fastPath, true, `${name}: ${r.stats.fastPathGaveUp}`);
      assert.ok(r.errors.some((e) => e.code === code), `${name}: ${JSON.stringify(r.errors.map((e) => e.code))}`);
      // findings on a bordereau, a PJ or the header carry their line (whole-file ones, like IdBord gaps, do not)
      if (!['IDBORD_SEQUENCE', 'DEMAT_SANS_SIGNATURE'].includes(code)) assert.ok(r.errors.some((e) => e.code === code && e.line !== undefined && (e.line > 1 || name === 'one-line.xml')), `${name}: no line`);
    }
  }
  // a lone carriage return is a line break for XML: lines are left to the exact path
  const cr = await bothPaths(write('cr.xml', (HEAD + BORD(1, [PIECE(1)], 2) + TAIL([])).replace('</EnTetePES>\n', '</EnTetePES>\r')), 1);
  assert.equal(cr.stats.fastPath, false);
  assert.match(cr.stats.fastPathGaveUp ?? '', /carriage return/);
  assert.ok(cr.errors.some((e) => e.code === 'NBRPCE'));
});

test('hostile XML is still refused with the same error when it comes after the first batch', async () => {
  const text = CLEAN.replace('<Bordereau Id="B2">', '<!DOCTYPE x [<!ENTITY a "b">]><Bordereau Id="B2">');
  const f = write('doctype-late.xml', text);
  const fr = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'no error';
    } catch (e) {
      return (e as Error & { messageFr?: string }).messageFr ?? String(e);
    }
  };
  const a = await fr(validatePesAller(f, { xsdBatchChars: 1 }));
  assert.match(a, /DOCTYPE ou ENTITY/);
  assert.equal(a, await fr(validatePesAller(f, { xsdBatchChars: 1 }, { exactOnly: true })));
});

test('Tiers subtrees jumped over by the fast walk: an end tag in a comment or with spaces does not mislead it', async () => {
  const TIERS = (inner: string, end = '</Tiers>') =>
    `<Tiers><InfoTiers><IdTiers V="37909534200018"/><NatIdTiers V="01"/><RefTiers V="4078"/><CatTiers V="50"/><NatJur V="03"/><Nom V="SOCIÉTÉ"/></InfoTiers>${inner}${end}`;
  const withTiers = (tiers: string) => CLEAN.replace(/<\/BlocLignePiece><\/LigneDePiece>/g, `</BlocLignePiece>${tiers}</LigneDePiece>`);
  const plain = await bothPaths(write('tiers.xml', withTiers(TIERS(''))), 1);
  assert.equal(plain.stats.fastPath, true, plain.stats.fastPathGaveUp);
  assert.deepEqual([plain.stats.pieces, plain.stats.lignes], [4, 8]);
  // the first "</Tiers>" is in a comment: the real one then does not match the open element
  const comment = await bothPaths(write('tiers-comment.xml', withTiers(TIERS('<!-- </Tiers> -->'))), 1);
  assert.equal(comment.stats.fastPath, false);
  assert.equal(comment.valid, true, JSON.stringify(comment.errors));
  // "</Tiers >": the next "</Tiers>" is another line's, after a "<Tiers" start: walked tag by tag instead
  const spaced = await bothPaths(write('tiers-spaced.xml', withTiers(TIERS('', '</Tiers >'))), 1);
  assert.equal(spaced.stats.fastPath, true, spaced.stats.fastPathGaveUp);
  assert.deepEqual([spaced.stats.pieces, spaced.stats.lignes], [4, 8]);
});

test('bytes in memory are validated by xmllint through its standard input, with the verdict of the exact path', async () => {
  const clean = await validatePesAller(new Uint8Array(Buffer.from(CLEAN, 'latin1')));
  assert.deepEqual([clean.valid, clean.stats.fastPath, clean.stats.xsdBatches], [true, true, 0], clean.stats.fastPathGaveUp);
  const bytes = new Uint8Array(Buffer.from(CLEAN.replace('<MtHT V="6.00"/>', '<MtHT V="six"/>'), 'latin1'));
  const bad = await validatePesAller(bytes);
  assert.equal(bad.stats.fastPathGaveUp, 'XSD issues (xmllint)');
  assert.deepEqual(comparable(bad), comparable(await validatePesAller(bytes, {}, { exactOnly: true })));
  assert.ok(bad.errors.some((e) => e.code === 'XSD'));
});
