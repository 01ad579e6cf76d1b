import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestPdf } from '../parapheur/signature/pades/test-pdf.ts';
import { mayBeEncryptedPdf, qpdfIsEncrypted } from './ports.ts';

test('an encrypted PDF is recognised (qpdf), a plain one without spawning anything, an escaped /Encrypt name is still suspected', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-enc-'));
  try {
    const plain = Buffer.from(await makeTestPdf({ lines: ['Acte en clair.'] }));
    writeFileSync(join(dir, 'plain.pdf'), plain);
    execFileSync('qpdf', ['--encrypt', 'u', 'o', '256', '--', join(dir, 'plain.pdf'), join(dir, 'locked.pdf')]);
    const locked = readFileSync(join(dir, 'locked.pdf'));
    assert.equal(mayBeEncryptedPdf(plain), false);
    assert.equal(qpdfIsEncrypted(plain), false);
    assert.equal(mayBeEncryptedPdf(locked), true);
    assert.equal(qpdfIsEncrypted(locked), true);
    const escaped = Buffer.from(locked.toString('latin1').replaceAll('/Encrypt', '/Encr#79pt'), 'latin1');
    assert.equal(mayBeEncryptedPdf(escaped), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
