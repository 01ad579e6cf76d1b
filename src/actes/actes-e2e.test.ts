/**
 * ACTES end to end through the platform: the préfecture is `paraphe-sim actes` as a separate process, the
 * return mailbox a real Dovecot (IMAP + LMTP), notifications go through a real SMTP server (smtp-server
 * sink), the acte is a PAdES-signed PDF checked after stamping with pdfsig and qpdf. Business software
 * drives it with an API token, as an OPERIS-style application would.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { conformancePath } from './archive/testing.ts';
import { spawnActesSimulator, type SimulatorProcess } from '../simulators/actes/testing.ts';
import { createTestPki as createTlsPki, type TestPki as TlsPki } from '../../test/support/tls.ts';
import { createTestPki as createSigningPki, type TestPki as SigningPki } from '../../test/support/pki.ts';
import { startDovecot, type DovecotInstance } from '../../test/support/dovecot.ts';
import { startTestPlatform, makeCollectivite, makeMember, makeToken, login, tokenClient, type TestPlatform, type Client } from '../../test/support/test-app.ts';
import { TOKEN_PERMISSIONS } from '../identity/roles.ts';
import { setConnectorConfig } from '../connectors/set-connector-config.ts';
import { runDueJobs } from '../platform/jobs/job-queue.ts';
import { makeTestPdf } from '../parapheur/signature/pades/test-pdf.ts';
import { signPdf } from '../parapheur/signature/pades/sign-pdf.ts';
import { Pkcs12KeySource } from '../parapheur/signature/pades/key-source.ts';
import { loadTrustAnchors } from '../parapheur/signature/certificates/trust-anchors.ts';
import { HttpCrlSource } from '../parapheur/signature/certificates/crl-source.ts';
import { actesPorts } from './install.ts';
import { pollActesMailboxes } from './use-cases/poll-actes-mailboxes.ts';
import { postArchive } from './jobs/send-stored-archive.ts';
import { readBlob } from './use-cases/support.ts';

const CURRENT = conformancePath('pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/999-1234----7-2_1.xml'); // 2019-04-18
const OLDER = conformancePath('pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/classification-exemple.xml'); // 2019-03-01
const MAILBOX = { user: 'retour@paraphe.test', password: 'secret-retour' };
const actor = { userId: null, tokenId: null, label: 'test' };

let dir: string;
let tls: TlsPki;
let signing: SigningPki;
let nssDir: string;
let dovecot: DovecotInstance;
let sim: SimulatorProcess;
let smtp: SMTPServer;
const notifications: { to: string[]; subject: string; text: string }[] = [];
let p: TestPlatform;
let cid: string;
let siren: string;
let api: Client;
let admin: Client;
let signedPdf: Uint8Array;

function tool(cmd: string, args: string[], pkg: string): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) assert.fail(`${cmd} is required for this test: apt-get install -y ${pkg}`);
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function write(name: string, bytes: Uint8Array): string {
  const f = join(dir, name);
  writeFileSync(f, bytes);
  return f;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the jobs and reads the mailbox until `done` holds (the préfecture answers asynchronously). */
async function until<T>(what: string, done: () => Promise<T | undefined | false>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    await runDueJobs(p.deps.db, p.deps.clock, p.deps.jobHandlers);
    await pollActesMailboxes(p.deps, actesPorts(p.deps));
    await runDueJobs(p.deps.db, p.deps.clock, p.deps.jobHandlers);
    const v = await done();
    if (v) return v;
    await sleep(100);
  }
  throw new Error(`never happened: ${what}\nsimulator:\n${sim.output()}\ndovecot:\n${dovecot.log().slice(-2000)}`);
}

interface ActeView {
  idActe: string;
  dateEnvoi: string | null;
  dateReception: string | null;
  datePublication: string | null;
  archive: { nom: string; sha256: string } | null;
  messages: { id: string; direction: string; kind: string; status: string; reponsesPossibles: string[] }[];
  dossier: { id: string; state: string; s2lowCode: number | null; documents: { role: string; filename: string; sha256: string }[] };
}

async function acte(id: string): Promise<ActeView> {
  const r = await api.request('GET', `/api/collectivites/${cid}/actes/${id}`);
  assert.equal(r.statusCode, 200, r.body);
  return r.json() as ActeView;
}

const metadata = (numeroInterne: string, extra: Record<string, unknown> = {}) => ({
  nature: 'DE',
  classification: '7.1',
  numeroInterne,
  dateDecision: '2026-03-12',
  objet: 'Tarifs de la cantine scolaire',
  documentPapier: false,
  typologieActe: '99_DE',
  typologieAnnexes: [],
  ...extra,
});

async function createWithDocs(numeroInterne: string, extra: Record<string, unknown> = {}, annexes: Buffer[] = []): Promise<ActeView> {
  const r = await api.request('POST', `/api/collectivites/${cid}/actes`, { metadata: metadata(numeroInterne, { typologieAnnexes: annexes.map(() => '99_DE'), ...extra }) });
  assert.equal(r.statusCode, 201, r.body);
  const a = r.json() as ActeView;
  const up = await api.upload(`/api/collectivites/${cid}/actes/${a.dossier.id}/documents?role=principal`, 'deliberation.pdf', Buffer.from(signedPdf));
  assert.equal(up.statusCode, 201, up.body);
  for (const [i, x] of annexes.entries()) {
    const ua = await api.upload(`/api/collectivites/${cid}/actes/${a.dossier.id}/documents?role=annexe`, `annexe-${i + 1}.pdf`, x);
    assert.equal(ua.statusCode, 201, ua.body);
  }
  return a;
}

async function act(dossierId: string, action: string): Promise<void> {
  const r = await api.request('POST', `/api/collectivites/${cid}/dossiers/${dossierId}/actions/${action}`, {});
  assert.equal(r.statusCode, 200, r.body);
}

async function simAdmin(path: string, body: unknown = {}): Promise<unknown> {
  const r = await fetch(`${sim.adminUrl}${path}`, { method: body === undefined ? 'GET' : 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(r.status, 200, await r.clone().text());
  return r.json();
}

/** A tar.gz our own writer would refuse to produce: an entry escaping the extraction folder. */
async function hostileTarGz(name: string, data: Buffer): Promise<Buffer> {
  const pack = tarStream.pack();
  pack.entry({ name }, data);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

async function simGet(path: string): Promise<unknown> {
  return (await fetch(`${sim.adminUrl}${path}`)).json();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paraphe-actes-e2e-'));
  tls = createTlsPki();
  signing = await createSigningPki(join(dir, 'signing-pki'));
  nssDir = join(dir, 'nss');
  mkdirSync(nssDir);
  assert.equal(tool('certutil', ['-N', '-d', `sql:${nssDir}`, '--empty-password'], 'libnss3-tools').status, 0);
  assert.equal(tool('certutil', ['-A', '-d', `sql:${nssDir}`, '-n', 'paraphe-test-root', '-t', 'CT,C,C', '-i', signing.rootPemPath], 'libnss3-tools').status, 0);
  const source = await makeTestPdf({ lines: ['Délibération : tarifs de la cantine scolaire.', 'Le maire : #signature#'] });
  signedPdf = (await signPdf(source, await Pkcs12KeySource.fromFile(signing.agents[0].p12Path, signing.agents[0].p12Password), { trustAnchors: loadTrustAnchors(signing.trustDir), crlSource: new HttpCrlSource(), mark: { text: 'Signé par Alice Martin', tag: '#signature#' }, reason: 'Approbation' })).pdf;

  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      simpleParser(stream).then((m) => {
        notifications.push({ to: session.envelope.rcptTo.map((x) => x.address), subject: m.subject ?? '', text: m.text ?? '' });
        cb();
      }, cb);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as { port: number }).port;
  process.env.PARAPHE_SMTP_URL = `smtp://127.0.0.1:${smtpPort}`;

  dovecot = await startDovecot([MAILBOX]);
  p = await startTestPlatform();
  cid = await makeCollectivite(p, 'Commune de Transmission');
  siren = (await p.deps.db.selectFrom('collectivite').select('siren').where('id', '=', cid).executeTakeFirstOrThrow()).siren;
  await makeMember(p, cid, 'agent@transmission.test', 'agent');
  await makeMember(p, cid, 'admin@transmission.test', 'collectivite_admin');
  admin = await login(p, 'admin@transmission.test');
  api = tokenClient(p, await makeToken(p, cid, [...TOKEN_PERMISSIONS]));

  const sirens = join(dir, 'sirens.txt');
  writeFileSync(sirens, `${siren}\n`);
  sim = await spawnActesSimulator(['--port', '0', '--tls-cert', tls.server.certPath, '--tls-key', tls.server.keyPath, '--client-ca', tls.ca.certPath, '--smtp', `127.0.0.1:${dovecot.lmtpPort}`, '--lmtp', '--data-dir', join(dir, 'sim'), '--classification', CURRENT, '--sirens', sirens]);
  await setConnectorConfig(p.deps, actor, { type: 'collectivite', id: cid }, 'tdt-actes', {
    url: `https://127.0.0.1:1/ctes-en-panne`,
    rescueUrl: sim.ctesUrl,
    clientCertPath: tls.client.certPath,
    clientKeyPath: tls.client.keyPath,
    caPath: tls.ca.certPath,
    trigramme: 'PAR',
    adressesRetour: [MAILBOX.user],
    imap: { host: dovecot.host, port: dovecot.imapPort, secure: false, user: MAILBOX.user, password: MAILBOX.password },
  });
});

after(async () => {
  await p?.close();
  await sim?.stop();
  await dovecot?.stop();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  tls?.cleanup();
  await signing?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('télétransmission ACTES through the platform', () => {
  test('without a classification no acte can be created; the imported RetourClassification is then the reference', async () => {
    const r = await api.request('POST', `/api/collectivites/${cid}/actes`, { metadata: metadata('SANS_CLASS') });
    assert.equal(r.statusCode, 409);
    assert.match((r.json() as { message: string }).message, /classification de la préfecture n’est pas encore connue/);
    const bad = await admin.upload(`/api/collectivites/${cid}/actes-classification`, 'pas-une-classification.xml', Buffer.from('<?xml version="1.0"?><Autre/>'));
    assert.equal(bad.statusCode, 400);
    assert.match((bad.json() as { message: string }).message, /n’est pas une classification ACTES/);
    const up = await admin.upload(`/api/collectivites/${cid}/actes-classification`, 'classification.xml', readFileSync(CURRENT));
    assert.equal(up.statusCode, 200, up.body);
    const c = (await api.request('GET', `/api/collectivites/${cid}/actes-classification`)).json() as { dateClassification: string; matieres: { code: string }[] };
    assert.equal(c.dateClassification, '2019-04-18');
    assert.ok(c.matieres.some((m) => m.code === '7.1'));
  });

  test('bad metadata is refused with French messages and nothing is written', async () => {
    const before = await p.deps.db.selectFrom('dossier').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const wrongClass = await api.request('POST', `/api/collectivites/${cid}/actes`, { metadata: metadata('BAD_1', { classification: '7.99' }) });
    assert.equal(wrongClass.statusCode, 400);
    assert.match((wrongClass.json() as { message: string }).message, /La matière 7\.99 n’existe pas dans la classification de la préfecture du 2019-04-18/);
    const wrongTypo = await api.request('POST', `/api/collectivites/${cid}/actes`, { metadata: metadata('BAD_2', { typologieActe: '99_AI' }) });
    assert.equal(wrongTypo.statusCode, 400);
    assert.match((wrongTypo.json() as { message: string }).message, /Le type de pièce « 99_AI » de l’acte n’est pas admis pour la nature « Délibérations »/);
    const badNumero = await api.request('POST', `/api/collectivites/${cid}/actes`, { metadata: metadata('bad-1') });
    assert.equal(badNumero.statusCode, 400);
    assert.match((badNumero.json() as { message: string }).message, /minuscules/);
    const after = await p.deps.db.selectFrom('dossier').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(after.n), Number(before.n));
  });

  let main: ActeView;
  test('an acte created by API token, with its signed PDF and an annex, is sent (rescue URL), acknowledged, stamped with its signature intact', async () => {
    const annexe = Buffer.from(await makeTestPdf({ lines: ['Annexe : grille tarifaire.'] }));
    main = await createWithDocs('2026_042', {}, [annexe]);
    assert.equal(main.idActe, `062-${siren}-20260312-2026_042-DE`);
    assert.equal(main.dossier.state, 'brouillon');
    assert.equal(main.dossier.s2lowCode, 17);

    // An encrypted PDF is refused before it is stored.
    const plain = write('plain.pdf', signedPdf);
    const locked = join(dir, 'locked.pdf');
    execFileSync('qpdf', ['--encrypt', 'u', 'o', '256', '--', plain, locked]);
    const docsBefore = (await acte(main.dossier.id)).dossier.documents.length;
    const enc = await api.upload(`/api/collectivites/${cid}/actes/${main.dossier.id}/documents?role=annexe`, 'verrouille.pdf', readFileSync(locked));
    assert.equal(enc.statusCode, 400);
    assert.match((enc.json() as { message: string }).message, /est chiffré ou verrouillé/);
    assert.equal((await acte(main.dossier.id)).dossier.documents.length, docsBefore);

    // Same ID twice: refused while the first is live.
    const dup = await api.request('POST', `/api/collectivites/${cid}/actes`, { metadata: metadata('2026_042') });
    assert.equal(dup.statusCode, 409);
    assert.match((dup.json() as { message: string }).message, /a déjà été créé ou transmis/);

    await act(main.dossier.id, 'transmettre');
    const sent = await until('transmis', async () => {
      const a = await acte(main.dossier.id);
      return a.dossier.state !== 'transmission_en_cours' && a;
    });
    assert.ok(['transmis', 'acquitte'].includes(sent.dossier.state), sent.dossier.state);
    assert.ok(sent.archive, 'the archive is kept');
    const evidence = sent.dossier.documents.find((d) => d.filename === sent.archive!.nom)!;
    assert.equal(evidence.role, 'evidence');
    assert.equal(evidence.sha256, sent.archive!.sha256);
    assert.match(sent.archive!.nom, new RegExp(`^PAR-EACT--${siren}--\\d{8}-\\d+\\.tar\\.gz$`));

    const acked = await until('acquitté', async () => {
      const a = await acte(main.dossier.id);
      return a.dossier.state === 'acquitte' && a;
    });
    assert.equal(acked.dossier.s2lowCode, 4);
    assert.match(acked.dateReception ?? '', /^\d{4}-\d{2}-\d{2}$/);
    // The simulator received the archive exactly once, through the rescue URL.
    const simActes = (await simGet('/actes')) as { idActe: string }[];
    assert.equal(simActes.filter((x) => x.idActe === main.idActe).length, 1);
    const received = (await simGet('/received')) as { idActe?: string; verdict: string }[];
    assert.equal(received.filter((x) => x.idActe === main.idActe).length, 1);

    const ar = await api.request('GET', `/api/collectivites/${cid}/actes/${main.dossier.id}/ar`);
    assert.equal(ar.statusCode, 200);
    assert.match(ar.body, /ARActe/);
    assert.ok(ar.body.includes(main.idActe));

    const stamped = await api.request('GET', `/api/collectivites/${cid}/actes/${main.dossier.id}/acte-tamponne`);
    assert.equal(stamped.statusCode, 200);
    assert.equal(stamped.headers['content-type'], 'application/pdf');
    const f = write('tamponne.pdf', stamped.rawPayload);
    assert.ok(stamped.rawPayload.subarray(0, signedPdf.length).equals(Buffer.from(signedPdf)), 'incremental update: the signed bytes are untouched');
    const sig = tool('pdfsig', ['-nssdir', `sql:${nssDir}`, f], 'poppler-utils');
    assert.match(sig.out, /Signature Validation: Signature is Valid\./, sig.out);
    assert.match(sig.out, /Certificate Validation: Certificate is Trusted\./, sig.out);
    assert.equal(tool('qpdf', ['--check', f], 'qpdf').status, 0);
    const text = tool('pdftotext', [f, '-'], 'poppler-utils').out;
    const fr = (iso: string) => iso.split('-').reverse().join('/');
    assert.ok(text.includes(`Envoyé en préfecture le ${fr(acked.dateEnvoi!)}`), text);
    assert.ok(text.includes(`Reçu en préfecture le ${fr(acked.dateReception!)}`), text);
    assert.ok(text.includes(`ID : ${main.idActe}`), text);
  });

  test('an identical archive posted again (a retry after a crash) gets an "already transmitted" anomaly that undoes nothing and alerts nobody', async () => {
    const a = await createWithDocs('2026_060');
    await act(a.dossier.id, 'transmettre');
    await until('acquitté', async () => (await acte(a.dossier.id)).dossier.state === 'acquitte');
    // What the transmission job does when it runs again after a crash: count, then post the stored archive.
    const row = await p.deps.db.selectFrom('actes_acte').select(['archive_name', 'archive_sha256']).where('dossier_id', '=', a.dossier.id).executeTakeFirstOrThrow();
    await p.deps.db.updateTable('actes_acte').set((eb) => ({ send_count: eb('send_count', '+', 1) })).where('dossier_id', '=', a.dossier.id).execute();
    const bytes = await readBlob(p.deps, row.archive_sha256!);
    assert.deepEqual(await postArchive(p.deps, actesPorts(p.deps), cid, { name: row.archive_name!, bytes }), { ok: true, url: sim.ctesUrl });
    const copies = ((await simGet('/received')) as { idActe?: string; sha256?: string }[]).filter((x) => x.idActe === a.idActe);
    assert.equal(copies.length, 2);
    const anomaly = await until('anomalie du renvoi', async () =>
      p.deps.db.selectFrom('actes_message').select(['content', 'status']).where('dossier_id', '=', a.dossier.id).where('kind', '=', 'AnomalieActe').executeTakeFirst(),
    );
    assert.equal((anomaly.content as { renvoiIdentique?: boolean }).renvoiIdentique, true);
    assert.match(String((anomaly.content as { detail?: string }).detail), /déjà été transmis/);
    assert.equal((await acte(a.dossier.id)).dossier.state, 'acquitte', 'the first copy was acknowledged: the acte stays so');
    const journal = await p.deps.db.selectFrom('journal_entry').select('action').where('object_id', '=', a.dossier.id).execute();
    assert.ok(journal.some((j) => j.action === 'actes.anomalie.renvoi_identique'));
    await runDueJobs(p.deps.db, p.deps.clock, p.deps.jobHandlers);
    assert.ok(!notifications.some((n) => n.subject.includes(`Anomalie sur l’acte ${a.idActe}`)), 'no false alarm to the agents');
  });

  test('the publication date is recorded, the stamp shows it and the acte appears on the public page', async () => {
    const emptyPage = await p.app.inject({ method: 'GET', url: `/public/collectivites/${siren}/actes` });
    assert.equal(emptyPage.statusCode, 200);
    assert.match(emptyPage.body, /Aucun acte publié/);
    const bad = await api.request('POST', `/api/collectivites/${cid}/actes/${main.dossier.id}/publication`, { datePublication: '2026-02-30' });
    assert.equal(bad.statusCode, 400);
    const r = await api.request('POST', `/api/collectivites/${cid}/actes/${main.dossier.id}/publication`, { datePublication: '2026-03-20' });
    assert.equal(r.statusCode, 200, r.body);
    const stamped = await api.request('GET', `/api/collectivites/${cid}/actes/${main.dossier.id}/acte-tamponne`);
    const f = write('publie.pdf', stamped.rawPayload);
    assert.match(tool('pdftotext', [f, '-'], 'poppler-utils').out, /Publié le 20\/03\/2026/);
    assert.match(tool('pdfsig', ['-nssdir', `sql:${nssDir}`, f], 'poppler-utils').out, /Signature is Valid\./);
    const page = await p.app.inject({ method: 'GET', url: `/public/collectivites/${siren}/actes` });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.ok(page.body.includes(main.idActe) && page.body.includes('publié le 2026-03-20'), page.body);
    const pdf = await p.app.inject({ method: 'GET', url: `/public/collectivites/${siren}/actes/${main.dossier.id}.pdf` });
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
  });

  test('a courrier simple of the préfecture arrives, the agents are notified, the collectivité answers (2-2)', async () => {
    await simAdmin(`/actes/${main.idActe}/courrier-simple`, {});
    const withLetter = await until('courrier reçu', async () => {
      const a = await acte(main.dossier.id);
      return a.messages.some((m) => m.kind === 'CourrierSimple') && a;
    });
    const letter = withLetter.messages.find((m) => m.kind === 'CourrierSimple')!;
    assert.equal(letter.status, 'recu');
    assert.deepEqual(letter.reponsesPossibles, ['ReponseCourrierSimple']);
    assert.ok(withLetter.dossier.documents.some((d) => d.role === 'evidence' && d.filename.endsWith('.eml')), 'raw mail kept as evidence');
    const mail = await until('notification', async () => notifications.find((n) => n.subject.includes('courrier simple') && n.subject.includes(main.idActe)));
    assert.ok(mail.to.includes('agent@transmission.test') && mail.to.includes('admin@transmission.test'), JSON.stringify(mail.to));

    const noDoc = await api.request('POST', `/api/collectivites/${cid}/actes/${main.dossier.id}/messages/${letter.id}/reponse?type=ReponseCourrierSimple`);
    assert.equal(noDoc.statusCode, 400);
    assert.match((noDoc.json() as { message: string }).message, /doit porter un document/);
    const wrongKind = await api.request('POST', `/api/collectivites/${cid}/actes/${main.dossier.id}/messages/${letter.id}/reponse?type=ARLettreObservations`);
    assert.equal(wrongKind.statusCode, 409);

    const answer = await api.upload(`/api/collectivites/${cid}/actes/${main.dossier.id}/messages/${letter.id}/reponse?type=ReponseCourrierSimple`, 'reponse.pdf', Buffer.from(await makeTestPdf({ lines: ['Réponse au courrier du préfet.'] })));
    assert.equal(answer.statusCode, 202, answer.body);
    await until('réponse envoyée', async () => (await acte(main.dossier.id)).messages.some((m) => m.kind === 'ReponseCourrierSimple' && m.status === 'envoye'));
    const simActe = ((await simGet('/actes')) as { idActe: string; reponses: { kind: string }[] }[]).find((x) => x.idActe === main.idActe)!;
    assert.deepEqual(simActe.reponses.map((x) => x.kind), ['ReponseCourrierSimple']);
  });

  test('a lettre d’observations is acknowledged (4-2) and a déféré is recorded', async () => {
    await simAdmin(`/actes/${main.idActe}/lettre-observations`, {});
    const a = await until('lettre reçue', async () => {
      const v = await acte(main.dossier.id);
      return v.messages.some((m) => m.kind === 'LettreObservations') && v;
    });
    const lettre = a.messages.find((m) => m.kind === 'LettreObservations')!;
    const r = await api.request('POST', `/api/collectivites/${cid}/actes/${main.dossier.id}/messages/${lettre.id}/reponse?type=ARLettreObservations`);
    assert.equal(r.statusCode, 202, r.body);
    await until('AR de lettre envoyé', async () => (await acte(main.dossier.id)).messages.some((m) => m.kind === 'ARLettreObservations' && m.status === 'envoye'));
    await simAdmin(`/actes/${main.idActe}/defere`, {});
    await until('déféré', async () => (await acte(main.dossier.id)).messages.some((m) => m.kind === 'DefereTA'));
  });

  test('annulation (6-1): the ARAnnulation ends the acte and frees its ID', async () => {
    await act(main.dossier.id, 'annuler');
    const cancelled = await until('annulé', async () => {
      const a = await acte(main.dossier.id);
      return a.dossier.state === 'annule' && a;
    });
    assert.equal(cancelled.dossier.s2lowCode, 0);
    assert.ok(cancelled.messages.some((m) => m.kind === 'ARAnnulation'));
    const again = await api.request('POST', `/api/collectivites/${cid}/actes`, { metadata: metadata('2026_042') });
    assert.equal(again.statusCode, 201, again.body);
  });

  test('an acte built on an old classification gets an anomaly, and the classification is refreshed automatically (7-1 → 7-2)', async () => {
    const up = await admin.upload(`/api/collectivites/${cid}/actes-classification`, 'ancienne.xml', readFileSync(OLDER));
    assert.equal(up.statusCode, 200, up.body);
    const a = await createWithDocs('2026_050');
    await act(a.dossier.id, 'transmettre');
    const refused = await until('anomalie', async () => {
      const v = await acte(a.dossier.id);
      return v.dossier.state === 'refuse' && v;
    });
    assert.equal(refused.dossier.s2lowCode, 6);
    assert.ok(refused.messages.some((m) => m.kind === 'AnomalieActe'));
    await until('notification d’anomalie', async () => notifications.find((n) => n.subject.includes(`Anomalie sur l’acte ${a.idActe}`)));
    await until('classification à jour', async () => {
      const c = (await api.request('GET', `/api/collectivites/${cid}/actes-classification`)).json() as { dateClassification: string };
      return c.dateClassification === '2019-04-18';
    });
    // The refused ID may be transmitted again.
    const again = await api.request('POST', `/api/collectivites/${cid}/actes`, { metadata: metadata('2026_050') });
    assert.equal(again.statusCode, 201, again.body);
  });

  test('hostile mails (DOCTYPE, path traversal in an archive) are kept for inspection, recorded, and dispatch nothing', async () => {
    const messagesBefore = await p.deps.db.selectFrom('actes_message').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: dovecot.lmtpPort, lmtp: true, secure: false, ignoreTLS: true });
    const doctype = `<?xml version="1.0" encoding="ISO-8859-1"?><!DOCTYPE a [<!ENTITY x "y">]><actes:ARActe xmlns:actes="http://www.interieur.gouv.fr/ACTES#v1.1-20040216" actes:IDActe="${main.idActe}" actes:DateReception="2026-03-13"/>`;
    await t.sendMail({ from: 'pref@example.gouv.fr', to: MAILBOX.user, subject: 'AR piégé', attachments: [{ filename: `${main.idActe}-1-2_1.xml`, content: doctype }] });
    const evil = await hostileTarGz('../../evil.xml', Buffer.from('<x/>'));
    await t.sendMail({ from: 'pref@example.gouv.fr', to: MAILBOX.user, subject: 'Archive piégée', attachments: [{ filename: 'EACT--SPREF062-000000000-20260313-1.tar.gz', content: evil }] }).catch(() => undefined);
    t.close();
    const rejected = await until('courriels rejetés', async () => {
      const rows = await p.deps.db.selectFrom('actes_mail').selectAll().where('status', '=', 'rejete').execute();
      return rows.length >= 2 && rows;
    });
    for (const r of rejected) {
      assert.ok(r.raw_sha256, 'raw mail kept');
      assert.ok(r.reason && /[éèà]|ACTES|illisible/.test(r.reason), r.reason ?? '');
    }
    const journal = await p.deps.db.selectFrom('journal_entry').select('details').where('action', '=', 'actes.courriel.rejete').execute();
    assert.ok(journal.length >= 2);
    const messagesAfter = await p.deps.db.selectFrom('actes_message').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(messagesAfter.n), Number(messagesBefore.n));
    assert.equal((await acte(main.dossier.id)).dossier.state, 'annule');
  });

  test('every state change of the acte is in its journal, and the chain verifies', async () => {
    const h = await api.request('GET', `/api/collectivites/${cid}/dossiers/${main.dossier.id}/history`);
    const actions = (h.json() as { items: { action: string }[] }).items.map((x) => x.action);
    for (const a of ['dossier.created', 'dossier.action.transmettre', 'actes.archive.construite', 'actes.ar.recu', 'actes.publication', 'actes.CourrierSimple.recu', 'dossier.action.annuler', 'actes.annulation.acquittee']) {
      assert.ok(actions.includes(a), `${a} missing in ${actions.join(', ')}`);
    }
    assert.ok(actions.some((a) => a === 'dossier.job.transmettre.done'));
    const sha = createHash('sha256').update(readFileSync(CURRENT)).digest('hex');
    assert.ok(await p.deps.db.selectFrom('actes_classification').select('collectivite_id').where('raw_sha256', '=', sha).executeTakeFirst(), 'the classification received from the préfecture is kept');
  });
});
