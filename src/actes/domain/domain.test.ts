import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AppError } from '../../shared/errors.ts';
import { parseRetourClassification } from '../classification/classification.ts';
import { conformancePath } from '../archive/testing.ts';
import {
  buildIdActe,
  checkNumeroInterne,
  checkObjet,
  collectiviteNatureLabel,
  isValidDepartement,
  natureByAbbr,
  natureByCode,
  normalizeDepartement,
  normalizeObjet,
  parseActeMetadata,
  parseIdActe,
  s2lowStatusByCode,
  S2LOW_STATUSES,
  validateActeMetadata,
  validateCollectivite,
  NATURES,
} from './index.ts';

const valid = {
  nature: 'DE',
  classification: '7.1',
  numeroInterne: '2024_015',
  dateDecision: '2024-02-28',
  objet: "Délibération relative à l'éclairage",
  typologieActe: '99_DE',
};

test('nature codes 1-6 map to DE/AR/AI/CC/BF/AU with French labels', () => {
  assert.deepEqual(NATURES.map((n) => `${n.code}${n.abbr}`), ['1DE', '2AR', '3AI', '4CC', '5BF', '6AU']);
  assert.equal(natureByCode(5)?.label, 'Documents budgétaires et financiers');
  assert.equal(natureByAbbr('CC')?.code, 4);
  assert.equal(natureByCode(7), undefined);
});

test('départements: strict pattern plus whitelist (02A/02B, DOM), 999 only for the test platform', () => {
  for (const d of ['001', '062', '095', '02A', '02B', '971', '972', '973', '974', '975', '976']) assert.ok(isValidDepartement(d), d);
  for (const d of ['000', '020', '096', '02C', '2A', '62', '|62', '0|2', '970', '979', '999', '062 ']) assert.ok(!isValidDepartement(d), d);
  assert.ok(isValidDepartement('999', { allowTest: true }));
  assert.equal(normalizeDepartement('62'), '062');
  assert.equal(normalizeDepartement('2a'), '02A');
  assert.equal(normalizeDepartement('20'), undefined);
});

test('numéro interne: 1-15 of [A-Z0-9_], with a precise French message for lowercase, space and length', () => {
  assert.equal(checkNumeroInterne('DEL_2024_001'), undefined);
  assert.match(checkNumeroInterne('del2024')!, /contient des minuscules/);
  assert.match(checkNumeroInterne('DEL 2024')!, /contient une espace/);
  assert.match(checkNumeroInterne('DEL-2024')!, /le caractère « - »/);
  assert.match(checkNumeroInterne('A'.repeat(16))!, /16 caractères, 15 au plus/);
  assert.match(checkNumeroInterne('')!, /obligatoire/);
});

test('objet: 1-499 characters, no line break, ISO-8859-1 only; normalizeObjet offers a fix', () => {
  assert.equal(checkObjet("Délibération relative à l'éclairage"), undefined);
  assert.match(checkObjet('a\nb')!, /retour à la ligne/);
  assert.match(checkObjet('x'.repeat(500))!, /500 caractères, 499 au plus/);
  assert.match(checkObjet('Maîtrise d’œuvre')!, /« ’ » \(U\+2019\).*ISO-8859-1/);
  assert.match(checkObjet('   ')!, /obligatoire/);
  assert.equal(normalizeObjet('Maîtrise d’œuvre – 10 €\r\nsuite'), "Maîtrise d'oeuvre - 10 EUR suite");
  assert.equal(checkObjet(normalizeObjet('Maîtrise d’œuvre – 10 €')), undefined);
});

test('the unique ID is built from the decision date and parsed back', () => {
  const id = buildIdActe({ departement: '062', siren: '286200027', dateDecision: '2023-12-19', numeroInterne: '2023_63', nature: 1 });
  assert.equal(id, '062-286200027-20231219-2023_63-DE');
  assert.deepEqual(parseIdActe(id), { departement: '062', siren: '286200027', dateDecision: '2023-12-19', numeroInterne: '2023_63', nature: 'DE' });
  assert.equal(parseIdActe('062-28620002-20231219-2023_63-DE'), undefined);
});

test('building an ID with a bad département, SIREN, nature or numéro fails with every field in French', () => {
  assert.throws(
    () => buildIdActe({ departement: '20', siren: '12345678', dateDecision: '2023-02-30', numeroInterne: 'a b', nature: 9 }),
    (e: unknown) => {
      assert.ok(e instanceof AppError);
      const fields = (e.details as { errors: { field: string }[] }).errors.map((x) => x.field);
      assert.deepEqual(fields, ['departement', 'siren', 'dateDecision', 'numeroInterne', 'nature']);
      assert.match(e.messageFr, /Le département « 20 »/);
      assert.match(e.messageFr, /La nature d’acte « 9 » n’existe pas/);
      return true;
    },
  );
});

test('valid metadata is normalised (nature code, classification path, defaults)', () => {
  const m = parseActeMetadata(valid);
  assert.equal(m.nature, 1);
  assert.deepEqual(m.classification, [7, 1]);
  assert.equal(m.documentPapier, false);
  assert.deepEqual(m.typologieAnnexes, []);
});

test('bad metadata lists every problem with its field, in French', () => {
  const r = validateActeMetadata({
    nature: 'XX',
    classification: '7',
    numeroInterne: 'del 1',
    dateDecision: '28/02/2024',
    objet: 'a\r\nb',
    typologieActe: 'DE',
    typologieAnnexes: ['99_DE', 12],
    precedentIdActe: 'nope',
  });
  assert.equal(r.ok, false);
  const errors = r.ok ? [] : r.errors;
  const byField = Object.fromEntries(errors.map((e) => [e.field, e.message]));
  assert.match(byField.nature!, /« XX » n’existe pas/);
  assert.match(byField.classification!, /de 2 à 5 niveaux/);
  assert.match(byField.numeroInterne!, /minuscules/);
  assert.match(byField.dateDecision!, /n’est pas une date valide/);
  assert.match(byField.objet!, /retour à la ligne/);
  assert.match(byField.typologieActe!, /n’a pas la forme attendue/);
  assert.match(byField['typologieAnnexes.1']!, /typologie/);
  assert.match(byField.precedentIdActe!, /acte précédent/);
  for (const e of errors) assert.doesNotMatch(e.message, /Invalid|Expected/);
});

test('against a classification: unknown matière and typology not valid for the nature are refused', () => {
  const cls = parseRetourClassification(readFileSync(conformancePath('pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/999-1234----7-2_1.xml')));
  assert.equal(validateActeMetadata({ ...valid, typologieAnnexes: ['41_RA'] }, { classification: cls }).ok, true);
  const r = validateActeMetadata({ ...valid, nature: 6, classification: '10.1', typologieActe: '99_DE', typologieAnnexes: ['99_SE', '22_CO'] }, { classification: cls });
  assert.equal(r.ok, false);
  const errors = r.ok ? [] : r.errors;
  assert.deepEqual(errors.map((e) => e.field), ['classification', 'typologieActe', 'typologieAnnexes.1']);
  assert.match(errors[1]!.message, /« 99_DE » de l’acte n’est pas admis pour la nature « Autres » \(admis : 99_AU, 99_SE\)/);
});

test('collectivité: SIREN key, département, arrondissement, nature and @CTES e-mail pattern are checked', () => {
  const ok = validateCollectivite({ siren: '214400152', departement: '044', arrondissement: 1, nature: '31', adressesRetour: ['a@b.bzh'] });
  assert.equal(ok.ok, true);
  assert.equal(ok.ok && ok.value.arrondissement, '1');
  assert.equal(collectiviteNatureLabel('31'), 'Commune');
  const bad = validateCollectivite({ siren: '21440015A', departement: '044', arrondissement: '1', nature: '31', adressesRetour: ['x+y@b.fr', 'a@b.bretagne'] });
  const msgs = bad.ok ? [] : bad.errors.map((e) => `${e.field}: ${e.message}`);
  assert.equal(msgs.length, 3);
  assert.match(msgs[0]!, /^siren: Le SIREN « 21440015A » doit comporter exactement 9 chiffres/);
  assert.match(msgs[1]!, /^adressesRetour\.0: .*pas de « \+ »/);
  assert.match(msgs[2]!, /^adressesRetour\.1: /);
  assert.equal(validateCollectivite({ siren: '999100057', departement: '999', arrondissement: '0', nature: '31', adressesRetour: ['a@b.fr'] }, { testPlatform: true }).ok, true);
  assert.equal(validateCollectivite({ siren: '999100057', departement: '999', arrondissement: '0', nature: '31', adressesRetour: ['a@b.fr'] }).ok, false);
});

test('the S²LOW state table keeps its numbers (A.10)', () => {
  assert.equal(S2LOW_STATUSES.length, 24);
  assert.equal(s2lowStatusByCode(4)?.label, 'Acquittement reçu');
  assert.equal(s2lowStatusByCode(-1)?.key, 'ERREUR');
  assert.equal(s2lowStatusByCode(17)?.label, 'En attente d’être postée');
  assert.equal(s2lowStatusByCode(22)?.label, 'Impossible d’envoyer au SAE');
});
