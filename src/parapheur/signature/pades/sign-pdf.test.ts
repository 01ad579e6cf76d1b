/**
 * PAdES signing checked by independent tools: poppler's pdfsig (integrity + trust through an NSS database
 * holding the test root), openssl (timestamp token, CMS dump), qpdf --check, pdftotext for the visible mark.
 * A missing tool makes the test fail, never skip.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sign as cryptoSign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki, type TestIdentity, type TestPki } from '../../../../test/support/pki.ts';
import { nssDbTrusting, tool } from '../../../../test/support/tools.ts';
import { startTestTsa, type TestTsa } from '../../../../test/support/tsa-server.ts';
import { AppError } from '../../../shared/errors.ts';
import { HttpCrlSource } from '../certificates/crl-source.ts';
import { loadTrustAnchors } from '../certificates/trust-anchors.ts';
import { OID } from '../certificates/x509.ts';
import { parseCms } from './cms.ts';
import { Pkcs12KeySource } from './key-source.ts';
import { assemblePadesSignature, DEFAULT_RESERVED_BYTES, preparePadesSignature, signPdf, type PadesSignOptions } from './sign-pdf.ts';
import { makeTestPdf } from './test-pdf.ts';
import { verifyPdfSignatures } from './verify.ts';

let dir: string;
let pki: TestPki;
let tsa: TestTsa;
let trustAnchors: Uint8Array[];
let nssDir: string;
let source: Uint8Array;
let threeSigned: Uint8Array;


const options = (extra: Partial<PadesSignOptions> = {}): PadesSignOptions => ({ trustAnchors, crlSource: new HttpCrlSource(), ...extra });
const keyOf = (id: TestIdentity) => Pkcs12KeySource.fromFile(id.p12Path, id.p12Password);
const cn = (id: TestIdentity) => id.cert.subjectName.getField('CN')[0]!;

function write(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function cmsOfLastSignature(pdf: Uint8Array): Uint8Array {
  const text = Buffer.from(pdf).toString('latin1');
  const at = text.lastIndexOf('/ByteRange');
  const m = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(text.slice(at));
  assert.ok(m, 'ByteRange not found');
  const b = Number(m[2]);
  const c = Number(m[3]);
  return new Uint8Array(Buffer.from(text.slice(b + 1, c - 1), 'hex'));
}

const rejectsWith = (messageFr: string | RegExp) => (err: unknown): boolean => {
  assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
  if (typeof messageFr === 'string') assert.equal(err.messageFr, messageFr);
  else assert.match(err.messageFr, messageFr);
  return true;
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paraphe-pades-'));
  pki = await createTestPki(join(dir, 'pki'));
  tsa = await startTestTsa(pki);
  trustAnchors = loadTrustAnchors(pki.trustDir);
  nssDir = nssDbTrusting(join(dir, 'nss'), pki.root.certPath);
  source = await makeTestPdf({ lines: ['Objet : budget primitif.', 'Le maire : #signature#', 'Cachet : #cachet#'] });

  let pdf = source;
  for (const [i, agent] of pki.agents.entries()) {
    const res = await signPdf(pdf, await keyOf(agent), options({
      ...(i === 2 ? { tsaUrl: tsa.url } : {}),
      mark: { text: `Signé par ${cn(agent)} le 23/11/2026`, ...(i === 0 ? { tag: '#signature#' } : {}) },
      reason: 'Approbation',
    }));
    pdf = res.pdf;
  }
  threeSigned = pdf;
});

after(async () => {
  await tsa?.close();
  await pki?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('PAdES signing', () => {
  it('three agents sign in sequence and pdfsig reports every signature valid and trusted', () => {
    const { status, out } = tool('pdfsig', ['-nssdir', `sql:${nssDir}`, write('three.pdf', threeSigned)], 'poppler-utils');
    assert.equal(status, 0, out);
    assert.equal(out.match(/Signature Validation: Signature is Valid\./g)?.length, 3, out);
    assert.equal(out.match(/Certificate Validation: Certificate is Trusted\./g)?.length, 3, out);
    assert.equal(out.match(/Signature Type: ETSI\.CAdES\.detached/g)?.length, 3, out);
    assert.match(out, /Total document signed/);
    for (const agent of pki.agents) assert.ok(out.includes(`Common Name: ${cn(agent)}`), out);
  });

  it('qpdf --check finds no error in the three-signer PDF', () => {
    const { status, out } = tool('qpdf', ['--check', write('three-qpdf.pdf', threeSigned)], 'qpdf');
    assert.equal(status, 0, out);
    assert.match(out, /No syntax or stream encoding errors found/);
  });

  it('keeps earlier bytes untouched: each signed revision is a prefix of the final file', async () => {
    const report = await verifyPdfSignatures(threeSigned, { trustAnchors, crlSource: new HttpCrlSource() });
    assert.equal(report.signatures.length, 3);
    assert.equal(report.valid, true, JSON.stringify(report.signatures.map((s) => s.problems)));
    assert.deepEqual(report.signatures.map((s) => s.level), ['B-B', 'B-B', 'B-T']);
    assert.deepEqual(report.signatures.map((s) => s.coversWholeDocument), [false, false, true]);
    assert.equal(report.modifiedAfterLastSignature, false);
    assert.ok(Buffer.from(threeSigned).subarray(0, source.length).equals(Buffer.from(source)));
  });

  it('hands back the input itself as the first part of the signed PDF: the document is never copied', async () => {
    const res = await signPdf(source, await keyOf(pki.seal), options({ usage: 'seal' }));
    assert.equal(res.parts[0], source, 'the first part is the input, not a copy');
    assert.equal(res.size, res.parts.reduce((n, p) => n + p.length, 0));
    assert.ok(res.parts.length > 2, 'the update is cut around /Contents');
    const joined = Buffer.concat(res.parts);
    assert.ok(joined.equals(Buffer.from(res.pdf)));
    const { out } = tool('pdfsig', ['-nssdir', `sql:${nssDir}`, write('parts.pdf', joined)], 'poppler-utils');
    assert.match(out, /Signature is Valid/);
    // a second signature on the joined file, and one more on the same input: each part is its own
    const again = await signPdf(source, await keyOf(pki.seal), options({ usage: 'seal' }));
    assert.ok(Buffer.concat(res.parts).equals(joined), 'signing again leaves the first result as it was');
    assert.ok(Buffer.compare(Buffer.from(again.pdf).subarray(0, source.length), Buffer.from(source)) === 0);
  });

  it('reserves 32 KiB for /Contents', () => {
    const text = Buffer.from(threeSigned).toString('latin1');
    const m = /\/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)/.exec(text);
    assert.ok(m);
    assert.equal(Number(m[2]) - Number(m[1]), DEFAULT_RESERVED_BYTES * 2 + 2);
  });

  it('writes no signing-time attribute and an ESS signing-certificate-v2 in every CMS (openssl cms -print)', () => {
    const report = Buffer.from(threeSigned).toString('latin1');
    const ranges = [...report.matchAll(/\/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+\d+\s*\]/g)];
    assert.equal(ranges.length, 3);
    for (const [i, m] of ranges.entries()) {
      const der = Buffer.from(report.slice(Number(m[1]) + 1, Number(m[2]) - 1), 'hex');
      const cmsPath = write(`sig${i}.der`, trimDer(der));
      const { status, out } = tool('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', cmsPath], 'openssl');
      assert.equal(status, 0, out);
      // only our signer's signed attributes: the TSA token (unsigned attribute) has its own, out of scope here
      const signedAttrs = out.slice(out.indexOf('signedAttrs:'), out.indexOf('signatureAlgorithm:', out.indexOf('signedAttrs:')));
      assert.ok(signedAttrs.length > 0, out);
      assert.doesNotMatch(signedAttrs, /signingTime/i);
      assert.match(signedAttrs, /messageDigest/);
      assert.match(signedAttrs, /signingCertificateV2|1\.2\.840\.113549\.1\.9\.16\.2\.47/);
      const sd = parseCms(der);
      assert.equal(sd.signerInfos[0]!.signedAttrs!.attributes.some((a) => a.type === OID.signingTime), false);
    }
  });

  it('adds a B-T timestamp token that openssl ts -verify accepts', () => {
    const sd = parseCms(cmsOfLastSignature(threeSigned));
    const si = sd.signerInfos[0]!;
    const attr = si.unsignedAttrs?.attributes.find((a) => a.type === OID.timeStampToken);
    assert.ok(attr, 'timestamp token missing');
    const token = new Uint8Array((attr.values[0] as { toBER(s: boolean): ArrayBuffer }).toBER(false));
    const tokenPath = write('token.der', token);
    const dataPath = write('signature-value.bin', new Uint8Array(si.signature.valueBlock.valueHexView));
    const { status, out } = tool('openssl', ['ts', '-verify', '-token_in', '-in', tokenPath, '-data', dataPath,
      '-CAfile', pki.root.certPath, '-untrusted', pki.intermediate.certPath], 'openssl');
    assert.equal(status, 0, out);
    assert.match(out, /Verification: OK/);
  });

  it('asks the TSA for SHA-256 imprints only', () => {
    assert.ok(tsa.requests.length >= 1);
    assert.deepEqual([...new Set(tsa.requests)], ['SHA-256']);
  });

  it('draws the visible marks, one of them at the #signature# tag', () => {
    const { status, out } = tool('pdftotext', ['-layout', write('marks.pdf', threeSigned), '-'], 'poppler-utils');
    assert.equal(status, 0, out);
    for (const agent of pki.agents.slice(1)) assert.ok(out.includes(`Signé par ${cn(agent)}`), out);
    // pdftotext still extracts the covered tag, so the mark shows up interleaved with it on the tag's line
    assert.match(out, /Le maire : Signé\s+#signature#\s+par Alice Martin/);
  });

  it('fails the signature when the TSA fails instead of downgrading silently', async () => {
    tsa.setBroken(true);
    try {
      await assert.rejects(signPdf(source, await keyOf(pki.seal), options({ usage: 'seal', tsaUrl: tsa.url })), rejectsWith(/horodatage a échoué/));
    } finally {
      tsa.setBroken(false);
    }
  });

  it('signs with the seal certificate as a seal, and refuses it as a personal signature', async () => {
    const res = await signPdf(source, await keyOf(pki.seal), options({ usage: 'seal', mark: { text: 'Cachet de la commune', tag: '#cachet#' } }));
    const { out } = tool('pdfsig', ['-nssdir', `sql:${nssDir}`, write('seal.pdf', res.pdf)], 'poppler-utils');
    assert.match(out, /Signature is Valid/);
    await assert.rejects(signPdf(source, await keyOf(pki.seal), options()), rejectsWith('Le certificat ne permet pas la signature (non-répudiation absente)'));
  });
});

/** The /Contents hex is zero-padded: cut the DER at its outer length. */
function trimDer(der: Buffer): Buffer {
  if (der[0] !== 0x30) return der;
  const first = der[1]!;
  if (first < 0x80) return der.subarray(0, 2 + first);
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + der[2 + i]!;
  return der.subarray(0, 2 + n + len);
}

describe('PAdES refusals', () => {
  const cases: [string, () => TestIdentity, string][] = [
    ['expired', () => pki.expired, 'Certificat expiré'],
    ['revoked', () => pki.revoked, 'Certificat révoqué'],
    ['untrusted', () => pki.untrusted, 'Autorité de certification non reconnue'],
    ['without nonRepudiation', () => pki.noNonRepudiation, 'Le certificat ne permet pas la signature (non-répudiation absente)'],
  ];
  for (const [label, id, message] of cases) {
    it(`refuses to sign with a ${label} certificate: "${message}"`, async () => {
      await assert.rejects(signPdf(source, await keyOf(id()), options()), rejectsWith(message));
    });
  }

  it('refuses an encrypted PDF (qpdf --encrypt)', async () => {
    const plain = write('plain.pdf', source);
    const enc = join(dir, 'encrypted.pdf');
    const { status, out } = tool('qpdf', ['--encrypt', 'user', 'owner', '256', '--', plain, enc], 'qpdf');
    assert.equal(status, 0, out);
    await assert.rejects(signPdf(new Uint8Array(readFileSync(enc)), await keyOf(pki.agents[0]), options()), rejectsWith(/chiffré/));
  });

  it('refuses a corrupt PDF', async () => {
    const corrupt = new Uint8Array(source.subarray(0, Math.floor(source.length / 3)));
    await assert.rejects(signPdf(corrupt, await keyOf(pki.agents[0]), options()), rejectsWith(/corrompu/));
    const garbage = new Uint8Array(Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(4000, 0x41)]));
    await assert.rejects(signPdf(garbage, await keyOf(pki.agents[0]), options()), rejectsWith(/corrompu/));
  });

  it('refuses a non-PDF file renamed .pdf', async () => {
    const p = write('photo.pdf', new Uint8Array(Buffer.from('\x89PNG\r\n\x1a\n not a pdf at all, just bytes', 'latin1')));
    await assert.rejects(signPdf(new Uint8Array(readFileSync(p)), await keyOf(pki.agents[0]), options()), rejectsWith('Le fichier n’est pas un PDF'));
  });

  it('refuses a PKCS#12 with a wrong password', async () => {
    await assert.rejects(Pkcs12KeySource.fromFile(pki.agents[0].p12Path, 'mauvais'), rejectsWith(/mot de passe incorrect/));
  });

  it('reuses an opened PKCS#12 while its bytes and password are the same, and opens a replaced file again', async () => {
    const p12 = write('seal-copy.p12', readFileSync(pki.seal.p12Path));
    const first = await Pkcs12KeySource.openFile(p12, pki.seal.p12Password);
    assert.equal(await Pkcs12KeySource.openFile(p12, pki.seal.p12Password), first);
    await assert.rejects(Pkcs12KeySource.openFile(p12, 'mauvais'), rejectsWith(/mot de passe incorrect/));
    writeFileSync(p12, readFileSync(pki.agents[0].p12Path));
    const replaced = await Pkcs12KeySource.openFile(p12, pki.agents[0].p12Password);
    assert.notEqual(replaced, first);
    assert.ok(Buffer.from((await replaced.getCertificateChain())[0]!).equals(Buffer.from(pki.agents[0].certDer)));
  });

  it('detects a modification of signed bytes', async () => {
    const tampered = new Uint8Array(threeSigned);
    // change one hex digit of the first text-showing operator of the original content stream
    const buf = Buffer.from(tampered);
    const idx = buf.indexOf('<', buf.indexOf('BT')) + 1;
    assert.ok(idx > 0 && idx < source.length);
    tampered[idx] = tampered[idx] === 0x34 ? 0x35 : 0x34;
    const report = await verifyPdfSignatures(tampered, { trustAnchors, crlSource: new HttpCrlSource() });
    assert.equal(report.valid, false);
    assert.ok(report.signatures.every((s) => !s.integrity.valid));
  });
});

describe('two-phase signing', () => {
  it('prepares the data to sign, accepts an external signature value and produces a valid signature', async () => {
    const agent = pki.agents[1];
    const prepared = await preparePadesSignature(source, [agent.certDer, pki.intermediate.certDer], options());
    assert.equal(prepared.signedAttributesDigest.length, 32);
    // the "device": signs the DER of the signed attributes with the agent's key
    const signatureValue = new Uint8Array(cryptoSign('sha256', prepared.signedAttributesDer, agent.privateKey));
    const preparedBytes = Buffer.concat(prepared.parts);
    const res = await assemblePadesSignature(prepared, signatureValue, { recheckCertificate: { trustAnchors, crlSource: new HttpCrlSource() } });
    assert.equal(res.certificate.valid, true);
    assert.ok(Buffer.concat(prepared.parts).equals(preparedBytes), 'assembling leaves the prepared PDF as it was');
    const { out } = tool('pdfsig', ['-nssdir', `sql:${nssDir}`, write('two-phase.pdf', res.pdf)], 'poppler-utils');
    assert.match(out, /Signature is Valid/);
    assert.match(out, /Certificate is Trusted/);
  });

  it('refuses a signature value made by another key', async () => {
    const prepared = await preparePadesSignature(source, [pki.agents[1].certDer, pki.intermediate.certDer], options());
    const wrong = new Uint8Array(cryptoSign('sha256', prepared.signedAttributesDer, pki.agents[2].privateKey));
    await assert.rejects(assemblePadesSignature(prepared, wrong), rejectsWith('La valeur de signature ne correspond pas au document préparé ou au certificat du signataire'));
  });

  it('refuses a signature value over other data, and a prepared PDF changed between the phases', async () => {
    const agent = pki.agents[1];
    const prepared = await preparePadesSignature(source, [agent.certDer, pki.intermediate.certDer], options());
    const other = new Uint8Array(cryptoSign('sha256', Buffer.from('autre chose'), agent.privateKey));
    await assert.rejects(assemblePadesSignature(prepared, other), rejectsWith(/ne correspond pas/));
    const good = new Uint8Array(cryptoSign('sha256', prepared.signedAttributesDer, agent.privateKey));
    const changed = new Uint8Array(prepared.parts[0]!);
    changed[100] = changed[100]! ^ 0x01;
    await assert.rejects(assemblePadesSignature({ ...prepared, parts: [changed, ...prepared.parts.slice(1)] }, good), rejectsWith(/ne correspond pas/));
  });
});
