/** Which addresses the platform refuses to call on a collectivité's behalf (pure rules, no network). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWebhookUrl, isInternalAddress } from './address-policy.ts';
import { AppError } from '../shared/errors.ts';

/** The French message the admin reads. */
const saysFr = (re: RegExp) => (e: unknown) => e instanceof AppError && e.code === 'BAD_INPUT' && re.test(e.messageFr);

test('loopback, private, link-local, CGNAT, multicast and mapped addresses are internal; public ones are not', () => {
  for (const a of ['127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.1.2.3']) {
    assert.equal(isInternalAddress(a), true, a);
  }
  for (const a of ['8.8.8.8', '172.32.0.1', '193.51.24.1', '100.128.0.1', '2a01:e0a::1', '::ffff:8.8.8.8']) {
    assert.equal(isInternalAddress(a), false, a);
  }
  assert.equal(isInternalAddress('pas-une-adresse'), true, 'anything unparsable is refused');
});

test('a registered URL is http(s), without credentials, public unless allowed; the fragment is dropped', () => {
  assert.equal(checkWebhookUrl('https://urbanisme.example.fr/hooks/paraphe#x', false), 'https://urbanisme.example.fr/hooks/paraphe');
  assert.equal(checkWebhookUrl('http://127.0.0.1:8080/h', true), 'http://127.0.0.1:8080/h');
  for (const url of ['http://127.0.0.1:8080/h', 'http://localhost/h', 'http://api.localhost/h', 'http://nas.local/h', 'http://[fe80::1]/h', 'http://192.168.1.1/h']) {
    assert.throws(() => checkWebhookUrl(url, false), saysFr(/interne/), url);
  }
  assert.throws(() => checkWebhookUrl('gopher://example.fr/', true), saysFr(/http:\/\/ et https:\/\//));
  assert.throws(() => checkWebhookUrl('https://u:p@example.fr/', true), saysFr(/identifiants/));
});
