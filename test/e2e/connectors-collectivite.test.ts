/**
 * A collectivité's administrator overrides its connector settings from « Certificats, cachet et horodatage »:
 * uploads the seal's PKCS#12 with its password (a wrong password is refused; the password never reaches the
 * browser again, in no API response), sets its own timestamp authority then goes back to the inherited
 * settings, and sets its own HELIOS gateway account. Axe checks the page at each step.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { DEMO_P12_PASSWORD } from '../../src/parapheur/demo/seed-parapheur-demo.ts';
import { check, collectiviteIdOf, launchBrowser, login, newContext, screenshot, startPlatform, timedGoto, type Platform } from './support.ts';

let platform: Platform;
let browser: Browser;

before(async () => {
  [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await platform?.stop();
});

describe('connector settings overridden by the collectivité', { timeout: 600_000 }, () => {
  test('seal PKCS#12 upload (password never sent back), own timestamping then inherited again, own HELIOS account', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    // Every API answer the browser gets is kept: none may carry a secret.
    const bodies: string[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/')) void r.text().then((t) => bodies.push(t), () => undefined);
    });
    try {
      await login(page, 'admin@saint-exemple.paraphe.test');
      const cid = collectiviteIdOf(page);
      await timedGoto(page, `/c/${cid}/administration/certificats`, 'certificats-collectivite', (p) => p.getByTestId('seal-summary').waitFor());
      await page.getByTestId('seal-summary').getByText(/^Cachet en usage \(fichier PKCS#12 sur le serveur, propre à la collectivité\) : .*Cachet serveur Commune de Saint-Exemple/).waitFor();

      // The seal: the demo collectivité's PKCS#12, first with a wrong password.
      const p12 = readFileSync(join(platform.dataDir, 'demo-pki', 'cachet-saint-exemple.p12'));
      const upload = page.locator('form', { has: page.getByRole('heading', { name: 'Déposer le certificat du cachet de la collectivité' }) });
      await upload.getByLabel(/Fichier PKCS#12 du cachet/).setInputFiles({ name: 'cachet.p12', mimeType: 'application/x-pkcs12', buffer: p12 });
      await upload.getByLabel('Mot de passe du PKCS#12').fill('pas-le-bon-mot-de-passe');
      await upload.getByRole('button', { name: 'Déposer le certificat du cachet' }).click();
      await upload.getByRole('alert').getByText(/mot de passe incorrect/).waitFor();
      await check(page, '62-cachet-depot-refuse');
      await upload.getByLabel('Mot de passe du PKCS#12').fill(DEMO_P12_PASSWORD);
      await upload.getByRole('button', { name: 'Déposer le certificat du cachet' }).click();
      await page.getByText(/^Cachet serveur enregistré pour la collectivité : .*Cachet serveur Commune de Saint-Exemple/).waitFor();
      await page.getByTestId('seal-summary').getByText(/^Cachet en usage \(PKCS#12 déposé, propre à la collectivité\)/).waitFor();
      const seal = page.getByTestId('connector-parapheur-seal');
      await seal.locator('div', { has: page.getByText('PKCS#12 du cachet déposé par la collectivité', { exact: true }) }).getByText('•••••••• (masqué)').waitFor();
      assert.equal(await upload.getByLabel('Mot de passe du PKCS#12').inputValue(), '', 'the password field is emptied');
      await check(page, '63-cachet-depose');

      // Timestamping of its own, then back to the inherited settings (none: optional).
      const tsa = page.locator('form', { has: page.getByRole('heading', { name: 'Horodatage propre à la collectivité' }) });
      await tsa.getByLabel('URL du service d’horodatage (obligatoire)').fill('http://horodatage.saint-exemple.test/tsa');
      await tsa.getByRole('button', { name: /Enregistrer pour la collectivité/ }).click();
      await page.getByText('« Horodatage (RFC 3161) » : réglages enregistrés pour la collectivité.').waitFor();
      await page.getByTestId('connector-tsa').getByText('http://horodatage.saint-exemple.test/tsa').waitFor();
      await page.getByTestId('connector-tsa').getByText('(Propre à la collectivité)').waitFor();
      await page.getByRole('button', { name: 'Revenir aux réglages hérités pour « Horodatage (RFC 3161) »' }).click();
      await page.getByText('« Horodatage (RFC 3161) » : la collectivité reprend les réglages hérités.').waitFor();
      await page.getByText('Non configuré (facultatif)').waitFor();

      // Its own HELIOS gateway account.
      const helios = page.locator('form', { has: page.getByRole('heading', { name: 'Compte HELIOS propre à la collectivité' }) });
      await helios.getByLabel('Serveur FTP de la passerelle DGFiP (obligatoire)').fill('ftp.helios.saint-exemple.test');
      await helios.getByLabel('Identifiant FTP (obligatoire)').fill('saint-exemple');
      await helios.getByLabel('Mot de passe FTP (obligatoire)').fill('ftp-secret-saint-exemple');
      await helios.getByLabel('Code serveur DGFiP, SITE P_DEST (obligatoire)').fill('VHPCE21');
      await helios.getByRole('button', { name: /Enregistrer pour la collectivité/ }).click();
      await page.getByText('« Télétransmission HELIOS (passerelle DGFiP) » : réglages enregistrés pour la collectivité.').waitFor();
      const account = page.getByTestId('connector-tdt-helios');
      await account.getByText('ftp.helios.saint-exemple.test').waitFor();
      assert.equal(await helios.getByLabel('Mot de passe FTP (obligatoire)').inputValue(), '', 'the typed password leaves the form once saved');
      await account.locator('div', { has: page.getByText('Mot de passe FTP', { exact: true }) }).getByText('•••••••• (masqué)').waitFor();
      await check(page, '64-connecteurs-collectivite');

      await page.reload();
      await page.getByTestId('seal-summary').waitFor();
      const html = await page.content();
      for (const secret of [DEMO_P12_PASSWORD, 'ftp-secret-saint-exemple', p12.toString('base64').slice(0, 40)]) {
        assert.ok(!html.includes(secret), 'no secret in the page');
        assert.ok(!bodies.some((b) => b.includes(secret)), 'no secret in any API response');
      }
      assert.ok(bodies.length > 5);
    } catch (e) {
      await screenshot(page, '69-echec-connecteurs-collectivite').catch(() => undefined);
      throw e;
    } finally {
      await ctx.close();
    }
  });
});
