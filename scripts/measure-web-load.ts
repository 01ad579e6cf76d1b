/**
 * Measures the load times of the demo's main pages, cold (new browser context, empty cache, session cookie
 * carried over) and warm (same page again), several runs, and prints the median of each.
 *   node --import tsx scripts/measure-web-load.ts [--runs 3] [--detail]
 * --detail also prints, for the first cold run of each page, the resources fetched (start → end, bytes) and the
 * paint timings from Chromium's performance entries: where the cold time goes.
 * Needs the web app and the bundle built (node scripts/build-web.mjs, node scripts/build-bundle.mjs).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectiviteIdOf, launchBrowser, login, newContext, startPlatform, timeColdAndWarm, timedGoto, type TimedPage } from '../test/e2e/support.ts';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] || 3) || 3;
const detail = args.includes('--detail');

async function demoPages(browser: Browser, url: string): Promise<{ cookies: Awaited<ReturnType<BrowserContext['cookies']>>; pages: TimedPage[] }> {
  const ctx = await newContext(browser, url);
  try {
    const page = await ctx.newPage();
    await login(page, 'admin@saint-exemple.paraphe.test');
    const cid = collectiviteIdOf(page);
    const list = (await (await page.request.get(`/api/collectivites/${cid}/dossiers?limit=1`)).json()) as { items: { id: string }[] };
    const pages: TimedPage[] = [
      { name: 'tableau de bord', path: `/c/${cid}`, ready: (p) => p.getByText('Ce qui m’attend').waitFor() },
      { name: 'mon parapheur', path: `/c/${cid}/parapheur` },
      { name: 'dossiers', path: `/c/${cid}/dossiers` },
      { name: 'nouveau dossier', path: `/c/${cid}/dossiers/nouveau` },
      ...(list.items[0] ? [{ name: 'dossier avec PDF affiché', path: `/c/${cid}/dossiers/${list.items[0].id}`, ready: (p: Page) => p.locator('[data-testid=pdf-canvas][data-rendered-page="1"]').waitFor() }] : []),
      { name: 'actes', path: `/c/${cid}/actes` },
      { name: 'helios', path: `/c/${cid}/helios` },
      { name: 'utilisateurs', path: `/c/${cid}/administration/utilisateurs` },
      { name: 'administration parapheur', path: `/c/${cid}/administration/parapheur` },
      { name: 'jetons', path: `/c/${cid}/administration/jetons` },
      { name: 'journal vérifié', path: `/c/${cid}/administration/journal`, ready: (p) => p.getByText('Journal intègre').waitFor() },
    ];
    return { cookies: await ctx.cookies(), pages };
  } finally {
    await ctx.close();
  }
}

async function details(browser: Browser, url: string, cookies: Parameters<typeof timeColdAndWarm>[2], p: TimedPage): Promise<void> {
  const ctx = await newContext(browser, url);
  try {
    if (cookies.length) await ctx.addCookies(cookies);
    const page = await ctx.newPage();
    const ms = await timedGoto(page, p.path, `${p.name} (détail)`, p.ready);
    const e = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const paints = performance.getEntriesByType('paint').map((x) => `${x.name} ${Math.round(x.startTime)}`);
      const res = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((r) => `${Math.round(r.startTime).toString().padStart(5)} → ${Math.round(r.responseEnd).toString().padStart(5)}  ${String(r.transferSize).padStart(7)} B  ${r.name.replace(location.origin, '')}`);
      return { nav: `responseEnd ${Math.round(nav.responseEnd)}, DOMContentLoaded ${Math.round(nav.domContentLoadedEventEnd)}, load ${Math.round(nav.loadEventEnd)}`, paints, res };
    });
    console.log(`\n— ${p.name} (froid) : ${ms} ms — ${e.nav}; ${e.paints.join(', ')}\n  ${e.res.join('\n  ')}`);
  } finally {
    await ctx.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
try {
  const { cookies, pages } = await demoPages(browser, platform.url);
  const all: TimedPage[] = [{ name: 'connexion', path: '/connexion' }, ...pages];
  if (detail) for (const p of all) await details(browser, platform.url, p.name === 'connexion' ? [] : cookies, p);
  const samples: Record<string, { froid: number[]; chaud: number[] }> = {};
  for (let r = 0; r < runs; r++) {
    const t = {
      ...(await timeColdAndWarm(browser, platform.url, [], all.slice(0, 1))),
      ...(await timeColdAndWarm(browser, platform.url, cookies, pages)),
    };
    for (const [k, v] of Object.entries(t)) {
      samples[k] ??= { froid: [], chaud: [] };
      samples[k].froid.push(v.froid);
      samples[k].chaud.push(v.chaud);
    }
  }
  console.log(`\nMédiane de ${runs} passages (ms, navigation jusqu’à page utilisable) :`);
  console.log('page'.padEnd(28) + 'froid'.padStart(8) + 'chaud'.padStart(8) + '   (froid / chaud de chaque passage)');
  for (const [k, v] of Object.entries(samples)) {
    console.log(k.padEnd(28) + String(median(v.froid)).padStart(8) + String(median(v.chaud)).padStart(8) + `   ${v.froid.join(' ')} / ${v.chaud.join(' ')}`);
  }
} finally {
  await browser.close();
  await platform.stop();
}
