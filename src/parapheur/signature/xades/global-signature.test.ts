import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { sign as cryptoSign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../../shared/errors.ts';
import { conformanceDir } from '../../../shared/paths.ts';
import { generatePesAller, xadesTestKeys } from '../../../../test/support/xades-keys.ts';
import { validatePesAller } from '../../../helios/pes/index.ts';
import { assembleXadesSignature, KeySigner, prepareXadesSignature, signPes, verifyPesSignatures } from './index.ts';
import { C14nPool, excC14nDigest } from './c14n.ts';
import { Latin1Text } from './encoding.ts';
import { globalDigest, globalDigestSync, globalPieces } from './global.ts';
import { scanPes } from './scan.ts';

const keys = xadesTestKeys();
const work = mkdtempSync(join(tmpdir(), 'paraphe-xades-global-'));
const XSD_512 = join(conformanceDir, 'iparapheur-v5-xsd/src/test/resources/xsd/schemas_pes.v5.12/PES_V2/Rev0/PES_Aller.xsd');
const XSD = join(conformanceDir, 'iparapheur-v5-xsd/src/test/resources/xsd/schemas_pes_v5.17/PES_V2/Rev0/PES_Aller.xsd');
const UTF8_SAMPLE = join(conformanceDir, 'iparapheur-v5-xsd/src/test/resources/files/xml/PESALR1_unsigned.xml');
const NS_ALLER = 'http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller';
const signer = () => new KeySigner(keys.signerCertPem, keys.signerKeyPem);
const place = { role: 'Ordonnateur', city: 'Saint-Étienne', postalCode: '42000', countryName: 'FR' };

function tool(cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} is required for this test: ${r.error.message}`);
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function write(name: string, bytes: Uint8Array): string {
  const p = join(work, name);
  writeFileSync(p, bytes);
  return p;
}

/** xmlsec1 on the signature that is the last child of PES_Aller (Id declared for PES_Aller, Bordereau and SignedProperties). */
function xmlsecVerify(file: string, xpath = "/*[local-name()='PES_Aller']/*[local-name()='Signature']"): { status: number; out: string } {
  return tool('xmlsec1', [
    '--verify', '--id-attr:Id', `${NS_ALLER}:PES_Aller`, '--id-attr:Id', 'Bordereau', '--id-attr:Id', 'http://uri.etsi.org/01903/v1.1.1#:SignedProperties',
    '--trusted-pem', keys.caCertPath, '--node-xpath', xpath, file,
  ]);
}

const xsdValid = (file: string, xsd = XSD) => tool('xmllint', ['--noout', '--schema', xsd, file]);
const latin1 = (b: Buffer) => b.toString('latin1');

/** The generated PES (root Id="ID1800478292", bordereaux BORD1..n) with its bordereaux' Ids removed. */
function withoutBordereauIds(bordereaux: number): Buffer {
  return Buffer.from(latin1(generatePesAller(bordereaux, 2)).replace(/<Bordereau Id="BORD\d+">/g, '<Bordereau>'), 'latin1');
}

test('a PES_Aller with an Id and bordereaux without Id gets one global signature: xmlsec1, the XSD and our verifier accept it, a tampered copy is rejected', async () => {
  const out = await signPes(withoutBordereauIds(2), signer(), place);
  const text = latin1(out);
  assert.equal((text.match(/<ds:Signature /g) ?? []).length, 1);
  // Enveloped, last child of PES_Aller, referencing its Id.
  assert.match(text, /<\/ds:Signature><\/n:PES_Aller>\s*$/);
  assert.match(text, /<ds:Reference URI="#ID1800478292">/);
  assert.match(text, /<InfoDematerialisee V="1"\/>/);
  const file = write('global.xml', out);
  const v = xmlsecVerify(file);
  assert.equal(v.status, 0, v.out);
  assert.match(v.out, /SignedInfo References \(ok\/all\): 2\/2/);
  const x = xsdValid(file);
  assert.equal(x.status, 0, x.out);
  const ours = verifyPesSignatures(out, { trustAnchors: [keys.caCertPem] });
  assert.equal(ours.valid, true, JSON.stringify(ours.signatures.map((s) => s.errors)));
  assert.deepEqual(ours.signatures.map((s) => s.target), [{ element: 'PES_Aller', id: 'ID1800478292' }]);
  assert.deepEqual(ours.signatures[0]!.claimedRoles, ['Ordonnateur']);
  assert.deepEqual(ours.warnings, []);
  // The whole file is covered: an amount of the second bordereau changed breaks it.
  const at = text.lastIndexOf('<MtHT V="39724.75"/>');
  const tampered = Buffer.from(text.slice(0, at) + '<MtHT V="39724.76"/>' + text.slice(at + 20), 'latin1');
  assert.notEqual(xmlsecVerify(write('global-tampered.xml', tampered)).status, 0, 'xmlsec1 must reject the tampered file');
  const bad = verifyPesSignatures(tampered);
  assert.equal(bad.valid, false);
  assert.equal(bad.signatures[0]!.errors[0]!.code, 'SIGNATURE_INVALID');
  // Our own validator: signed file clean; with InfoDematerialisee put back to 0 the signature is refused.
  // (The generated sample has a fake SIRET and amounts that do not add up: only the signature rules matter here.)
  const SIGNATURE_RULES = ['DEMAT_SANS_SIGNATURE', 'SIGNATURE_SANS_DEMAT'];
  const report = await validatePesAller(out);
  assert.equal(report.xsdValid, true);
  assert.deepEqual(report.errors.filter((e) => SIGNATURE_RULES.includes(e.code)), []);
  const unsigned = await validatePesAller(Buffer.from(latin1(withoutBordereauIds(2)).replace('<InfoDematerialisee V="0"/>', '<InfoDematerialisee V="1"/>'), 'latin1'));
  assert.ok(unsigned.errors.some((e) => e.code === 'DEMAT_SANS_SIGNATURE'), 'the same file unsigned with InfoDematerialisee=1 is refused');
  const notDemat = await validatePesAller(Buffer.from(text.replace('<InfoDematerialisee V="1"/>', '<InfoDematerialisee V="0"/>'), 'latin1'));
  assert.ok(notDemat.errors.some((e) => e.code === 'SIGNATURE_SANS_DEMAT'), JSON.stringify(notDemat.errors));
});

test('a global signature on a large PES is checked without a DOM of the file: same verdicts, valid and tampered', async () => {
  const out = await signPes(withoutBordereauIds(3), signer(), place);
  const text = latin1(out);
  const at = text.lastIndexOf('<MtHT V="39724.75"/>');
  const tampered = Buffer.from(text.slice(0, at) + '<MtHT V="39724.76"/>' + text.slice(at + 20), 'latin1');
  const badSp = Buffer.from(text.replace('<xad:ClaimedRole>Ordonnateur<', '<xad:ClaimedRole>Maire<'), 'latin1');
  for (const streamedGlobalAbove of [0, undefined]) {
    const ok = verifyPesSignatures(out, { streamedGlobalAbove, trustAnchors: [keys.caCertPem] });
    assert.equal(ok.valid, true, JSON.stringify(ok.signatures[0]?.errors));
    assert.deepEqual(ok.signatures[0]!.claimedRoles, ['Ordonnateur']);
    const bad = verifyPesSignatures(tampered, { streamedGlobalAbove });
    assert.equal(bad.valid, false);
    assert.equal(bad.signatures[0]!.errors[0]!.code, 'SIGNATURE_INVALID');
    assert.equal(verifyPesSignatures(badSp, { streamedGlobalAbove }).signatures[0]!.errors[0]!.code, 'SIGNATURE_INVALID');
  }
});

test('one SigningTime per preparation: a clock crossing a second between the two writings of the properties does not break the digest', async () => {
  const RealDate = Date;
  let tick = RealDate.now();
  // Every `new Date()` one second later than the previous one.
  class SteppingDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super((tick += 1000));
      else super(...(args as [number]));
    }
  }
  globalThis.Date = SteppingDate as DateConstructor;
  let global: Buffer;
  let perBordereau: Buffer;
  try {
    global = await signPes(withoutBordereauIds(1), signer(), place);
    perBordereau = await signPes(generatePesAller(2, 1), signer(), place);
  } finally {
    globalThis.Date = RealDate;
  }
  assert.equal(verifyPesSignatures(global).valid, true, JSON.stringify(verifyPesSignatures(global).signatures.map((x) => x.errors)));
  assert.equal(verifyPesSignatures(perBordereau).valid, true, JSON.stringify(verifyPesSignatures(perBordereau).signatures.map((x) => x.errors)));
});

test('scope "global" forces a global signature, adding an Id to a PES_Aller without one; the UTF-8 sample too', async () => {
  const noRootId = Buffer.from(latin1(generatePesAller(2, 1)).replace(/(<n:PES_Aller[^>]*?) Id="ID1800478292"/, '$1'), 'latin1');
  assert.doesNotMatch(latin1(noRootId).slice(0, 2000), /PES_Aller[^>]* Id=/);
  // In auto mode the bordereaux (all with an Id) are signed one by one.
  const auto = prepareXadesSignature(noRootId, keys.signerCertPem);
  assert.deepEqual(auto.bordereaux.map((b) => b.bordereauId), ['BORD1', 'BORD2']);
  const out = await signPes(noRootId, signer(), { ...place, scope: 'global', signatureIdPrefix: 'T1' });
  assert.match(latin1(out), /<n:PES_Aller Id="PARAPHE_T1_PES" /);
  assert.match(latin1(out), /<ds:Reference URI="#PARAPHE_T1_PES">/);
  const file = write('forced.xml', out);
  assert.equal(xmlsecVerify(file).status, 0, xmlsecVerify(file).out);
  assert.equal(xsdValid(file).status, 0, xsdValid(file).out);
  assert.equal(verifyPesSignatures(out).valid, true);

  const utf8 = await signPes(readFileSync(UTF8_SAMPLE), signer(), { ...place, scope: 'global' });
  assert.match(utf8.subarray(0, 60).toString('utf8'), /encoding="UTF-8"/);
  assert.ok(utf8.includes(Buffer.from('<xad:City>Saint-Étienne</xad:City>', 'utf8')));
  const ufile = write('utf8-global.xml', utf8);
  assert.equal(xmlsecVerify(ufile).status, 0, xmlsecVerify(ufile).out);
  // This 2020 sample is valid under 5.12, not 5.17 (CarteAchatNiveau1, PROTOCOLS.md B.1).
  assert.equal(xsdValid(ufile, XSD_512).status, 0, xsdValid(ufile, XSD_512).out);
});

test('a global signature over bordereaux already signed one by one: the three signatures pass xmlsec1 and the XSD', async () => {
  const perBordereau = await signPes(generatePesAller(2, 1), signer(), place);
  const out = await signPes(perBordereau, signer(), { ...place, scope: 'global' });
  const file = write('both.xml', out);
  assert.equal(xsdValid(file).status, 0, xsdValid(file).out);
  for (const xpath of ["(//*[local-name()='Bordereau'])[1]/*[local-name()='Signature']", "(//*[local-name()='Bordereau'])[2]/*[local-name()='Signature']", undefined]) {
    const v = xmlsecVerify(file, xpath);
    assert.equal(v.status, 0, `${xpath ?? 'global'}: ${v.out}`);
  }
  const ours = verifyPesSignatures(out);
  assert.equal(ours.valid, true);
  assert.deepEqual(ours.signatures.map((s) => s.target.element).sort(), ['Bordereau', 'Bordereau', 'PES_Aller']);
  // A second global signature is refused.
  await assert.rejects(signPes(out, signer(), { scope: 'global' }), (e: unknown) => e instanceof AppError && /déjà une signature globale/.test(e.messageFr));
});

test('two phases for a global signature: one item (PES_Aller), deterministic with a prefix, a wrong value refused', () => {
  const input = withoutBordereauIds(1);
  const opts = { ...place, signingTime: new Date('2026-01-02T03:04:05Z'), signatureIdPrefix: 'P2' };
  const p1 = prepareXadesSignature(input, keys.signerCertPem, opts);
  const p2 = prepareXadesSignature(input, keys.signerCertPem, opts);
  assert.equal(p1.bordereaux.length, 1);
  assert.equal(p1.bordereaux[0]!.element, 'PES_Aller');
  assert.equal(p1.bordereaux[0]!.bordereauId, 'ID1800478292');
  assert.deepEqual(p1.bordereaux[0]!.dataToSignSha256, p2.bordereaux[0]!.dataToSignSha256);
  assert.throws(() => assembleXadesSignature(p1, [cryptoSign('sha256', p1.bordereaux[0]!.dataToSign, keys.otherKeyPem)]), (e: unknown) => e instanceof AppError && /ne correspond pas/.test(e.messageFr));
  const out = assembleXadesSignature(p2, [cryptoSign('sha256', p2.bordereaux[0]!.dataToSign, keys.signerKeyPem)]);
  assert.equal(xmlsecVerify(write('two-phase-global.xml', out)).status, 0);
});

test('InfoDematerialisee: "require" refuses a global signature of a PES at 0; no Id anywhere is refused; scope "bordereaux" keeps the per-bordereau rule', () => {
  assert.throws(
    () => prepareXadesSignature(withoutBordereauIds(1), keys.signerCertPem, { infoDematerialisee: 'require' }),
    (e: unknown) => e instanceof AppError && /InfoDematerialisee doit valoir 1/.test(e.messageFr),
  );
  const noIds = Buffer.from(latin1(withoutBordereauIds(1)).replace(' Id="ID1800478292"', ''), 'latin1');
  assert.throws(() => prepareXadesSignature(noIds, keys.signerCertPem), (e: unknown) => e instanceof AppError && /n’a pas d’attribut Id/.test(e.messageFr));
  assert.throws(() => prepareXadesSignature(withoutBordereauIds(1), keys.signerCertPem, { scope: 'bordereaux' }), (e: unknown) => e instanceof AppError && /n’a pas d’attribut Id/.test(e.messageFr));
});

test('a PJ has no place for its own signature in the PES schema (v5.17): a PJ carrying a ds:Signature fails xmllint', async () => {
  // Why we never sign a PJ element (global.ts): the XSD's PJ sequence has no Signature and PJ no Id.
  const signedBordereau = latin1(await signPes(generatePesAller(1, 1), signer()));
  const sig = signedBordereau.slice(signedBordereau.indexOf('<ds:Signature '), signedBordereau.indexOf('</ds:Signature>') + 15);
  const pj = '<PJ><Contenu><Fichier MIMEType="application/pdf">H4sIAAAAAAAAAwMAAAAAAAAAAAA=</Fichier></Contenu><IdUnique V="PJ1"/><NomPJ V="a.pdf"/><Description V="d"/>';
  const base = latin1(generatePesAller(1, 1));
  assert.ok(base.includes('</EnTetePES_PJ>'));
  const ok = write('pj-plain.xml', Buffer.from(base.replace('</EnTetePES_PJ>', `</EnTetePES_PJ>${pj}</PJ>`), 'latin1'));
  assert.equal(xsdValid(ok).status, 0, xsdValid(ok).out);
  const withSig = write('pj-signed.xml', Buffer.from(base.replace('</EnTetePES_PJ>', `</EnTetePES_PJ>${pj}${sig}</PJ>`), 'latin1'));
  const r = xsdValid(withSig);
  assert.notEqual(r.status, 0);
  assert.match(r.out, /Signature': This element is not expected/);
});

test('the global digest computed piece by piece equals libxml2’s canonicalization of the whole PES_Aller, whatever the piece size', async () => {
  // bordereaux already signed inside, comments, CDATA, an added Id and InfoDematerialisee edit: all must survive the cutting
  const signedInside = latin1(await signPes(generatePesAller(3, 4), signer(), place))
    .replace(' Id="ID1800478292"', '')
    .replace('<InfoDematerialisee V="1"/>', '<InfoDematerialisee V="0"/><!-- note -->')
    .replace('</Bordereau>', '<![CDATA[ a < b & c ]]></Bordereau>');
  const bytes = Buffer.from(signedInside, 'latin1');
  const prepared = prepareXadesSignature(bytes, keys.signerCertPem, { scope: 'global', signatureIdPrefix: 'W' });
  const text = new Latin1Text(bytes);
  const scan = scanPes(text);
  const edits = [
    { from: scan.root.start + 1 + scan.root.qname.length, to: scan.root.start + 1 + scan.root.qname.length, insert: ' Id="PARAPHE_W_PES"' },
    { from: signedInside.indexOf('<InfoDematerialisee'), to: signedInside.indexOf('<InfoDematerialisee') + 27, insert: '<InfoDematerialisee V="1"/>' },
  ];
  const whole = excC14nDigest(latin1(bytes).slice(scan.root.start, scan.root.start + 1 + scan.root.qname.length) + ' Id="PARAPHE_W_PES"' +
    latin1(bytes).slice(scan.root.start + 1 + scan.root.qname.length, edits[1]!.from) + '<InfoDematerialisee V="1"/>' + latin1(bytes).slice(edits[1]!.to, scan.root.end));
  const pool = new C14nPool();
  try {
    for (const maxChars of [50, 300, 5000, 1 << 20]) {
      assert.ok(globalPieces(text, scan.root, edits, maxChars).pieces.length >= (maxChars === 50 ? 20 : 3));
      assert.deepEqual(globalDigestSync(text, scan.root, edits, maxChars), whole, `pieces of ${maxChars}`);
      assert.deepEqual(await globalDigest(text, scan.root, edits, pool, maxChars), whole, `pooled pieces of ${maxChars}`);
    }
  } finally {
    await pool.close();
  }
  assert.match(prepared.bordereaux[0]!.dataToSign.toString('utf8'), new RegExp(`<ds:DigestValue>${whole.toString('base64').replace(/[+/]/g, '\\$&')}</ds:DigestValue>`));
});

test('a global signature of a PES cut into many pieces passes xmlsec1 --verify', async () => {
  const big = Buffer.from(latin1(generatePesAller(14, 50)).replace(/<Bordereau Id="BORD\d+">/g, '<Bordereau>'), 'latin1');
  assert.ok(big.length > 1.3e6);
  for (const prepare of ['pool', 'one worker'] as const) {
    const out = prepare === 'pool'
      ? await signPes(big, signer(), { ...place, scope: 'global' })
      : (() => {
        const p = prepareXadesSignature(big, keys.signerCertPem, { ...place, scope: 'global' });
        return assembleXadesSignature(p, [cryptoSign('sha256', p.bordereaux[0]!.dataToSign, keys.signerKeyPem)]);
      })();
    const v = xmlsecVerify(write(`big-global-${prepare}.xml`, out));
    assert.equal(v.status, 0, v.out);
  }
});
