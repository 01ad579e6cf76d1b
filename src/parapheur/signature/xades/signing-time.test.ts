import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePesAller, xadesTestKeys } from '../../../../test/support/xades-keys.ts';
import { KeySigner, signPes, verifyPesSignatures } from './index.ts';

test('the SigningTime that is digested is the one written, even when the clock passes a second in between', async () => {
  const keys = xadesTestKeys();
  const signer = new KeySigner(keys.signerCertPem, keys.signerKeyPem);
  const RealDate = Date;
  let now = RealDate.now();
  // every `new Date()` is one second later than the previous one
  class TickingDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length > 0) super(...(args as [string]));
      else {
        super(now);
        now += 1000;
      }
    }
  }
  globalThis.Date = TickingDate as DateConstructor;
  let signed: Buffer;
  try {
    signed = await signPes(generatePesAller(2, 3), signer, { role: 'Ordonnateur' });
  } finally {
    globalThis.Date = RealDate;
  }
  const r = verifyPesSignatures(signed);
  assert.equal(r.signatures.length, 2);
  assert.ok(r.valid, JSON.stringify(r.signatures.map((s) => s.errors)));
});
