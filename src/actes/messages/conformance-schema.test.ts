import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { conformanceDir, schemasDir } from '../../shared/paths.ts';
import { validateAgainstXsd } from '../../shared/xml/xsd.ts';
import { ACTES_XSD_PATH } from '../archive/build.ts';
import { conformancePath, xmllintSchema } from '../archive/testing.ts';

interface Row {
  path: string;
  root: string;
  expected: 'valid' | 'INVALID';
  note: string;
}

function actesRows(): Row[] {
  const lines = readFileSync(join(conformanceDir, 'EXPECTED-protocols.tsv'), 'utf8').split('\n').slice(1).filter(Boolean);
  return lines
    .map((l) => l.split('\t'))
    .filter((c) => c[2]?.startsWith('actesv1_1.xsd'))
    .map((c) => ({ path: c[0]!, root: c[1]!, expected: c[3] as Row['expected'], note: c[5] ?? '' }));
}

test('the bundled ACTES schema is byte-identical to the conformance copy', () => {
  for (const f of ['actesv1_1.xsd', 'siret.xsd', 'insee-commun.xsd']) {
    const ours = readFileSync(join(schemasDir, 'actes', f));
    const theirs = readFileSync(conformancePath(`sictiam-stela/acte-service/src/main/resources/schemas/${f}`));
    assert.ok(ours.equals(theirs), `${f} differs from the conformance copy`);
  }
});

test('EXPECTED-protocols.tsv lists the ACTES samples (at least 25)', () => {
  assert.ok(actesRows().length >= 25, `only ${actesRows().length} ACTES rows`);
});

for (const row of actesRows()) {
  test(`${row.root} ${row.path.split('/').pop()} is ${row.expected} with our validator and with xmllint`, () => {
    const file = conformancePath(row.path);
    const bytes = readFileSync(file);
    const ours = validateAgainstXsd(bytes, ACTES_XSD_PATH);
    assert.equal(ours.valid ? 'valid' : 'INVALID', row.expected, `our validator: ${JSON.stringify(ours.errors)} (${row.note})`);
    const lint = xmllintSchema(ACTES_XSD_PATH, file);
    assert.equal(lint.valid ? 'valid' : 'INVALID', row.expected, `xmllint: ${lint.output}`);
  });
}
