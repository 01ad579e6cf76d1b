/**
 * End to end, with real servers as separate processes: Dovecot (IMAP + LMTP) and `paraphe-sim actes`
 * (HTTPS mutual TLS). Archives are built with `src/actes/archive`, sent with the mTLS client, and the
 * préfecture's answers are read back from the mailbox with the return-mailbox poller.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import {
  buildActeArchive,
  buildAnnulationArchive,
  buildDemandeClassificationArchive,
  buildReplyArchive,
  type BuiltArchive,
  type TransmissionContext,
} from '../archive/build.ts';
import { createTarGz, extractTarGz } from '../archive/tar.ts';
import { conformancePath } from '../archive/testing.ts';
import { parseRetourClassification } from '../classification/classification.ts';
import type { ActesMessage } from '../messages/parse.ts';
import { simplePdf } from '../../simulators/actes/pdf.ts';
import { spawnActesSimulator, type SimulatorProcess } from '../../simulators/actes/testing.ts';
import { createTestPki, type TestPki } from '../../../test/support/tls.ts';
import { freePort, startDovecot, type DovecotInstance } from '../../../test/support/dovecot.ts';
import { HttpsCtesClient, type SendResult } from './ctes-client.ts';
import { ImapReturnMailbox, type ActesMail, type PollReport } from './return-mailbox.ts';

const CLASSIFICATION_FILE = conformancePath('pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/999-1234----7-2_1.xml');
const CLASSIFICATION = parseRetourClassification(readFileSync(CLASSIFICATION_FILE));
const MAILBOX = { user: 'retour@paraphe.test', password: 'secret-retour' };
const SIREN = '214400152';
const OTHER_SIREN = '210600730';

let pki: TestPki;
let dovecot: DovecotInstance;
let sim: SimulatorProcess;
let dataDir: string;
let client: HttpsCtesClient;
let mailbox: ImapReturnMailbox;
let sequence = 0;
/** Every mail handed by the poller so far, for the tests to pick from. */
const received: ActesMail[] = [];
const unknown: PollReport['unknown'] = [];

function ctx(siren = SIREN): TransmissionContext {
  sequence += 1;
  return {
    collectivite: {
      siren,
      departement: '044',
      arrondissement: '1',
      nature: '31',
      referent: { nom: 'Hélène Maïté', email: 'dgs@mairie-exemple.fr' },
      adressesRetour: [MAILBOX.user],
    },
    trigram: 'PAR',
    sequence,
    sentAt: new Date(),
  };
}

function acte(numeroInterne: string, opts: { classificationDate?: string; siren?: string; typologie?: string } = {}): Promise<BuiltArchive> {
  return buildActeArchive({
    ...ctx(opts.siren),
    metadata: {
      nature: 1,
      classification: '7.1',
      numeroInterne,
      dateDecision: '2024-02-28',
      objet: "Délibération relative à l'éclairage public",
      documentPapier: false,
      typologieActe: opts.typologie ?? '99_DE',
      typologieAnnexes: [],
    },
    classificationDateVersion: opts.classificationDate ?? CLASSIFICATION.dateClassification,
    acte: { fileName: 'deliberation.pdf', data: simplePdf('Délibération', ['Le conseil municipal décide…']) },
  });
}

const send = (a: BuiltArchive): Promise<SendResult> => client.send({ fileName: a.archiveName, bytes: a.archive });

/** Polls until a mail satisfying `pick` has been handed (mails arrive asynchronously after the upload). */
async function waitForMail(pick: (m: ActesMessage) => boolean): Promise<{ mail: ActesMail; message: ActesMessage }> {
  for (let i = 0; i < 300; i++) {
    for (const mail of received) {
      const message = mail.messages.find((x) => pick(x.message));
      if (message) {
        received.splice(received.indexOf(mail), 1);
        return { mail, message: message.message };
      }
    }
    const report = await mailbox.poll(async (m) => {
      received.push(m);
    });
    unknown.push(...report.unknown);
    if (report.processed.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`expected mail never arrived; simulator output:\n${sim.output()}`);
}

async function admin(path: string, body: unknown = {}): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${sim.adminUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, json: await r.json() };
}

before(async () => {
  pki = createTestPki();
  dovecot = await startDovecot([MAILBOX]);
  dataDir = mkdtempSync(join(tmpdir(), 'paraphe-sim-actes-'));
  const sirens = join(dataDir, 'sirens.txt');
  writeFileSync(sirens, `${SIREN}\n`);
  sim = await spawnActesSimulator([
    '--port', '0',
    '--tls-cert', pki.server.certPath,
    '--tls-key', pki.server.keyPath,
    '--client-ca', pki.ca.certPath,
    '--smtp', `127.0.0.1:${dovecot.lmtpPort}`,
    '--lmtp',
    '--data-dir', join(dataDir, 'sim'),
    '--classification', CLASSIFICATION_FILE,
    '--sirens', sirens,
  ]);
  client = new HttpsCtesClient({ url: sim.ctesUrl, clientCert: pki.client.cert, clientKey: pki.client.key, ca: pki.ca.cert });
  mailbox = new ImapReturnMailbox({ host: dovecot.host, port: dovecot.imapPort, secure: false, user: MAILBOX.user, password: MAILBOX.password });
});

after(async () => {
  await sim?.stop();
  await dovecot?.stop();
  pki?.cleanup();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('télétransmission ACTES through the @CTES simulator and a real mailbox', () => {
  test('a client without a certificate, or with one from an unknown CA, is refused by the TLS layer', async () => {
    const noCert = await new Promise<string>((resolve) => {
      const req = request(sim.ctesUrl, { method: 'POST', ca: pki.ca.cert, agent: false }, (res) => resolve(`HTTP ${res.statusCode}`));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
      req.end('x');
    });
    assert.match(noCert, /^error /, `a request without certificate got an answer: ${noCert}`);

    const rogue = new HttpsCtesClient({ url: sim.ctesUrl, clientCert: pki.rogueClient.cert, clientKey: pki.rogueClient.key, ca: pki.ca.cert });
    const r = await rogue.send({ fileName: (await acte('ROGUE_1')).archiveName, bytes: Buffer.from('x') });
    assert.equal(r.status, 'unreachable');
    assert.match(r.status === 'unreachable' ? r.messageFr : '', /Impossible de transmettre/);
  });

  test('an acte is accepted over mutual TLS and its ARActe comes back by mail with the right IDActe', async () => {
    const a = await acte('2024_015');
    const r = await send(a);
    assert.equal(r.status, 'accepted', JSON.stringify(r));
    const { mail, message } = await waitForMail((m) => m.kind === 'ARActe' && m.idActe === a.idActe);
    assert.equal(message.kind, 'ARActe');
    if (message.kind !== 'ARActe') return;
    assert.equal(message.idActe, '044-214400152-20240228-2024_015-DE');
    assert.match(message.dateReception ?? '', /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(message.classificationDateVersionEnCours, CLASSIFICATION.dateClassification);
    assert.equal(message.acteRecu?.numeroInterne, '2024_015');
    assert.ok(mail.raw.includes(Buffer.from('Content-Type: multipart/mixed')), 'raw RFC 822 bytes are kept');
    assert.match(mail.key, /^message-id:<actes-sim-/);
    assert.match(mail.messages[0]!.fileName, /^044-214400152-20240228-2024_015-DE-1-2_\d+\.xml$/);
  });

  test('the rescue URL is used when the main one is unreachable or answers 5xx', async () => {
    const closed = await freePort();
    const withRescue = new HttpsCtesClient({
      url: `https://127.0.0.1:${closed}/ctes`,
      rescueUrl: sim.ctesUrl,
      clientCert: pki.client.cert,
      clientKey: pki.client.key,
      ca: pki.ca.cert,
    });
    const r1 = await withRescue.send({ fileName: (await acte('RESCUE_1')).archiveName, bytes: (await acte('RESCUE_1')).archive });
    assert.equal(r1.status, 'accepted');
    assert.equal(r1.status === 'accepted' && r1.usedRescue, true);

    await admin('/fail-next', { status: 503, count: 1 });
    const sameTwice = new HttpsCtesClient({ url: sim.ctesUrl, rescueUrl: sim.ctesUrl, clientCert: pki.client.cert, clientKey: pki.client.key, ca: pki.ca.cert });
    const a2 = await acte('RESCUE_2');
    const r2 = await sameTwice.send({ fileName: a2.archiveName, bytes: a2.archive });
    assert.equal(r2.status, 'accepted');
    assert.deepEqual(r2.attempts.map((x) => x.httpStatus), [503, 200]);

    const nowhere = new HttpsCtesClient({ url: `https://127.0.0.1:${closed}/ctes`, clientCert: pki.client.cert, clientKey: pki.client.key, ca: pki.ca.cert });
    const r3 = await nowhere.send({ fileName: a2.archiveName, bytes: a2.archive });
    assert.equal(r3.status, 'unreachable');
    assert.match(r3.status === 'unreachable' ? r3.messageFr : '', /connexion a été refusée/);
  });

  test('what is not an archive is refused at once with the reason', async () => {
    const r = await client.send({ fileName: 'PAR-EACT--214400152--20240306-99.tar.gz', bytes: Buffer.from('not gzip') });
    assert.equal(r.status, 'refused');
    assert.equal(r.status === 'refused' && r.httpStatus, 400);
    assert.match(r.status === 'refused' ? r.reason : '', /gzip/);
  });

  test('an outdated classification date yields an AnomalieActe', async () => {
    const a = await acte('OLD_CLASS', { classificationDate: '2017-04-19' });
    assert.equal((await send(a)).status, 'accepted');
    const { message } = await waitForMail((m) => m.kind === 'AnomalieActe' && m.acteRecu?.numeroInterne === 'OLD_CLASS');
    assert.equal(message.kind === 'AnomalieActe' && message.nature, '002');
    assert.match(message.kind === 'AnomalieActe' ? (message.detail ?? '') : '', /classification/);
  });

  test('a document typology not valid for the nature of the acte yields an AnomalieActe', async () => {
    const a = await acte('BAD_TYPO', { typologie: '99_AI' });
    assert.equal((await send(a)).status, 'accepted');
    const { message } = await waitForMail((m) => m.kind === 'AnomalieActe' && m.acteRecu?.numeroInterne === 'BAD_TYPO');
    assert.match(message.kind === 'AnomalieActe' ? (message.detail ?? '') : '', /99_AI/);
  });

  test('an unknown SIREN yields an AnomalieEnveloppe', async () => {
    const a = await acte('UNKNOWN_SIREN', { siren: OTHER_SIREN });
    assert.equal((await send(a)).status, 'accepted');
    const { mail, message } = await waitForMail((m) => m.kind === 'AnomalieEnveloppe' && m.enveloppeRecue?.siren === OTHER_SIREN);
    assert.match(message.kind === 'AnomalieEnveloppe' ? (message.detail ?? '') : '', /SIREN 210600730/);
    assert.equal(mail.messages[0]!.fileName, `ANO_${a.enveloppeName}`);
  });

  test('a message that breaks the ACTES schema yields an AnomalieEnveloppe with the schema error', async () => {
    const a = await acte('BAD_SCHEMA');
    const entries = await extractTarGz(a.archive);
    const msg = entries.find((e) => e.name === a.messageName)!;
    msg.data = Buffer.from(msg.data.toString('latin1').replace(/<actes:DocumentPapier>N<\/actes:DocumentPapier>/, ''), 'latin1');
    const broken = await createTarGz(entries, new Date());
    assert.equal((await client.send({ fileName: a.archiveName, bytes: broken })).status, 'accepted');
    const { message } = await waitForMail((m) => m.kind === 'AnomalieEnveloppe' && /BAD_SCHEMA/.test(m.enveloppeRecue?.formulaires.join() ?? ''));
    assert.equal(message.kind === 'AnomalieEnveloppe' && message.nature, '003');
    assert.match(message.kind === 'AnomalieEnveloppe' ? (message.detail ?? '') : '', /DocumentPapier/);
  });

  test('an IDActe sent twice without annulation yields an AnomalieActe; after an annulation (ARAnnulation) it is accepted again', async () => {
    const first = await acte('DOUBLON');
    assert.equal((await send(first)).status, 'accepted');
    await waitForMail((m) => m.kind === 'ARActe' && m.idActe === first.idActe);
    assert.equal((await send(await acte('DOUBLON'))).status, 'accepted');
    const dup = await waitForMail((m) => m.kind === 'AnomalieActe' && m.acteRecu?.numeroInterne === 'DOUBLON');
    assert.equal(dup.message.kind === 'AnomalieActe' && dup.message.nature, '001');

    const annulation = await buildAnnulationArchive({ ...ctx(), idActe: first.idActe! });
    assert.equal((await send(annulation)).status, 'accepted');
    const ar = await waitForMail((m) => m.kind === 'ARAnnulation' && m.idActe === first.idActe);
    assert.match(ar.message.kind === 'ARAnnulation' ? (ar.message.dateReception ?? '') : '', /^\d{4}-\d{2}-\d{2}$/);

    assert.equal((await send(await acte('DOUBLON'))).status, 'accepted');
    await waitForMail((m) => m.kind === 'ARActe' && m.idActe === first.idActe);
  });

  test('a DemandeClassification gets the full RetourClassification, or "no change" when up to date', async () => {
    assert.equal((await send(await buildDemandeClassificationArchive({ ...ctx(), dateClassification: '2001-01-01' }))).status, 'accepted');
    const full = await waitForMail((m) => m.kind === 'RetourClassification');
    assert.equal(full.message.kind === 'RetourClassification' && full.message.classification.dateClassification, CLASSIFICATION.dateClassification);
    assert.equal(full.message.kind === 'RetourClassification' && full.message.classification.matieres.length, CLASSIFICATION.matieres.length);

    const upToDate = await buildDemandeClassificationArchive({ ...ctx(), dateClassification: CLASSIFICATION.dateClassification });
    assert.equal((await send(upToDate)).status, 'accepted');
    const same = await waitForMail((m) => m.kind === 'ReponseClassificationSansChangement');
    assert.equal(same.message.kind === 'ReponseClassificationSansChangement' && same.message.dateClassification, CLASSIFICATION.dateClassification);
  });

  test('préfecture letters triggered by the admin endpoint arrive as archives with their PDF, and replies are acknowledged', async () => {
    const a = await acte('COURRIERS');
    assert.equal((await send(a)).status, 'accepted');
    await waitForMail((m) => m.kind === 'ARActe' && m.idActe === a.idActe);

    const routes = {
      'courrier-simple': 'CourrierSimple',
      'demande-pieces': 'DemandePieceComplementaire',
      'lettre-observations': 'LettreObservations',
      defere: 'DefereTA',
    } as const;
    for (const [route, kind] of Object.entries(routes)) {
      const r = await admin(`/actes/${a.idActe}/${route}`, { motif: 'Motif de test' });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      const { mail, message } = await waitForMail((m) => m.kind === kind && 'idActe' in m && m.idActe === a.idActe);
      assert.equal(mail.enveloppes[0]?.message.kind, 'EnveloppeMISILLCL');
      assert.match(mail.enveloppes[0]!.fileName, /^EACT--SPREF0441-214400152-\d{8}-\d+\.xml$/);
      const pdf = mail.documents.find((d) => d.fileName.endsWith('.pdf'));
      assert.ok(pdf && pdf.data.subarray(0, 5).toString() === '%PDF-', `${kind} carries its PDF`);
      assert.deepEqual(message.fichiers, [pdf.fileName]);
    }

    const courrierDate = (await (await fetch(`${sim.adminUrl}/actes`)).json()) as { idActe: string; courriers: { dateCourrierPref: string }[] }[];
    const dateCourrierPref = courrierDate.find((x) => x.idActe === a.idActe)!.courriers[0]!.dateCourrierPref;
    const pieces = await buildReplyArchive('PieceComplementaire', {
      ...ctx(),
      idActe: a.idActe!,
      dateCourrierPref,
      documents: [{ fileName: 'pieces.pdf', data: simplePdf('Pièces', ['Pièce complémentaire']) }],
    });
    assert.equal((await send(pieces)).status, 'accepted');
    const ar35 = await waitForMail((m) => m.kind === 'ARPieceComplementaire' && m.idActe === a.idActe);
    assert.equal(ar35.message.kind === 'ARPieceComplementaire' && ar35.message.dateCourrierPref, dateCourrierPref);

    const reponse = await buildReplyArchive('ReponseLettreObservations', {
      ...ctx(),
      idActe: a.idActe!,
      dateCourrierPref,
      documents: [{ fileName: 'reponse.pdf', data: simplePdf('Réponse', ['Réponse aux observations']) }],
    });
    assert.equal((await send(reponse)).status, 'accepted');
    await waitForMail((m) => m.kind === 'ARReponseRejetLettreObservations' && m.idActe === a.idActe);
  });

  test('a handler that throws leaves the mail unseen; the next poll hands it again with the same key', async () => {
    const a = await acte('CRASH');
    assert.equal((await send(a)).status, 'accepted');
    const isIt = (m: ActesMail): boolean => m.messages.some((x) => x.message.kind === 'ARActe' && x.message.idActe === a.idActe);
    let failedKey: string | undefined;
    for (let i = 0; i < 300 && !failedKey; i++) {
      const report = await mailbox.poll(async (m) => {
        if (isIt(m)) throw new Error('simulated crash in the handler');
        received.push(m);
      });
      failedKey = report.failed[0]?.key;
      if (!failedKey) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(failedKey, 'the failing handler was called');
    const handed: ActesMail[] = [];
    const report = await mailbox.poll(async (m) => {
      handed.push(m);
    });
    assert.deepEqual(report.failed, []);
    assert.equal(handed.filter(isIt).length, 1);
    assert.equal(handed.find(isIt)!.key, failedKey);
    assert.ok(report.processed.includes(failedKey));
    received.push(...handed.filter((m) => !isIt(m)));
    // Once handled, it is never handed again.
    const again: ActesMail[] = [];
    await mailbox.poll(async (m) => {
      again.push(m);
    });
    assert.equal(again.filter(isIt).length, 0);
    received.push(...again);
  });

  test('a mail that carries no ACTES message goes to "inconnus" and is reported, not handed', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: dovecot.lmtpPort, lmtp: true, secure: false, ignoreTLS: true });
    await t.sendMail({ from: 'spam@example.org', to: MAILBOX.user, subject: 'Offre exceptionnelle', text: 'Bonjour', attachments: [{ filename: 'note.txt', content: 'x' }] });
    t.close();
    const handed: ActesMail[] = [];
    const report = await mailbox.poll(async (m) => {
      handed.push(m);
    });
    received.push(...handed);
    const all = [...unknown, ...report.unknown];
    const spam = all.find((u) => u.subject === 'Offre exceptionnelle');
    assert.ok(spam, 'the unknown mail is reported');
    assert.match(spam.reasonFr, /aucun message ACTES/);
    const imap = new ImapFlow({ host: dovecot.host, port: dovecot.imapPort, secure: false, auth: { user: MAILBOX.user, pass: MAILBOX.password }, logger: false });
    await imap.connect();
    const status = await imap.status('inconnus', { messages: true });
    const inboxUnseen = await imap.status('INBOX', { unseen: true });
    await imap.logout();
    assert.ok(status && (status.messages ?? 0) >= 1, 'moved to the inconnus folder');
    assert.equal(inboxUnseen && inboxUnseen.unseen, 0, 'nothing left unseen in the inbox');
  });

  test('the simulator keeps everything it received and sent in its data directory', async () => {
    const files = readdirSync(join(dataDir, 'sim'));
    assert.ok(files.includes('state.json'));
    assert.ok(readdirSync(join(dataDir, 'sim', 'received')).some((f) => f.endsWith('.tar.gz')));
    assert.ok(readdirSync(join(dataDir, 'sim', 'sent')).some((f) => /ARActe\.eml$/.test(f)));
  });
});
