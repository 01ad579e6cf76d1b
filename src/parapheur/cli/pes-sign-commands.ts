/**
 * `pes sign` and `pes verify`, added to the `pes` command group the lead wires into `paraphe`.
 */
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { AppError } from '../../shared/errors.ts';
import type { SignatureScope } from '../signature/xades/global.ts';
// The signature modules (PKCS#12, X.509, xml-crypto) are imported when a command runs, not when `paraphe pes`
// starts: `pes validate` and `pes view` do not need them (about 0.3 s and 25 MB at start-up).
const xades = () => import('../signature/xades/index.ts');
// `pes sign` without --verify leaves out the verifier (xml-crypto and @xmldom: about 10 MB of memory).
const xadesSigning = async () => ({ ...(await import('../signature/xades/sign.ts')), ...(await import('../signature/xades/signer.ts')) });

function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new AppError('BAD_INPUT', `Impossible de lire ${what} « ${path} ».`, `cannot read ${path}: ${(e as Error).message}`);
  }
}

async function writeParts(path: string, parts: Buffer[]): Promise<void> {
  const fh = await open(path, 'w');
  try {
    // writev in batches: no full copy of a large PES in memory
    for (let i = 0; i < parts.length; i += 512) await fh.writev(parts.slice(i, i + 512));
  } finally {
    await fh.close();
  }
}

function fail(e: unknown): void {
  if (e instanceof AppError) {
    console.error(`Erreur : ${e.messageFr}`);
    console.error(`(${e.code}: ${e.message})`);
  } else {
    console.error(`Erreur inattendue : ${(e as Error).message}`);
  }
  process.exitCode = 1;
}

export function registerPesSignCommands(pes: Command): void {
  pes
    .command('sign')
    .description('Signe chaque bordereau d’un PES_Aller, ou le PES_Aller entier (signature globale), en XAdES-EPES 1.1.1, politique Hélios')
    .requiredOption('--in <file>', 'PES_Aller à signer')
    .requiredOption('--out <file>', 'fichier signé à écrire')
    .requiredOption('--p12 <file>', 'certificat et clé du signataire (PKCS#12)')
    .option('--pass <password>', 'mot de passe du PKCS#12 (sinon variable PARAPHE_P12_PASSWORD)')
    .option('--role <role>', 'rôle déclaré (ClaimedRole), ex. « Ordonnateur »')
    .option('--city <city>', 'lieu de signature : ville')
    .option('--postal-code <code>', 'lieu de signature : code postal')
    .option('--country <country>', 'lieu de signature : pays', 'FR')
    .option('--skip-signed', 'laisser tels quels les bordereaux déjà signés (par défaut : refus)')
    .option('--require-dematerialise', 'refuser si InfoDematerialisee ne vaut pas 1 (par défaut : il est mis à 1)')
    .addOption(
      new Option('--scope <portee>', 'ce qui est signé : auto (selon le fichier : bordereaux tous avec Id → un par bordereau, sinon PES_Aller avec Id → globale), bordereaux, global')
        .choices(['auto', 'bordereaux', 'global'])
        .default('auto'),
    )
    // xml-crypto, independent of the libxml2 c14n we sign with, but slow: minutes for a 50 MB PES
    .option('--verify', 'vérifier ensuite tout le fichier écrit, comme « pes verify » (lent sur un gros fichier)')
    .action(async (o: { in: string; out: string; p12: string; pass?: string; role?: string; city?: string; postalCode?: string; country?: string; skipSigned?: boolean; requireDematerialise?: boolean; verify?: boolean; scope?: SignatureScope }) => {
      try {
        const { pkcs12Signer, signPesParts } = await xadesSigning();
        const password = o.pass ?? process.env.PARAPHE_P12_PASSWORD ?? '';
        const signer = await pkcs12Signer(readInput(o.p12, 'le fichier PKCS#12'), password);
        // in a function of its own: the input and the output chunks are unreachable once it returns
        const signed = async () => {
          const parts = await signPesParts(readInput(o.in, 'le PES'), signer, {
            role: o.role,
            city: o.city,
            postalCode: o.postalCode,
            countryName: o.city || o.postalCode ? o.country : undefined,
            alreadySigned: o.skipSigned ? 'skip' : 'refuse',
            infoDematerialisee: o.requireDematerialise ? 'require' : 'set',
            scope: o.scope,
          });
          await writeParts(o.out, parts);
        };
        await signed();
        if (o.verify) {
          const { verifyPesSignatures } = await xades();
          const report = verifyPesSignatures(readFileSync(o.out));
          console.log(`${report.signatures.length} signature(s) dans ${o.out}${report.valid ? ', toutes valides' : ' : vérification en échec'}`);
          if (!report.valid) process.exitCode = 1;
        } else {
          console.log(`PES signé écrit dans ${o.out} (valeur de chaque signature contrôlée avec le certificat ; vérification complète : paraphe pes verify --in ${o.out}).`);
        }
      } catch (e) {
        fail(e);
      }
    });

  pes
    .command('verify')
    .description('Vérifie les signatures d’un PES (XMLDSig, propriétés XAdES, validité du certificat)')
    .requiredOption('--in <file>', 'PES signé')
    .option('--trust <ca.pem...>', 'certificat(s) d’autorité de confiance (PEM)')
    .option('--json', 'sortie JSON')
    .action(async (o: { in: string; trust?: string[]; json?: boolean }) => {
      try {
        const { verifyPesSignatures } = await xades();
        const trustAnchors = o.trust?.map((p) => readInput(p, 'le certificat de confiance').toString('utf8'));
        const r = verifyPesSignatures(readInput(o.in, 'le PES'), { trustAnchors });
        if (o.json) {
          console.log(JSON.stringify(r, null, 2));
        } else {
          if (r.signatures.length === 0) console.log('Aucune signature trouvée.');
          for (const s of r.signatures) {
            console.log(`${s.valid ? 'VALIDE  ' : 'INVALIDE'} ${s.target.element} ${s.target.id ?? '(sans Id)'} — signature ${s.signatureId ?? '(sans Id)'}`);
            if (s.signer) console.log(`  signataire : ${s.signer.subject}\n  émetteur   : ${s.signer.issuer} (n° ${s.signer.serialNumber})\n  validité   : ${s.signer.notBefore} → ${s.signer.notAfter}`);
            if (s.signingTime) console.log(`  signé le   : ${s.signingTime}`);
            if (s.policy) console.log(`  politique  : ${s.policy.identifier ?? '?'}`);
            if (s.claimedRoles.length) console.log(`  rôle       : ${s.claimedRoles.join(', ')}`);
            if (s.trusted !== undefined) console.log(`  confiance  : ${s.trusted ? 'oui' : 'non'}`);
            for (const e of s.errors) console.log(`  ERREUR : ${e.messageFr}`);
            for (const w of s.warnings) console.log(`  attention : ${w.messageFr}`);
          }
          for (const w of r.warnings) console.log(`attention : ${w.messageFr}`);
          console.log(r.valid ? 'Résultat : toutes les signatures sont valides.' : 'Résultat : signature(s) invalide(s) ou absente(s).');
        }
        if (!r.valid) process.exitCode = 1;
      } catch (e) {
        fail(e);
      }
    });
}
