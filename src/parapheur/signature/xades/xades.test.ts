import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { AppError } from '../../../shared/errors.ts';
import { conformanceDir } from '../../../shared/paths.ts';
import { ACCENTED_SAMPLE, generatePesAller, xadesTestKeys } from '../../../../test/support/xades-keys.ts';
import { assembleXadesSignature, KeySigner, pkcs12Signer, prepareXadesSignature, prepareXadesSignatureAsync, signPes, verifyPesSignatures } from './index.ts';
import { Latin1Text } from './encoding.ts';
import { bordereauInteriors, scanPes, verifySkipped } from './scan.ts';

const keys = xadesTestKeys();
const work = mkdtempSync(join(tmpdir(), 'paraphe-xades-test-'));
const XSD = join(conformanceDir, 'iparapheur-v5-xsd/src/test/resources/xsd/schemas_pes_v5.17/PES_V2/Rev0/PES_Aller.xsd');
const STELA = join(conformanceDir, 'sictiam-stela/pes-service/src/test/resources/data');
const OLD_SHA1 = join(conformanceDir, 'pastell-tdt/test/PHPUnit/connecteur-type/glaneur/fixtures/pes_manifest/PESALR2_49101169800000_171227_2045.xml');
const UTF8_SAMPLE = join(conformanceDir, 'iparapheur-v5-xsd/src/test/resources/files/xml/PESALR1_unsigned.xml');
const signer = () => new KeySigner(keys.signerCertPem, keys.signerKeyPem);
const place = { role: 'Maire délégué', city: 'Saint-Étienne', postalCode: '42000', countryName: 'FR' };

/** Runs an external tool; a missing tool fails the test loudly (never a skip). */
function tool(cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} is required for this test (apt-get install -y xmlsec1 libxml2-utils): ${r.error.message}`);
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function write(name: string, bytes: Uint8Array): string {
  const p = join(work, name);
  writeFileSync(p, bytes);
  return p;
}

function xmlsecVerify(file: string, bordereauIndex: number): { status: number; out: string } {
  return tool('xmlsec1', [
    '--verify', '--id-attr:Id', 'Bordereau', '--id-attr:Id', 'http://uri.etsi.org/01903/v1.1.1#:SignedProperties',
    '--trusted-pem', keys.caCertPath,
    '--node-xpath', `(//*[local-name()='Bordereau'])[${bordereauIndex}]/*[local-name()='Signature']`,
    file,
  ]);
}

function xsdValid(file: string): { status: number; out: string } {
  return tool('xmllint', ['--noout', '--schema', XSD, file]);
}

test('signed accented ISO-8859-1 PES validates against the PES v5.17 XSD and xmlsec1 accepts its signature', async () => {
  const input = readFileSync(ACCENTED_SAMPLE);
  const out = await signPes(input, signer(), place);
  const file = write('accent-signed.xml', out);
  assert.match(out.subarray(0, 60).toString('latin1'), /encoding="ISO-8859-1"/);
  // Accents stay Latin-1 bytes: "Test é(-è_çà)=" in LibelleColBud, never UTF-8.
  assert.ok(out.includes(iconv.encode('<LibelleColBud V="Test é(-è_çà)="/>', 'latin1')));
  assert.ok(!out.includes(Buffer.from('é', 'utf8')));
  assert.ok(out.includes(iconv.encode('<xad:City>Saint-Étienne</xad:City>', 'latin1')));
  const xsd = xsdValid(file);
  assert.equal(xsd.status, 0, xsd.out);
  const v = xmlsecVerify(file, 1);
  assert.equal(v.status, 0, v.out);
  assert.match(v.out, /SignedInfo References \(ok\/all\): 2\/2/);
});

test('everything outside the inserted signature stays byte-identical, InfoDematerialisee set to 1', async () => {
  const input = readFileSync(ACCENTED_SAMPLE);
  const out = await signPes(input, signer());
  const stripped = out.toString('latin1').replace(/<ds:Signature [\s\S]*?<\/ds:Signature>/g, '');
  assert.equal(stripped, input.toString('latin1').replace('<InfoDematerialisee V="0"/>', '<InfoDematerialisee V="1"/>'));
});

test('multi-bordereau PES: every bordereau signature passes xmlsec1, XSD and our verifier; a tampered copy is rejected', async () => {
  const input = generatePesAller(3, 2);
  const out = await signPes(input, signer(), place);
  const file = write('multi-signed.xml', out);
  assert.equal(xsdValid(file).status, 0, xsdValid(file).out);
  for (const i of [1, 2, 3]) {
    const v = xmlsecVerify(file, i);
    assert.equal(v.status, 0, `bordereau ${i}: ${v.out}`);
  }
  const ours = verifyPesSignatures(out, { trustAnchors: [keys.caCertPem] });
  assert.equal(ours.valid, true, JSON.stringify(ours.signatures.map((s) => s.errors)));
  assert.deepEqual(ours.signatures.map((s) => s.target.id), ['BORD1', 'BORD2', 'BORD3']);
  assert.deepEqual(ours.signatures[0]!.claimedRoles, ['Maire délégué']);
  assert.equal(ours.signatures[0]!.productionPlace?.city, 'Saint-Étienne');
  assert.equal(ours.signatures[0]!.trusted, true);

  // Tamper with an amount of the second bordereau only.
  const text = out.toString('latin1');
  const second = text.indexOf('<Bordereau Id="BORD2">');
  const at = text.indexOf('<MtHT V="39724.75"/>', second);
  const tampered = Buffer.from(text.slice(0, at) + '<MtHT V="99724.75"/>' + text.slice(at + '<MtHT V="39724.75"/>'.length), 'latin1');
  const tfile = write('multi-tampered.xml', tampered);
  assert.equal(xmlsecVerify(tfile, 1).status, 0);
  assert.notEqual(xmlsecVerify(tfile, 2).status, 0, 'xmlsec1 must reject the tampered bordereau');
  const r = verifyPesSignatures(tampered);
  assert.equal(r.valid, false);
  assert.deepEqual(r.signatures.map((s) => s.valid), [true, false, true]);
  assert.equal(r.signatures[1]!.errors[0]!.code, 'SIGNATURE_INVALID');
});

test('a UTF-8 PES is signed in UTF-8 and verified by xmlsec1', async () => {
  const out = await signPes(readFileSync(UTF8_SAMPLE), signer(), place);
  assert.match(out.subarray(0, 60).toString('utf8'), /encoding="UTF-8"/);
  assert.ok(out.includes(Buffer.from('<xad:City>Saint-Étienne</xad:City>', 'utf8')));
  const v = xmlsecVerify(write('utf8-signed.xml', out), 1);
  assert.equal(v.status, 0, v.out);
});

test('a DOCTYPE in the input is refused', async () => {
  const input = readFileSync(ACCENTED_SAMPLE).toString('latin1').replace('?>', '?><!DOCTYPE x [<!ENTITY e "boom">]>');
  await assert.rejects(signPes(Buffer.from(input, 'latin1'), signer()), (e: unknown) => e instanceof AppError && /DOCTYPE/.test(e.messageFr));
});

test('a bordereau without Id is refused when bordereaux are signed one by one (else PES_Aller\'s Id asks for a global signature)', async () => {
  const input = readFileSync(ACCENTED_SAMPLE).toString('latin1').replace('<Bordereau Id="BORD767613">', '<Bordereau>');
  await assert.rejects(signPes(Buffer.from(input, 'latin1'), signer(), { scope: 'bordereaux' }), (e: unknown) => e instanceof AppError && /n’a pas d’attribut Id/.test(e.messageFr));
  const noIdAtAll = input.replace(/(<n:PES_Aller[^>]*?) Id="[^"]*"/, '$1');
  await assert.rejects(signPes(Buffer.from(noIdAtAll, 'latin1'), signer()), (e: unknown) => e instanceof AppError && /n’a pas d’attribut Id/.test(e.messageFr));
});

test('an already signed bordereau is refused by default and skipped on request', async () => {
  const once = await signPes(generatePesAller(1, 1), signer());
  await assert.rejects(signPes(once, signer()), (e: unknown) => e instanceof AppError && /déjà signé/.test(e.messageFr));
  // Add an unsigned bordereau beside the signed one: only it gets signed.
  const text = once.toString('latin1');
  const extra = generatePesAller(1, 1).toString('latin1');
  const b = extra.slice(extra.indexOf('<Bordereau '), extra.indexOf('</Bordereau>') + 12).replace('BORD1', 'BORD9');
  const mixed = Buffer.from(text.replace('</PES_DepenseAller>', `${b}\n</PES_DepenseAller>`), 'latin1');
  const prepared = prepareXadesSignature(mixed, keys.signerCertPem, { alreadySigned: 'skip' });
  assert.deepEqual(prepared.bordereaux.map((x) => x.bordereauId), ['BORD9']);
  assert.deepEqual(prepared.skipped, ['BORD1']);
  const out = assembleXadesSignature(prepared, prepared.bordereaux.map((x) => cryptoSign('sha256', x.dataToSign, keys.signerKeyPem)));
  const r = verifyPesSignatures(out);
  assert.equal(r.valid, true);
  assert.equal(r.signatures.length, 2);
});

test('InfoDematerialisee must already be 1 when the caller asks so', () => {
  assert.throws(
    () => prepareXadesSignature(readFileSync(ACCENTED_SAMPLE), keys.signerCertPem, { infoDematerialisee: 'require' }),
    (e: unknown) => e instanceof AppError && /InfoDematerialisee doit valoir 1/.test(e.messageFr),
  );
});

test('two-phase signing: the data to sign is the canonical SignedInfo, and a value from another key is refused', () => {
  const input = generatePesAller(2, 1);
  const prepared = prepareXadesSignature(input, keys.signerCertPem, place);
  assert.equal(prepared.bordereaux.length, 2);
  const first = prepared.bordereaux[0]!;
  assert.match(first.dataToSign.toString('utf8'), /^<ds:SignedInfo xmlns:ds="http:\/\/www.w3.org\/2000\/09\/xmldsig#">/);
  assert.equal(first.dataToSignSha256.length, 32);
  const wrong = prepared.bordereaux.map((b) => cryptoSign('sha256', b.dataToSign, createPrivateKey(keys.otherKeyPem)));
  assert.throws(
    () => assembleXadesSignature(prepared, wrong),
    (e: unknown) => e instanceof AppError && /ne correspond pas au certificat du signataire/.test(e.messageFr),
  );
  // Values keyed by bordereau Id, made by the right key elsewhere.
  const byId = Object.fromEntries(prepared.bordereaux.map((b) => [b.bordereauId, cryptoSign('sha256', b.dataToSign, keys.signerKeyPem)]));
  const out = assembleXadesSignature(prepared, byId);
  const file = write('two-phase.xml', out);
  assert.equal(xmlsecVerify(file, 1).status, 0);
  assert.equal(xmlsecVerify(file, 2).status, 0);
});

test('PKCS#12 signer reads an OpenSSL 3 file with an accented password and refuses a wrong password', async () => {
  const s = await pkcs12Signer(readFileSync(keys.p12Path), keys.p12Password);
  const out = await signPes(readFileSync(ACCENTED_SAMPLE), s);
  assert.equal(verifyPesSignatures(out).valid, true);
  await assert.rejects(pkcs12Signer(readFileSync(keys.p12Path), 'faux'), (e: unknown) => e instanceof AppError && /PKCS#12 illisible/.test(e.messageFr));
});

test('verifier accepts the real signed Stela PES (sha256, policy 1.7)', () => {
  const r = verifyPesSignatures(readFileSync(join(STELA, 'PESALR2_25060187900027_190328_001.xml')));
  assert.equal(r.valid, true, JSON.stringify(r.signatures[0]?.errors));
  const s = r.signatures[0]!;
  assert.equal(s.target.id, 'N10025');
  assert.equal(s.policy?.identifier, 'urn:oid:1.2.250.1.131.1.5.18.21.1.7');
  assert.equal(s.certificateValidAtSigningTime, true);
  assert.match(s.signer!.subject, /CN=THOMAS Celine/);
  assert.equal(s.signingTime, '2019-03-28T09:09:14.187Z');
});

test('verifier rejects the altered sample (bad digest)', () => {
  const r = verifyPesSignatures(readFileSync(join(STELA, 'test-alteree.xml')));
  assert.equal(r.valid, false);
  assert.equal(r.signatures[0]!.cryptoValid, false);
});

test('verifier reports the expired certificate of the DGFiP sample', () => {
  const r = verifyPesSignatures(readFileSync(join(STELA, 'test-perime-04-04-2016.xml')));
  assert.equal(r.valid, false);
  const s = r.signatures[0]!;
  assert.equal(s.cryptoValid, true);
  assert.equal(s.certificateValidAtSigningTime, false);
  assert.ok(s.errors.some((e) => e.code === 'CERT_EXPIRED' && /expiré le 2016-04-04/.test(e.messageFr)));
});

test('verifier handles the old rsa-sha1 sample and flags SHA-1 and InfoDematerialisee=0', () => {
  const r = verifyPesSignatures(readFileSync(OLD_SHA1));
  assert.equal(r.valid, true, JSON.stringify(r.signatures[0]?.errors));
  assert.ok(r.signatures[0]!.warnings.some((w) => w.code === 'SHA1'));
  assert.ok(r.warnings.some((w) => w.code === 'SIGNED_NOT_DEMAT'));
});

test('verifier says untrusted when the signer does not chain to the given anchor', async () => {
  const out = await signPes(readFileSync(ACCENTED_SAMPLE), signer());
  const otherCa = readFileSync(join(STELA, 'test-perime-04-04-2016.xml'), 'latin1').match(/<ds:X509Certificate>([^<]+)</)![1]!;
  const pem = `-----BEGIN CERTIFICATE-----\n${otherCa.replace(/\s+/g, '')}\n-----END CERTIFICATE-----\n`;
  const r = verifyPesSignatures(out, { trustAnchors: [pem] });
  assert.equal(r.valid, false);
  assert.equal(r.signatures[0]!.trusted, false);
});

test('CLI: pes sign then pes verify (exit 0), pes verify of the altered sample exits non-zero', () => {
  // The lead wires these commands into `paraphe`; here a tiny driver does the same (in the ignored
  // test-artifacts/ folder, so that packages resolve from the repository).
  mkdirSync('test-artifacts', { recursive: true });
  const driver = join(process.cwd(), 'test-artifacts', `xades-cli-${process.pid}.mts`);
  writeFileSync(
    driver,
    `import { Command } from 'commander';\nimport { registerPesSignCommands } from ${JSON.stringify(join(process.cwd(), 'src/parapheur/cli/pes-sign-commands.ts'))};\n` +
      `const program = new Command('paraphe');\nregisterPesSignCommands(program.command('pes'));\nawait program.parseAsync(process.argv);\n`,
  );
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', driver, ...args], { encoding: 'utf8', cwd: process.cwd() });
  const out = join(work, 'cli-signed.xml');
  const s = run('pes', 'sign', '--in', ACCENTED_SAMPLE, '--out', out, '--p12', keys.p12Path, '--pass', keys.p12Password, '--role', 'Ordonnateur', '--city', 'Nice', '--postal-code', '06000');
  assert.equal(s.status, 0, s.stderr);
  const v = run('pes', 'verify', '--in', out, '--trust', keys.caCertPath);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /VALIDE +Bordereau BORD767613/);
  assert.match(v.stdout, /rôle {7}: Ordonnateur/);
  const bad = run('pes', 'verify', '--in', join(STELA, 'test-alteree.xml'));
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /INVALIDE/);
  assert.ok(execFileSync('xmlsec1', ['--version'], { encoding: 'utf8' }).length > 0);
});

test('preparation on the worker pool gives the same data to sign as the one-worker preparation (ISO-8859-1 and UTF-8 files)', async () => {
  const options = { ...place, signingTime: new Date('2026-03-04T05:06:07Z'), signatureIdPrefix: 'SAME' };
  for (const input of [generatePesAller(5, 3), readFileSync(UTF8_SAMPLE)]) {
    const one = prepareXadesSignature(input, keys.signerCertPem, options);
    const pooled = await prepareXadesSignatureAsync(input, keys.signerCertPem, options);
    assert.ok(one.bordereaux.length > 0);
    assert.deepEqual(
      pooled.bordereaux.map((b) => [b.bordereauId, b.signatureId, b.dataToSign.toString('utf8')]),
      one.bordereaux.map((b) => [b.bordereauId, b.signatureId, b.dataToSign.toString('utf8')]),
    );
  }
});

test('a bordereau that libxml2 cannot read is refused by the worker pool with a French message', async () => {
  // well-formed for the scanner, but a character reference to U+0001 is not allowed in XML 1.0
  const text = generatePesAller(2, 1).toString('latin1').replace('</Bordereau>', '<X V="&#1;"/></Bordereau>');
  await assert.rejects(signPes(Buffer.from(text, 'latin1'), signer()), (e: unknown) => e instanceof AppError && e.code === 'BAD_INPUT');
});

test('the main thread skips the inside of plain bordereaux; libxml2 still refuses a malformed one, and odd files are scanned in full', async () => {
  const input = generatePesAller(3, 2);
  const skip = bordereauInteriors(input);
  assert.equal(skip.length, 3);
  const text = new Latin1Text(input);
  const full = scanPes(text);
  const skipped = scanPes(text, undefined, skip);
  assert.ok(verifySkipped(skipped, skip, { PES_DepenseAller: true }));
  const spans = (s: typeof full) => s.root.children.flatMap((d) => d.children.filter((b) => b.local === 'Bordereau')).map((b) => [b.attributes.Id, b.start, b.openEnd, b.closeStart, b.end]);
  assert.deepEqual(spans(skipped), spans(full));
  // mismatched tags inside a bordereau: only libxml2 sees them, and the file is refused
  const broken = Buffer.from(input.toString('latin1').replace('<BlocPiece>', '<BlocPiece><Oups>'), 'latin1');
  assert.equal(bordereauInteriors(broken).length, 3);
  await assert.rejects(signPes(broken, signer()), (e: unknown) => e instanceof AppError && e.code === 'BAD_INPUT');
  // a bordereau mentioned in a comment, a '>' in an attribute: the cut ranges are not bordereaux, full scan, still signed right
  const odd = Buffer.from(input.toString('latin1')
    .replace('<EnTetePES>', '<!-- <Bordereau Id="X"> --><EnTetePES>')
    .replace('<Bordereau Id="BORD2">', '<Bordereau Id="BORD2" xsi:type="a&gt;b>c">'), 'latin1');
  const out = await signPes(odd, signer(), place);
  const file = write('odd.xml', out);
  for (const i of [1, 2, 3]) assert.equal(xmlsecVerify(file, i).status, 0, xmlsecVerify(file, i).out);
  // a bordereau signed by another tool (no PARAPHE_ Id) is still seen as signed
  const foreign = Buffer.from((await signPes(input, signer())).toString('latin1').replace(/PARAPHE_/g, 'AUTRE_'), 'latin1');
  await assert.rejects(signPes(foreign, signer()), (e: unknown) => e instanceof AppError && /déjà signé/.test(e.messageFr));
});
