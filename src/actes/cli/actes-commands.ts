/**
 * Operator commands for ACTES: build an archive from a metadata file and documents, and print any ACTES
 * message or archive as JSON. Registered under `paraphe actes …` by the main CLI.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { buildActeArchive } from '../archive/build.ts';
import { parseActesFileName } from '../archive/names.ts';
import { parseRetourClassification } from '../classification/classification.ts';
import { parseActesMessage } from '../messages/parse.ts';
import { readActesArchive } from '../messages/read-archive.ts';

/**
 * The metadata file of `pack` (alias `build-archive`):
 * `{ "acte": {nature, classification, numeroInterne, dateDecision, objet, documentPapier, typologieActe,
 *   typologieAnnexes, precedentIdActe?}, "collectivite": {siren, departement, arrondissement, nature,
 *   referent?, adressesRetour}, "classificationDateVersion": "AAAA-MM-JJ", "trigram"?: "PAR",
 *   "sequence"?: 1, "sentAt"?: ISO date-time, "testPlatform"?: false, "classificationFile"?: path }`.
 */
export const buildArchiveFileSchema = z.object({
  acte: z.record(z.string(), z.unknown()),
  collectivite: z.record(z.string(), z.unknown()),
  // The issue's `pack` shape puts the date in `acte.classificationDate` and names the trigram `trigramme`.
  classificationDateVersion: z.string().optional(),
  trigramme: z.string().optional(),
  trigram: z.string().optional(),
  sequence: z.number().int().positive().optional(),
  sentAt: z.string().optional(),
  testPlatform: z.boolean().optional(),
  classificationFile: z.string().optional(),
});

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function printError(e: unknown): never {
  if (e instanceof AppError) {
    console.error(e.messageFr);
    const details = e.details as { errors?: { field?: string; message: string }[] } | undefined;
    for (const d of details?.errors ?? []) console.error(`  - ${d.field ? `${d.field} : ` : ''}${d.message}`);
  } else {
    console.error((e as Error).message);
  }
  process.exit(1);
}

function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (Buffer.isBuffer(v) ? `<${v.length} octets>` : v), 2);
}

export function registerActesCommands(actes: Command): void {
  actes.description('Télétransmission ACTES : construire et lire les archives et messages');

  actes
    .command('pack')
    .alias('build-archive')
    .description('Écrit l’archive .tar.gz qui serait transmise pour un acte (message 1-1, enveloppe, documents)')
    .requiredOption('--metadata <file>', 'fichier JSON des métadonnées (trigramme, collectivite, acte)')
    .requiredOption('--document <file>', 'document principal (PDF, XML, JPG, PNG)')
    .option('--annexe <file>', 'annexe (répétable, dans l’ordre de typologieAnnexes)', collect, [] as string[])
    .requiredOption('--out <dir>', 'dossier où écrire l’archive')
    .option('--trigram <tri>', 'trigramme de l’opérateur (prioritaire sur le fichier)')
    .option('--sequence <n>', 'numéro d’ordre quotidien de l’enveloppe', (v) => Number(v))
    .option('--test', 'plate-forme de test (TACT, département 999 admis)')
    .action(async (opts: { metadata: string; document: string; annexe: string[]; out: string; trigram?: string; sequence?: number; test?: boolean }) => {
      try {
        let raw: unknown;
        try {
          raw = JSON.parse(readFileSync(opts.metadata, 'utf8'));
        } catch (e) {
          throw new AppError('BAD_INPUT', `Fichier de métadonnées illisible : ${(e as Error).message}`, 'unreadable metadata file');
        }
        const parsedFile = buildArchiveFileSchema.safeParse(raw);
        if (!parsedFile.success) {
          throw new AppError(
            'VALIDATION',
            'Le fichier de métadonnées doit contenir « acte » et « collectivite ».',
            'bad metadata file',
            { errors: parsedFile.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) },
          );
        }
        const f = parsedFile.data;
        const classificationDateVersion = f.classificationDateVersion ?? (typeof f.acte.classificationDate === 'string' ? f.acte.classificationDate : undefined);
        if (!classificationDateVersion) throw new AppError('VALIDATION', 'Indiquez la date de la classification utilisée (acte.classificationDate).', 'missing classification date');
        const { classificationDate: _unused, ...acteMetadata } = f.acte;
        const classification = f.classificationFile ? parseRetourClassification(readFileSync(f.classificationFile)) : undefined;
        const built = await buildActeArchive({
          metadata: acteMetadata as never,
          collectivite: f.collectivite as never,
          classificationDateVersion,
          trigram: opts.trigram ?? f.trigramme ?? f.trigram ?? 'PAR',
          sequence: opts.sequence ?? f.sequence ?? 1,
          sentAt: f.sentAt ? new Date(f.sentAt) : new Date(),
          testPlatform: opts.test ?? f.testPlatform ?? false,
          acte: { fileName: basename(opts.document), data: readFileSync(opts.document) },
          annexes: opts.annexe.map((a) => ({ fileName: basename(a), data: readFileSync(a) })),
          ...(classification ? { classification } : {}),
        });
        mkdirSync(opts.out, { recursive: true });
        const path = join(opts.out, built.archiveName);
        writeFileSync(path, built.archive);
        console.log(
          toJson({
            archive: path,
            idActe: built.idActe,
            files: built.files.map((x) => ({ name: x.name, role: x.role, size: x.data.length, ...(x.originalName ? { originalName: x.originalName } : {}) })),
          }),
        );
      } catch (e) {
        printError(e);
      }
    });

  actes
    .command('parse')
    .description('Lit un message ACTES (.xml) ou une archive (.tar.gz) et l’affiche en JSON')
    .argument('<file>', 'fichier à lire')
    .action(async (file: string) => {
      try {
        const bytes = readFileSync(file);
        const isGzip = bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
        if (isGzip) {
          const r = await readActesArchive(bytes);
          console.log(
            toJson({
              archive: basename(file),
              fileName: parseActesFileName(basename(file)),
              enveloppe: r.enveloppe,
              messages: r.messages,
              documents: r.documents.map((d) => ({ name: d.name, size: d.data.length })),
              others: r.others.map((d) => ({ name: d.name, size: d.data.length })),
              missing: r.missing,
            }),
          );
        } else {
          console.log(toJson({ fileName: parseActesFileName(basename(file)), message: parseActesMessage(bytes) }));
        }
      } catch (e) {
        printError(e);
      }
    });
}
