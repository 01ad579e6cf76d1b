/**
 * The HELIOS pages follow a flow on their own: with the demo's simulators running, the agent deposits a PES
 * signed globally (XAdES on the whole PES_Aller, with the collectivité's demo seal) from the HELIOS page, clicks
 * « Transmettre à la trésorerie » and, without reloading the page, sees the state move to « Acquittement reçu »
 * when the Hélios simulator's acquittement is polled. The list then shows the trésorerie's PES_Retour (the demo
 * simulator writes one after each integrated file) with its readable summary and a link to the flux it
 * answers, whose page lists it under « Retours de la trésorerie ».
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { demoPesAller } from '../../src/demo/seed-teletransmission-demo.ts';
import { KeySigner, signPes } from '../../src/parapheur/signature/xades/index.ts';
import { withLuhnKey } from '../../src/tenancy/siren.ts';
import { check, collectiviteIdOf, launchBrowser, login, newContext, screenshot, startPlatform, timedGoto, type Platform } from './support.ts';

let platform: Platform;
let browser: Browser;

before(async () => {
  [platform, browser] = await Promise.all([startPlatform({ simulators: true }), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await platform?.stop();
});

describe('the HELIOS pages refresh flows in progress', { timeout: 600_000 }, () => {
  test('a transmitted flow reaches « Acquittement reçu » on screen without a reload; the PES_Retour is listed with its summary', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      await login(page, 'agent@saint-exemple.paraphe.test');
      const cid = collectiviteIdOf(page);
      // Commune de Saint-Exemple (seed-demo.ts): SIRET of its main establishment; bordereau 2 (the demo PES has 1).
      const siret = withLuhnKey(`${withLuhnKey('21620123')}0001`);
      const today = new Date().toISOString().slice(0, 10);
      const nomFic = `E2E-LIVE-${Date.now()}`;
      const pes = Buffer.from(demoPesAller(siret, nomFic, today).toString('latin1').replace('<IdBord V="1"/>', '<IdBord V="2"/>'), 'latin1');
      const pki = join(platform.dataDir, 'demo-pki');
      const seal = new KeySigner(readFileSync(join(pki, 'cachet-saint-exemple.pem')), readFileSync(join(pki, 'cachet-saint-exemple.key'), 'utf8'));
      const signed = await signPes(pes, seal, { role: 'Ordonnateur', city: 'Saint-Exemple', scope: 'global' });

      await timedGoto(page, `/c/${cid}/helios`, 'helios-liste');
      await page.getByLabel('Fichier PES_Aller (XML)').setInputFiles({ name: `${nomFic}.xml`, mimeType: 'application/xml', buffer: signed });
      await page.getByRole('button', { name: 'Déposer le flux' }).click();
      await page.waitForURL(/\/helios\/[0-9a-f-]{36}$/);
      await page.getByTestId('helios-state').getByText('Posté (fichier valide)').waitFor();
      await page.getByText('Couvert par la signature globale').first().waitFor();

      // From here on the page is never reloaded: a marker on window would not survive a navigation.
      await page.evaluate(() => ((globalThis as unknown as { paraphePageMarker: number }).paraphePageMarker = 42));
      await page.getByRole('button', { name: 'Transmettre à la trésorerie' }).click();
      await page.getByTestId('helios-state').getByText('Acquittement reçu').waitFor({ timeout: 120_000 });
      assert.equal(await page.evaluate(() => (globalThis as unknown as { paraphePageMarker?: number }).paraphePageMarker), 42, 'the page was not reloaded');
      await page.getByText('Flux accepté par Hélios.').waitFor();
      await check(page, '50-helios-flux-suivi-en-direct');

      // The trésorerie's PES_Retour of this flow, with its summary per bordereau.
      // (It is fetched by the same poll as the acquittement or the next one: reload as a user would.)
      const summaryText = /^Mandats, exercice \d{4}, bordereau n° 2 : 1 pièce \(1 prise en charge\)$/;
      const summary = page.getByRole('table', { name: 'PES_Retour reçus' }).getByText(summaryText);
      for (let i = 0; ; i++) {
        await timedGoto(page, `/c/${cid}/helios`, 'helios-liste');
        if ((await summary.count()) === 1) break;
        assert.ok(i < 20, 'no PES_Retour summary for bordereau 2');
        await page.waitForTimeout(1000);
      }
      await check(page, '51-helios-liste-pes-retour');

      // The PES_Retour links to the flux it answers (matched by SIRET, exercice and bordereau number, not by
      // NomFic), and the flux page lists it under « Retours de la trésorerie ».
      const row = page.getByRole('table', { name: 'PES_Retour reçus' }).getByRole('row').filter({ has: page.getByText(summaryText) });
      await row.getByRole('link', { name: `Flux ${nomFic}` }).click();
      await page.waitForURL(/\/helios\/[0-9a-f-]{36}$/);
      await page.getByRole('heading', { name: 'Retours de la trésorerie' }).waitFor();
      await page.getByRole('table', { name: 'PES_Retour de la trésorerie pour ce flux' }).getByText(summaryText).waitFor();
      await check(page, '52-helios-flux-retours-tresorerie');
    } catch (e) {
      await screenshot(page, '59-echec-helios-live').catch(() => undefined);
      throw e;
    } finally {
      await ctx.close();
    }
  });
});
