/**
 * The webhooks screens end to end: the real platform (demo data, its own job worker) calls a real local
 * receiver. An admin registers a webhook from the administration menu, sees the secret once, follows the
 * delivery to the receiver in the log, opens its attempts and sends it again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { accessibilityProblems, describeViolations, launchBrowser, login, newContext, screenshot, startPlatform, type Platform } from './support.ts';

let platform: Platform;
let browser: Browser;
let receiver: Server;
let hookUrl: string;
const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

before(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(202).end('reçu par le logiciel d’urbanisme');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/paraphe/hooks`;
  // The platform is a child process: the operator setting that allows a loopback receiver goes through its environment.
  process.env.PARAPHE_WEBHOOK_ALLOW_PRIVATE = '1';
  [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await platform?.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('webhooks screens', { timeout: 600_000 }, () => {
  test('an admin creates a webhook (secret shown once), and follows its delivery in the log', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      await login(page, 'admin@saint-exemple.paraphe.test');
      const cid = /\/c\/([0-9a-f-]{36})/.exec(new URL(page.url()).pathname)![1]!;
      await page.getByRole('button', { name: 'Administration' }).click();
      await page.getByRole('link', { name: 'Webhooks' }).click();
      await page.locator('main h1', { hasText: 'Webhooks' }).waitFor();
      await page.getByText('Aucun webhook pour le moment.').waitFor();

      await page.getByLabel('Adresse (obligatoire)').fill('ftp://urbanisme.example.fr/hooks');
      await page.getByRole('button', { name: 'Créer le webhook' }).click();
      await page.getByText('Seules les adresses http:// et https:// sont acceptées pour un webhook.').first().waitFor();

      await page.getByLabel('Adresse (obligatoire)').fill(hookUrl);
      await page.getByLabel('Description').fill('Logiciel d’urbanisme');
      await page.locator('label', { hasText: 'Versement en GED' }).click(); // DSFR draws the box on the label
      await page.getByRole('button', { name: 'Créer le webhook' }).click();
      const secret = (await page.getByTestId('new-webhook-secret').innerText()).trim();
      assert.match(secret, /^whsec_/);
      await page.getByRole('cell', { name: 'Versement en GED', exact: true }).waitFor();
      await screenshot(page, '60-admin-webhook-cree');
      let problems = await accessibilityProblems(page);
      assert.equal(problems.length, 0, describeViolations(problems));
      await page.reload();
      await page.getByRole('link', { name: `Livraisons vers ${hookUrl}` }).waitFor();
      assert.equal(await page.getByText(secret).count(), 0, 'the secret is shown once');

      // A state change of a versement-ged dossier, through the API with the page's session.
      const { csrfToken } = (await (await page.request.get('/api/auth/session')).json()) as { csrfToken: string };
      const headers = { 'x-csrf-token': csrfToken };
      const created = await page.request.post(`/api/collectivites/${cid}/dossiers`, { headers, data: { type: 'versement-ged', title: 'Arrêté de voirie 2026-118', metadata: { categorie: 'Arrêtés' } } });
      assert.equal(created.status(), 201, await created.text());
      const dossierId = ((await created.json()) as { id: string }).id;
      const acted = await page.request.post(`/api/collectivites/${cid}/dossiers/${dossierId}/actions/abandonner`, { headers, data: {} });
      assert.equal(acted.status(), 200, await acted.text());
      await until('the webhook call', () => received.length === 1);
      const call = received[0]!;
      const expected = `sha256=${createHmac('sha256', secret).update(`${String(call.headers['x-paraphe-timestamp'])}.${call.body}`).digest('hex')}`;
      assert.equal(call.headers['x-paraphe-signature'], expected);
      assert.deepEqual((JSON.parse(call.body) as { to: unknown }).to, { state: 'abandonne', label: 'Abandonné' });

      await page.getByRole('link', { name: `Livraisons vers ${hookUrl}` }).click();
      await page.locator('main h1', { hasText: 'Livraisons du webhook' }).waitFor();
      await page.getByText('Remis', { exact: true }).waitFor();
      await page.getByRole('link', { name: 'Arrêté de voirie 2026-118' }).waitFor();
      await page.getByRole('cell', { name: 'Brouillon → Abandonné (version 2)' }).waitFor();
      await page.getByRole('button', { name: /^Détail/ }).click();
      await page.getByRole('cell', { name: '202', exact: true }).waitFor();
      await page.getByText('reçu par le logiciel d’urbanisme').waitFor();
      await screenshot(page, '61-admin-webhook-livraisons');
      problems = await accessibilityProblems(page);
      assert.equal(problems.length, 0, describeViolations(problems));

      await page.getByRole('button', { name: /^Renvoyer/ }).click();
      await page.getByText('La livraison sera renvoyée dans quelques instants.').waitFor();
      await until('the call sent again', () => received.length === 2);
      assert.equal(received[1]!.headers['x-paraphe-delivery'], call.headers['x-paraphe-delivery']);
      assert.equal(received[1]!.body, call.body);
    } finally {
      await ctx.close();
    }
  });
});
