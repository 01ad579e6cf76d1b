import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { createTarGz } from '../archive/tar.ts';
import { conformancePath } from '../archive/testing.ts';
import { extractActesMail, mailKey } from './return-mailbox.ts';

const STELA = 'sictiam-stela/acte-service/src/test/resources/data';

function mail(attachments: Mail.Attachment[], extra: Mail.Options = {}): Promise<Buffer> {
  return new MailComposer({
    from: 'prefecture@interieur.gouv.fr',
    to: 'retour@paraphe.test',
    subject: 'ACTES',
    text: 'Message ACTES',
    messageId: '<abc@pref.test>',
    attachments,
    ...extra,
  })
    .compile()
    .build();
}

test('a real préfecture archive (S²LOW CourrierSimple with enveloppe, PDF, logo, HTML body) is unpacked and parsed', async () => {
  const archive = readFileSync(conformancePath('pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/reponse_prefecture.tar.gz'));
  const raw = await mail([{ filename: 'reponse.tar.gz', content: archive, contentType: 'application/x-gzip' }]);
  const r = await extractActesMail(raw);
  assert.equal(r.kind, 'actes');
  if (r.kind !== 'actes') return;
  assert.equal(r.mail.raw, raw);
  assert.equal(r.mail.messageId, '<abc@pref.test>');
  assert.deepEqual(
    r.mail.messages.map((m) => [m.message.kind, m.fileName, m.archive]),
    [['CourrierSimple', '034-491011698-20190829-201908291002-AI-2-1_0.xml', 'reponse.tar.gz']],
  );
  assert.equal(r.mail.enveloppes[0]?.message.kind, 'EnveloppeMISILLCL');
  const names = r.mail.documents.map((d) => d.fileName).sort();
  assert.deepEqual(names, ['034-491011698-20190829-201908291002-AI-2-1_1.pdf', 'logo_s2low.jpg', 'message_body.html']);
});

test('a real ISO-8859-1 ARActe attached as XML is parsed, with its IDActe', async () => {
  const xml = readFileSync(conformancePath(`${STELA}/006-210600235-20180522-684-AI-1-2_5279.xml`));
  const r = await extractActesMail(await mail([{ filename: '006-210600235-20180522-684-AI-1-2_5279.xml', content: xml, contentType: 'text/xml' }]));
  assert.equal(r.kind, 'actes');
  if (r.kind !== 'actes') return;
  const m = r.mail.messages[0]!;
  assert.equal(m.message.kind, 'ARActe');
  assert.equal(m.message.kind === 'ARActe' && m.message.idActe, '006-210600235-20180522-684-AI');
  assert.equal(m.fileNameParts?.kind === 'message' && m.fileNameParts.code, '1-2');
  assert.deepEqual(m.data, xml);
});

test('a real AnomalieEnveloppe with a Nature outside the schema (999) is still an ACTES mail', async () => {
  const xml = readFileSync(conformancePath(`${STELA}/ANO_EACT--214400152--20180925-1.xml`));
  const r = await extractActesMail(await mail([{ filename: 'ANO_EACT--214400152--20180925-1.xml', content: xml }]));
  assert.equal(r.kind === 'actes' && r.mail.messages[0]!.message.kind, 'AnomalieEnveloppe');
});

test('a mail without ACTES attachment is unknown, with a French reason', async () => {
  const r = await extractActesMail(await mail([{ filename: 'note.pdf', content: Buffer.from('%PDF-1.4') }]));
  assert.equal(r.kind, 'unknown');
  assert.match(r.kind === 'unknown' ? r.reasonFr : '', /aucun message ACTES/);
});

test('an XML with a DOCTYPE is refused and the mail is unknown', async () => {
  const xml = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><actes:ARActe xmlns:actes="http://www.interieur.gouv.fr/ACTES#v1.1-20040216">&e;</actes:ARActe>';
  const r = await extractActesMail(await mail([{ filename: 'x-1-2_0.xml', content: xml }]));
  assert.equal(r.kind, 'unknown');
  assert.match(r.kind === 'unknown' ? r.reasonFr : '', /DOCTYPE/);
});

test('a hostile archive (entry with a path) is not opened and the mail is unknown with the reader’s reason', async () => {
  // createTarGz refuses such names, so the tar is written by hand: one ustar header + data block + end.
  const header = Buffer.alloc(512);
  header.write('../evil.xml', 0, 'latin1');
  header.write('0000644\0', 100, 'latin1');
  header.write('0000000\0', 108, 'latin1');
  header.write('0000000\0', 116, 'latin1');
  header.write('00000000004\0', 124, 'latin1');
  header.write('00000000000\0', 136, 'latin1');
  header.write('        ', 148, 'latin1');
  header.write('0', 156, 'latin1');
  header.write('ustar\0', 257, 'latin1');
  header.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  const data = Buffer.alloc(512);
  data.write('<a/>');
  const { gzipSync } = await import('node:zlib');
  const tgz = gzipSync(Buffer.concat([header, data, Buffer.alloc(1024)]));
  const r = await extractActesMail(await mail([{ filename: 'EACT--SPREF0441-214400152-20240306-1.tar.gz', content: tgz }]));
  assert.equal(r.kind, 'unknown');
  assert.match(r.kind === 'unknown' ? r.reasonFr : '', /\.\./);
});

test('an archive of only non-ACTES files makes an unknown mail', async () => {
  const tgz = await createTarGz([{ name: 'readme.txt', data: Buffer.from('hello') }], new Date(0));
  const r = await extractActesMail(await mail([{ filename: 'docs.tar.gz', content: tgz }]));
  assert.equal(r.kind, 'unknown');
});

test('the mail key is the Message-ID, or UIDVALIDITY and UID without one', () => {
  assert.equal(mailKey('<abc@pref.test>', '17', 4), 'message-id:<abc@pref.test>');
  assert.equal(mailKey(undefined, '17', 4), 'imap:17:4');
  assert.equal(mailKey('  ', '17', 4), 'imap:17:4');
});
