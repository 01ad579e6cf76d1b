import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AppError } from '../../shared/errors.ts';
import { conformancePath } from '../archive/testing.ts';
import { parseActesMessage } from '../messages/parse.ts';
import {
  findMatiere,
  flattenMatieres,
  hasTypologie,
  isTypologieValidForNature,
  matiereLabels,
  matierePathExists,
  parseMatiereCode,
  parseRetourClassification,
  typologiesForNature,
  type Classification,
} from './classification.ts';

const ALL = [1, 2, 3, 4, 5, 6];

/** typology: natures that carry TypePJNatureActe codes; se: whether 99_SE is offered for every nature. */
const SAMPLES: { path: string; date: string; typology: number[]; se?: boolean }[] = [
  { path: 'pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/999-1234----7-2_1.xml', date: '2019-04-18', typology: ALL },
  { path: 'pastell-flows/test/PHPUnit/connecteur/fast-tdt/fixtures/999-1234----7-2_1.xml', date: '2019-04-18', typology: ALL },
  { path: 'pastell-tdt/test/PHPUnit/connecteur/fast-tdt/fixtures/999-1234----7-2_9.xml', date: '2019-04-17', typology: ALL },
  { path: 'pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/classification-exemple.xml', date: '2019-03-01', typology: ALL },
  { path: 'pastell-tdt/documentation/data-exemple/classification.xml', date: '2018-11-28', typology: ALL },
  { path: 'pastell-tdt/test/PHPUnit/module/actes-generique/fixtures/classification.xml', date: '2017-11-13', typology: ALL, se: false },
  { path: 'sictiam-stela/acte-service/src/test/resources/data/exemple_codes_matieres.xml', date: '2017-12-08', typology: ALL },
  { path: 'sictiam-stela/acte-service/src/main/resources/examples/exemple_codes_matieres.xml', date: '2017-04-19', typology: [6], se: false },
  { path: 'pastell-tdt/data/connector/fakeTdt/classification.xml', date: '2004-04-01', typology: [], se: false },
];

const NATIONAL_LEVEL1 = [
  [1, 'Commande publique'],
  [2, 'Urbanisme'],
  [3, 'Domaine et patrimoine'],
  [4, 'Fonction publique'],
  [5, 'Institutions et vie politique'],
  [6, 'Libertés publiques et pourvoirs de police'], // sic, in every sample
  [7, 'Finances locales'],
  [8, 'Domaines de competences par themes'], // unaccented in this sample
  [9, 'Autres domaines de competences'],
] as const;

const load = (p: string): Classification => parseRetourClassification(readFileSync(conformancePath(p)));
const countLevel = (c: Classification, level: number): number => flattenMatieres(c).filter((m) => m.level === level).length;

for (const s of SAMPLES) {
  test(`RetourClassification ${s.path.split('/').slice(-1)[0]} (${s.date}) parses into 9 matières of level 1 with 6 natures`, () => {
    const c = load(s.path);
    assert.equal(c.dateClassification, s.date);
    assert.deepEqual(c.matieres.map((m) => m.code), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(countLevel(c, 2), 57);
    assert.deepEqual(c.natures.map((n) => n.code), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(c.natures.map((n) => n.typeAbrege), ['DE', 'AR', 'AI', 'CC', 'BF', 'AU']);
    assert.deepEqual(c.natures.filter((n) => hasTypologie(c, n.code)).map((n) => n.code), s.typology);
    if (s.se !== false) for (const n of c.natures) assert.ok(isTypologieValidForNature(c, n.code, '99_SE'), `99_SE for ${n.code}`);
  });
}

test('the 2019-04-18 classification has 9 / 57 / 225 nodes at levels 1-3 and none deeper, with national labels', () => {
  const c = load(SAMPLES[0]!.path);
  assert.deepEqual([1, 2, 3, 4, 5].map((l) => countLevel(c, l)), [9, 57, 225, 0, 0]);
  for (const [code, label] of NATIONAL_LEVEL1) {
    assert.equal(c.matieres.find((m) => m.code === code)?.libelle.toLowerCase(), label.toLowerCase());
  }
  assert.deepEqual(matiereLabels(c, [1, 1])?.[1], 'Marchés publics');
  assert.equal(findMatiere(c, [7, 1])?.path.join('.'), '7.1');
});

test('the 2019-03-01 classification reaches level 4 and the path check follows every level', () => {
  const c = load(SAMPLES[3]!.path);
  assert.equal(countLevel(c, 4), 10);
  const deep = flattenMatieres(c).find((m) => m.level === 4)!;
  assert.ok(matierePathExists(c, deep.path));
  assert.ok(!matierePathExists(c, [...deep.path.slice(0, 3), 99]));
  assert.ok(!matierePathExists(c, [42, 1]));
  assert.ok(!matierePathExists(c, []));
});

test('typology of the 2019-04-18 classification: DE 18 codes, AI 36, CC 47, BF 70_DE/99_BU/99_SE, AU 99_AU/99_SE', () => {
  const c = load(SAMPLES[0]!.path);
  const codes = (n: number): string[] => (typologiesForNature(c, n) ?? []).map((t) => t.code).sort();
  assert.equal(codes(1).length, 18);
  assert.ok(codes(1).includes('99_DE'));
  assert.equal(codes(3).length, 36);
  assert.equal(codes(4).length, 47);
  assert.deepEqual(codes(5), ['70_DE', '99_BU', '99_SE']);
  assert.deepEqual(codes(6), ['99_AU', '99_SE']);
  assert.ok(isTypologieValidForNature(c, 3, '22_CO'));
  assert.ok(!isTypologieValidForNature(c, 5, '99_DE'), '99_DE is not a budget typology');
  assert.equal(typologiesForNature(c, 6)?.find((t) => t.code === '99_SE')?.libelle, 'Fichier de signature électronique');
});

test('a RetourClassification read through the generic message parser carries the same tree', () => {
  const bytes = readFileSync(conformancePath(SAMPLES[0]!.path));
  const m = parseActesMessage(bytes);
  assert.equal(m.kind, 'RetourClassification');
  assert.equal(m.code, '7-2');
  assert.deepEqual(m.kind === 'RetourClassification' && m.classification, parseRetourClassification(bytes));
});

test('matière codes are read from "7.1.2" and refused when malformed', () => {
  assert.deepEqual(parseMatiereCode('7.1.2'), [7, 1, 2]);
  assert.equal(parseMatiereCode('7..1'), undefined);
  assert.equal(parseMatiereCode('1.2.3.4.5.6'), undefined);
});

test('a file that is not a classification is refused in French', () => {
  const ar = readFileSync(conformancePath('pastell-tdt/test/PHPUnit/connecteur-type/TdT/fixtures/ACTE-ar-annulation.xml'));
  assert.throws(() => parseRetourClassification(ar), (e: unknown) => e instanceof AppError && /n’est pas une classification/.test(e.messageFr));
});
