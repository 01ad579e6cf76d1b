import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { AppError } from '../../shared/errors.ts';
import { readActesArchive } from '../messages/read-archive.ts';
import { createTarGz, extractTarGz } from './tar.ts';

type RawEntry = { name: string; data?: Buffer; type?: 'file' | 'symlink' | 'link' | 'directory'; linkname?: string };

/** Builds a tar.gz by hand, bypassing our writer's checks, as an attacker would. */
async function hostile(entries: RawEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    await new Promise<void>((resolve, reject) =>
      pack.entry(
        { name: e.name, type: e.type ?? 'file', size: e.data?.length ?? 0, ...(e.linkname ? { linkname: e.linkname } : {}) },
        e.type === 'file' || !e.type ? (e.data ?? Buffer.alloc(0)) : Buffer.alloc(0),
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

const refusedWith = (re: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof AppError, String(e));
  assert.equal(e.code, 'BAD_INPUT');
  assert.match(e.messageFr, /^Archive ACTES refusée : /);
  assert.match(e.messageFr, re);
  return true;
};

test('an entry with a path traversal (../) is refused', async () => {
  const a = await hostile([{ name: '../../etc/cron.d/evil', data: Buffer.from('x') }]);
  await assert.rejects(extractTarGz(a), refusedWith(/placé dans un dossier|« \.\. »/));
  const b = await hostile([{ name: '..', data: Buffer.from('x') }]);
  await assert.rejects(extractTarGz(b), refusedWith(/« \.\. »/));
});

test('an absolute path and a file inside a directory are refused', async () => {
  await assert.rejects(extractTarGz(await hostile([{ name: '/etc/passwd', data: Buffer.from('x') }])), refusedWith(/dossier|absolu/));
  await assert.rejects(extractTarGz(await hostile([{ name: 'dir/a.xml', data: Buffer.from('x') }])), refusedWith(/placé dans un dossier/));
  await assert.rejects(extractTarGz(await hostile([{ name: 'C:evil.xml', data: Buffer.from('x') }])), refusedWith(/chemin absolu/));
});

test('a symbolic link, a hard link and a directory entry are refused', async () => {
  await assert.rejects(extractTarGz(await hostile([{ name: 'a.pdf', type: 'symlink', linkname: '/etc/shadow' }])), refusedWith(/un lien \(« a\.pdf » → « \/etc\/shadow » \)|un lien/));
  await assert.rejects(extractTarGz(await hostile([{ name: 'b.pdf', type: 'link', linkname: 'a.pdf' }])), refusedWith(/un lien/));
  await assert.rejects(extractTarGz(await hostile([{ name: 'docs', type: 'directory' }])), refusedWith(/un dossier/));
});

test('a gzip bomb is refused by the compression ratio (default limits)', async () => {
  const bomb = await hostile([{ name: 'a.pdf', data: Buffer.alloc(8 * 1024 * 1024) }]);
  assert.ok(bomb.length < 64 * 1024);
  await assert.rejects(extractTarGz(bomb), refusedWith(/taux de compression/));
});

test('an archive larger than the size limit once decompressed is refused before it is all inflated', async () => {
  const big = await hostile([{ name: 'a.pdf', data: Buffer.alloc(3 * 1024 * 1024, 7) }]);
  await assert.rejects(extractTarGz(big, { maxTotalBytes: 1024 * 1024, maxRatio: 1e9 }), refusedWith(/dépasse la taille maximale de 1 Mo/));
});

test('too many entries are refused (default limit of 1,000)', async () => {
  const many = await hostile(Array.from({ length: 1001 }, (_, i) => ({ name: `f${i}.pdf`, data: Buffer.from('x') })));
  await assert.rejects(extractTarGz(many), refusedWith(/plus de 1000 fichiers/));
});

test('a duplicated name and a non-gzip file are refused', async () => {
  await assert.rejects(extractTarGz(await hostile([{ name: 'a.xml', data: Buffer.from('1') }, { name: 'a.xml', data: Buffer.from('2') }])), refusedWith(/deux fois/));
  await assert.rejects(extractTarGz(Buffer.from('PK\x03\x04 not a gzip')), refusedWith(/pas un fichier gzip/));
});

test('an archive holding an XML with a DOCTYPE is refused as a whole', async () => {
  const xml = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><actes:Annulation xmlns:actes="http://www.interieur.gouv.fr/ACTES#v1.1-20040216" actes:IDActe="&x;"/>';
  const a = await hostile([{ name: '044-214400152----6-1_0.xml', data: Buffer.from(xml) }]);
  await assert.rejects(readActesArchive(a), (e: unknown) => e instanceof AppError && /DOCTYPE/.test(e.messageFr));
});

test('our writer refuses to put a path in an archive', async () => {
  await assert.rejects(createTarGz([{ name: 'x/../y.xml', data: Buffer.from('') }], new Date(0)), refusedWith(/dossier/));
});

test('a plain flat archive within the limits is extracted', async () => {
  const a = await hostile([{ name: 'a.xml', data: Buffer.from('<a/>') }, { name: 'b.pdf', data: Buffer.from('%PDF') }]);
  const entries = await extractTarGz(a);
  assert.deepEqual(entries.map((e) => [e.name, e.data.toString()]), [['a.xml', '<a/>'], ['b.pdf', '%PDF']]);
});
