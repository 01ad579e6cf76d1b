/**
 * `paraphe-sim helios`: starts the simulated Hélios gateway and prints its URL. Wired by the lead in
 * src/simulators/main.ts through registerHeliosSimCommand(program).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { PES_SCHEMA_VERSIONS, type PesSchemaVersion } from '../../helios/pes/index.ts';
import { startHeliosSimulator } from './server.ts';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function parseRange(v: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(v);
  if (!m || Number(m[1]) > Number(m[2])) throw new Error(`--pasv-range attend A-B, reçu « ${v} »`);
  return [Number(m[1]), Number(m[2])];
}

export function registerHeliosSimCommand(program: Command): Command {
  return program
    .command('helios')
    .description('Simulateur de la passerelle FTP Hélios (DGFiP) : dépôt dans /entree/, PES_ACQUIT et PES_Retour dans /sortie/')
    .requiredOption('--port <port>', 'port FTP sur 127.0.0.1 (0 = port libre)', (v) => Number.parseInt(v, 10))
    .requiredOption('--root <dir>', 'répertoire de travail (fichiers FTP, fichiers reçus, état)')
    .option('--known-siret <siret>', 'SIRET connu d’Hélios (répétable ; aucun = tous acceptés)', collect, [] as string[])
    .option('--pasv-range <A-B>', 'plage de ports passifs', parseRange)
    .option('--trust-anchor <pem>', 'certificat d’autorité de confiance des signataires (répétable)', collect, [] as string[])
    .option('--user <user>', 'compte FTP de test', 'paraphe')
    .option('--password <password>', 'mot de passe FTP de test', 'paraphe')
    .addOption(new Option('--schema-version <v>', 'version des schémas PES').choices([...PES_SCHEMA_VERSIONS]).default('5.17'))
    .option('--retour-auto', 'écrire aussi le PES_Retour de chaque fichier dont des bordereaux de dépense sont intégrés, juste après son acquittement')
    .action(async (opts: { port: number; root: string; knownSiret: string[]; pasvRange?: [number, number]; trustAnchor: string[]; user: string; password: string; schemaVersion: PesSchemaVersion; retourAuto?: boolean }) => {
      const sim = await startHeliosSimulator({
        port: opts.port,
        root: resolve(opts.root),
        knownSirets: opts.knownSiret,
        pasvRange: opts.pasvRange,
        trustAnchors: opts.trustAnchor.map((f) => readFileSync(f, 'utf8')),
        user: opts.user,
        password: opts.password,
        schemaVersion: opts.schemaVersion,
        retourAuto: opts.retourAuto === true,
      });
      console.log(`Simulateur Hélios prêt : ${sim.url} (racine ${resolve(opts.root)})`);
      console.log(JSON.stringify({ event: 'listening', url: sim.url, port: sim.port }));
      const stop = () => {
        void sim.close().finally(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
