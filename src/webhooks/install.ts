/**
 * Wires the webhooks module: the `webhooks` subscriber of the dossier events and the delivery queue.
 * The HTTP port defaults to Node's client; another deployment (or a test) may pass its own.
 */
import type { Deps } from '../app/deps.ts';
import { defaultWebhookPorts, type WebhookPorts } from './ports.ts';
import { onDossierStateChanged } from './on-state-changed.ts';
import { deliveryHandler, WEBHOOK_QUEUE } from './jobs/delivery-job.ts';

const installed = new WeakMap<Deps, WebhookPorts>();

export function installWebhooks(deps: Deps, ports: WebhookPorts = defaultWebhookPorts()): void {
  installed.set(deps, ports);
  deps.dossierEvents.subscribe('webhooks', onDossierStateChanged(() => deps));
  deps.jobHandlers.set(WEBHOOK_QUEUE, deliveryHandler(() => deps, () => webhookPorts(deps)));
}

export function webhookPorts(deps: Deps): WebhookPorts {
  const p = installed.get(deps);
  if (!p) throw new Error('webhooks module not installed');
  return p;
}

/** Replaces the adapter or the settings (another HTTP client, a shorter timeout in a test). */
export function setWebhookPorts(deps: Deps, ports: Partial<WebhookPorts>): void {
  installed.set(deps, { ...webhookPorts(deps), ...ports });
}
