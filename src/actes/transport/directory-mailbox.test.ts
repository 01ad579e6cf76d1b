import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { DirectoryReturnMailbox } from './directory-mailbox.ts';
import { startSmtpReceiver } from '../../demo/smtp-receiver.ts';
import type { ActesMail } from './return-mailbox.ts';

const AR = (id: string) =>
  `<?xml version="1.0" encoding="ISO-8859-1"?><actes:ARActe xmlns:actes="http://www.interieur.gouv.fr/ACTES#v1.1-20040216" actes:IDActe="${id}" actes:DateReception="2026-03-13"><actes:ActeRecu actes:CodeNatureActe="1" actes:Date="2026-03-12" actes:NumeroInterne="2026_042"><actes:CodeMatiere1 actes:CodeMatiere="7"/><actes:CodeMatiere2 actes:CodeMatiere="1"/><actes:Objet>Tarifs</actes:Objet><actes:ClassificationDateVersion>2019-04-18</actes:ClassificationDateVersion></actes:ActeRecu></actes:ARActe>`;

test('mails received over SMTP land in the directory mailbox; handled ones go to traites/, hostile ones to rejetes/, a failed handler leaves the mail for the next poll', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-dirbox-'));
  const receiver = await startSmtpReceiver({ dir, accept: (a) => a === 'retour-actes@demo.paraphe.test' });
  try {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: receiver.port, secure: false, ignoreTLS: true });
    const id = '062-216201236-20260312-2026_042-DE';
    await t.sendMail({ from: 'prefecture@actes.simulateur.test', to: 'retour-actes@demo.paraphe.test', subject: 'AR', messageId: '<ar-1@pref.test>', attachments: [{ filename: `${id}-1-2_1.xml`, content: AR(id) }] });
    const doctype = AR(id).replace('?>', '?><!DOCTYPE a [<!ENTITY x "y">]>');
    await t.sendMail({ from: 'prefecture@actes.simulateur.test', to: 'retour-actes@demo.paraphe.test', subject: 'piégé', attachments: [{ filename: `${id}-1-2_2.xml`, content: doctype }] });
    await assert.rejects(t.sendMail({ from: 'x@pref.test', to: 'quelquun@ailleurs.test', subject: 'refusé', text: 'x' }), /550|Destinataire inconnu/);
    t.close();
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.eml')).length, 2);

    const box = new DirectoryReturnMailbox({ dir });
    const failing = await box.poll(async () => {
      throw new Error('base indisponible');
    });
    assert.equal(failing.failed.length, 1);
    assert.equal(failing.unknown.length, 1);
    assert.match(failing.unknown[0]!.reasonFr, /DOCTYPE/);
    assert.equal(readdirSync(join(dir, 'rejetes')).length, 1, 'hostile mail kept aside');
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.eml')).length, 1, 'the mail whose handler failed stays');

    const handled: ActesMail[] = [];
    const ok = await box.poll(async (m) => {
      handled.push(m);
    });
    assert.deepEqual(ok.processed, ['message-id:<ar-1@pref.test>']);
    assert.equal(handled[0]!.messages[0]!.message.kind, 'ARActe');
    const kept = readdirSync(join(dir, 'traites'));
    assert.equal(kept.length, 1);
    assert.ok(readFileSync(join(dir, 'traites', kept[0]!)).equals(handled[0]!.raw), 'the raw mail is kept byte for byte');
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.eml')).length, 0);
    assert.deepEqual((await box.poll(async () => assert.fail('nothing left'))).processed, []);
    assert.ok(existsSync(join(dir, 'tmp')));
  } finally {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
