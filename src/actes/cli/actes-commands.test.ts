import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { conformancePath, tarList } from '../archive/testing.ts';
import { registerActesCommands } from './actes-commands.ts';

async function run(args: string[]): Promise<string> {
  const program = new Command('paraphe').exitOverride();
  registerActesCommands(program.command('actes'));
  const out: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  try {
    await program.parseAsync(['actes', ...args], { from: 'user' });
  } finally {
    console.log = log;
  }
  return out.join('\n');
}

test('build-archive writes the archive from a metadata file and prints its files; parse reads it back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'actes-cli-'));
  try {
    const pdf = conformancePath('sictiam-stela/acte-service/src/test/resources/data/Delib.pdf');
    writeFileSync(
      join(dir, 'm.json'),
      JSON.stringify({
        acte: { nature: 3, classification: '4.2', numeroInterne: 'A2024_7', dateDecision: '2024-05-02', objet: 'Arrêté de nomination', typologieActe: '99_AI', typologieAnnexes: ['22_CO'] },
        collectivite: { siren: '214400152', departement: '044', arrondissement: '1', nature: '31', adressesRetour: ['retour@paraphe-tdt.fr'] },
        classificationDateVersion: '2019-04-18',
        classificationFile: conformancePath('pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/999-1234----7-2_1.xml'),
        sequence: 4,
        sentAt: '2024-05-03T08:00:00Z',
      }),
    );
    const printed = JSON.parse(await run(['build-archive', '--metadata', join(dir, 'm.json'), '--document', pdf, '--annexe', pdf, '--out', dir, '--trigram', 'TST']));
    assert.equal(printed.idActe, '044-214400152-20240502-A2024_7-AI');
    assert.equal(printed.archive, join(dir, 'TST-EACT--214400152--20240503-4.tar.gz'));
    assert.deepEqual(tarList(readFileSync(printed.archive)), printed.files.map((f: { name: string }) => f.name));
    const parsed = JSON.parse(await run(['parse', printed.archive]));
    assert.equal(parsed.fileName.kind, 'archive');
    assert.equal(parsed.messages[0].message.kind, 'Acte');
    assert.equal(parsed.messages[0].message.acte.objet, 'Arrêté de nomination');
    assert.equal(parsed.documents.length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pack takes the metadata file in the shape the issue documents and writes a schema-valid archive', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'actes-pack-'));
  try {
    const pdf = conformancePath('sictiam-stela/acte-service/src/test/resources/data/Delib.pdf');
    writeFileSync(
      join(dir, 'acte.json'),
      JSON.stringify({
        trigramme: 'PAR',
        collectivite: { siren: '214502494', departement: '045', arrondissement: '2', nature: '31', adressesRetour: ['actes@mairie.example.fr'] },
        acte: { nature: 'DE', numeroInterne: '2026_042', dateDecision: '2026-11-20', objet: 'Tarifs de la cantine scolaire', classification: '7.1', classificationDate: '2019-04-18', documentPapier: false, typologieActe: '99_DE', typologieAnnexes: ['99_DE'] },
      }),
    );
    const printed = JSON.parse(await run(['pack', '--metadata', join(dir, 'acte.json'), '--document', pdf, '--annexe', pdf, '--out', dir]));
    assert.equal(printed.idActe, '045-214502494-20261120-2026_042-DE');
    assert.match(printed.archive, /PAR-EACT--214502494--\d{8}-1\.tar\.gz$/);
    const parsed = JSON.parse(await run(['parse', printed.archive]));
    assert.equal(parsed.messages[0].message.kind, 'Acte');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parse prints an AnomalieEnveloppe with Nature 999 as JSON', async () => {
  const out = JSON.parse(await run(['parse', conformancePath('sictiam-stela/acte-service/src/test/resources/data/ANO_EACT--214400152--20180925-1.xml')]));
  assert.equal(out.fileName.kind, 'anomalie-enveloppe');
  assert.equal(out.message.kind, 'AnomalieEnveloppe');
  assert.equal(out.message.nature, '999');
});
