import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ACCENTED_SAMPLE, generatePesAller } from '../../../../test/support/xades-keys.ts';
import { decodePes, decodePesLazily, Latin1Text } from './encoding.ts';
import { scanPes, standaloneFragment, type ElementSpan } from './scan.ts';

const spans = (el: ElementSpan): unknown[] => [[el.qname, el.start, el.openEnd, el.closeStart, el.end], ...el.children.flatMap(spans)];

test('an ISO-8859-1 PES is read through a Latin1Text view, with the same spans and fragments as its decoded text', () => {
  for (const bytes of [readFileSync(ACCENTED_SAMPLE), generatePesAller(30, 60)]) {
    const lazy = decodePesLazily(bytes);
    assert.ok(lazy.text instanceof Latin1Text);
    const { text } = decodePes(bytes);
    const a = scanPes(text);
    const b = scanPes(lazy.text);
    assert.deepEqual(spans(b.root), spans(a.root));
    assert.deepEqual([...b.ids], [...a.ids]);
    const bordereaux = a.root.children.flatMap((d) => d.children.filter((c) => c.local === 'Bordereau'));
    assert.ok(bordereaux.length > 0);
    for (const bd of bordereaux) assert.equal(standaloneFragment(lazy.text, bd), standaloneFragment(text, bd));
    assert.equal(lazy.text.slice(0), text);
    assert.match(lazy.text.slice(0), /[éèàçÉ]/);
  }
});

test('the Latin1Text view still refuses a DOCTYPE, and UTF-8 files are decoded as before', () => {
  const doctype = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<x/>', 'latin1');
  assert.throws(() => decodePesLazily(doctype), /DOCTYPE/);
  const utf8 = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><x>é</x>', 'utf8');
  assert.equal(decodePesLazily(utf8).text, '<?xml version="1.0" encoding="UTF-8"?><x>é</x>');
});
