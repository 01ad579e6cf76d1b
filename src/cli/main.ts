import 'reflect-metadata';
import { Command, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { openPlatform, cliActor } from './open-platform.ts';
import { serve } from './serve.ts';
import { existsSync } from 'node:fs';
import { seedDemo, hasData, prepareDemoKeys, DEMO_PASSWORD, type DemoLogin } from '../demo/seed-demo.ts';
import { configureDemoConnectors, demoPollingDefaults, seedDemoTeletransmission, startDemoSimulators, type DemoSimulators } from '../demo/demo-runtime.ts';
import { demoSimPaths, hasDemoSimulators } from '../demo/demo-simulators.ts';
import { configFromEnv } from '../app/create-deps.ts';
import { databaseTargetFromEnv } from '../platform/db/database.ts';
import { createCollectivite } from '../tenancy/create-collectivite.ts';
import { collectiviteInput, COLLECTIVITE_TYPES } from '../tenancy/collectivite.ts';
import { addMember } from '../identity/add-member.ts';
import { createOperatorUser } from '../identity/create-operator-user.ts';
import { createApiToken } from '../identity/create-api-token.ts';
import { COLLECTIVITE_ROLES, OPERATOR_ROLES, TOKEN_PERMISSIONS } from '../identity/roles.ts';
import { verifyJournal } from '../journal/verify-journal.ts';
import { timestampJournalHeads } from '../journal/timestamp-journal.ts';
import { HttpTimestampClient } from '../parapheur/signature/tsa/tsa-client.ts';
import { AppError } from '../shared/errors.ts';
import type { Deps } from '../app/deps.ts';
import { registerPdfCommands } from '../parapheur/cli/pdf-commands.ts';
import { registerCadesCommands } from '../parapheur/cli/cades-commands.ts';
import { addPesCommandGroup } from './pes-program.ts';
import { registerActesCommands } from '../actes/cli/actes-commands.ts';
import { registerSignClient } from '../parapheur/cli/sign-client.ts';
import { registerActesTdtCommands } from '../actes/cli/tdt-commands.ts';

const program = new Command('paraphe').description('Paraphe — parapheur, télétransmission ACTES et HELIOS pour les collectivités').showHelpAfterError();

async function withPlatform<T>(fn: (deps: Deps) => Promise<T>): Promise<T> {
  const deps = await openPlatform();
  try {
    return await fn(deps);
  } finally {
    await deps.db.destroy();
  }
}

async function collectiviteIdBySiren(deps: Deps, siren: string): Promise<string> {
  const c = await deps.db.selectFrom('collectivite').select('id').where('siren', '=', siren).executeTakeFirst();
  if (!c) throw new AppError('NOT_FOUND', `Aucune collectivité avec le SIREN ${siren}.`, 'unknown SIREN');
  return c.id;
}

function printLogins(logins: DemoLogin[]): void {
  console.log(`\nComptes de démonstration (mot de passe commun : ${DEMO_PASSWORD}) :`);
  for (const l of logins) console.log(`  ${l.email.padEnd(40)} ${l.role.padEnd(32)} ${l.collectivite}`);
}

async function runDemo(deps: Deps): Promise<Awaited<ReturnType<typeof seedDemo>>> {
  const bar = new SingleBar({ format: 'Démo [{bar}] {value}/{total} {step}', hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
  if (process.stdout.isTTY) bar.start(4, 0, { step: '' });
  const seeded = await seedDemo(deps, (step) => {
    if (process.stdout.isTTY) bar.increment({ step });
  });
  if (process.stdout.isTTY) bar.stop();
  return seeded;
}

const portOption = new Option('--port <port>', 'port HTTP').env('PORT').default('3000');
const hostOption = new Option('--host <host>', 'adresse d’écoute').env('HOST').default('127.0.0.1');

program
  .command('start')
  .description('migre la base, crée les données de démonstration si elle est vide, démarre les simulateurs de préfecture et d’Hélios de la démonstration, puis sert l’application')
  .addOption(portOption)
  .addOption(hostOption)
  .option('--no-simulators', 'ne démarre pas les simulateurs (préfecture, Hélios) de la démonstration')
  .action(async (o: { port: string; host: string; simulators: boolean }) => {
    const dataDir = configFromEnv().dataDir;
    const target = databaseTargetFromEnv();
    // Demo mode: a new embedded database, or one whose demo was set up with its simulators. The simulators
    // start now, while the database opens and the demo is written (they are ready long before).
    const embeddedFresh = target.kind === 'pglite' && target.dataDir !== null && !existsSync(target.dataDir);
    // The demo PKI's RSA keys are made in the background meanwhile too.
    const keys = embeddedFresh ? prepareDemoKeys(dataDir) : null;
    keys?.all.catch(() => undefined);
    const startSims = (): Promise<DemoSimulators> => (keys ? keys.ca : Promise.resolve()).then(() => startDemoSimulators(dataDir, (l) => console.log(l)));
    let sims: Promise<DemoSimulators> | null = o.simulators && (embeddedFresh || hasDemoSimulators(dataDir)) ? startSims() : null;
    sims?.catch(() => undefined);
    const deps = await openPlatform();
    const fresh = !(await hasData(deps));
    if (!sims && o.simulators && fresh) sims = startSims();
    if (fresh) await keys?.all;
    const seeded = fresh ? await runDemo(deps) : null;
    let running: DemoSimulators | null = null;
    if (sims) {
      try {
        running = await sims;
      } catch (e) {
        // The platform still starts: only the télétransmission demo is missing.
        console.warn(`Simulateurs de la démonstration non démarrés : ${(e as Error).message}`);
      }
    }
    if (running) {
      const r = running;
      process.once('exit', () => r.kill());
      demoPollingDefaults();
      await configureDemoConnectors(deps, running);
      if (seeded) await seedDemoTeletransmission(deps, seeded.collectivites);
    }
    const url = await serve(deps, { port: Number(o.port), host: o.host });
    console.log(`\nParaphe est prêt : ${url}  (API : ${url}/api/docs)  — démarré en ${process.uptime().toFixed(1)} s`);
    if (running) {
      const p = demoSimPaths(dataDir);
      console.log(`Simulateurs de la démonstration : préfecture ${running.prefecture.ctesUrl} (admin ${running.prefecture.adminUrl}), Hélios ftp://127.0.0.1:${running.helios.port} ; données dans ${p.root}`);
    }
    if (seeded) printLogins(seeded.logins);
    else console.log(`Base existante conservée. Comptes de démonstration : mot de passe ${DEMO_PASSWORD} (si créés par « paraphe demo »).`);
  });

program
  .command('serve')
  .description('sert l’API et exécute les tâches de fond')
  .addOption(portOption)
  .addOption(hostOption)
  .action(async (o: { port: string; host: string }) => {
    const deps = await openPlatform();
    const url = await serve(deps, { port: Number(o.port), host: o.host });
    console.log(`Paraphe écoute sur ${url}`);
  });

program
  .command('migrate')
  .description('applique les migrations de la base')
  .action(() => withPlatform(async () => console.log('Base à jour.')));

program
  .command('demo')
  .description('crée les données de démonstration (un opérateur, trois collectivités, leurs comptes)')
  .action(() =>
    withPlatform(async (deps) => {
      if (await hasData(deps)) throw new AppError('CONFLICT', 'La base contient déjà des collectivités : démonstration non créée.', 'database not empty');
      printLogins((await runDemo(deps)).logins);
    }),
  );

const tenant = program.command('tenant').description('collectivités');
tenant
  .command('create')
  .requiredOption('--name <name>')
  .addOption(new Option('--type <type>').choices([...COLLECTIVITE_TYPES]).makeOptionMandatory())
  .requiredOption('--siren <siren>')
  .requiredOption('--departement <code>', 'sur 3 caractères : 062, 02A, 974')
  .option('--arrondissement <n>')
  .option('--insee <code>')
  .option('--population <n>')
  .option('--siret <siret...>')
  .option('--services <list>', 'parapheur,actes,helios…', 'parapheur,actes,helios')
  .action((o: Record<string, string | string[] | undefined>) =>
    withPlatform(async (deps) => {
      const parsed = collectiviteInput.safeParse({
        name: o.name,
        type: o.type,
        siren: o.siren,
        sirets: o.siret ?? [],
        insee: o.insee ?? null,
        population: o.population ? Number(o.population) : null,
        departement: o.departement,
        arrondissement: o.arrondissement ? Number(o.arrondissement) : null,
        services: String(o.services).split(',').filter(Boolean),
      });
      if (!parsed.success) throw new AppError('VALIDATION', parsed.error.issues.map((i) => `${i.path.join('.')} : ${i.message}`).join('\n'), 'invalid collectivité');
      const c = await createCollectivite(deps, cliActor, parsed.data);
      console.log(`Collectivité créée : ${c.name} (${c.id})`);
    }),
  );

const user = program.command('user').description('comptes');
user
  .command('create')
  .requiredOption('--email <email>')
  .requiredOption('--name <name>')
  .requiredOption('--password <password>')
  .option('--collectivite <siren>', 'SIREN de la collectivité')
  .addOption(new Option('--role <role>').choices([...COLLECTIVITE_ROLES]))
  .addOption(new Option('--operator-role <role>').choices([...OPERATOR_ROLES]))
  .action((o: { email: string; name: string; password: string; collectivite?: string; role?: (typeof COLLECTIVITE_ROLES)[number]; operatorRole?: (typeof OPERATOR_ROLES)[number] }) =>
    withPlatform(async (deps) => {
      if (o.operatorRole) {
        const u = await createOperatorUser(deps, cliActor, { email: o.email.toLowerCase(), displayName: o.name, password: o.password, operatorRole: o.operatorRole });
        console.log(`Compte opérateur créé : ${u.email}`);
        return;
      }
      if (!o.collectivite || !o.role) throw new AppError('VALIDATION', 'Indiquez --collectivite et --role (ou --operator-role).', 'missing options');
      const m = await addMember(deps, cliActor, await collectiviteIdBySiren(deps, o.collectivite), { email: o.email.toLowerCase(), displayName: o.name, password: o.password, role: o.role });
      console.log(`Compte créé : ${m.email} (${m.roleLabel})`);
    }),
  );

const token = program.command('token').description('jetons d’API');
token
  .command('create')
  .requiredOption('--collectivite <siren>')
  .requiredOption('--name <name>')
  .option('--permissions <list>', `parmi ${TOKEN_PERMISSIONS.join(',')}`, TOKEN_PERMISSIONS.join(','))
  .action((o: { collectivite: string; name: string; permissions: string }) =>
    withPlatform(async (deps) => {
      const { token: secret } = await createApiToken(deps, cliActor, await collectiviteIdBySiren(deps, o.collectivite), { name: o.name, permissions: o.permissions.split(',') as (typeof TOKEN_PERMISSIONS)[number][] });
      console.log(secret);
    }),
  );

const journal = program.command('journal').description('journal de preuve');
journal
  .command('verify')
  .description('vérifie les chaînes de hachage (modification, suppression, réordonnancement)')
  .option('--collectivite <siren>')
  .action((o: { collectivite?: string }) =>
    withPlatform(async (deps) => {
      const chain = o.collectivite ? await collectiviteIdBySiren(deps, o.collectivite) : undefined;
      let done = 0;
      const res = await verifyJournal(deps.db, { chain, onChain: () => process.stderr.isTTY && process.stderr.write(`\rchaînes vérifiées : ${++done}`) });
      if (process.stderr.isTTY) process.stderr.write('\n');
      if (res.problems.length === 0) {
        console.log(`Journal intègre : ${res.entries} entrées dans ${res.chains} chaîne(s), ${res.timestamps} horodatage(s) vérifié(s).`);
        return;
      }
      for (const p of res.problems) console.log(`[${p.chain}] ${p.messageFr}`);
      console.log(`Journal ALTÉRÉ : ${res.problems.length} anomalie(s) sur ${res.entries} entrées.`);
      process.exitCode = 1;
    }),
  );

journal
  .command('timestamp')
  .description('horodate (RFC 3161) la tête de chaque chaîne modifiée depuis son dernier horodatage')
  .addOption(new Option('--tsa <url>', 'serveur d’horodatage').env('PARAPHE_TSA_URL').makeOptionMandatory())
  .action((o: { tsa: string }) =>
    withPlatform(async (deps) => {
      const { stamped } = await timestampJournalHeads(deps, new HttpTimestampClient(o.tsa));
      console.log(`${stamped} tête(s) de chaîne horodatée(s).`);
    }),
  );

registerPdfCommands(program);
registerCadesCommands(program);
registerSignClient(program);
addPesCommandGroup(program);
registerActesCommands(program.command('actes').description('archives et messages ACTES'));
registerActesTdtCommands(program, openPlatform);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof AppError) {
    console.error(`Erreur : ${e.messageFr}`);
    process.exit(2);
  }
  throw e;
}
