/**
 * Wires the ACTES module into the platform: the `tdt-actes` connector, the `actes` dossier type, and the
 * queues (outgoing messages, notifications, mailbox polling), and the follower of actes' parapheur circuits. The ports default to the real adapters.
 */
import type { z } from 'zod';
import type { Deps } from '../app/deps.ts';
import { actesDossierType } from './dossier-type.ts';
import { defaultActesPorts, type ActesPorts } from './ports.ts';
import { tdtActesConfig, TDT_ACTES } from './tdt-connector.ts';
import { ACTES_SEND_QUEUE } from './use-cases/queue-outgoing-message.ts';
import { outgoingMessageHandler } from './jobs/outgoing-message-job.ts';
import { ACTES_NOTIFY_QUEUE, notificationHandler } from './jobs/notification-job.ts';
import { ACTES_POLL_QUEUE, pollHandler } from './jobs/poll-job.ts';
import { ACTES_SIGNATURE_SUBSCRIBER, followActeSignature } from './use-cases/follow-acte-signature.ts';

const installed = new WeakMap<Deps, ActesPorts>();

export function installActes(deps: Deps, ports: ActesPorts = defaultActesPorts()): void {
  installed.set(deps, ports);
  const p = (): ActesPorts => installed.get(deps)!;
  deps.connectors.register({ name: TDT_ACTES, label: 'Télétransmission ACTES (@CTES)', schema: tdtActesConfig as unknown as z.ZodType<Record<string, unknown>> });
  deps.dossierTypes.register(actesDossierType(p));
  deps.jobHandlers.set(ACTES_SEND_QUEUE, outgoingMessageHandler(() => deps, p));
  deps.jobHandlers.set(ACTES_NOTIFY_QUEUE, notificationHandler(() => deps, p));
  deps.jobHandlers.set(ACTES_POLL_QUEUE, pollHandler(() => deps, p));
  deps.dossierEvents.subscribe(ACTES_SIGNATURE_SUBSCRIBER, followActeSignature(() => deps));
}

/** The ports the module was installed with (routes and commands use the same adapters as the jobs). */
export function actesPorts(deps: Deps): ActesPorts {
  const p = installed.get(deps);
  if (!p) throw new Error('ACTES module not installed');
  return p;
}

/** Replaces the adapters (a deployment with another transport, or a test). */
export function setActesPorts(deps: Deps, ports: Partial<ActesPorts>): void {
  installed.set(deps, { ...actesPorts(deps), ...ports });
}
