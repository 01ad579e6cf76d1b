/**
 * The CMS written by concatenating DER parts is byte for byte what pkijs encodes for the same structure, with
 * and without a signature timestamp, and the signed attributes are canonical DER.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki, type TestPki } from '../../../../test/support/pki.ts';
import { asn1js, OID, toArrayBuffer } from '../certificates/x509.ts';
import { buildCms, buildCmsWithPkijs, buildSignedAttributes, certificatePublicKey, parseCms, parseSignedAttributes } from './cms.ts';
import { Pkcs12KeySource } from './key-source.ts';

let dir: string;
let pki: TestPki;
let chain: Uint8Array[];
let source: Pkcs12KeySource;

/** asn1js re-encodes a parsed tree node by node: equal bytes means the input was written as DER would be. */
function reencoded(der: Uint8Array): Buffer {
  const asn = asn1js.fromBER(toArrayBuffer(der));
  assert.notEqual(asn.offset, -1);
  return Buffer.from(asn.result.toBER(false));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paraphe-cms-'));
  pki = await createTestPki(join(dir, 'pki'));
  source = await Pkcs12KeySource.fromFile(pki.agents[0]!.p12Path, pki.agents[0]!.p12Password);
  chain = await source.getCertificateChain();
  assert.ok(chain.length >= 2, 'signer and intermediate');
});

after(async () => {
  await pki?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('CMS encoding', () => {
  it('signed attributes: canonical DER holding the document digest, read back unchanged', () => {
    const digest = createHash('sha256').update(randomBytes(100)).digest();
    const attrs = buildSignedAttributes(digest, chain[0]!);
    assert.equal(attrs.der[0], 0x31);
    assert.ok(reencoded(attrs.der).equals(Buffer.from(attrs.der)));
    const parsed = parseSignedAttributes(new Uint8Array(attrs.der));
    const md = parsed.find((a) => a.type === OID.messageDigest)?.values[0] as { valueBlock: { valueHexView: Uint8Array } };
    assert.ok(Buffer.from(md.valueBlock.valueHexView).equals(digest));
    assert.deepEqual(parsed.map((a) => a.type).sort(), [OID.contentType, OID.messageDigest, OID.signingCertificateV2].sort());
  });

  for (const withToken of [false, true]) {
    it(`SignedData ${withToken ? 'with' : 'without'} a timestamp token: the same bytes as pkijs, canonical DER, signature verifies`, async () => {
      const digest = createHash('sha256').update(randomBytes(1000)).digest();
      const attrs = buildSignedAttributes(digest, chain[0]!);
      const signatureValue = await source.sign({ data: attrs.der, digest: createHash('sha256').update(attrs.der).digest(), digestAlgorithm: 'SHA-256' });
      // any DER element serves as the token here: only its embedding is tested (the B-T tests use a real TSA)
      const timestampToken = withToken ? new Uint8Array(Buffer.concat([chain[1]!, Buffer.from([0, 0])])) : undefined;
      const input = { attributes: attrs.attributes, signatureValue, certificates: chain, ...(timestampToken ? { timestampToken } : {}) };
      const ours = Buffer.from(buildCms(input));
      assert.ok(ours.equals(Buffer.from(buildCmsWithPkijs(input))), 'identical to the pkijs encoding');
      assert.ok(reencoded(ours).equals(ours), 'canonical DER');
      const signedData = parseCms(ours);
      assert.equal(signedData.certificates?.length, chain.length);
      const signerInfo = signedData.signerInfos[0]!;
      assert.equal(signerInfo.unsignedAttrs?.attributes[0]?.type, withToken ? OID.timeStampToken : undefined);
      const signedAttrs = new Uint8Array(signerInfo.signedAttrs!.encodedValue);
      signedAttrs[0] = 0x31;
      assert.ok(Buffer.from(signedAttrs).equals(Buffer.from(attrs.der)));
      assert.ok(cryptoVerify('sha256', signedAttrs, certificatePublicKey(chain[0]!), Buffer.from(signerInfo.signature.valueBlock.valueHexView)));
      assert.ok(!cryptoVerify('sha256', signedAttrs, certificatePublicKey(chain[0]!), cryptoSign('sha256', Buffer.from('other'), pki.agents[1]!.privateKey)));
    });
  }
});
