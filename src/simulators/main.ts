/**
 * `paraphe-sim`: simulators of the outside parties, each a separate program bound to 127.0.0.1 only.
 *   paraphe-sim actes --port 8443 --tls-cert server.crt --tls-key server.key --client-ca ca.crt \
 *     --smtp 127.0.0.1:24 --lmtp --data-dir ./sim-data [--admin-port 8080] [--delay-ms 0] \
 *     [--classification 7-2.xml] [--sirens sirens.txt]
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { startActesSimulator } from './actes/simulator.ts';
import { registerHeliosSimCommand } from './helios/command.ts';

function intArg(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
}

function hostPort(v: string): { host: string; port: number } {
  const m = /^(.+):([0-9]{1,5})$/.exec(v);
  if (!m) throw new InvalidArgumentError('expected HOST:PORT');
  return { host: m[1]!, port: Number(m[2]) };
}

function readOrExit(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    console.error(`paraphe-sim: cannot read ${what} ${path}: ${(e as Error).message}`);
    process.exit(2);
  }
}

const program = new Command();
program.name('paraphe-sim').description('Simulators of the outside parties of Paraphe (@CTES préfecture, DGFiP Hélios)');

program
  .command('prefecture')
  .alias('actes')
  .description('Préfecture / @CTES simulator: HTTPS mutual-TLS upload, answers by e-mail, admin HTTP endpoint')
  .requiredOption('--port <port>', 'HTTPS port for @CTES uploads (0: any free port)', intArg('--port'))
  .option('--admin-port <port>', 'plain HTTP port of the admin endpoint (0: any free port)', intArg('--admin-port'), 0)
  .requiredOption('--tls-cert <file>', 'server certificate (PEM)')
  .requiredOption('--tls-key <file>', 'server private key (PEM)')
  .requiredOption('--client-ca <file>', 'CA of the accepted client certificates (PEM)')
  .requiredOption('--smtp <host:port>', 'SMTP relay (or LMTP server with --lmtp) the answers are delivered to', hostPort)
  .option('--lmtp', 'speak LMTP instead of SMTP to --smtp', false)
  .requiredOption('--data-dir <dir>', 'where everything received and sent is kept')
  .option('--delay-ms <ms>', 'delay before each answer mail', intArg('--delay-ms'), 0)
  .option('--response-delay-ms <ms>', 'delay before the HTTP answer to an upload, once the archive is recorded', intArg('--response-delay-ms'), 0)
  .option('--classification <file>', 'RetourClassification (7-2) served to DemandeClassification; its date is the current version')
  .option('--classification-date <date>', 'current classification date when no --classification is given', '2024-01-01')
  .option('--sirens <file>', 'registry of known SIRENs (one per line); others get an AnomalieEnveloppe')
  .option('--mail-from <address>', 'sender of the answer mails', 'prefecture@actes.simulateur.test')
  .action(async (o: {
    port: number;
    adminPort: number;
    tlsCert: string;
    tlsKey: string;
    clientCa: string;
    smtp: { host: string; port: number };
    lmtp: boolean;
    dataDir: string;
    delayMs: number;
    responseDelayMs: number;
    classification?: string;
    classificationDate: string;
    sirens?: string;
    mailFrom: string;
  }) => {
    if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(o.classificationDate)) {
      console.error('paraphe-sim: --classification-date must be AAAA-MM-JJ');
      process.exit(2);
    }
    const knownSirens = o.sirens
      ? new Set(
          readOrExit(o.sirens, 'SIREN registry')
            .toString('utf8')
            .split(/\r?\n/)
            .map((l) => l.trim())
            .filter((l) => /^[0-9]{9}$/.test(l)),
        )
      : undefined;
    const sim = await startActesSimulator({
      port: o.port,
      adminPort: o.adminPort,
      tlsCert: readOrExit(o.tlsCert, 'TLS certificate'),
      tlsKey: readOrExit(o.tlsKey, 'TLS key'),
      clientCa: readOrExit(o.clientCa, 'client CA'),
      smtp: { ...o.smtp, lmtp: o.lmtp },
      mailFrom: o.mailFrom,
      dataDir: o.dataDir,
      delayMs: o.delayMs,
      responseDelayMs: o.responseDelayMs,
      ...(o.classification ? { classificationXml: readOrExit(o.classification, 'classification') } : {}),
      classificationDate: o.classificationDate,
      ...(knownSirens ? { knownSirens } : {}),
    });
    console.log(`paraphe-sim actes: @CTES ${sim.ctesUrl}`);
    console.log(`paraphe-sim actes: admin ${sim.adminUrl}`);
    console.log(`paraphe-sim actes: answers by ${o.lmtp ? 'LMTP' : 'SMTP'} to ${o.smtp.host}:${o.smtp.port}, data in ${o.dataDir}`);
    const stop = (): void => {
      void sim.close().then(() => process.exit(0));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

registerHeliosSimCommand(program);

// Started as a child of the platform (the demo of `paraphe start`): exit when the parent goes away, even if
// it was killed without a chance to stop us (its end of our stdin closes then).
if (process.env.PARAPHE_SIM_EXIT_WITH_PARENT === '1') {
  process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.on('error', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.resume();
}

await program.parseAsync(process.argv);
