/**
 * Measures the load times of the demo's main pages, cold (new browser context, empty cache, session cookie
 * carried over) and warm (same page again), several runs, and prints the median of each.
 *   node --import tsx scripts/measure-web-load.ts [--runs 3] [--detail]
 * --detail also prints, for the first cold run of each page, the resources fetched (start → end, bytes) and the
 * paint timings from Chromium's performance entries: where the cold time goes.
 * --compare DIR alternates, run by run, the build in web/dist with another build of the application (DIR, e.g. the
 * web/dist of an earlier commit) by swapping the two folders under the running platform: both measured under the
 * same load of the machine. The swap is undone at the end.
 * Needs the web app and the bundle built (node scripts/build-web.mjs, node scripts/build-bundle.mjs).
 */
import { renameSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { demoMainPages, launchBrowser, newContext, startPlatform, timeColdAndWarm, timedGoto, type TimedPage } from '../test/e2e/support.ts';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] || 3) || 3;
const detail = args.includes('--detail');
const compare = args.includes('--compare') ? args[args.indexOf('--compare') + 1] : undefined;
const DIST = 'web/dist';
let swapped = false;
function swap(): void {
  renameSync(DIST, `${DIST}.swap`);
  renameSync(compare!, DIST);
  renameSync(`${DIST}.swap`, compare!);
  swapped = !swapped;
}

async function details(browser: Browser, url: string, cookies: Parameters<typeof timeColdAndWarm>[2], p: TimedPage): Promise<void> {
  const ctx = await newContext(browser, url);
  try {
    if (cookies.length) await ctx.addCookies(cookies);
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Performance.enable');
    const ms = await timedGoto(page, p.path, `${p.name} (détail)`, p.ready);
    const { metrics } = await cdp.send('Performance.getMetrics');
    const m = (n: string) => Math.round((metrics.find((x) => x.name === n)?.value ?? 0) * 1000);
    const main = `main thread: tasks ${m('TaskDuration')} ms (script ${m('ScriptDuration')}, style ${m('RecalcStyleDuration')}, layout ${m('LayoutDuration')})`;
    // Runs in the page (the DOM types are not in the Node project's library).
    const e = (await page.evaluate(`(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const paints = performance.getEntriesByType('paint').map((x) => x.name + ' ' + Math.round(x.startTime));
      const res = performance.getEntriesByType('resource').map((r) => String(Math.round(r.startTime)).padStart(5) + ' → ' + String(Math.round(r.responseEnd)).padStart(5) + '  ' + String(r.transferSize).padStart(7) + ' B  ' + r.name.replace(location.origin, ''));
      return { nav: 'responseEnd ' + Math.round(nav.responseEnd) + ', DOMContentLoaded ' + Math.round(nav.domContentLoadedEventEnd) + ', load ' + Math.round(nav.loadEventEnd), paints, res };
    })()`)) as { nav: string; paints: string[]; res: string[] };
    console.log(`\n— ${p.name} (froid) : ${ms} ms — ${main}\n  ${e.nav}; ${e.paints.join(', ')}\n  ${e.res.join('\n  ')}`);
  } finally {
    await ctx.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
try {
  const { cookies, pages } = await demoMainPages(browser, platform.url);
  const all: TimedPage[] = [{ name: 'connexion', path: '/connexion' }, ...pages];
  if (detail) for (const p of all) await details(browser, platform.url, p.name === 'connexion' ? [] : cookies, p);
  const builds = compare ? ['web/dist', compare] : ['web/dist'];
  const samples = builds.map(() => ({}) as Record<string, { froid: number[]; chaud: number[] }>);
  for (let r = 0; r < runs; r++) {
    for (let b = 0; b < builds.length; b++) {
      if (b === 1) swap();
      try {
        const t = {
          ...(await timeColdAndWarm(browser, platform.url, [], all.slice(0, 1))),
          ...(await timeColdAndWarm(browser, platform.url, cookies, pages)),
        };
        for (const [k, v] of Object.entries(t)) {
          samples[b]![k] ??= { froid: [], chaud: [] };
          samples[b]![k]!.froid.push(v.froid);
          samples[b]![k]!.chaud.push(v.chaud);
        }
      } finally {
        if (swapped) swap();
      }
    }
  }
  builds.forEach((name, b) => {
    console.log(`\n${name} — médiane de ${runs} passages (ms, navigation jusqu’à page utilisable) :`);
    console.log('page'.padEnd(28) + 'froid'.padStart(8) + 'chaud'.padStart(8) + '   (froid / chaud de chaque passage)');
    for (const [k, v] of Object.entries(samples[b]!)) {
      console.log(k.padEnd(28) + String(median(v.froid)).padStart(8) + String(median(v.chaud)).padStart(8) + `   ${v.froid.join(' ')} / ${v.chaud.join(' ')}`);
    }
  });
} finally {
  if (swapped) swap();
  await browser.close();
  await platform.stop();
}
