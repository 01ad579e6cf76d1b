/**
 * `paraphe cades sign` and `paraphe cades verify`: detached CAdES signatures (.p7s) of any file, for checks
 * outside the parapheur; `sign --cosign <p7s>` adds the signer to an existing .p7s (co-signature), and verify
 * reports every signer. Exit codes: 0 signed / every signature valid, 1 invalid (verify), 2 refused input
 * or configuration (the French message is printed).
 */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { AppError } from '../../shared/errors.ts';
import { loadTrustAnchors } from '../signature/certificates/trust-anchors.ts';
import { signCades, type CadesLevel } from '../signature/cades/sign-cades.ts';
import { cosignCades } from '../signature/cades/cosign-cades.ts';
import { verifyCadesSignature } from '../signature/cades/verify-cades.ts';
import { Pkcs12KeySource } from '../signature/pades/key-source.ts';
import type { SignatureUsage } from '../signature/pades/sign-pdf.ts';
import { fail, readInput, trustPath } from './cli-support.ts';

interface SignFlags {
  content: string;
  out: string;
  p12: string;
  pass?: string;
  tsa?: string;
  level?: CadesLevel;
  trust?: string;
  usage: SignatureUsage;
  cosign?: string;
}

interface VerifyFlags {
  signature: string;
  content: string;
  ca?: string;
  trust?: string;
}

export function registerCadesCommands(program: Command): Command {
  const cades = program.command('cades').description('Signature CAdES détachée (.p7s) de n’importe quel fichier, et sa vérification');

  cades
    .command('sign')
    .description('Signe un fichier : signature CAdES détachée B-B, ou B-T avec un serveur d’horodatage')
    .requiredOption('--content <file>', 'fichier à signer (il n’est pas modifié)')
    .requiredOption('--out <file>', 'signature détachée à écrire (.p7s, DER)')
    .requiredOption('--p12 <file>', 'certificat et clé du signataire (PKCS#12)')
    .option('--pass <password>', 'mot de passe du PKCS#12 (sinon PARAPHE_P12_PASSWORD)')
    .option('--tsa <url>', 'URL du serveur d’horodatage RFC 3161 (implique B-T)')
    .addOption(new Option('--level <level>', 'niveau CAdES').choices(['B-B', 'B-T']))
    .option('--trust <path>', 'dossier ou fichier des autorités de confiance (sinon PARAPHE_TRUST)')
    .addOption(new Option('--usage <usage>', 'signature personnelle ou cachet').choices(['personal', 'seal']).default('personal'))
    .option('--cosign <file>', 'signature détachée existante (.p7s) du même fichier : le signataire s’y ajoute (co-signature)')
    .action(async (flags: SignFlags) => {
      try {
        const password = flags.pass ?? process.env.PARAPHE_P12_PASSWORD;
        if (password === undefined) throw new AppError('BAD_INPUT', 'Mot de passe du PKCS#12 manquant (--pass)', 'missing PKCS#12 password');
        const trustAnchors = loadTrustAnchors(trustPath(flags.trust));
        const keySource = await Pkcs12KeySource.fromFile(flags.p12, password);
        const content = await readInput(flags.content);
        const options = {
          trustAnchors,
          usage: flags.usage,
          ...(flags.level ? { level: flags.level } : {}),
          ...(flags.tsa ? { tsaUrl: flags.tsa } : {}),
        };
        const res = flags.cosign ? await cosignCades(await readInput(flags.cosign), content, keySource, options) : await signCades(content, keySource, options);
        await writeFile(flags.out, res.p7s);
        console.log(`${flags.cosign ? 'Co-signé' : 'Signé'} : ${flags.out} (CAdES ${res.level}, ${res.certificate.certificate.subject}${res.timestampTime ? `, horodaté ${res.timestampTime}` : ''})`);
      } catch (err) {
        fail(err);
      }
    });

  cades
    .command('verify')
    .description('Vérifie une signature CAdES détachée sur le fichier signé ; rapport JSON')
    .requiredOption('--signature <file>', 'signature détachée (.p7s, DER)')
    .requiredOption('--content <file>', 'fichier signé')
    .option('--ca <path>', 'certificat(s) d’autorité de confiance, fichier PEM ou dossier (sinon PARAPHE_TRUST)')
    .option('--trust <path>', 'synonyme de --ca, comme pour `paraphe pdf verify`')
    .action(async (flags: VerifyFlags) => {
      try {
        const trustAnchors = loadTrustAnchors(trustPath(flags.ca, flags.trust));
        const report = await verifyCadesSignature(await readInput(flags.signature), await readInput(flags.content), { trustAnchors });
        console.log(JSON.stringify(report, null, 2));
        if (!report.valid) process.exitCode = 1;
      } catch (err) {
        fail(err);
      }
    });
  return program;
}

/** A stand-alone program with only the cades commands (tests, scripts). */
export function createCadesProgram(): Command {
  return registerCadesCommands(new Command('paraphe').exitOverride((err) => {
    process.exitCode = 2;
    throw err;
  }));
}
