/**
 * Wires the HELIOS module into the platform: the `tdt-helios` connector, the `helios` dossier type (send job)
 * the queue polling the gateway for PES_ACQUIT / PES_Retour, and the follower of PES flows' parapheur circuits. The ports default to the real adapters.
 */
import type { z } from 'zod';
import type { Deps } from '../app/deps.ts';
import { heliosDossierType } from './dossier-type.ts';
import { defaultHeliosPorts, type HeliosPorts } from './ports.ts';
import { tdtHeliosConfig, TDT_HELIOS } from './tdt-connector.ts';
import { HELIOS_POLL_QUEUE, heliosPollHandler } from './jobs/poll-job.ts';
import { followPesSignature, HELIOS_SIGNATURE_SUBSCRIBER } from './use-cases/follow-pes-signature.ts';

const installed = new WeakMap<Deps, HeliosPorts>();

export function installHelios(deps: Deps, ports: HeliosPorts = defaultHeliosPorts()): void {
  installed.set(deps, ports);
  const p = (): HeliosPorts => installed.get(deps)!;
  deps.connectors.register({ name: TDT_HELIOS, label: 'Télétransmission HELIOS (passerelle DGFiP)', schema: tdtHeliosConfig as unknown as z.ZodType<Record<string, unknown>> });
  deps.dossierTypes.register(heliosDossierType(p));
  deps.jobHandlers.set(HELIOS_POLL_QUEUE, heliosPollHandler(() => deps, p));
  deps.dossierEvents.subscribe(HELIOS_SIGNATURE_SUBSCRIBER, followPesSignature(() => deps));
}

export function heliosPorts(deps: Deps): HeliosPorts {
  const p = installed.get(deps);
  if (!p) throw new Error('HELIOS module not installed');
  return p;
}

/** Replaces the adapters or settings (another transport, a smaller size limit in a test). */
export function setHeliosPorts(deps: Deps, ports: Partial<HeliosPorts>): void {
  installed.set(deps, { ...heliosPorts(deps), ...ports });
}
