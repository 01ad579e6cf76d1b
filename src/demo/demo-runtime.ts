/**
 * What `paraphe start` adds in demo mode: the simulators as child processes (started before the database
 * opens, so that their start-up overlaps with it and with the demo seeding), the operator-level `tdt-actes`
 * / `tdt-helios` connectors pointed at them (again at every start: their ports are picked free each time),
 * fast polling of the return mailbox and of the gateway, and — at the first start — the télétransmission
 * demo data (classification, one acte and one PES per collectivité, sent in the background).
 *
 * In the demo the simulators accept every SIREN / SIRET, so that a collectivité created by the user is
 * answered too; the Hélios simulator trusts the demo CA of the parapheur (which issues the seals).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Deps } from '../app/deps.ts';
import type { Actor } from '../identity/principal.ts';
import { setConnectorConfig } from '../connectors/set-connector-config.ts';
import { ensureOperator } from '../tenancy/ensure-operator.ts';
import { TDT_ACTES } from '../actes/tdt-connector.ts';
import { TDT_HELIOS } from '../helios/tdt-connector.ts';
import { ensureActesPolling } from '../actes/jobs/poll-job.ts';
import { ensureHeliosPolling } from '../helios/jobs/poll-job.ts';
import { demoCa } from '../parapheur/demo/seed-parapheur-demo.ts';
import { demoSimPaths, demoTdtActesConfig, demoTdtHeliosConfig, startHeliosSim, startPrefectureSim, type HeliosSimChild, type PrefectureSim } from './demo-simulators.ts';
import { seedTeletransmissionDemo, type DemoCollectivite } from './seed-teletransmission-demo.ts';

const demoActor: Actor = { userId: null, tokenId: null, label: 'données de démonstration' };

export interface DemoSimulators {
  prefecture: PrefectureSim;
  helios: HeliosSimChild;
  stop(): Promise<void>;
  kill(): void;
}

/** Fast polling in the demo, unless the environment says otherwise (read by the poll jobs). */
export function demoPollingDefaults(env: NodeJS.ProcessEnv = process.env): void {
  env.PARAPHE_ACTES_POLL_SECONDS ??= '3';
  env.PARAPHE_HELIOS_POLL_SECONDS ??= '3';
}

/** Starts both simulators in parallel; if one fails, the other is stopped. */
export async function startDemoSimulators(dataDir: string, log: (line: string) => void): Promise<DemoSimulators> {
  const p = demoSimPaths(dataDir);
  mkdirSync(p.root, { recursive: true });
  const pkiDir = resolve(join(dataDir, 'demo-pki'));
  mkdirSync(pkiDir, { recursive: true });
  const ca = demoCa(pkiDir);
  const [pr, he] = await Promise.allSettled([startPrefectureSim(p, { log }), startHeliosSim(p, { trustAnchors: [ca.cert], log })]);
  if (pr.status === 'rejected' || he.status === 'rejected') {
    if (pr.status === 'fulfilled') await pr.value.stop();
    if (he.status === 'fulfilled') await he.value.stop();
    throw pr.status === 'rejected' ? pr.reason : (he as PromiseRejectedResult).reason;
  }
  const prefecture = pr.value;
  const helios = he.value;
  return {
    prefecture,
    helios,
    stop: async () => {
      await Promise.all([prefecture.stop(), helios.stop()]);
    },
    kill: () => {
      prefecture.kill();
      helios.kill();
    },
  };
}

/** Points the operator's connectors at the simulators (only when the setting changed: it is journaled). */
export async function configureDemoConnectors(deps: Deps, sims: DemoSimulators): Promise<void> {
  const operatorId = await ensureOperator(deps);
  const p = demoSimPaths(deps.config.dataDir);
  const wanted: [string, Record<string, unknown>][] = [
    [TDT_ACTES, demoTdtActesConfig(p, sims.prefecture)],
    [TDT_HELIOS, demoTdtHeliosConfig(sims.helios)],
  ];
  for (const [name, config] of wanted) {
    const current = await deps.db.selectFrom('connector_config').select('config').where('scope_type', '=', 'operator').where('scope_id', '=', operatorId).where('connector', '=', name).executeTakeFirst();
    if (current && JSON.stringify(deps.connectors.openSecrets(name, current.config as Record<string, unknown>)) === JSON.stringify(config)) continue;
    await setConnectorConfig(deps, demoActor, { type: 'operator', id: operatorId }, name, config);
  }
  await ensureActesPolling(deps);
  await ensureHeliosPolling(deps);
}

export async function seedDemoTeletransmission(deps: Deps, cols: DemoCollectivite[]): Promise<void> {
  await seedTeletransmissionDemo(deps, demoActor, cols);
}
