/**
 * `paraphe pdf sign` and `paraphe pdf verify`. Exit codes: 0 success / every signature valid, 1 at least one
 * signature invalid (or none), 2 refused input or configuration (the French message is printed).
 */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { AppError } from '../../shared/errors.ts';
import { loadTrustAnchors } from '../signature/certificates/trust-anchors.ts';
import { Pkcs12KeySource } from '../signature/pades/key-source.ts';
import { partsAsBuffers } from '../signature/pades/pdf-parts.ts';
import { signPdf, type PadesLevel, type SignatureUsage } from '../signature/pades/sign-pdf.ts';
import { verifyPdfSignatures, type DocumentTimestampReport, type SignatureReport } from '../signature/pades/verify.ts';
import { fail, readInput, trustPath } from './cli-support.ts';

interface SignFlags {
  in: string;
  out: string;
  p12: string;
  pass?: string;
  tsa?: string;
  level?: PadesLevel;
  mark?: string;
  tag?: string;
  page?: string;
  trust?: string;
  usage: SignatureUsage;
  reason?: string;
}

interface VerifyFlags {
  in: string;
  trust?: string;
  json?: boolean;
}

function printReport(index: number, s: SignatureReport): void {
  console.log(`Signature ${index + 1} (${s.fieldName}) : ${s.valid ? 'VALIDE' : 'INVALIDE'}`);
  console.log(`  Signataire : ${s.signer?.subject ?? 'inconnu'}`);
  console.log(`  Émetteur : ${s.signer?.issuer ?? 'inconnu'}`);
  console.log(`  Numéro de série : ${s.signer?.serialNumber ?? 'inconnu'}`);
  console.log(`  Niveau : ${s.level}`);
  console.log(`  Intégrité : ${s.integrity.valid ? 'OK' : 'ÉCHEC'}${s.coversWholeDocument ? ' (couvre tout le document)' : ' (révision antérieure)'}`);
  console.log(`  Certificat : ${s.certificate?.valid ? 'OK' : `ÉCHEC${s.certificate?.failure ? ` – ${s.certificate.failure.messageFr}` : ''}`}`);
  if (s.timestamp) console.log(`  Horodatage : ${s.timestamp.valid ? 'OK' : 'ÉCHEC'} ${s.timestamp.genTime?.toISOString() ?? ''}`.trimEnd());
  else if (s.claimedTime) console.log(`  Date déclarée (non prouvée) : ${s.claimedTime}`);
  for (const p of s.problems) console.log(`  ! ${p}`);
}

function printDocumentTimestamp(index: number, t: DocumentTimestampReport): void {
  console.log(`Horodatage du document ${index + 1} (${t.fieldName}) : ${t.valid ? 'VALIDE' : 'INVALIDE'}`);
  console.log(`  Autorité d’horodatage : ${t.tsaSubject ?? 'inconnue'}`);
  if (t.genTime) console.log(`  Date : ${t.genTime}`);
  console.log(`  Intégrité : ${t.imprintMatches && t.signatureValid ? 'OK' : 'ÉCHEC'}${t.coversWholeDocument ? ' (couvre tout le document)' : ' (révision antérieure)'}`);
  for (const p of t.problems) console.log(`  ! ${p}`);
}

export function registerPdfCommands(program: Command): Command {
  const pdf = program.command('pdf').description('Signature et vérification PAdES de documents PDF');

  pdf
    .command('sign')
    .description('Signe un PDF (PAdES B-B, ou B-T, B-LT, B-LTA avec un serveur d’horodatage)')
    .requiredOption('--in <file>', 'PDF à signer')
    .requiredOption('--out <file>', 'PDF signé à écrire')
    .requiredOption('--p12 <file>', 'certificat et clé du signataire (PKCS#12)')
    .option('--pass <password>', 'mot de passe du PKCS#12 (sinon PARAPHE_P12_PASSWORD)')
    .option('--tsa <url>', 'URL du serveur d’horodatage RFC 3161 (implique B-T)')
    .addOption(new Option('--level <level>', 'niveau PAdES').choices(['B-B', 'B-T', 'B-LT', 'B-LTA']))
    .option('--mark <text>', 'visuel de signature, ex. "Signé par … le …"')
    .option('--tag <tag>', 'balise de placement du visuel dans le texte, ex. #signature#')
    .option('--page <n>', 'page du visuel (défaut : dernière)')
    .option('--trust <path>', 'dossier ou fichier des autorités de confiance (sinon PARAPHE_TRUST)')
    .addOption(new Option('--usage <usage>', 'signature personnelle ou cachet').choices(['personal', 'seal']).default('personal'))
    .option('--reason <text>', 'motif de la signature')
    .action(async (flags: SignFlags) => {
      try {
        const password = flags.pass ?? process.env.PARAPHE_P12_PASSWORD;
        if (password === undefined) throw new AppError('BAD_INPUT', 'Mot de passe du PKCS#12 manquant (--pass)', 'missing PKCS#12 password');
        const trustAnchors = loadTrustAnchors(trustPath(flags.trust));
        const keySource = await Pkcs12KeySource.fromFile(flags.p12, password);
        const input = await readInput(flags.in);
        const res = await signPdf(input, keySource, {
          trustAnchors,
          usage: flags.usage,
          ...(flags.level ? { level: flags.level } : {}),
          ...(flags.tsa ? { tsaUrl: flags.tsa } : {}),
          ...(flags.reason ? { reason: flags.reason } : {}),
          ...(flags.mark ? { mark: { text: flags.mark, ...(flags.tag ? { tag: flags.tag } : {}), ...(flags.page ? { page: Number(flags.page) } : {}) } } : {}),
        });
        await writeFile(flags.out, partsAsBuffers(res.parts));
        console.log(`Signé : ${flags.out} (niveau ${res.level}, champ ${res.fieldName}${res.timestampTime ? `, horodaté ${res.timestampTime}` : ''})`);
      } catch (err) {
        fail(err);
      }
    });

  pdf
    .command('verify')
    .description('Vérifie toutes les signatures d’un PDF')
    .requiredOption('--in <file>', 'PDF à vérifier')
    .option('--trust <path>', 'dossier ou fichier des autorités de confiance (sinon PARAPHE_TRUST)')
    .option('--json', 'rapport complet en JSON')
    .action(async (flags: VerifyFlags) => {
      try {
        const trustAnchors = loadTrustAnchors(trustPath(flags.trust));
        const report = await verifyPdfSignatures(await readInput(flags.in), { trustAnchors });
        if (flags.json) console.log(JSON.stringify(report, null, 2));
        else if (report.signatures.length === 0) console.log('Aucune signature dans ce document.');
        else report.signatures.forEach((s, i) => printReport(i, s));
        if (!flags.json) report.documentTimestamps.forEach((t, i) => printDocumentTimestamp(i, t));
        if (!flags.json && report.modifiedAfterLastSignature) console.log('Attention : le document a été complété après la dernière signature.');
        if (!report.valid) process.exitCode = 1;
      } catch (err) {
        fail(err);
      }
    });
  return program;
}

/** A stand-alone program with only the pdf commands (tests, scripts). */
export function createPdfProgram(): Command {
  return registerPdfCommands(new Command('paraphe').exitOverride((err) => {
    process.exitCode = 2;
    throw err;
  }));
}
