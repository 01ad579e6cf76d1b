/**
 * Two administrators edit the same circuit: the one who opened the editor before the other saved gets the 409
 * message in the editor (« … a été modifié par quelqu’un d’autre depuis que vous l’avez ouvert … »), his
 * change is not applied, and after reloading he sees the current version.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { asDemoAdmin, check, collectiviteIdOf, launchBrowser, login, newContext, screenshot, startPlatform, type Platform } from './support.ts';

let platform: Platform;
let browser: Browser;

before(async () => {
  [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await platform?.stop();
});

const CIRCUIT = 'Visa DGS, signature du maire, cachet';
const ELSEWHERE = 'Visa DGS, signature du maire, cachet (modifié ailleurs)';

/** The other administrator (API, own session): renames the circuit, which moves its version on. */
async function editElsewhere(cid: string): Promise<void> {
  await asDemoAdmin(platform.url, async (api, headers) => {
    const P = `/api/collectivites/${cid}/parapheur`;
    const circuits = (await (await api.get(`${P}/circuits`)).json()) as { items: { id: string; name: string; version: number; steps: unknown[] }[] };
    const c = circuits.items.find((x) => x.name === CIRCUIT)!;
    const res = await api.put(`${P}/circuits/${c.id}`, { headers, data: { name: ELSEWHERE, steps: c.steps, version: c.version } });
    assert.equal(res.status(), 200, await res.text());
  });
}

describe('circuit editor', { timeout: 600_000 }, () => {
  test('saving a circuit edited from a stale version shows the 409 message; the other edit stays', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      await login(page, 'admin@saint-exemple.paraphe.test');
      const cid = collectiviteIdOf(page);
      await page.goto(`/c/${cid}/administration/parapheur`);
      await page.getByRole('cell', { name: CIRCUIT, exact: true }).first().waitFor();
      await page.getByRole('button', { name: `Modifier le circuit « ${CIRCUIT} »` }).click();
      const editor = page.getByTestId('circuit-editor');
      await editor.getByRole('heading', { name: `Modifier le circuit « ${CIRCUIT} »` }).waitFor();

      // Meanwhile, someone else saves the same circuit.
      await editElsewhere(cid);

      await editor.getByLabel('Nom du circuit (obligatoire)').fill('Visa DGS, signature du maire, cachet — ma version');
      await editor.getByRole('button', { name: 'Enregistrer les modifications' }).click();
      const alert = editor.getByRole('alert').filter({ hasText: 'Le circuit n’a pas pu être enregistré' });
      await alert.getByText(`Le circuit « ${ELSEWHERE} » a été modifié par quelqu’un d’autre depuis que vous l’avez ouvert : rechargez la page pour voir la version actuelle, puis refaites votre modification.`).waitFor();
      await check(page, '29d-admin-circuit-modifie-ailleurs');

      // Nothing of this edit was applied; reloaded, the page shows the other one.
      await page.reload();
      await page.getByRole('cell', { name: ELSEWHERE, exact: true }).first().waitFor();
      assert.equal(await page.getByRole('cell', { name: 'Visa DGS, signature du maire, cachet — ma version' }).count(), 0);
    } catch (e) {
      await screenshot(page, '59-echec-circuit-modifie-ailleurs').catch(() => undefined);
      throw e;
    } finally {
      await ctx.close();
    }
  });
});
