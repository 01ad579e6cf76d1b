/**
 * Detached CAdES checked by an independent tool: `openssl cms -verify` accepts the .p7s over the original
 * file and rejects a modified file; `openssl ts -verify` accepts the B-T signature timestamp; our verifier
 * reports signer, signing time, level and certificate, and the two-phase assembly refuses a wrong value.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki, type TestPki } from '../../../../test/support/pki.ts';
import { tool, writeIn } from '../../../../test/support/tools.ts';
import { TEST_CSV } from './test-odt.ts';
import { startTestTsa, type TestTsa } from '../../../../test/support/tsa-server.ts';
import { AppError } from '../../../shared/errors.ts';
import { HttpCrlSource } from '../certificates/crl-source.ts';
import { loadTrustAnchors } from '../certificates/trust-anchors.ts';
import { OID } from '../certificates/x509.ts';
import { parseCms } from '../pades/cms.ts';
import { Pkcs12KeySource } from '../pades/key-source.ts';
import { assembleCadesSignature, prepareCadesSignature, signCades } from './sign-cades.ts';
import { verifyCadesSignature } from './verify-cades.ts';

let dir: string;
let pki: TestPki;
let tsa: TestTsa;
let trustAnchors: Uint8Array[];
const csv = TEST_CSV;

const openssl = (args: string[]): { status: number; out: string } => tool('openssl', args, 'openssl');

const write = (name: string, bytes: Uint8Array): string => writeIn(dir, name, bytes);

const cmsVerify = (p7s: string, content: string) => openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', p7s, '-content', content, '-CAfile', pki.rootPemPath, '-purpose', 'any', '-out', '/dev/null']);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paraphe-cades-'));
  pki = await createTestPki(join(dir, 'pki'));
  tsa = await startTestTsa(pki);
  trustAnchors = loadTrustAnchors(pki.trustDir);
});
after(async () => {
  await tsa.close();
  await pki.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('detached CAdES', () => {
  it('B-B by an agent: openssl cms verifies it over the original and refuses a modified file', async () => {
    const key = await Pkcs12KeySource.fromFile(pki.agents[0].p12Path, pki.agents[0].p12Password);
    const signed = await signCades(csv, key, { trustAnchors, crlSource: new HttpCrlSource(), signingTime: new Date('2026-11-23T10:15:30.700Z') });
    assert.equal(signed.level, 'B-B');
    const p7s = write('budget.csv.p7s', signed.p7s);
    const original = write('budget.csv', csv);
    const ok = cmsVerify(p7s, original);
    assert.equal(ok.status, 0, ok.out);
    assert.match(ok.out, /Verification successful/);
    const tampered = write('budget-modifie.csv', new TextEncoder().encode(Buffer.from(csv).toString('utf8').replace('830,50', '880,50')));
    const ko = cmsVerify(p7s, tampered);
    assert.notEqual(ko.status, 0, 'a modified file must not verify');

    const sd = parseCms(signed.p7s);
    assert.equal(sd.encapContentInfo.eContent, undefined, 'detached: no encapsulated content');
    const types = (sd.signerInfos[0]!.signedAttrs?.attributes ?? []).map((a) => a.type).sort();
    assert.deepEqual(types, [OID.contentType, OID.messageDigest, OID.signingTime, OID.signingCertificateV2].sort());

    const report = await verifyCadesSignature(signed.p7s, csv, { trustAnchors });
    assert.equal(report.valid, true, JSON.stringify(report.signatures[0]?.problems));
    assert.equal(report.signatures[0]!.signer!.subject, pki.agents[0].cert.subject);
    assert.equal(report.signatures[0]!.signingTime, '2026-11-23T10:15:30.000Z');
    assert.equal(report.signatures[0]!.level, 'B-B');
    const bad = await verifyCadesSignature(signed.p7s, new Uint8Array(Buffer.from(csv).subarray(1)), { trustAnchors });
    assert.equal(bad.valid, false);
    assert.match(bad.signatures[0]!.problems.join(' '), /modifié après la signature/);
  });

  it('B-T by the seal: the timestamp covers the signature value and openssl ts verifies it', async () => {
    const key = await Pkcs12KeySource.fromFile(pki.seal.p12Path, pki.seal.p12Password);
    const signed = await signCades(csv, key, { trustAnchors, usage: 'seal', tsaUrl: tsa.url });
    assert.equal(signed.level, 'B-T');
    assert.ok(signed.timestampTime);
    const p7s = write('seal.p7s', signed.p7s);
    const ok = cmsVerify(p7s, write('seal.csv', csv));
    assert.equal(ok.status, 0, ok.out);
    const si = parseCms(signed.p7s).signerInfos[0]!;
    const token = si.unsignedAttrs!.attributes.find((a) => a.type === OID.timeStampToken)!;
    const tokenPath = write('seal.tst', new Uint8Array((token.values[0] as { toBER(s: boolean): ArrayBuffer }).toBER(false)));
    const sigPath = write('seal.sig', new Uint8Array(si.signature.valueBlock.valueHexView));
    const ts = openssl(['ts', '-verify', '-token_in', '-in', tokenPath, '-data', sigPath, '-CAfile', pki.rootPemPath, '-untrusted', pki.tsa.chainPath]);
    assert.equal(ts.status, 0, ts.out);
    const report = await verifyCadesSignature(signed.p7s, csv, { trustAnchors });
    assert.equal(report.valid, true, JSON.stringify(report.signatures[0]?.problems));
    assert.equal(report.signatures[0]!.level, 'B-T');
    assert.equal(report.signatures[0]!.timestamp?.valid, true);
  });

  it('two phases: a value that does not match the prepared data is refused; a revoked certificate is refused at preparation', async () => {
    const key = await Pkcs12KeySource.fromFile(pki.agents[1].p12Path, pki.agents[1].p12Password);
    const prepared = await prepareCadesSignature(csv, await key.getCertificateChain(), { trustAnchors, crlSource: new HttpCrlSource() });
    await assert.rejects(assembleCadesSignature(prepared, csv, new Uint8Array(256).fill(7)), (e: unknown) => e instanceof AppError && /ne correspond pas/.test(e.messageFr));
    const value = await key.sign({ data: prepared.signedAttributesDer, digest: prepared.signedAttributesDigest, digestAlgorithm: 'SHA-256' });
    await assert.rejects(assembleCadesSignature(prepared, new TextEncoder().encode('autre contenu'), value), (e: unknown) => e instanceof AppError && /ne correspond pas/.test(e.messageFr));
    const done = await assembleCadesSignature(prepared, csv, value);
    assert.equal((await verifyCadesSignature(done.p7s, csv, { trustAnchors })).valid, true);
    const revoked = await Pkcs12KeySource.fromFile(pki.revoked.p12Path, pki.revoked.p12Password);
    await assert.rejects(prepareCadesSignature(csv, await revoked.getCertificateChain(), { trustAnchors, crlSource: new HttpCrlSource() }), (e: unknown) => e instanceof AppError && /révoqué/.test(e.messageFr));
  });

  it('an untrusted signer is reported invalid by our verifier', async () => {
    const key = await Pkcs12KeySource.fromFile(pki.untrusted.p12Path, pki.untrusted.p12Password);
    const prepared = await prepareCadesSignature(csv, await key.getCertificateChain(), { trustAnchors: loadTrustAnchors(pki.untrustedRoot.certPath) });
    const value = await key.sign({ data: prepared.signedAttributesDer, digest: prepared.signedAttributesDigest, digestAlgorithm: 'SHA-256' });
    const p7s = (await assembleCadesSignature(prepared, csv, value)).p7s;
    const report = await verifyCadesSignature(p7s, csv, { trustAnchors });
    assert.equal(report.valid, false);
    assert.equal(report.signatures[0]!.integrity.valid, true);
    assert.match(report.signatures[0]!.problems.join(' '), /Autorité de certification non reconnue/);
  });
});
