/**
 * The parapheur and ACTES screens end to end: a secrétariat agent creates a document à signer and sends it,
 * the DGS vises it, the maire sees the signature command and rejects another one with a motif, an admin
 * builds a circuit in the editor, then edits it and a typologie in place. Screenshots of each main screen; axe-core on each (no serious/critical).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { check, launchBrowser, login, makePdf, newContext, startPlatform, type Platform } from './support.ts';

let platform: Platform;
let browser: Browser;

before(async () => {
  [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await platform?.stop();
});

async function createDocument(page: Page, title: string, shot?: string): Promise<string> {
  await page.getByRole('link', { name: 'Nouveau document à signer' }).click();
  await page.locator('main h1', { hasText: 'Nouveau document à signer' }).waitFor();
  await page.getByLabel('Titre (obligatoire)').fill(title);
  await page.getByLabel('Typologie (obligatoire)').selectOption({ label: 'Actes — Délibération' });
  await page.getByLabel('Bureau émetteur (obligatoire)').selectOption({ label: 'Secrétariat' });
  await page.getByTestId('dropzone-principal').locator('input[type=file]').setInputFiles({ name: 'document.pdf', mimeType: 'application/pdf', buffer: await makePdf(title.slice(0, 30)) });
  await page.getByText('document.pdf').waitFor();
  if (shot) await check(page, shot);
  await page.getByRole('button', { name: 'Créer le document à signer' }).click();
  await page.waitForURL(/\/parapheur\/dossiers\/[0-9a-f-]{36}/);
  await page.locator('main h1', { hasText: title }).waitFor();
  const id = /dossiers\/([0-9a-f-]{36})/.exec(page.url())![1]!;
  return id;
}

async function send(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Envoyer dans le circuit' }).click();
  await page.getByTestId('dossier-state').getByText('En cours de circuit').waitFor();
}

describe('parapheur and ACTES screens', { timeout: 600_000 }, () => {
  test('secrétariat creates and sends, DGS vises, the maire sees the signature command and rejects another with a motif', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      await login(page, 'agent@saint-exemple.paraphe.test');
      await page.getByRole('link', { name: 'Mon parapheur' }).first().click();
      await page.locator('main h1', { hasText: 'Mon parapheur' }).waitFor();
      await page.getByRole('heading', { name: 'Bureau Secrétariat' }).waitFor();
      await check(page, '20-parapheur-bannettes-agent');

      const first = await createDocument(page, 'Délibération 2026-050 : tarifs de la cantine', '21-parapheur-nouveau-document');
      await page.locator('[data-testid=pdf-canvas][data-rendered-page="1"]').waitFor();
      await check(page, '22-parapheur-dossier-brouillon');
      await send(page);
      await page.getByTestId('circuit').getByText('DGS (attendu)').waitFor();

      await page.goto(page.url().replace(/\/parapheur\/dossiers\/.*/, '/parapheur'));
      await createDocument(page, 'Arrêté 2026-12 : circulation rue des Écoles');
      await send(page);

      // The DGS (the demo agent holds the DGS bureau too) finds both in its bannette « À traiter ».
      await page.getByRole('link', { name: 'Mon parapheur' }).first().click();
      await page.getByTestId('inbox-DGS-a-traiter').click();
      await page.getByRole('heading', { name: 'DGS — À traiter' }).waitFor();
      assert.match((await page.getByTestId('inbox-DGS-a-traiter').textContent()) ?? '', /2/);
      await page.getByRole('link', { name: 'Délibération 2026-050 : tarifs de la cantine' }).waitFor();
      await check(page, '23-parapheur-bannette-dgs');
      await page.getByRole('link', { name: 'Délibération 2026-050 : tarifs de la cantine' }).click();
      await page.getByRole('button', { name: 'Annoter' }).click();
      await page.getByLabel('Annotation (obligatoire)').fill('Vu avec le service finances.');
      await page.getByRole('button', { name: 'Valider' }).click();
      await page.getByTestId('annotations').getByText('Vu avec le service finances.').waitFor();
      await page.getByRole('button', { name: 'Viser' }).click();
      await page.getByText('Le dossier a été visé.').waitFor();
      await page.getByTestId('circuit').getByText('Maire (attendu)').waitFor();
      await check(page, '24-parapheur-dossier-vise');

      await page.goto(`${new URL(page.url()).pathname.replace(/\/parapheur\/dossiers\/.*/, '/parapheur')}?vue=a-traiter`);
      await page.getByTestId('inbox-DGS-a-traiter').click();
      await page.getByRole('link', { name: 'Arrêté 2026-12 : circulation rue des Écoles' }).click();
      await page.getByRole('button', { name: 'Viser' }).click();
      await page.getByText('Le dossier a été visé.').waitFor();
      await page.getByRole('button', { name: 'Se déconnecter' }).first().click();
      await page.locator('main h1', { hasText: 'Connexion à Paraphe' }).waitFor();

      // The maire: the signature step shows the sign-client command; the arrêté is rejected with a motif.
      await login(page, 'maire@saint-exemple.paraphe.test');
      await page.getByRole('link', { name: 'Mon parapheur' }).first().click();
      await page.getByRole('heading', { name: 'Maire — À traiter' }).waitFor();
      await page.getByRole('link', { name: 'Délibération 2026-050 : tarifs de la cantine' }).click();
      const cmd = (await page.getByTestId('sign-command').locator('pre').textContent()) ?? '';
      assert.match(cmd, /paraphe sign-client/);
      assert.ok(cmd.includes(`--dossier ${first}`), cmd);
      assert.match(cmd, /--email maire@saint-exemple\.paraphe\.test/);
      await page.getByTestId('annotations').getByText('Vu avec le service finances.').waitFor();
      await check(page, '25-parapheur-signature-maire');

      await page.getByRole('link', { name: 'Mon parapheur' }).first().click();
      await page.getByRole('link', { name: 'Arrêté 2026-12 : circulation rue des Écoles' }).click();
      await page.getByRole('button', { name: 'Rejeter' }).click();
      await page.getByRole('button', { name: 'Confirmer le rejet' }).click();
      await page.getByText('Le motif du rejet est obligatoire.').waitFor();
      await page.getByLabel('Motif du rejet (obligatoire)').fill('Le périmètre de la rue doit être précisé.');
      await check(page, '26-parapheur-rejet-motif');
      await page.getByRole('button', { name: 'Confirmer le rejet' }).click();
      await page.getByTestId('dossier-state').getByText('Rejeté').waitFor();
      await page.getByRole('cell', { name: 'Le périmètre de la rue doit être précisé.' }).waitFor();
      await check(page, '27-parapheur-dossier-rejete');
    } finally {
      await ctx.close();
    }
  });

  test('an admin creates a circuit in the editor; the ACTES screens', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      await login(page, 'admin@saint-exemple.paraphe.test');
      const cid = /\/c\/([0-9a-f-]{36})/.exec(page.url())![1]!;
      await page.goto(`/c/${cid}/administration/parapheur`);
      await page.getByRole('cell', { name: 'Visa DGS, signature du maire, cachet' }).first().waitFor();
      const editor = page.getByTestId('circuit-editor');
      await editor.getByLabel('Nom du circuit (obligatoire)').fill('Courrier : visa secrétariat, signature conjointe');
      await editor.getByRole('checkbox', { name: 'Secrétariat' }).check({ force: true });
      await editor.getByRole('button', { name: 'Ajouter une étape' }).click();
      await editor.getByLabel('Nature de l’étape 2').selectOption('signature');
      await editor.locator('fieldset', { hasText: 'Bureaux de l’étape 2' }).getByRole('checkbox', { name: 'Maire' }).check({ force: true });
      await editor.locator('fieldset', { hasText: 'Bureaux de l’étape 2' }).getByRole('checkbox', { name: 'DGS' }).check({ force: true });
      await editor.getByLabel('Règle de l’étape 2').selectOption('all');
      await editor.getByRole('button', { name: 'Ajouter une étape' }).click();
      await editor.getByLabel('Nature de l’étape 3').selectOption('cachet');
      await check(page, '28-admin-editeur-circuit');
      await editor.getByRole('button', { name: 'Créer le circuit' }).click();
      await page.getByText('Le circuit « Courrier : visa secrétariat, signature conjointe » a été créé.').waitFor();
      await page.getByRole('cell', { name: '1. Visa Secrétariat → 2. Signature Maire et DGS → 3. Cachet serveur' }).waitFor();
      await check(page, '29-admin-parapheur');

      // Edited in place: a visa by the émetteur's superior added and moved up to step 2 (with the keyboard), the signature made « any ».
      await page.getByRole('button', { name: 'Modifier le circuit « Courrier : visa secrétariat, signature conjointe »' }).click();
      await editor.getByRole('heading', { name: 'Modifier le circuit « Courrier : visa secrétariat, signature conjointe »' }).waitFor();
      assert.equal(await editor.getByLabel('Nom du circuit (obligatoire)').inputValue(), 'Courrier : visa secrétariat, signature conjointe');
      assert.equal(await editor.getByLabel('Règle de l’étape 2').inputValue(), 'all');
      await editor.getByRole('button', { name: 'Ajouter une étape' }).click();
      await editor.getByLabel('Nature de l’étape 4').selectOption('visa');
      await editor.getByLabel('Qui agit à l’étape 4').selectOption('superieur');
      await editor.getByRole('button', { name: 'Monter l’étape 4' }).focus();
      await page.keyboard.press('Enter');
      await editor.getByLabel('Qui agit à l’étape 3').waitFor();
      assert.equal(await editor.getByLabel('Qui agit à l’étape 3').inputValue(), 'superieur');
      await editor.getByRole('button', { name: 'Monter l’étape 3' }).focus();
      await page.keyboard.press('Enter');
      assert.equal(await editor.getByLabel('Qui agit à l’étape 2').inputValue(), 'superieur');
      await editor.getByLabel('Règle de l’étape 3').selectOption('any');
      // Step 1: a bureau chosen when the dossier is created, instead of the Secrétariat.
      await editor.getByLabel('Qui agit à l’étape 1').selectOption('variable');
      await editor.getByLabel('Nom du bureau à choisir pour l’étape 1').fill('service instructeur');
      await check(page, '29b-admin-editeur-circuit-modification');
      await editor.getByRole('button', { name: 'Enregistrer les modifications' }).click();
      await page.getByText('Le circuit « Courrier : visa secrétariat, signature conjointe » a été modifié. Les dossiers déjà envoyés gardent leurs étapes.').waitFor();
      await page.getByRole('cell', { name: '1. Visa (bureau « service instructeur » choisi à la création) → 2. Visa du supérieur de l’émetteur → 3. Signature Maire ou DGS → 4. Cachet serveur' }).waitFor();
      await editor.getByRole('heading', { name: 'Nouveau circuit' }).waitFor();

      // A typologie edited in place: its circuit and its visible mark.
      await page.getByRole('button', { name: 'Modifier la typologie « Actes — Délibération »' }).click();
      const typologieEditor = page.getByTestId('typologie-editor');
      await typologieEditor.getByRole('heading', { name: 'Modifier la typologie « Actes — Délibération »' }).waitFor();
      await typologieEditor.getByLabel('Circuit (obligatoire)').selectOption({ label: 'Courrier : visa secrétariat, signature conjointe' });
      await typologieEditor.getByLabel('Texte de la mention').fill('Signé électroniquement par {signataire} le {date}');
      // The PAdES level: the default unless chosen, offered for PAdES only.
      const niveau = typologieEditor.getByLabel('Niveau de signature PAdES');
      assert.equal(await niveau.inputValue(), '');
      assert.deepEqual(await niveau.locator('option').allTextContents(), ['Par défaut (B-T si un horodatage est configuré)', 'B-B', 'B-T', 'B-LT', 'B-LTA']);
      await typologieEditor.getByLabel('Format de signature').selectOption('xades');
      await niveau.waitFor({ state: 'detached' });
      await typologieEditor.getByLabel('Format de signature').selectOption('pades');
      await niveau.waitFor();
      await check(page, '29c-admin-editeur-typologie');
      await typologieEditor.getByRole('button', { name: 'Enregistrer les modifications' }).click();
      await page.getByText('La typologie « Actes — Délibération » a été modifiée. Les dossiers déjà envoyés gardent leurs réglages.').waitFor();
      const row = page.getByRole('row').filter({ hasText: 'Délibération' });
      await row.getByRole('cell', { name: 'Courrier : visa secrétariat, signature conjointe' }).waitFor();
      await row.getByRole('cell', { name: 'Signé électroniquement par {signataire} le {date}' }).waitFor();
      await row.getByRole('cell', { name: 'PADES (B-T si horodatage)' }).waitFor();

      // The next document of this typologie follows the edited circuit: the bureau « service instructeur » is chosen at creation.
      await page.goto(`/c/${cid}/parapheur`);
      await page.getByRole('link', { name: 'Nouveau document à signer' }).click();
      await page.locator('main h1', { hasText: 'Nouveau document à signer' }).waitFor();
      await page.getByLabel('Titre (obligatoire)').fill('Arrêté de voirie après modification du circuit');
      await page.getByLabel('Typologie (obligatoire)').selectOption({ label: 'Actes — Délibération' });
      await page.getByLabel('Bureau émetteur (obligatoire)').selectOption({ label: 'Secrétariat' });
      await page.getByLabel('Bureau « service instructeur » (obligatoire)').selectOption({ label: 'Maire' });
      await page.getByTestId('dropzone-principal').locator('input[type=file]').setInputFiles({ name: 'document.pdf', mimeType: 'application/pdf', buffer: await makePdf('Arrêté de voirie') });
      await page.getByText('document.pdf').waitFor();
      await page.getByRole('button', { name: 'Créer le document à signer' }).click();
      await page.waitForURL(/\/parapheur\/dossiers\/[0-9a-f-]{36}/);
      await send(page);
      const circuitList = page.getByTestId('circuit');
      await circuitList.getByText('Maire (attendu)').waitFor();
      assert.equal(await circuitList.locator('li').count(), 4);
      await circuitList.locator('li').nth(1).getByText('DGS').waitFor();

      await page.goto(`/c/${cid}/actes`);
      await page.locator('main h1', { hasText: 'Télétransmission des actes' }).waitFor();
      await page.waitForFunction("!/Chargement/.test(document.querySelector('main')?.textContent ?? '')");
      await check(page, '30-actes-liste');
    } finally {
      await ctx.close();
    }
  });
});
