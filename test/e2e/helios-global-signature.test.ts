/**
 * A PES flow signed globally through the web UI: the agent deposits an unsigned PES_Aller (its bordereaux carry
 * an Id, so by default each would be signed), submits it to the parapheur asking for « Une signature globale du
 * fichier », the DGS vises it in Mon parapheur and the collectivité's seal signs the whole PES_Aller once: the
 * flow's readable view then says its bordereaux are covered by the global signature. The XAdES circuit (visa
 * DGS, cachet) is set up by the collectivité admin through the API beforehand (the demo has PAdES ones only).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { demoPesAller } from '../../src/demo/seed-teletransmission-demo.ts';
import { withLuhnKey } from '../../src/tenancy/siren.ts';
import { asDemoAdmin, check, collectiviteIdOf, launchBrowser, login, newContext, screenshot, startPlatform, timedGoto, type Platform } from './support.ts';

let platform: Platform;
let browser: Browser;

before(async () => {
  [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
});
after(async () => {
  await browser?.close();
  await platform?.stop();
});

/** As the collectivité admin (API): circuit « visa DGS, cachet » and typologie « Helios / PES cacheté » in XAdES. */
async function xadesTypologie(cid: string): Promise<void> {
  await asDemoAdmin(platform.url, async (api, headers) => {
    const P = `/api/collectivites/${cid}/parapheur`;
    const bureaux = (await (await api.get(`${P}/bureaux`)).json()) as { items: { id: string; name: string }[] };
    const dgs = bureaux.items.find((b) => b.name === 'DGS')!.id;
    const circuit = await api.post(`${P}/circuits`, { headers, data: { name: 'PES : visa DGS, cachet', steps: [{ kind: 'visa', actors: { type: 'bureaux', bureauIds: [dgs], mode: 'any' } }, { kind: 'cachet' }] } });
    assert.equal(circuit.status(), 201, await circuit.text());
    const typologie = await api.post(`${P}/typologies`, { headers, data: { type: 'Helios', sousType: 'PES cacheté', circuitId: ((await circuit.json()) as { id: string }).id, format: 'xades' } });
    assert.equal(typologie.status(), 201, await typologie.text());
  });
}

describe('HELIOS: a global signature asked from the web UI', { timeout: 600_000 }, () => {
  test('deposit an unsigned PES, submit it asking for a global signature, visa DGS, seal: covered by the global signature', async () => {
    const ctx = await newContext(browser, platform.url);
    const page = await ctx.newPage();
    try {
      await login(page, 'agent@saint-exemple.paraphe.test');
      const cid = collectiviteIdOf(page);
      await xadesTypologie(cid);
      const siret = withLuhnKey(`${withLuhnKey('21620123')}0001`);
      const nomFic = `E2E-GLOBAL-${Date.now()}`;
      const pes = Buffer.from(demoPesAller(siret, nomFic, new Date().toISOString().slice(0, 10)).toString('latin1').replace('<IdBord V="1"/>', '<IdBord V="3"/>'), 'latin1');
      assert.match(pes.toString('latin1'), /<Bordereau Id="/, 'its bordereaux carry an Id: per-bordereau signatures unless asked otherwise');

      await timedGoto(page, `/c/${cid}/helios`, 'helios-liste');
      await page.getByLabel('Fichier PES_Aller (XML)').setInputFiles({ name: `${nomFic}.xml`, mimeType: 'application/xml', buffer: pes });
      await page.getByRole('button', { name: 'Déposer le flux' }).click();
      await page.waitForURL(/\/helios\/[0-9a-f-]{36}$/);
      const fluxUrl = new URL(page.url()).pathname;
      await page.getByTestId('helios-state').getByText('Posté (fichier valide)').waitFor();
      await page.getByText('Non signé').first().waitFor();

      await page.getByLabel('Typologie du parapheur (obligatoire)').selectOption({ label: 'Helios — PES cacheté' });
      await page.getByLabel('Bureau émetteur (obligatoire)').selectOption({ label: 'Secrétariat' });
      const group = page.getByRole('group', { name: /Signature du flux PES/ });
      assert.equal(await group.getByLabel(/Une signature par bordereau/).isChecked(), true, 'per bordereau by default');
      await group.getByText('Une signature globale du fichier').click();
      assert.equal(await group.getByLabel(/Une signature globale du fichier/).isChecked(), true);
      await page.getByLabel(/Transmettre à la trésorerie dès la signature/).uncheck({ force: true });
      await check(page, '53-helios-soumettre-signature-globale');
      await page.getByRole('button', { name: 'Soumettre à la signature' }).click();
      await page.getByTestId('helios-state').getByText('En attente de signature').waitFor();

      // The DGS (held by the demo agent) vises it; the seal step follows without a click.
      await page.getByRole('link', { name: 'Mon parapheur' }).first().click();
      await page.getByTestId('inbox-DGS-a-traiter').click();
      await page.getByRole('link', { name: new RegExp(nomFic) }).click();
      await page.getByRole('button', { name: 'Viser' }).click();
      await page.getByText('Le dossier a été visé.').waitFor();

      await page.goto(fluxUrl);
      await page.getByTestId('helios-state').getByText('Signé, prêt à transmettre').waitFor({ timeout: 120_000 });
      await page.getByText('Signature globale du fichier (PES_Aller)').waitFor();
      const bordereau = page.getByRole('region', { name: /^Bordereau de mandats n° 3/ });
      await bordereau.getByText('Couvert par la signature globale').waitFor();
      assert.equal(await bordereau.getByText('Signé', { exact: true }).count(), 0, 'the bordereau is not signed on its own');
      await check(page, '54-helios-flux-signe-globalement');
    } catch (e) {
      await screenshot(page, '59-echec-helios-signature-globale').catch(() => undefined);
      throw e;
    } finally {
      await ctx.close();
    }
  });
});
