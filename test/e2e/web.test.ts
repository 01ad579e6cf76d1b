/**
 * The web application end to end: the real platform (demo data) and Debian's Chromium. Each scenario saves
 * screenshots of its main screens and runs axe-core on every main page (no serious or critical violation).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { apiReadsOfColdLoad, collectiviteIdOf, check, demoMainPages, launchBrowser, login, makePdf, newContext, startPlatform, timeColdAndWarm, type Platform } from './support.ts';

let platform: Platform;
let browser: Browser;

before(async () => {
  [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await platform?.stop();
});

describe('web application', { timeout: 600_000 }, () => {
  test('an agent creates a versement-ged dossier with a PDF, runs « verser » and sees it reach « Versé en GED »', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      await page.goto('/');
      await page.locator('main h1', { hasText: 'Connexion à Paraphe' }).waitFor();
      await check(page, '01-connexion');
      await login(page, 'agent@saint-exemple.paraphe.test');
      const cid = collectiviteIdOf(page);
      await page.locator('main h1', { hasText: 'Tableau de bord' }).waitFor();
      await page.getByText('À traiter par moi').first().waitFor();
      await check(page, '02-agent-tableau-de-bord');

      await page.getByRole('link', { name: 'Nouveau dossier' }).click();
      await page.locator('main h1', { hasText: 'Nouveau dossier' }).waitFor();
      await page.getByLabel('Type de dossier (obligatoire)').selectOption('versement-ged');
      await page.getByLabel('Titre (obligatoire)').fill('Délibération n° 2026-041 : budget supplémentaire');
      await page.getByLabel('Catégorie documentaire (obligatoire)').fill('Délibérations');
      await page.getByLabel('Mots-clés').fill('budget, conseil municipal');
      const pdf = await makePdf('Deliberation 2026-041');
      await page.getByTestId('dropzone-principal').locator('input[type=file]').setInputFiles({ name: 'deliberation-2026-041.pdf', mimeType: 'application/pdf', buffer: pdf });
      // The annexe arrives by drag and drop, as a person would drop it from the file manager.
      const annexe = (await makePdf('Annexe budgetaire')).toString('base64');
      const dataTransfer = await page.evaluateHandle((b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        // Runs in the page: the browser's DataTransfer (not in Node's type library).
        const g = globalThis as unknown as { DataTransfer: new () => { items: { add(f: File): void } } };
        const dt = new g.DataTransfer();
        dt.items.add(new File([bytes], 'annexe-budgetaire.pdf', { type: 'application/pdf' }));
        return dt;
      }, annexe);
      await page.getByTestId('dropzone-annexes').dispatchEvent('drop', { dataTransfer });
      await page.getByText('annexe-budgetaire.pdf').waitFor();
      await check(page, '03-agent-nouveau-dossier');

      await page.getByRole('button', { name: 'Créer le dossier' }).click();
      await page.waitForURL(/\/dossiers\/[0-9a-f-]{36}/);
      await page.locator('main h1', { hasText: 'Délibération n° 2026-041' }).waitFor();
      await page.locator('[data-testid=pdf-canvas][data-rendered-page="1"]').waitFor();
      await page.getByText('Page 1 sur 1').waitFor();
      assert.match((await page.getByTestId('dossier-state').textContent()) ?? '', /Brouillon/);
      assert.equal(await page.getByRole('link', { name: /Télécharger/ }).count(), 2);
      await check(page, '04-agent-dossier-brouillon');

      await page.getByRole('button', { name: 'Verser en GED' }).click();
      await page.getByTestId('dossier-state').getByText('Versé en GED').waitFor({ timeout: 60_000 });
      await page.getByRole('cell', { name: 'Traitement automatique terminé' }).waitFor();
      await check(page, '05-agent-dossier-verse');

      await page.goto(`/c/${cid}/dossiers`);
      await page.getByLabel('État').selectOption({ label: 'Versé en GED' });
      await page.getByLabel('Rechercher dans les titres').fill('2026-041');
      await page.getByRole('button', { name: 'Filtrer' }).click();
      await page.waitForURL(/etat=verse/);
      await page.getByRole('link', { name: /Délibération n° 2026-041/ }).waitFor();
      await check(page, '06-agent-liste-dossiers');

      await page.getByRole('button', { name: 'Se déconnecter' }).first().click();
      await page.locator('main h1', { hasText: 'Connexion à Paraphe' }).waitFor();
    } finally {
      await ctx.close();
    }
  });

  test('an élu cannot create a dossier: no button, and the French refusal', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      // Keyboard only: the page's heading takes the focus, then Tab walks the form in order.
      await page.goto('/connexion');
      await page.locator('main h1', { hasText: 'Connexion à Paraphe' }).waitFor();
      await page.keyboard.press('Tab');
      await page.keyboard.type('maire@saint-exemple.paraphe.test');
      await page.keyboard.press('Tab');
      await page.keyboard.type('paraphe-demo-2026');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/c\/[0-9a-f-]{36}$/);
      const cid = collectiviteIdOf(page);
      await page.getByText('À traiter par moi').first().waitFor();
      assert.equal(await page.getByRole('link', { name: 'Nouveau dossier' }).count(), 0);
      await check(page, '10-elu-tableau-de-bord');
      await page.goto(`/c/${cid}/dossiers`);
      await page.locator('main h1', { hasText: 'Dossiers' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'Nouveau dossier' }).count(), 0);
      assert.equal(await page.getByRole('link', { name: 'Administration' }).count(), 0);

      await page.goto(`/c/${cid}/dossiers/nouveau`);
      await page.getByText('Accès refusé').waitFor();
      await page.getByText(/ne permet pas de créer un dossier/).waitFor();
      await check(page, '11-elu-creation-refusee');

      // The API refuses as well, in French, whatever the interface shows.
      const res = await page.evaluate(async (c) => {
        const s = (await (await fetch('/api/auth/session')).json()) as { csrfToken: string };
        const r = await fetch(`/api/collectivites/${c}/dossiers`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrfToken }, body: JSON.stringify({ type: 'versement-ged', title: 'Essai', metadata: { categorie: 'x' } }) });
        return { status: r.status, body: (await r.json()) as { message: string } };
      }, cid);
      assert.equal(res.status, 403);
      assert.equal(res.body.message, 'Votre rôle dans cette collectivité ne permet pas cette action.');

      await page.goto(`/c/${cid}/administration/utilisateurs`);
      await page.getByText('Cette page est réservée aux administrateurs de la collectivité.').waitFor();
    } finally {
      await ctx.close();
    }
  });

  test('an admin adds a user, creates an API token shown once, and sees the journal « intègre »', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      await login(page, 'admin@saint-exemple.paraphe.test');
      const cid = collectiviteIdOf(page);

      await page.getByRole('button', { name: 'Administration' }).click();
      await page.getByRole('link', { name: 'Utilisateurs et rôles' }).click();
      await page.locator('main h1', { hasText: 'Utilisateurs et rôles' }).waitFor();
      await page.getByRole('cell', { name: 'agent@saint-exemple.paraphe.test' }).waitFor();
      await page.getByLabel('Adresse électronique (obligatoire)').fill('secretariat@saint-exemple.paraphe.test');
      await page.getByLabel('Nom affiché (obligatoire)').fill('Claire Martin');
      await page.getByLabel('Rôle (obligatoire)').selectOption('agent');
      await page.getByLabel('Mot de passe initial (facultatif)').fill('un-mot-de-passe-solide');
      await page.getByRole('button', { name: 'Ajouter l’utilisateur' }).click();
      await page.getByText('Claire Martin a été ajouté(e) avec le rôle « Agent ».').waitFor();
      await page.getByRole('cell', { name: 'secretariat@saint-exemple.paraphe.test' }).waitFor();
      await check(page, '20-admin-utilisateurs');

      await page.goto(`/c/${cid}/administration/jetons`);
      await page.locator('main h1', { hasText: 'Jetons d’API' }).waitFor();
      await page.getByLabel('Nom du jeton (obligatoire)').fill('Logiciel de gestion financière');
      await page.locator('label', { hasText: 'Lire le journal de preuve' }).click(); // DSFR draws the box on the label
      assert.ok(await page.getByLabel('Lire le journal de preuve').isChecked());
      await page.getByRole('button', { name: 'Créer le jeton' }).click();
      const token = (await page.getByTestId('new-token').innerText()).trim();
      assert.ok(token.length > 20, `token shown: ${token}`);
      await page.getByRole('cell', { name: 'Logiciel de gestion financière', exact: true }).waitFor();
      await check(page, '21-admin-jeton-cree');
      // The token works against the API, and is never shown again.
      const r = await fetch(`${platform.url}/api/collectivites/${cid}/dossiers`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 200);
      await page.reload();
      await page.getByRole('cell', { name: 'Logiciel de gestion financière', exact: true }).waitFor();
      assert.equal(await page.getByTestId('new-token').count(), 0);
      assert.equal(await page.getByText(token).count(), 0);

      await page.goto(`/c/${cid}/administration/journal`);
      await page.getByTestId('journal-verification').getByText('Journal intègre').waitFor();
      await page.getByRole('cell', { name: 'Jeton d’API créé' }).first().waitFor();
      await check(page, '22-admin-journal');
    } finally {
      await ctx.close();
    }
  });

  test('operator staff create a collectivité and intervene in one with a motif, under a banner', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      await login(page, 'admin@cdg-demo.paraphe.test');
      await page.waitForURL(/\/operateur$/);
      await page.getByRole('cell', { name: 'Commune de Saint-Exemple', exact: true }).waitFor();
      await page.getByLabel('Nom (obligatoire)').fill('Commune de Test-sur-Mer');
      await page.getByLabel('SIREN (obligatoire)').fill(validSiren('21620999'));
      await page.getByLabel('Département (obligatoire)').fill('062');
      await page.getByLabel('Population (facultatif)').fill('1234');
      await page.getByRole('button', { name: 'Créer la collectivité' }).click();
      await page.getByText('La collectivité « Commune de Test-sur-Mer » a été créée.').waitFor();
      await page.getByRole('cell', { name: 'Commune de Test-sur-Mer', exact: true }).waitFor();
      await check(page, '30-operateur-collectivites');

      await page.getByRole('button', { name: 'Intervenir dans Commune de Saint-Exemple' }).click();
      await page.getByLabel('Motif de l’intervention (obligatoire)').fill('Demande d’assistance n° 4242 de la secrétaire de mairie');
      await page.getByRole('button', { name: 'Commencer l’intervention' }).click();
      await page.locator('main h1', { hasText: 'Tableau de bord' }).waitFor();
      await page.getByText(/Mode intervention de l’opérateur/).waitFor();
      await page.getByText(/Demande d’assistance n° 4242/).first().waitFor();
      await check(page, '31-operateur-intervention');

      await page.getByRole('button', { name: 'Terminer l’intervention' }).click();
      await page.waitForURL(/\/operateur$/);
      assert.equal(await page.getByText(/Mode intervention de l’opérateur/).count(), 0);
    } finally {
      await ctx.close();
    }
  });

  test('someone in two collectivités switches between them, with the role of each', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      // Beaumont's admin adds Saint-Exemple's agent as an élu of Beaumont.
      await login(page, 'admin@beaumont.paraphe.test');
      const beaumont = collectiviteIdOf(page);
      await page.goto(`/c/${beaumont}/administration/utilisateurs`);
      await page.getByLabel('Adresse électronique (obligatoire)').fill('agent@saint-exemple.paraphe.test');
      await page.getByLabel('Nom affiché (obligatoire)').fill('Agent de Saint-Exemple');
      await page.getByLabel('Rôle (obligatoire)').selectOption('elu');
      await page.getByRole('button', { name: 'Ajouter l’utilisateur' }).click();
      await page.getByText(/a été ajouté\(e\) avec le rôle « Élu »/).waitFor();
      await page.getByRole('button', { name: 'Se déconnecter' }).first().click();
      await page.locator('main h1', { hasText: 'Connexion à Paraphe' }).waitFor();

      await login(page, 'agent@saint-exemple.paraphe.test');
      const switcher = page.getByLabel('Collectivité', { exact: true });
      await switcher.waitFor();
      await page.getByRole('link', { name: 'Nouveau dossier' }).waitFor(); // Agent in the first one
      await switcher.selectOption(beaumont);
      await page.waitForURL(new RegExp(`/c/${beaumont}$`));
      await page.locator('main h1', { hasText: 'Beaumont-sur-Démo' }).waitFor();
      await page.getByText('À traiter par moi').first().waitFor();
      assert.equal(await page.getByRole('link', { name: 'Nouveau dossier' }).count(), 0); // Élu there
      await check(page, '40-changement-de-collectivite');
    } finally {
      await ctx.close();
    }
  });

  test('a first visit of each main page asks for its data from index.html, before the application’s script has run, and only once', async () => {
    const { cookies, pages } = await demoMainPages(browser, platform.url);
    const cid = pages[0]!.path.split('/')[2]!;
    // The page of a dossier, and a list with filters in its address, besides the demo's main pages.
    const d = await (await fetch(`${platform.url}/api/collectivites/${cid}/dossiers?limit=1`, { headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') } })).json() as { items: { id: string }[] };
    const extra = [{ name: 'dossiers filtrés', path: `/c/${cid}/dossiers?type=versement-ged&etat=brouillon&q=conseil` }, ...(d.items[0] ? [{ name: 'dossier', path: `/c/${cid}/dossiers/${d.items[0].id}` }] : [])];
    for (const p of [...pages, ...extra]) {
      const { reads, untaken } = await apiReadsOfColdLoad(browser, platform.url, cookies, p);
      // A document's content is named by the dossier's answer: the PDF shown is fetched once that has come.
      const late = reads.filter((r) => !r.byIndexHtml && !/\/documents\/[^/]+\/content$/.test(r.path)).map((r) => r.path);
      assert.deepEqual(late, [], `${p.name}: reads started by the application's script, after it was loaded and run`);
      assert.ok(reads.some((r) => r.path === '/api/auth/session'), p.name);
      assert.equal(new Set(reads.map((r) => r.path)).size, reads.length, `${p.name}: a read made twice: ${reads.map((r) => r.path).join(', ')}`);
      assert.deepEqual(untaken, [], `${p.name}: reads started early that the page did not use`);
    }
  });

  test('page load times of the demo pages are measured, cold and warm (navigation to usable)', async () => {
    // Cold: a new browser context (empty HTTP cache, the session cookie carried over); warm: the same page again.
    const { cookies, pages } = await demoMainPages(browser, platform.url);
    const times = {
      ...(await timeColdAndWarm(browser, platform.url, [], [{ name: 'connexion', path: '/connexion' }])),
      ...(await timeColdAndWarm(browser, platform.url, cookies, pages)),
    };
    console.log('Temps de chargement (ms, navigation complète jusqu’à page utilisable ; test-artifacts/load-times.json) :');
    console.table(times);
    assert.ok(times['dossier avec PDF affiché'], 'the dossiers created above include one with its PDF');
    for (const [k, v] of Object.entries(times)) assert.ok(v.froid > 0 && v.chaud > 0, k);
  });
});

/** Completes 8 digits with the Luhn key (SIREN). */
function validSiren(first8: string): string {
  for (let d = 0; d <= 9; d++) {
    const s = first8 + d;
    let sum = 0;
    for (let i = 0; i < 9; i++) {
      let n = Number(s[8 - i]);
      if (i % 2 === 1) {
        n *= 2;
        if (n > 9) n -= 9;
      }
      sum += n;
    }
    if (sum % 10 === 0) return s;
  }
  throw new Error('unreachable');
}
