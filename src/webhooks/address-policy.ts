/**
 * Where a webhook may point: http(s) only, no credentials in the URL, and — unless the operator allows it
 * (`PARAPHE_WEBHOOK_ALLOW_PRIVATE=1`) — never a loopback, private, link-local or otherwise internal
 * address, so that a collectivité cannot make the platform call its own network (SSRF). The URL is checked
 * when registered, and every resolved address is checked again when connecting (DNS may change).
 */
import { BlockList, isIP } from 'node:net';
import { badInput } from '../shared/errors.ts';

const internal = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  internal.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  internal.addSubnet(net, prefix, 'ipv6');
}

/** True for an address the platform must not call on a collectivité's behalf. */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return internal.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return internal.check(mapped[1]!, 'ipv4');
    return internal.check(address, 'ipv6');
  }
  return true;
}

/** Validates a webhook URL as registered; returns it normalised. French errors for the admin. */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badInput('Adresse du webhook invalide : donnez une URL complète (https://…).', `invalid webhook URL ${raw}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw badInput('Seules les adresses http:// et https:// sont acceptées pour un webhook.', `webhook scheme ${url.protocol} refused`);
  }
  if (url.username || url.password) {
    throw badInput('L’adresse du webhook ne doit pas contenir d’identifiants : la signature authentifie les appels.', 'credentials in webhook URL');
  }
  if (!allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal') || (isIP(host) !== 0 && isInternalAddress(host))) {
      throw badInput('Cette adresse est interne (boucle locale ou réseau privé) : la plateforme n’appelle que des adresses publiques.', `webhook host ${host} is internal`);
    }
  }
  url.hash = '';
  return url.toString();
}
