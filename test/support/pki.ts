/**
 * Test PKI generated at test time: root CA, intermediate CA (publishing a CRL over loopback HTTP), agent
 * certificates, a seal, a TSA certificate and the faulty ones (expired, revoked, without nonRepudiation,
 * issued by an unknown root). Every certificate is written as PEM, every end-entity as a password-protected
 * PKCS#12 (built by `openssl pkcs12 -export`, so the files are what real users bring), and the trusted CA
 * certificates are copied into a trust-anchor folder.
 *
 * Reused by the XAdES and parapheur parts: call `createTestPki(dir)` once per test file and `close()` it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { KeyObject, webcrypto } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import 'reflect-metadata'; // tsyringe, used inside @peculiar/x509, needs the Reflect metadata polyfill
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
const DAY = 24 * 3600 * 1000;

export const TEST_P12_PASSWORD = 'motdepasse-test';

export interface TestIdentity {
  name: string;
  cert: x509.X509Certificate;
  certDer: Uint8Array;
  certPem: string;
  certPath: string;
  keyPath: string;
  /** Certificate, then the chain up to (and including) the root, PEM. */
  chainPath: string;
  p12Path: string;
  p12Password: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface TestPki {
  dir: string;
  root: TestIdentity;
  intermediate: TestIdentity;
  /** Three agents with nonRepudiation + digitalSignature. */
  agents: [TestIdentity, TestIdentity, TestIdentity];
  /** The collectivité's server seal: digitalSignature only. */
  seal: TestIdentity;
  /** TSA: extendedKeyUsage timeStamping (critical). */
  tsa: TestIdentity;
  expired: TestIdentity;
  revoked: TestIdentity;
  noNonRepudiation: TestIdentity;
  /** Agents whose certificates name only an OCSP responder (no CRL): one good, one revoked. */
  ocspAgent: TestIdentity;
  ocspRevoked: TestIdentity;
  /** Delegated OCSP responder (id-kp-OCSPSigning) of the intermediate CA. */
  ocspResponder: TestIdentity;
  /** Answered by `openssl ocsp` (the reference implementation) behind the loopback HTTP server. */
  ocspUrl: string;
  ocspHits(): number;
  /** Issued by a root that is not in the trust anchors. */
  untrusted: TestIdentity;
  untrustedRoot: TestIdentity;
  /** Folder holding root.pem only (the trust anchor); the intermediate travels inside signatures. */
  trustDir: string;
  /** Root certificate alone, PEM path. */
  rootPemPath: string;
  crlUrl: string;
  crlPath: string;
  /** Number of CRL downloads served (lets tests check revocation was actually fetched). */
  crlHits(): number;
  /** Publishes a new CRL of the intermediate CA (thisUpdate now) revoking these certificates too; returns its DER. */
  revokeAlso(...identities: TestIdentity[]): Promise<Uint8Array>;
  close(): Promise<void>;
}

interface Issuer {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

let serialCounter = 0x1000;
function nextSerial(): string {
  serialCounter += 1;
  return `01${serialCounter.toString(16).padStart(6, '0')}${Math.floor(Math.random() * 0xffff).toString(16).padStart(4, '0')}`;
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function toKeyObjects(keys: webcrypto.CryptoKeyPair): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return {
    privateKey: KeyObject.from(keys.privateKey as webcrypto.CryptoKey),
    publicKey: KeyObject.from(keys.publicKey as webcrypto.CryptoKey),
  };
}

interface IssueOptions {
  subject: string;
  issuer?: Issuer;
  ca?: boolean;
  usages: x509.KeyUsageFlags;
  eku?: { oids: string[]; critical: boolean };
  notBefore?: Date;
  notAfter?: Date;
  crlUrl?: string;
  ocspUrl?: string;
}

async function issue(opts: IssueOptions): Promise<Issuer> {
  const keys = await generateKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(opts.ca ?? false, opts.ca ? 1 : undefined, true),
    new x509.KeyUsagesExtension(opts.usages, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (opts.issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(opts.issuer.cert));
  if (opts.eku) extensions.push(new x509.ExtendedKeyUsageExtension(opts.eku.oids, opts.eku.critical));
  if (opts.crlUrl) extensions.push(new x509.CRLDistributionPointsExtension([opts.crlUrl]));
  if (opts.ocspUrl) extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: opts.ocspUrl }));
  const notBefore = opts.notBefore ?? new Date(Date.now() - DAY);
  const notAfter = opts.notAfter ?? new Date(Date.now() + 365 * DAY);
  const cert = opts.issuer
    ? await x509.X509CertificateGenerator.create({
        serialNumber: nextSerial(),
        subject: opts.subject,
        issuer: opts.issuer.cert.subject,
        notBefore,
        notAfter,
        signingAlgorithm: ALG,
        publicKey: keys.publicKey,
        signingKey: opts.issuer.keys.privateKey,
        extensions,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: nextSerial(),
        name: opts.subject,
        notBefore,
        notAfter,
        signingAlgorithm: ALG,
        keys,
        extensions,
      });
  return { cert, keys };
}

function runOpenssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; code?: string };
    if (e.code === 'ENOENT') throw new Error('openssl is required by the test PKI (apt-get install -y openssl)');
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString() ?? String(err)}`);
  }
}

async function writeIdentity(dir: string, name: string, id: Issuer, chain: x509.X509Certificate[], withP12: boolean): Promise<TestIdentity> {
  const certPem = id.cert.toString('pem');
  const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', id.keys.privateKey as webcrypto.CryptoKey));
  const keyPem = x509.PemConverter.encode(pkcs8.buffer as ArrayBuffer, 'PRIVATE KEY');
  const certPath = join(dir, `${name}.pem`);
  const keyPath = join(dir, `${name}.key`);
  const chainPath = join(dir, `${name}-chain.pem`);
  const p12Path = join(dir, `${name}.p12`);
  writeFileSync(certPath, certPem + '\n');
  writeFileSync(keyPath, keyPem + '\n', { mode: 0o600 });
  writeFileSync(chainPath, [certPem, ...chain.map((c) => c.toString('pem'))].join('\n') + '\n');
  if (withP12) {
    const caPath = join(dir, `${name}-ca.pem`);
    writeFileSync(caPath, chain.map((c) => c.toString('pem')).join('\n') + '\n');
    runOpenssl(['pkcs12', '-export', '-inkey', keyPath, '-in', certPath, '-certfile', caPath, '-name', name,
      '-passout', `pass:${TEST_P12_PASSWORD}`, '-out', p12Path]);
  }
  const { privateKey, publicKey } = await toKeyObjects(id.keys);
  return {
    name, cert: id.cert, certDer: new Uint8Array(id.cert.rawData), certPem, certPath, keyPath, chainPath, p12Path,
    p12Password: TEST_P12_PASSWORD, privateKey, publicKey,
  };
}

const { digitalSignature, nonRepudiation, keyCertSign, cRLSign, keyEncipherment } = x509.KeyUsageFlags;

export async function createTestPki(dir: string): Promise<TestPki> {
  mkdirSync(dir, { recursive: true });
  const trustDir = join(dir, 'trust');
  mkdirSync(trustDir, { recursive: true });

  // The CRL server must listen before the certificates are issued: their CRL Distribution Point names its port.
  let crlDer: Uint8Array = new Uint8Array();
  let hits = 0;
  let ocspHits = 0;
  const ocspDir = join(dir, 'ocsp');
  mkdirSync(ocspDir, { recursive: true });
  const server: Server = createServer((req, res) => {
    if (req.url === '/ocsp' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        ocspHits += 1;
        const reqPath = join(ocspDir, `req-${ocspHits}.der`);
        const respPath = join(ocspDir, `resp-${ocspHits}.der`);
        writeFileSync(reqPath, Buffer.concat(chunks));
        execFile('openssl', ['ocsp', '-index', join(ocspDir, 'index.txt'), '-CA', join(dir, 'intermediate.pem'), '-rsigner', join(dir, 'ocsp-responder.pem'), '-rkey', join(dir, 'ocsp-responder.key'), '-reqin', reqPath, '-respout', respPath, '-ndays', '1'], (err) => {
          if (err) return void res.writeHead(500).end(String(err));
          const der = readFileSync(respPath);
          res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': der.length }).end(der);
        });
      });
    } else if (req.url === '/intermediate.crl') {
      hits += 1;
      res.writeHead(200, { 'content-type': 'application/pkix-crl', 'content-length': crlDer.length });
      res.end(Buffer.from(crlDer));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('CRL server did not bind');
  const crlUrl = `http://127.0.0.1:${addr.port}/intermediate.crl`;
  const ocspUrl = `http://127.0.0.1:${addr.port}/ocsp`;

  const root = await issue({ subject: 'CN=Paraphe Test Root CA, O=Paraphe Tests, C=FR', ca: true, usages: keyCertSign | cRLSign, notBefore: new Date(Date.now() - 800 * DAY), notAfter: new Date(Date.now() + 3650 * DAY) });
  const inter = await issue({ subject: 'CN=Paraphe Test Agents CA, O=Paraphe Tests, C=FR', issuer: root, ca: true, usages: keyCertSign | cRLSign, notBefore: new Date(Date.now() - 800 * DAY), notAfter: new Date(Date.now() + 1825 * DAY) });
  const personal = digitalSignature | nonRepudiation;
  const agentSubjects = [
    'CN=Alice Martin, OU=Direction générale, O=Commune de Testville, C=FR',
    'CN=Bruno Lefèvre, OU=Finances, O=Commune de Testville, C=FR',
    'CN=Chloé Dubois, OU=Maire, O=Commune de Testville, C=FR',
  ];
  const agents = await Promise.all(agentSubjects.map((subject) => issue({ subject, issuer: inter, usages: personal, crlUrl })));
  const seal = await issue({ subject: 'CN=Cachet serveur Commune de Testville, O=Commune de Testville, C=FR', issuer: inter, usages: digitalSignature | keyEncipherment, crlUrl });
  const tsa = await issue({ subject: 'CN=Paraphe Test TSA, O=Paraphe Tests, C=FR', issuer: inter, usages: digitalSignature | nonRepudiation, eku: { oids: ['1.3.6.1.5.5.7.3.8'], critical: true }, crlUrl });
  const expired = await issue({ subject: 'CN=Agent Expiré, O=Commune de Testville, C=FR', issuer: inter, usages: personal, crlUrl, notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - 30 * DAY) });
  const revoked = await issue({ subject: 'CN=Agent Révoqué, O=Commune de Testville, C=FR', issuer: inter, usages: personal, crlUrl });
  const noNonRep = await issue({ subject: 'CN=Agent Sans NonRépudiation, O=Commune de Testville, C=FR', issuer: inter, usages: digitalSignature, crlUrl });
  const ocspResponder = await issue({ subject: 'CN=Paraphe Test OCSP Responder, O=Paraphe Tests, C=FR', issuer: inter, usages: digitalSignature, eku: { oids: ['1.3.6.1.5.5.7.3.9'], critical: false } });
  const ocspAgent = await issue({ subject: 'CN=Agent OCSP, O=Commune de Testville, C=FR', issuer: inter, usages: personal, ocspUrl });
  const ocspRevoked = await issue({ subject: 'CN=Agent OCSP Révoqué, O=Commune de Testville, C=FR', issuer: inter, usages: personal, ocspUrl });
  const rogueRoot = await issue({ subject: 'CN=Unknown Root CA, O=Elsewhere, C=FR', ca: true, usages: keyCertSign | cRLSign });
  const untrusted = await issue({ subject: 'CN=Agent Inconnu, O=Elsewhere, C=FR', issuer: rogueRoot, usages: personal });

  const makeCrl = async (extra: x509.X509Certificate[], thisUpdate: Date): Promise<Uint8Array> => {
    const crl = await x509.X509CrlGenerator.create({
      issuer: inter.cert.subject,
      thisUpdate,
      nextUpdate: new Date(Date.now() + 7 * DAY),
      entries: [revoked.cert, ...extra].map((c) => ({ serialNumber: c.serialNumber, revocationDate: new Date(Date.now() - 3600 * 1000), reason: x509.X509CrlReason.keyCompromise })),
      signingAlgorithm: ALG,
      signingKey: inter.keys.privateKey,
      extensions: [await x509.AuthorityKeyIdentifierExtension.create(inter.cert)],
    });
    return new Uint8Array(crl.rawData);
  };
  crlDer = await makeCrl([], new Date(Date.now() - 3600 * 1000));
  const crlPath = join(dir, 'intermediate.crl');
  writeFileSync(crlPath, crlDer);

  // openssl ocsp's certificate database: V(alid) or R(evoked), expiry, revocation time, serial, file, subject.
  const asn1Time = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  const indexLine = (c: x509.X509Certificate, revokedAt?: Date) =>
    [revokedAt ? 'R' : 'V', asn1Time(c.notAfter), revokedAt ? asn1Time(revokedAt) : '', c.serialNumber.toUpperCase(), 'unknown', '/' + c.subject.split(', ').reverse().join('/')].join('\t');
  writeFileSync(join(ocspDir, 'index.txt'), [indexLine(ocspAgent.cert), indexLine(ocspRevoked.cert, new Date(Date.now() - 3600 * 1000))].join('\n') + '\n');
  writeFileSync(join(ocspDir, 'index.txt.attr'), 'unique_subject = no\n');

  const chain = [inter.cert, root.cert];
  const out = {
    root: await writeIdentity(dir, 'root', root, [], false),
    intermediate: await writeIdentity(dir, 'intermediate', inter, [root.cert], false),
    agents: [
      await writeIdentity(dir, 'agent1', agents[0]!, chain, true),
      await writeIdentity(dir, 'agent2', agents[1]!, chain, true),
      await writeIdentity(dir, 'agent3', agents[2]!, chain, true),
    ] as [TestIdentity, TestIdentity, TestIdentity],
    seal: await writeIdentity(dir, 'seal', seal, chain, true),
    tsa: await writeIdentity(dir, 'tsa', tsa, chain, true),
    expired: await writeIdentity(dir, 'expired', expired, chain, true),
    revoked: await writeIdentity(dir, 'revoked', revoked, chain, true),
    noNonRepudiation: await writeIdentity(dir, 'no-nonrep', noNonRep, chain, true),
    ocspAgent: await writeIdentity(dir, 'ocsp-agent', ocspAgent, chain, true),
    ocspRevoked: await writeIdentity(dir, 'ocsp-revoked', ocspRevoked, chain, true),
    ocspResponder: await writeIdentity(dir, 'ocsp-responder', ocspResponder, chain, false),
    untrustedRoot: await writeIdentity(dir, 'untrusted-root', rogueRoot, [], false),
    untrusted: await writeIdentity(dir, 'untrusted', untrusted, [rogueRoot.cert], true),
  };
  writeFileSync(join(trustDir, 'root.pem'), out.root.certPem + '\n');

  return {
    dir,
    ...out,
    trustDir,
    rootPemPath: out.root.certPath,
    crlUrl,
    crlPath,
    crlHits: () => hits,
    ocspUrl,
    ocspHits: () => ocspHits,
    revokeAlso: async (...identities: TestIdentity[]) => {
      crlDer = await makeCrl(identities.map((i) => i.cert), new Date(Date.now() - 1000));
      return crlDer;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
