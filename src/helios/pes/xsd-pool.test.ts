import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xsdValidatorFor, xsdWorkersAlive } from './xsd-pool.ts';

test('XSD batches in flight together are validated by two workers, each answer going to its own request', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-xsd-pool-'));
  try {
    const xsd = join(dir, 'n.xsd');
    writeFileSync(
      xsd,
      '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="n" type="xs:integer"/></xs:schema>',
    );
    const v = xsdValidatorFor(xsd);
    const texts = Array.from({ length: 8 }, (_, i) => (i % 3 === 0 ? `<n>abc${i}</n>` : `<n>${i}</n>`));
    const answers = await Promise.all(texts.map((t) => v.validate(t)));
    answers.forEach((issues, i) => {
      if (i % 3 === 0) {
        assert.equal(issues.length, 1, `batch ${i}`);
        assert.match(issues[0]!.message, new RegExp(`'abc${i}'`));
      } else assert.deepEqual(issues, [], `batch ${i}`);
    });
    assert.equal(xsdWorkersAlive(), Math.min(2, availableParallelism()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
