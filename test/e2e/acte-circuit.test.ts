/**
 * Issue 6's acte scenario end to end, as the demo's users do it in the browser: the agent creates an acte
 * (form from the préfecture's classification, PDF dropped and sent with progress), submits it to the circuit
 * « Visa DGS, signature du maire, cachet » from the acte page, vises it as DGS in Mon parapheur; the maire
 * signs with `paraphe sign-client` run as a real process with the demo PKCS#12; the seal step runs by itself;
 * the acte page follows the acte to « Acquittement reçu » from the préfecture simulator; the stamped PDF and
 * the AR are downloaded from the page and checked with pdfsig and pdftotext. Then the HELIOS flow page of
 * the demo's acquitted PES shows its acquittement table. Screenshots, axe-core and load times for each screen.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { collectiviteIdOf, check, DEMO_PASSWORD, launchBrowser, login, makePdf, newContext, screenshot, startPlatform, timedGoto, type Platform } from './support.ts';

let platform: Platform;
let browser: Browser;
const work = mkdtempSync(join(tmpdir(), 'paraphe-e2e-acte-'));

before(async () => {
  [platform, browser] = await Promise.all([startPlatform({ simulators: true }), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await platform?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Runs a command line as shown on the page (`paraphe …` is this checkout's bin/paraphe.mjs). */
function runShown(command: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const args = command.replace(/\\\n/g, ' ').trim().split(/\s+/);
  assert.equal(args.shift(), 'paraphe');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/paraphe.mjs', ...args], { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.error, undefined, `${cmd}: ${String(r.error)}`);
  return `${r.stdout}${r.stderr}`;
}

const NUMERO = '2026_E2E_01';
const OBJET = "Tarifs du centre de loisirs pour l'été";
const CHILD_TITLE = `Acte n° ${NUMERO} — ${OBJET}`;

describe('an acte through the visa + signature + cachet circuit to the préfecture, in the browser', { timeout: 900_000 }, () => {
  test('create, submit, visa, sign-client, seal, transmitted and acknowledged, stamped PDF and AR downloaded', async (t) => {
    const agentCtx = await newContext(browser, platform.url);
    const maireCtx = await newContext(browser, platform.url);
    const page = await agentCtx.newPage();
    try {
      await login(page, 'agent@saint-exemple.paraphe.test');
      const cid = collectiviteIdOf(page);

      // Télétransmission → « Nouvel acte »: the acte's form, its choices from the demo's classification.
      await timedGoto(page, `/c/${cid}/actes`, 'actes-liste', (p) => p.getByRole('link', { name: 'Nouvel acte' }).waitFor());
      await page.getByRole('link', { name: 'Nouvel acte' }).click();
      await page.locator('main h1', { hasText: 'Nouveau dossier' }).waitFor();
      assert.equal(await page.getByLabel('Type de dossier (obligatoire)').inputValue(), 'actes');
      await page.getByLabel('Nature de l’acte (obligatoire)').selectOption({ label: 'Délibération' });
      await page.getByLabel('Matière de la classification (obligatoire)').selectOption('7.1');
      await page.getByLabel('Numéro de l’acte (obligatoire)').fill(NUMERO);
      const today = new Intl.DateTimeFormat('fr-CA', { timeZone: 'Europe/Paris' }).format(new Date());
      await page.getByLabel('Date de la décision (obligatoire)').fill(today.split('-').reverse().join('/')); // typed as in France, JJ/MM/AAAA
      await page.getByLabel('Objet (obligatoire)').fill(OBJET);
      await page.getByLabel('Type de pièce de l’acte (obligatoire)').selectOption('99_DE');
      // The PDF arrives by drag and drop, as from the file manager.
      const pdf = (await makePdf('Deliberation 2026_E2E_01')).toString('base64');
      const dataTransfer = await page.evaluateHandle((b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const g = globalThis as unknown as { DataTransfer: new () => { items: { add(f: File): void } } };
        const dt = new g.DataTransfer();
        dt.items.add(new File([bytes], 'deliberation-centre-loisirs.pdf', { type: 'application/pdf' }));
        return dt;
      }, pdf);
      await page.getByTestId('dropzone-principal').dispatchEvent('drop', { dataTransfer });
      await page.getByText('deliberation-centre-loisirs.pdf').waitFor();
      await check(page, '40-acte-nouveau');

      // The upload's progress bar is watched while it lasts (the page moves on as soon as the file is in).
      await page.evaluate(() => {
        const g = globalThis as unknown as { __progress: number[]; document: { querySelectorAll(s: string): ArrayLike<{ value: number }> }; MutationObserver: new (cb: () => void) => { observe(n: unknown, o: unknown): void } };
        g.__progress = [];
        new g.MutationObserver(() => {
          for (const p of Array.from(g.document.querySelectorAll('main progress'))) g.__progress.push(p.value);
        }).observe((globalThis as unknown as { document: { body: unknown } }).document.body, { subtree: true, childList: true, attributes: true });
      });
      await page.getByRole('button', { name: 'Créer l’acte' }).click();
      await page.waitForURL(/\/actes\/[0-9a-f-]{36}/);
      const acteId = /actes\/([0-9a-f-]{36})/.exec(page.url())![1]!;
      const progress = await page.evaluate(() => (globalThis as unknown as { __progress: number[] }).__progress);
      assert.ok(progress.length > 0, 'the upload showed its progress bar');
      await page.locator('main h1', { hasText: OBJET }).waitFor();
      await page.getByTestId('acte-state').getByText('En attente d’être posté').waitFor();
      await page.getByText('L’acte a été créé.').waitFor();
      const idActe = (await page.locator('dt', { hasText: 'Identifiant de l’acte' }).locator('xpath=following-sibling::dd').textContent())!.trim();
      assert.match(idActe, new RegExp(`-${today.replaceAll('-', '')}-${NUMERO}-DE$`));
      await check(page, '41-acte-cree');

      // Submitted to the circuit from the acte page: the demo typologie and the agent's Secrétariat bureau.
      await page.getByLabel('Typologie du parapheur (obligatoire)').selectOption({ label: 'Actes — Délibération' });
      await page.getByLabel('Bureau émetteur (obligatoire)').selectOption({ label: 'Secrétariat' });
      await page.getByRole('button', { name: 'Soumettre à la signature' }).click();
      await page.getByTestId('acte-state').getByText('En attente de signature').waitFor();
      await page.getByRole('heading', { name: 'Circuit de signature' }).waitFor();
      await page.getByText(/^Visa : DGS \(/).waitFor();
      // Nothing to stamp before the acte is sent: no download link yet.
      assert.equal(await page.getByRole('link', { name: /acte tamponné/ }).count(), 0);
      await check(page, '42-acte-a-signer');

      // The DGS (held by the demo agent) vises it in Mon parapheur.
      await page.getByRole('link', { name: 'Mon parapheur' }).first().click();
      await page.getByTestId('inbox-DGS-a-traiter').click();
      await page.getByRole('heading', { name: 'DGS — À traiter' }).waitFor();
      await page.getByRole('link', { name: CHILD_TITLE }).click();
      await page.locator('[data-testid=pdf-canvas][data-rendered-page="1"]').waitFor();
      await check(page, '43-acte-parapheur-visa-dgs');
      await page.getByRole('button', { name: 'Viser' }).click();
      await page.getByText('Le dossier a été visé.').waitFor();
      await page.getByTestId('circuit').getByText('Maire (attendu)').waitFor();

      // The agent keeps the acte page open: it follows the acte by itself from now on.
      await page.goto(`/c/${cid}/actes/${acteId}`);
      await page.getByTestId('acte-state').getByText('En attente de signature').waitFor();
      // Every state the page shows is noted (a string script: tsx would add helpers a page does not have).
      await page.evaluate(`(() => {
        window.__states = [];
        const note = () => {
          const t = document.querySelector('[data-testid=acte-state]')?.textContent ?? '';
          if (t && window.__states.at(-1) !== t) window.__states.push(t);
        };
        note();
        new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
      })()`);

      // The maire: the signature step shows the sign-client command, run here as on the maire's computer.
      const maire = await maireCtx.newPage();
      await login(maire, 'maire@saint-exemple.paraphe.test');
      await timedGoto(maire, `/c/${cid}/parapheur`, 'parapheur-maire', (p) => p.getByRole('link', { name: CHILD_TITLE }).waitFor());
      await maire.getByRole('link', { name: CHILD_TITLE }).click();
      const command = (await maire.getByTestId('sign-command').locator('pre').textContent()) ?? '';
      assert.match(command, /^paraphe sign-client/);
      await maire.locator('[data-testid=pdf-canvas][data-rendered-page="1"]').waitFor();
      await check(maire, '44-acte-parapheur-signature-maire');
      const pkiDir = join(platform.dataDir, 'demo-pki');
      const p12 = join(pkiDir, readdirSync(pkiDir).find((f) => /^maire-saint-exemple.*\.p12$/.test(f))!);
      const signed = await runShown(command.replace('<votre-certificat.p12>', p12), { PARAPHE_PASSWORD: DEMO_PASSWORD, PARAPHE_P12_PASSWORD: 'paraphe-demo-p12' });
      assert.equal(signed.code, 0, signed.out);
      assert.match(signed.out, /Signature acceptée/);
      // The seal step needs no click: the maire's page shows the dossier signed once the server has sealed it.
      await maire.getByTestId('dossier-state').getByText(/^Signé/).waitFor({ timeout: 120_000 });
      await maire.getByTestId('circuit').getByText('Cachet serveur').waitFor();
      await check(maire, '45-acte-parapheur-signe-cachete');

      // Back on the agent's acte page: transmitted, then acknowledged by the préfecture simulator.
      await page.getByTestId('acte-state').getByText('Acquittement reçu').waitFor({ timeout: 180_000 });
      const seen = await page.evaluate(() => (globalThis as unknown as { __states: string[] }).__states);
      assert.equal(seen[0], 'En attente de signature', seen.join(' → '));
      assert.equal(seen.at(-1), 'Acquittement reçu', seen.join(' → '));
      await page.getByRole('cell', { name: 'Accusé de réception', exact: true }).waitFor();
      await timedGoto(page, `/c/${cid}/actes/${acteId}`, 'acte-acquitte', (p) => p.getByTestId('acte-state').getByText('Acquittement reçu').waitFor());
      // Calendar days, in French, without a made-up time.
      const sentOn = (await page.locator('dt', { hasText: 'Envoyé le' }).locator('xpath=following-sibling::dd').textContent())!.trim();
      assert.match(sentOn, /^\d{1,2} [a-zéû]+ \d{4}$/, sentOn);
      t.diagnostic(`states shown live on the acte page: ${seen.join(' → ')}`);
      await check(page, '46-acte-acquitte');

      // Downloads, from the page's links.
      const stampedPath = join(work, 'acte-tamponne.pdf');
      const arPath = join(work, 'ar.xml');
      const [stamped] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Télécharger l’acte tamponné (PDF)' }).click()]);
      await stamped.saveAs(stampedPath);
      const [ar] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Télécharger l’accusé de réception de la préfecture' }).click()]);
      await ar.saveAs(arPath);
      assert.match(readFileSync(arPath, 'utf8'), /ARActe/);
      assert.match(readFileSync(arPath, 'utf8'), new RegExp(idActe));

      // pdfsig: the maire's signature and the seal, both valid, with the demo CA trusted.
      const nss = join(work, 'nss');
      mkdirSync(nss);
      tool('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password']);
      tool('certutil', ['-A', '-d', `sql:${nss}`, '-n', 'paraphe-demo-ca', '-t', 'CT,C,C', '-i', join(pkiDir, 'demo-ca.pem')]);
      const sigs = tool('pdfsig', ['-nssdir', `sql:${nss}`, stampedPath]);
      assert.equal(sigs.match(/Signature Validation: Signature is Valid\./g)?.length, 2, sigs);
      assert.equal(sigs.match(/Certificate Validation: Certificate is Trusted\./g)?.length, 2, sigs);
      assert.match(sigs, /Maire de démonstration/);
      // pdftotext: the four stamp lines.
      const text = tool('pdftotext', [stampedPath, '-']);
      const fr = today.split('-').reverse().join('/');
      assert.match(text, new RegExp(`Envoyé en préfecture le ${fr}`), text);
      assert.match(text, /Reçu en préfecture le \d{2}\/\d{2}\/\d{4}/, text);
      assert.match(text, /Publié le/, text);
      assert.match(text, new RegExp(`ID : ${idActe}`), text);

      // The dossier's history keeps each step: transmitted, then acknowledged.
      await page.getByRole('link', { name: 'Voir le dossier complet (documents, historique, actions)' }).click();
      await page.getByRole('heading', { name: 'Historique' }).waitFor();
      const history = (await page.getByRole('table', { name: 'Historique du dossier' }).textContent()) ?? '';
      assert.match(history, /vers : Transmis(?!sion).*Accusé de réception de la préfecture reçu.*vers : Acquittement reçu/s, history);
      await page.getByRole('cell', { name: 'Acte signé au parapheur' }).waitFor();
      // The acte's informations are named in French.
      await page.getByText('Date de la décision', { exact: true }).waitFor();
      await page.getByText('Type de pièce de l’acte', { exact: true }).waitFor();
      await page.locator('[data-testid=pdf-canvas][data-rendered-page="1"]').waitFor();
      await check(page, '47-acte-dossier-historique');
    } catch (e) {
      await screenshot(page, '49-echec-acte').catch(() => undefined);
      throw e;
    } finally {
      await agentCtx.close();
      await maireCtx.close();
    }
  });

  test('the HELIOS flow page of the demo’s acquitted PES shows the acquittement per bordereau', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      await login(page, 'agent@saint-exemple.paraphe.test');
      const cid = collectiviteIdOf(page);
      await timedGoto(page, `/c/${cid}/helios`, 'helios-liste');
      const flow = page.getByRole('link', { name: /^PES DEMO-/ }).first();
      const href = (await flow.getAttribute('href'))!;
      // The demo PES is acquitted a few seconds after the start: reload as a user would until it is.
      for (let i = 0; ; i++) {
        await timedGoto(page, href, 'helios-flux-acquitte');
        if ((await page.getByTestId('helios-state').textContent())?.includes('Acquittement reçu')) break;
        assert.ok(i < 60, `the demo PES is still « ${await page.getByTestId('helios-state').textContent()} »`);
        await page.waitForTimeout(2000);
      }
      await page.getByRole('heading', { name: 'Acquittement de la trésorerie' }).waitFor();
      await page.getByText('Flux accepté par Hélios.').waitFor();
      const table = page.getByRole('table', { name: 'Acquittement par domaine, bordereau et pièce' });
      const rows = table.locator('tbody tr');
      assert.ok((await rows.count()) >= 1);
      for (const row of await rows.all()) assert.match((await row.textContent()) ?? '', /Accepté/);
      assert.ok((await table.locator('tbody tr', { hasText: /Accepté/ }).filter({ has: page.locator('td:nth-child(2)', { hasText: /\d/ }) }).count()) >= 1, 'a bordereau number in the acquittement');
      await page.getByRole('heading', { name: 'Contenu du flux' }).waitFor();
      await page.waitForFunction("!/Lecture du fichier PES/.test(document.querySelector('main')?.textContent ?? '')");
      await check(page, '48-helios-flux-acquitte');
    } catch (e) {
      await screenshot(page, '49-echec-helios').catch(() => undefined);
      throw e;
    } finally {
      await ctx.close();
    }
  });
});
