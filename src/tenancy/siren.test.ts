import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidDepartement, isValidSiren, isValidSiret, withLuhnKey } from './siren.ts';

test('accepts real SIRENs and rejects a wrong Luhn key', () => {
  assert.ok(isValidSiren('286200027'));
  assert.ok(isValidSiren('210600730'));
  assert.ok(!isValidSiren('286200028'));
  assert.ok(!isValidSiren('28620002'));
  assert.ok(!isValidSiren('28620002A'));
});

test('accepts SIRETs with their key and La Poste establishments by digit sum', () => {
  assert.ok(isValidSiret('25060187900027'));
  assert.ok(!isValidSiret('25060187900028'));
  assert.ok(isValidSiret('35600000000001'));
  assert.ok(!isValidSiret('35600000000002'));
});

test('mints a SIREN with a valid key', () => {
  assert.ok(isValidSiren(withLuhnKey('21620041')));
});

test('knows département codes on three characters', () => {
  for (const ok of ['062', '02A', '02B', '974', '001', '095']) assert.ok(isValidDepartement(ok), ok);
  for (const ko of ['62', '020', '096', '977', '2A', 'ABC']) assert.ok(!isValidDepartement(ko), ko);
});
