/**
 * The simulator in-process, answering through plain SMTP (a real `smtp-server` as the relay), and keeping
 * its state across a restart on the same data directory.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { buildActeArchive, buildDemandeClassificationArchive, type BuiltArchive, type TransmissionContext } from '../../actes/archive/build.ts';
import { parseActesMessage } from '../../actes/messages/parse.ts';
import { HttpsCtesClient } from '../../actes/transport/ctes-client.ts';
import { createTestPki, type TestPki } from '../../../test/support/tls.ts';
import { simplePdf } from './pdf.ts';
import { startActesSimulator, type ActesSimulatorOptions, type RunningActesSimulator } from './simulator.ts';

let pki: TestPki;
let smtp: SMTPServer;
let smtpPort: number;
let dataDir: string;
const inbox: ParsedMail[] = [];
const waiters: (() => void)[] = [];
let seq = 0;

before(async () => {
  pki = createTestPki();
  dataDir = mkdtempSync(join(tmpdir(), 'paraphe-sim-unit-'));
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, cb) {
      simpleParser(stream)
        .then((m) => {
          inbox.push(m);
          waiters.splice(0).forEach((w) => w());
          cb();
        })
        .catch(cb);
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
});

after(async () => {
  await new Promise<void>((r) => smtp.close(() => r()));
  pki.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

function options(): ActesSimulatorOptions {
  return {
    port: 0,
    adminPort: 0,
    tlsCert: pki.server.cert,
    tlsKey: pki.server.key,
    clientCa: pki.ca.cert,
    smtp: { host: '127.0.0.1', port: smtpPort, lmtp: false },
    mailFrom: 'prefecture@actes.simulateur.test',
    dataDir,
    delayMs: 5,
    classificationDate: '2024-01-01',
    log: () => undefined,
  };
}

function ctx(): TransmissionContext {
  seq += 1;
  return {
    collectivite: { siren: '214400152', departement: '044', arrondissement: '1', nature: '31', adressesRetour: ['retour@paraphe.test'] },
    trigram: 'PAR',
    sequence: seq,
    sentAt: new Date(),
  };
}

async function nextMail(): Promise<ParsedMail> {
  while (inbox.length === 0) await new Promise<void>((r) => waiters.push(r));
  return inbox.shift()!;
}

async function sendTo(sim: RunningActesSimulator, a: BuiltArchive): Promise<void> {
  const client = new HttpsCtesClient({ url: sim.ctesUrl, clientCert: pki.client.cert, clientKey: pki.client.key, ca: pki.ca.cert });
  const r = await client.send({ fileName: a.archiveName, bytes: a.archive });
  assert.equal(r.status, 'accepted', JSON.stringify(r));
}

const acte = (typologieActe = '99_DE'): Promise<BuiltArchive> =>
  buildActeArchive({
    ...ctx(),
    metadata: { nature: 1, classification: '7.1', numeroInterne: 'PERSIST_1', dateDecision: '2024-02-28', objet: 'Test', documentPapier: false, typologieActe, typologieAnnexes: [] },
    classificationDateVersion: '2024-01-01',
    acte: { fileName: 'a.pdf', data: simplePdf('Acte', ['x']) },
  });

test('without a classification file, a DemandeClassification gets the 7-3 answer by SMTP, as an XML attachment named per A.5', async () => {
  const sim = await startActesSimulator(options());
  try {
    await sendTo(sim, await buildDemandeClassificationArchive({ ...ctx(), dateClassification: '2001-01-01' }));
    const mail = await nextMail();
    assert.deepEqual(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((v) => v.address) : [], ['retour@paraphe.test']);
    const att = mail.attachments[0]!;
    assert.match(att.filename ?? '', /^044-214400152----7-3_\d+\.xml$/);
    const m = parseActesMessage(att.content);
    assert.equal(m.kind === 'ReponseClassificationSansChangement' && m.dateClassification, '2024-01-01');
  } finally {
    await sim.close();
  }
});

test('the register of received actes survives a restart: the same IDActe is then a duplicate', async () => {
  const first = await startActesSimulator(options());
  try {
    await sendTo(first, await acte());
    const ar = parseActesMessage((await nextMail()).attachments[0]!.content);
    assert.equal(ar.kind, 'ARActe');
  } finally {
    await first.close();
  }
  const second = await startActesSimulator(options());
  try {
    await sendTo(second, await acte());
    const dup = parseActesMessage((await nextMail()).attachments[0]!.content);
    assert.equal(dup.kind, 'AnomalieActe');
    assert.equal(dup.kind === 'AnomalieActe' && dup.nature, '001');
  } finally {
    await second.close(); // waits for the answers in flight to be recorded
  }
  const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')) as { received: unknown[]; sent: { kind: string }[] };
  assert.equal(state.received.length, 3);
  assert.deepEqual(state.sent.map((x) => x.kind), ['ReponseClassificationSansChangement', 'ARActe', 'AnomalieActe']);
});
