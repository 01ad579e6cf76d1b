import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki, type TestIdentity, type TestPki } from '../../../../test/support/pki.ts';
import { AppError } from '../../../shared/errors.ts';
import { HttpCrlSource } from './crl-source.ts';
import { loadTrustAnchors } from './trust-anchors.ts';
import { assertCertificateAcceptable, CertificateVerdictCache, checkCertificate, type CertificateUsage } from './verify-certificate.ts';

let pki: TestPki;
let dir: string;
let anchors: Uint8Array[];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paraphe-certs-'));
  pki = await createTestPki(dir);
  anchors = loadTrustAnchors(pki.trustDir);
});
after(async () => {
  await pki.close();
  rmSync(dir, { recursive: true, force: true });
});

const check = (id: TestIdentity, usage: CertificateUsage, extra: { at?: Date; anchors?: Uint8Array[] } = {}) =>
  checkCertificate({
    certificate: id.certDer,
    intermediates: [pki.intermediate.certDer],
    trustAnchors: extra.anchors ?? anchors,
    usage,
    at: extra.at,
    crlSource: new HttpCrlSource(),
  });

describe('certificate verification', () => {
  it('accepts an agent certificate and records chain, validity, key usage and a fetched CRL', async () => {
    const hitsBefore = pki.crlHits();
    const ev = await check(pki.agents[0], 'personal');
    assert.equal(ev.valid, true, JSON.stringify(ev.failure));
    assert.equal(ev.chain.length, 3);
    assert.match(ev.chain[2]!.subject, /Root CA/);
    assert.deepEqual(ev.checks.map((c) => [c.check, c.ok]), [['validity', true], ['keyUsage', true], ['trust', true], ['revocation', true]]);
    assert.equal(ev.revocation[0]!.status, 'good');
    assert.equal(ev.revocation[0]!.url, pki.crlUrl);
    assert.ok(pki.crlHits() > hitsBefore, 'the CRL must actually be downloaded');
  });

  it('accepts the seal certificate for a seal and refuses it for a personal signature', async () => {
    assert.equal((await check(pki.seal, 'seal')).valid, true);
    const ev = await check(pki.seal, 'personal');
    assert.equal(ev.failure?.messageFr, 'Le certificat ne permet pas la signature (non-répudiation absente)');
  });

  it('refuses an expired certificate with "Certificat expiré"', async () => {
    await assert.rejects(
      assertCertificateAcceptable({ certificate: pki.expired.certDer, intermediates: [pki.intermediate.certDer], trustAnchors: anchors, usage: 'personal' }),
      (err: unknown) => err instanceof AppError && err.messageFr === 'Certificat expiré',
    );
  });

  it('accepts the expired certificate when the signing time lies inside its validity period', async () => {
    const ev = await check(pki.expired, 'personal', { at: new Date(pki.expired.cert.notAfter.getTime() - 24 * 3600 * 1000) });
    assert.equal(ev.valid, true, JSON.stringify(ev.failure));
  });

  it('refuses a revoked certificate with "Certificat révoqué"', async () => {
    const ev = await check(pki.revoked, 'personal');
    assert.equal(ev.failure?.code, 'CERT_REVOKED');
    assert.equal(ev.failure?.messageFr, 'Certificat révoqué');
    assert.ok(ev.revocation[0]!.revocationDate);
  });

  it('refuses a certificate from an unknown CA with "Autorité de certification non reconnue"', async () => {
    const ev = await checkCertificate({ certificate: pki.untrusted.certDer, intermediates: [pki.untrustedRoot.certDer], trustAnchors: anchors, usage: 'personal' });
    assert.equal(ev.failure?.messageFr, 'Autorité de certification non reconnue');
  });

  it('refuses a certificate without nonRepudiation for a personal signature', async () => {
    const ev = await check(pki.noNonRepudiation, 'personal');
    assert.equal(ev.failure?.messageFr, 'Le certificat ne permet pas la signature (non-répudiation absente)');
  });

  it('requires revocation data when the certificate names a CRL that cannot be fetched', async () => {
    const ev = await checkCertificate({
      certificate: pki.agents[1].certDer, intermediates: [pki.intermediate.certDer], trustAnchors: anchors, usage: 'personal',
      crlSource: { fetchCrl: () => Promise.reject(new Error('network down')) },
    });
    assert.equal(ev.failure?.code, 'CERT_REVOCATION_UNAVAILABLE');
    assert.equal(ev.revocation[0]!.status, 'unavailable');
  });

  it('refuses a CRL that is not signed by the issuer', async () => {
    const { readFileSync } = await import('node:fs');
    const crl = new Uint8Array(readFileSync(pki.crlPath));
    crl[crl.length - 5] = crl[crl.length - 5]! ^ 0xff; // break the signature
    const ev = await checkCertificate({
      certificate: pki.agents[1].certDer, intermediates: [pki.intermediate.certDer], trustAnchors: anchors, usage: 'personal',
      crlSource: { fetchCrl: () => Promise.resolve(crl) },
    });
    assert.equal(ev.failure?.code, 'CERT_REVOCATION_UNAVAILABLE');
  });

  it('accepts the TSA certificate only for time-stamping', async () => {
    assert.equal((await check(pki.tsa, 'timestamping')).valid, true);
    assert.equal((await check(pki.agents[0], 'timestamping')).failure?.code, 'CERT_NOT_TIMESTAMPING');
  });

  it('reuses a recent positive verdict from the cache while the CRL is the same, never a refusal', async () => {
    const cache = new CertificateVerdictCache(60_000);
    const input = { certificate: pki.seal.certDer, intermediates: [pki.intermediate.certDer], trustAnchors: anchors, usage: 'seal' as const, cache };
    const first = await assertCertificateAcceptable(input);
    const hits = pki.crlHits();
    const second = await assertCertificateAcceptable(input);
    assert.equal(second, first);
    assert.equal(pki.crlHits(), hits);
    const revoked = { ...input, certificate: pki.revoked.certDer, usage: 'personal' as const };
    await assert.rejects(assertCertificateAcceptable(revoked));
    await assert.rejects(assertCertificateAcceptable(revoked), (e: unknown) => e instanceof AppError && e.messageFr === 'Certificat révoqué');
  });

  it('checks a certificate that names only an OCSP responder with that responder (openssl ocsp), and keeps the answer as evidence', async () => {
    const hitsBefore = pki.ocspHits();
    const ev = await check(pki.ocspAgent, 'personal');
    assert.equal(ev.valid, true, JSON.stringify(ev));
    const r = ev.revocation[0]!;
    assert.equal(r.source, 'ocsp');
    assert.equal(r.status, 'good');
    assert.equal(r.url, pki.ocspUrl);
    assert.match(r.responder ?? '', /OCSP Responder/, 'signed by the delegated responder, whose authority pkijs checked');
    assert.ok(r.thisUpdate && r.nextUpdate);
    assert.ok(pki.ocspHits() > hitsBefore, 'the responder was actually asked');
  });

  it('refuses a certificate the OCSP responder reports revoked, with "Certificat révoqué"', async () => {
    const ev = await check(pki.ocspRevoked, 'personal');
    assert.equal(ev.valid, false);
    assert.equal(ev.failure?.code, 'CERT_REVOKED');
    assert.equal(ev.failure?.messageFr, 'Certificat révoqué');
    assert.equal(ev.revocation[0]!.source, 'ocsp');
    assert.ok(ev.revocation[0]!.revocationDate);
    // Signed before the revocation: acceptable then.
    const before = await check(pki.ocspRevoked, 'personal', { at: new Date(Date.now() - 2 * 3600 * 1000) });
    assert.equal(before.valid, true, JSON.stringify(before.failure));
    assert.equal(before.revocation[0]!.status, 'revoked-after-validation-time');
  });

  it('refuses when the OCSP answer cannot be trusted or reached: replayed, signed without authority, altered, responder down', async () => {
    const base = { certificate: pki.ocspAgent.certDer, intermediates: [pki.intermediate.certDer], trustAnchors: anchors, usage: 'personal' as const };
    const { HttpOcspSource } = await import('./ocsp.ts');
    const real = new HttpOcspSource();
    const captured: Uint8Array[] = [];
    const recorder = { async query(url: string, req: Uint8Array) { const r = await real.query(url, req); captured.push(r); return r; } };
    assert.equal((await checkCertificate({ ...base, ocspSource: recorder })).valid, true);
    // The same response handed back for a new request (another nonce): refused as a replay.
    const replayed = await checkCertificate({ ...base, ocspSource: { query: async () => captured[0]! } });
    assert.equal(replayed.valid, false);
    assert.equal(replayed.failure?.code, 'CERT_REVOCATION_UNAVAILABLE');
    assert.match(replayed.revocation[0]!.detail ?? '', /nonce/);
    // A well-formed "good" answer signed by openssl with an agent's key (no id-kp-OCSPSigning): no authority.
    const rogue = { async query(_url: string, req: Uint8Array) {
      const reqPath = join(dir, 'rogue-req.der');
      const respPath = join(dir, 'rogue-resp.der');
      writeFileSync(reqPath, req);
      execFileSync('openssl', ['ocsp', '-index', join(pki.dir, 'ocsp', 'index.txt'), '-CA', pki.intermediate.certPath, '-rsigner', pki.agents[0].certPath, '-rkey', pki.agents[0].keyPath, '-reqin', reqPath, '-respout', respPath, '-ndays', '1'], { stdio: 'ignore' });
      return readFileSync(respPath);
    } };
    const usurped = await checkCertificate({ ...base, ocspSource: rogue });
    assert.equal(usurped.valid, false);
    assert.equal(usurped.failure?.code, 'CERT_REVOCATION_UNAVAILABLE');
    assert.match(usurped.revocation[0]!.detail ?? '', /not authorized|responder/i);
    // A flipped byte in the signature.
    const forged = Uint8Array.from(captured[0]!);
    forged[forged.length - 10]! ^= 0xff;
    const bad = await checkCertificate({ ...base, ocspSource: { query: async () => forged } });
    assert.equal(bad.valid, false);
    assert.equal(bad.failure?.messageFr, 'Impossible de vérifier la révocation du certificat');
    const down = await checkCertificate({ ...base, ocspSource: new HttpOcspSource({ fetch: async () => { throw new Error('ECONNREFUSED'); } }) });
    assert.equal(down.failure?.code, 'CERT_REVOCATION_UNAVAILABLE');
  });

  it('checks again when the CRL can no longer be fetched: no cached verdict without revocation data', async () => {
    const cache = new CertificateVerdictCache(60_000);
    const input = { certificate: pki.seal.certDer, intermediates: [pki.intermediate.certDer], trustAnchors: anchors, usage: 'seal' as const, cache };
    await assertCertificateAcceptable(input);
    await assert.rejects(
      assertCertificateAcceptable({ ...input, crlSource: { fetchCrl: () => Promise.reject(new Error('network down')) } }),
      (e: unknown) => e instanceof AppError && e.messageFr === 'Impossible de vérifier la révocation du certificat',
    );
  });

  it('honours a new CRL revoking the certificate although its verdict is cached', async () => {
    const cache = new CertificateVerdictCache(60_000);
    const crlSource = new HttpCrlSource({ maxAgeMs: 0 }); // downloads the current CRL at every check
    const input = { certificate: pki.seal.certDer, intermediates: [pki.intermediate.certDer], trustAnchors: anchors, usage: 'seal' as const, cache, crlSource };
    const first = await assertCertificateAcceptable(input);
    assert.equal(await assertCertificateAcceptable(input), first, 'same CRL: the cached verdict is reused');
    await pki.revokeAlso(pki.seal);
    try {
      await assert.rejects(assertCertificateAcceptable(input), (e: unknown) => e instanceof AppError && e.messageFr === 'Certificat révoqué');
    } finally {
      await pki.revokeAlso();
    }
    const again = await assertCertificateAcceptable(input);
    assert.notEqual(again, first, 'a new CRL: a new check and new evidence');
    assert.equal(again.revocation[0]!.status, 'good');
  });
});
