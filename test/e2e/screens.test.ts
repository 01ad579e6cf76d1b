/**
 * The HELIOS, délégations, signing settings and dashboard screens end to end (one platform process and one
 * browser for the whole file): an agent deposits a PES and reads it, an admin manages délégations and sees
 * the API's refusals, the signing settings are shown without their secrets and edited by the operator, the
 * dashboard's counts lead to the filtered lists. Screenshots and axe-core (no serious/critical violation)
 * on each screen; load times recorded in test-artifacts/load-times.json.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { collectiviteIdOf, check, launchBrowser, login, newContext, startPlatform, timedGoto, type Platform } from './support.ts';
import { testPesAller } from '../../src/simulators/helios/testing.ts';
import { withLuhnKey } from '../../src/tenancy/siren.ts';
import { DEMO_P12_PASSWORD } from '../../src/parapheur/demo/seed-parapheur-demo.ts';

let platform: Platform;
let browser: Browser;

before(async () => {
  [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await platform?.stop();
});

/** The month the browser (Europe/Paris) is in, as "2026-11". */
function parisMonthNow(): string {
  return new Intl.DateTimeFormat('fr-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
}

describe('HELIOS, délégations, signing settings and dashboard screens', { timeout: 600_000 }, () => {
  test('an agent deposits a PES from the HELIOS screen, reads its bordereaux and amounts, and a wrong file is refused in French', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      await login(page, 'agent@saint-exemple.paraphe.test');
      const cid = collectiviteIdOf(page);
      await page.getByRole('link', { name: 'HELIOS', exact: true }).first().click();
      await page.locator('main h1', { hasText: 'Télétransmission HELIOS' }).waitFor();
      await page.getByText('Aucun flux PES pour le moment.').waitFor();
      await page.getByText('Aucun PES_Retour reçu pour le moment.').waitFor();
      await check(page, '40-helios-liste-vide');

      // A file that is not a PES: refused with the reason, nothing created.
      await page.getByTestId('dropzone-principal').locator('input[type=file]').setInputFiles({ name: 'pas-un-pes.xml', mimeType: 'application/xml', buffer: Buffer.from('<?xml version="1.0"?><Facture/>') });
      await page.getByRole('button', { name: 'Déposer le flux' }).click();
      await page.getByText('Fichier refusé').waitFor();
      await check(page, '41-helios-depot-refuse');

      const siren = await page.evaluate(async (c) => ((await (await fetch(`/api/collectivites/${c}`)).json()) as { siren: string }).siren, cid);
      const pes = testPesAller({ siret: withLuhnKey(`${siren}0001`), nomFic: 'PES_SAINT_EXEMPLE_2026_001', pjs: ['PJFACT1'] });
      await page.getByTestId('dropzone-principal').locator('input[type=file]').setInputFiles({ name: 'PES_SAINT_EXEMPLE_2026_001.xml', mimeType: 'application/xml', buffer: pes });
      await page.getByRole('button', { name: 'Déposer le flux' }).click();
      await page.waitForURL(/\/helios\/[0-9a-f-]{36}$/);
      await page.locator('main h1', { hasText: 'PES PES_SAINT_EXEMPLE_2026_001' }).waitFor();
      assert.match((await page.getByTestId('helios-state').textContent()) ?? '', /Posté \(fichier valide\)/);
      await page.getByText('Code S²LOW 1', { exact: true }).waitFor();
      await page.getByRole('heading', { name: /Bordereau de (mandats|titres) n° 1 — exercice/ }).waitFor();
      await page.getByRole('cell', { name: /39\s724,75\s€/ }).first().waitFor();
      await page.getByRole('cell', { name: 'facture1.pdf' }).waitFor();
      await page.getByText(/Pas encore d’acquittement/).waitFor();
      // Unsigned: it is signed in the parapheur first (XAdES typologies only), not transmitted as is.
      await page.getByRole('heading', { name: 'Soumettre à la signature' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Transmettre à la trésorerie' }).count(), 0);
      assert.match((await page.getByTestId('pes-totaux').textContent()) ?? '', /1 bordereau\(x\), 1 pièce\(s\), 1 pièce\(s\) justificative\(s\)/);
      // Never the raw XML: the page shows no tag of the file.
      assert.ok(!(await page.locator('main').innerText()).includes('<PES_Aller'));
      const download = page.getByRole('link', { name: /Télécharger le fichier PES/ });
      const res = await page.evaluate(async (href) => { const r = await fetch(href); return { status: r.status, size: (await r.arrayBuffer()).byteLength }; }, (await download.getAttribute('href'))!);
      assert.deepEqual(res, { status: 200, size: pes.length });
      await check(page, '42-helios-flux');
      const flowPath = new URL(page.url()).pathname;

      await timedGoto(page, `/c/${cid}/helios`, 'helios-liste', (p) => p.getByRole('link', { name: 'PES PES_SAINT_EXEMPLE_2026_001' }).waitFor());
      await page.getByRole('cell', { name: 'Posté (fichier valide)' }).waitFor();
      await check(page, '43-helios-liste');
      await timedGoto(page, flowPath, 'helios-flux', (p) => p.getByTestId('pes-totaux').waitFor());
    } finally {
      await ctx.close();
    }
  });

  test('an admin creates and revokes a délégation; overlapping and circular ones are refused with clear French alerts', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      await login(page, 'admin@saint-exemple.paraphe.test');
      const cid = collectiviteIdOf(page);
      await page.getByRole('button', { name: 'Administration' }).click();
      await page.getByRole('link', { name: 'Délégations' }).click();
      await page.locator('main h1', { hasText: 'Délégations du parapheur' }).waitFor();
      await page.getByText('Aucune délégation pour le moment.').waitFor();

      const create = async (from: string, to: string, start: string, end: string, typologie?: string) => {
        await page.getByLabel('Bureau délégant (obligatoire)').selectOption({ label: from });
        await page.getByLabel('Bureau délégué (obligatoire)').selectOption({ label: to });
        await page.getByLabel(/^Du \(obligatoire\)/).fill(start);
        await page.getByLabel(/^Au \(obligatoire\)/).fill(end);
        if (typologie) await page.locator('label', { hasText: typologie }).click();
        await page.getByRole('button', { name: 'Créer la délégation' }).click();
      };
      await create('Maire', 'DGS', '01/03/2030', '15/03/2030', 'Actes — Délibération');
      await page.getByText('Délégation créée : « Maire » délègue à « DGS » du 1 mars 2030 au 15 mars 2030.').waitFor();
      const row = page.getByRole('row', { name: /Maire DGS 1 mars 2030 15 mars 2030 Actes — Délibération À venir/ });
      await row.waitFor();
      await check(page, '50-delegations-admin');

      // Same bureau, overlapping period, a shared typologie (none chosen: all): refused.
      await create('Maire', 'Secrétariat', '10/03/2030', '20/03/2030');
      await page.getByRole('alert').filter({ hasText: 'Délégation refusée' }).getByText(/ne peuvent pas se chevaucher/).waitFor();
      // DGS → Maire while Maire → DGS: a loop.
      await create('DGS', 'Maire', '05/03/2030', '06/03/2030');
      await page.getByRole('alert').filter({ hasText: 'Délégation refusée' }).getByText(/boucle de délégations \(circulaire\)/).waitFor();
      await check(page, '51-delegations-refus');

      await row.getByRole('button', { name: 'Révoquer la délégation de Maire à DGS' }).click();
      await page.getByText('La délégation de « Maire » à « DGS » a été révoquée.').waitFor();
      await page.getByRole('row', { name: /Maire DGS .* Révoquée/ }).waitFor();
      await timedGoto(page, `/c/${cid}/administration/delegations`, 'delegations-admin', (p) => p.getByRole('row', { name: /Révoquée/ }).waitFor());
    } finally {
      await ctx.close();
    }
  });

  test('a bureau holder sees « mes délégations » from Mon parapheur and delegates only the bureaux they hold, dates typed JJ/MM/AAAA even in an English browser', async () => {
    // Chromium in English, in New York: the days are still typed and shown as in France, in Paris time.
    const ctx = await browser.newContext({ baseURL: platform.url, locale: 'en-US', timezoneId: 'America/New_York', viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    try {
      await login(page, 'agent@saint-exemple.paraphe.test');
      const cid = collectiviteIdOf(page);
      await page.getByRole('link', { name: 'Mon parapheur' }).first().click();
      await page.getByRole('link', { name: 'Mes délégations' }).click();
      await page.locator('main h1', { hasText: 'Mes délégations' }).waitFor();
      await page.getByRole('button', { name: 'Créer la délégation' }).waitFor();
      const options = await page.getByLabel('Bureau délégant (obligatoire)').locator('option').allTextContents();
      assert.deepEqual(options.slice(1).sort(), ['DGS', 'Secrétariat']);
      await page.getByLabel('Bureau délégant (obligatoire)').selectOption({ label: 'DGS' });
      await page.getByLabel('Bureau délégué (obligatoire)').selectOption({ label: 'Secrétariat' });
      assert.match((await page.getByText('Format attendu : JJ/MM/AAAA').allTextContents()).join(), /JJ\/MM\/AAAA/);
      await page.getByLabel(/^Du \(obligatoire\)/).fill('31/02/2030');
      await page.getByLabel(/^Au \(obligatoire\)/).focus();
      await page.getByText('Date invalide : saisissez le jour, le mois et l’année au format JJ/MM/AAAA').waitFor();
      await page.getByLabel(/^Du \(obligatoire\)/).fill('01/06/2030');
      await page.getByLabel(/^Au \(obligatoire\)/).fill('01/05/2030');
      await page.getByRole('button', { name: 'Créer la délégation' }).click();
      await page.getByText('La date de fin doit être le même jour que la date de début ou après.').waitFor();
      await page.getByLabel(/^Au \(obligatoire\)/).fill('30/06/2030');
      await page.getByRole('button', { name: 'Créer la délégation' }).click();
      await page.getByRole('row', { name: /DGS Secrétariat 1 juin 2030 30 juin 2030 Toutes À venir/ }).waitFor();
      await check(page, '52-mes-delegations');
      await timedGoto(page, `/c/${cid}/parapheur/delegations`, 'mes-delegations', (p) => p.getByRole('row', { name: /DGS Secrétariat/ }).waitFor());
    } finally {
      await ctx.close();
    }
  });

  test('signing settings: the collectivité reads them with their origin and no secret; the operator edits its defaults', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      await login(page, 'admin@saint-exemple.paraphe.test');
      const cid = collectiviteIdOf(page);
      await page.getByRole('button', { name: 'Administration' }).click();
      await page.getByRole('link', { name: 'Certificats, cachet et horodatage' }).click();
      await page.locator('main h1', { hasText: 'Certificats, cachet et horodatage' }).waitFor();
      const seal = page.getByTestId('connector-parapheur-seal');
      await seal.getByText('•••••••• (masqué)').waitFor();
      await seal.getByText('(Propre à la collectivité)').first().waitFor();
      await page.getByTestId('connector-parapheur-certificats').getByText('(Hérité de l’opérateur)').waitFor();
      await page.getByText('Non configuré (facultatif)').waitFor();
      assert.ok(!(await page.content()).includes(DEMO_P12_PASSWORD), 'the seal password is never sent to the browser');
      await check(page, '60-certificats-collectivite');
      await timedGoto(page, `/c/${cid}/administration/certificats`, 'certificats-collectivite', (p) => p.getByTestId('connector-parapheur-seal').waitFor());
      await ctx.clearCookies();

      await login(page, 'admin@cdg-demo.paraphe.test');
      await page.getByRole('link', { name: 'Opérateur : certificats et cachet' }).first().click();
      await page.locator('main h1', { hasText: 'Certificats, cachet et horodatage (opérateur)' }).waitFor();
      const tsaForm = page.locator('form', { has: page.getByRole('heading', { name: 'Horodatage (RFC 3161)' }) });
      await tsaForm.getByLabel('URL du service d’horodatage').fill('http://horodatage.cdg-demo.test/tsa');
      await tsaForm.getByRole('button', { name: 'Enregistrer' }).click();
      await page.getByText('« Horodatage » : configuration enregistrée.').waitFor();
      // The seal default: the password field never shows a stored value.
      const sealForm = page.locator('form', { has: page.getByRole('heading', { name: 'Cachet serveur' }) });
      assert.equal(await sealForm.getByLabel('Mot de passe du PKCS#12').inputValue(), '');
      await sealForm.getByLabel('Fichier PKCS#12 du cachet serveur (obligatoire)').fill('/srv/paraphe/cachet-operateur.p12');
      await sealForm.getByLabel('Mot de passe du PKCS#12').fill('secret-operateur');
      await sealForm.getByRole('button', { name: 'Enregistrer' }).click();
      await page.getByText('« Cachet serveur » : configuration enregistrée.').waitFor();
      await page.reload();
      await page.locator('main h1', { hasText: '(opérateur)' }).waitFor();
      await page.getByText('Une valeur est enregistrée (masquée) : laissez vide pour la garder.').waitFor();
      assert.ok(!(await page.content()).includes('secret-operateur'));
      await check(page, '61-certificats-operateur');
      await timedGoto(page, '/operateur/certificats', 'certificats-operateur', (p) => p.getByRole('heading', { name: 'Cachet serveur' }).waitFor());
      await ctx.clearCookies();

      // The collectivité now inherits the timestamp authority from the operator.
      await login(page, 'admin@saint-exemple.paraphe.test');
      await page.goto(`/c/${cid}/administration/certificats`);
      await page.getByTestId('connector-tsa').getByText('http://horodatage.cdg-demo.test/tsa').waitFor();
      await page.getByTestId('connector-tsa').getByText('(Hérité de l’opérateur)').waitFor();
    } finally {
      await ctx.close();
    }
  });

  test('the dashboard shows what waits, what is late and what was sent this month, each count leading to its list', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      await login(page, 'agent@saint-exemple.paraphe.test');
      const cid = collectiviteIdOf(page);
      const month = parisMonthNow();
      await timedGoto(page, `/c/${cid}`, 'tableau-de-bord', (p) => p.getByText('Ce qui m’attend').waitFor());
      await page.getByText('En retard', { exact: true }).waitFor();
      await page.getByText(/^Envoyé en /).waitFor();
      await page.getByRole('link', { name: /dans mes bannettes « À traiter »/ }).waitFor();
      await page.getByRole('link', { name: /dans mes bannettes « En retard »/ }).waitFor();
      await check(page, '70-tableau-de-bord');

      await page.getByRole('link', { name: /flux PES transmis/ }).click();
      await page.waitForURL(new RegExp(`/helios\\?mois=${month}$`));
      await page.locator('main h1', { hasText: /^Flux PES transmis en / }).waitFor();
      await page.getByText('Aucun flux PES transmis ce mois-là.').waitFor();
      await check(page, '71-helios-transmis-ce-mois');

      await page.goto(`/c/${cid}`);
      await page.getByRole('link', { name: /acte\(s\) transmis/ }).click();
      await page.waitForURL(new RegExp(`/actes\\?mois=${month}$`));
      await page.locator('main h1', { hasText: /^Actes transmis en / }).waitFor();
      await page.getByText('Aucun acte transmis ce mois-là.').waitFor();

      await page.goto(`/c/${cid}`);
      await page.getByRole('link', { name: /dans mes bannettes « À traiter »/ }).click();
      await page.waitForURL(/\/parapheur\?vue=a-traiter$/);
      await page.locator('main h1', { hasText: 'Mon parapheur' }).waitFor();
    } finally {
      await ctx.close();
    }
  });
});
