/**
 * CAdES co-signature checked by openssl: `openssl cms -verify` (which verifies every SignerInfo) accepts a
 * two-signer .p7s over the original and refuses it once one byte changes; `openssl cms -cmsout -print` shows
 * two signerInfos; a B-T first signer keeps a timestamp `openssl ts -verify` accepts after a B-B co-signer
 * joins. A .p7s over another file, an attached signature or garbage is refused with a French message.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki, type TestPki } from '../../../../test/support/pki.ts';
import { tool, writeIn } from '../../../../test/support/tools.ts';
import { TEST_CSV } from './test-odt.ts';
import { startTestTsa, type TestTsa } from '../../../../test/support/tsa-server.ts';
import { AppError } from '../../../shared/errors.ts';
import { loadTrustAnchors } from '../certificates/trust-anchors.ts';
import { asn1js, OID, toArrayBuffer } from '../certificates/x509.ts';
import { parseCms } from '../pades/cms.ts';
import { Pkcs12KeySource } from '../pades/key-source.ts';
import { assembleCadesCosignature, cosignCades, prepareCadesCosignature } from './cosign-cades.ts';
import { signCades, type CadesSignResult } from './sign-cades.ts';
import { verifyCadesSignature } from './verify-cades.ts';

let dir: string;
let pki: TestPki;
let tsa: TestTsa;
let trustAnchors: Uint8Array[];
/** The agent's B-T signature: the first signer of every co-signature below. */
let first: CadesSignResult;
const csv = TEST_CSV;

const openssl = (args: string[]): { status: number; out: string } => tool('openssl', args, 'openssl');

const write = (name: string, bytes: Uint8Array): string => writeIn(dir, name, bytes);

const cmsVerify = (p7s: string, content: string) =>
  openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', p7s, '-content', content, '-CAfile', pki.rootPemPath, '-certfile', pki.intermediate.certPath, '-purpose', 'any', '-out', '/dev/null']);

const refusedWith = (re: RegExp) => (e: unknown) => e instanceof AppError && re.test(e.messageFr);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paraphe-cosign-'));
  pki = await createTestPki(join(dir, 'pki'));
  tsa = await startTestTsa(pki);
  trustAnchors = loadTrustAnchors(pki.trustDir);
  const agent = await Pkcs12KeySource.fromFile(pki.agents[0].p12Path, pki.agents[0].p12Password);
  first = await signCades(csv, agent, { trustAnchors, tsaUrl: tsa.url, signingTime: new Date('2026-11-23T10:00:00Z') });
});
after(async () => {
  await tsa.close();
  await pki.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CAdES co-signature', () => {
  it('a B-B seal joins a B-T signature: openssl verifies both signers, the first one unchanged with its timestamp', async () => {
    const seal = await Pkcs12KeySource.fromFile(pki.seal.p12Path, pki.seal.p12Password);
    const co = await cosignCades(first.p7s, csv, seal, { trustAnchors, usage: 'seal', level: 'B-B', signingTime: new Date('2026-11-23T11:00:00Z') });
    const p7s = write('budget.csv.p7s', co.p7s);
    const original = write('budget.csv', csv);
    const ok = cmsVerify(p7s, original);
    assert.equal(ok.status, 0, ok.out);
    assert.match(ok.out, /Verification successful/);
    const changed = new Uint8Array(csv);
    changed[0] = changed[0]! ^ 1;
    assert.notEqual(cmsVerify(p7s, write('budget-modifie.csv', changed)).status, 0, 'one changed byte must fail');
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', p7s]).out;
    assert.equal(printed.match(/signerInfos:/g)?.length, 1, printed);
    assert.equal(printed.match(/signatureAlgorithm:/g)?.length, 2, 'two SignerInfos');

    // The first SignerInfo is carried byte for byte; the SET OF SignerInfo stays in DER order.
    const setOf = (der: Uint8Array) => {
      const ci = asn1js.fromBER(toArrayBuffer(der)).result as asn1js.Sequence;
      const sd = (ci.valueBlock.value[1] as asn1js.Constructed).valueBlock.value[0] as asn1js.Sequence;
      return (sd.valueBlock.value.at(-1) as asn1js.Set).valueBlock.value.map((v) => Buffer.from(v.valueBeforeDecodeView));
    };
    const [before1] = setOf(first.p7s);
    const after2 = setOf(co.p7s);
    assert.equal(after2.length, 2);
    assert.ok(after2.some((x) => x.equals(before1!)), 'the earlier SignerInfo is unchanged');
    assert.ok(Buffer.compare(after2[0]!, after2[1]!) < 0, 'DER SET OF: sorted by encoding');

    const sd = parseCms(co.p7s);
    assert.equal(sd.encapContentInfo.eContent, undefined);
    assert.deepEqual(sd.digestAlgorithms.map((a) => a.algorithmId), [OID.sha256], 'digestAlgorithms is a union without duplicates');
    const agentSi = sd.signerInfos.find((si) => si.unsignedAttrs)!;
    const token = agentSi.unsignedAttrs!.attributes.find((a) => a.type === OID.timeStampToken)!;
    const ts = openssl(['ts', '-verify', '-token_in', '-in', write('agent.tst', new Uint8Array((token.values[0] as { toBER(s: boolean): ArrayBuffer }).toBER(false))), '-data', write('agent.sig', new Uint8Array(agentSi.signature.valueBlock.valueHexView)), '-CAfile', pki.rootPemPath, '-untrusted', pki.tsa.chainPath]);
    assert.equal(ts.status, 0, ts.out);

    const report = await verifyCadesSignature(co.p7s, csv, { trustAnchors });
    assert.equal(report.valid, true, JSON.stringify(report.signatures.map((s) => s.problems)));
    assert.deepEqual(report.signatures.map((s) => [s.signer?.subject, s.level, s.valid, s.timestamp?.valid ?? null]), [
      [pki.agents[0].cert.subject, 'B-T', true, true],
      [pki.seal.cert.subject, 'B-B', true, null],
    ], 'every signer, in signing order');
    assert.equal((await verifyCadesSignature(co.p7s, changed, { trustAnchors })).valid, false);
  });

  it('two phases: a third signer joins the co-signature; the .p7s named at preparation is required at assembly', async () => {
    const seal = await Pkcs12KeySource.fromFile(pki.seal.p12Path, pki.seal.p12Password);
    const two = (await cosignCades(first.p7s, csv, seal, { trustAnchors, usage: 'seal' })).p7s;
    const agent = await Pkcs12KeySource.fromFile(pki.agents[1].p12Path, pki.agents[1].p12Password);
    const prepared = await prepareCadesCosignature(two, csv, await agent.getCertificateChain(), { trustAnchors });
    const value = await agent.sign({ data: prepared.signedAttributesDer, digest: prepared.signedAttributesDigest, digestAlgorithm: 'SHA-256' });
    await assert.rejects(assembleCadesCosignature(prepared, first.p7s, csv, value), refusedWith(/a changé depuis la préparation/));
    const three = await assembleCadesCosignature(prepared, two, csv, value);
    const ok = cmsVerify(write('three.p7s', three.p7s), write('three.csv', csv));
    assert.equal(ok.status, 0, ok.out);
    const report = await verifyCadesSignature(three.p7s, csv, { trustAnchors });
    assert.equal(report.signatures.length, 3);
    assert.equal(report.valid, true, JSON.stringify(report.signatures.map((s) => s.problems)));
  });

  it('refuses a .p7s over another file, an attached signature and garbage, in French', async () => {
    const seal = await Pkcs12KeySource.fromFile(pki.seal.p12Path, pki.seal.p12Password);
    const options = { trustAnchors, usage: 'seal' as const };
    const other = new TextEncoder().encode('un autre fichier');
    await assert.rejects(cosignCades(first.p7s, other, seal, options), refusedWith(/porte sur un autre document/));
    const attached = openssl(['cms', '-sign', '-binary', '-nodetach', '-outform', 'DER', '-in', write('a.csv', csv), '-signer', pki.seal.certPath, '-inkey', pki.seal.keyPath, '-out', join(dir, 'attached.p7s')]);
    assert.equal(attached.status, 0, attached.out);
    await assert.rejects(cosignCades(new Uint8Array(spawnSync('cat', [join(dir, 'attached.p7s')]).stdout), csv, seal, options), refusedWith(/signature attachée/));
    await assert.rejects(cosignCades(new TextEncoder().encode('pas une signature'), csv, seal, options), refusedWith(/pas une signature CMS lisible/));
    const truncated = first.p7s.subarray(0, first.p7s.length - 10);
    await assert.rejects(cosignCades(truncated, csv, seal, options), refusedWith(/pas une signature CMS lisible/));
    const forged = new Uint8Array(first.p7s);
    const sig = Buffer.from(parseCms(first.p7s).signerInfos[0]!.signature.valueBlock.valueHexView);
    const at = Buffer.from(forged).indexOf(sig) + 10;
    forged[at] = forged[at]! ^ 1;
    await assert.rejects(cosignCades(forged, csv, seal, options), refusedWith(/n’est pas valide/));
  });
});
