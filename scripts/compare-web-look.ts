/**
 * Checks that two builds of the web application look the same on the demo's main pages: the current web/dist
 * and another one (e.g. the web/dist of an earlier commit), swapped under one running platform. For each page:
 * full-page screenshots compared byte for byte, and the computed style of every element (and its ::before and
 * ::after) compared property by property; the differences are listed.
 *   node --import tsx scripts/compare-web-look.ts OTHER_DIST_DIR
 * Screenshots go to test-artifacts/look/<a|b>-<page>.png.
 */
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { demoMainPages, launchBrowser, newContext, startPlatform, timedGoto, type TimedPage } from '../test/e2e/support.ts';

const other = process.argv[2];
if (!other) throw new Error('usage: compare-web-look.ts OTHER_DIST_DIR');
const DIST = 'web/dist';
const OUT = join('test-artifacts', 'look');
mkdirSync(OUT, { recursive: true });
let swapped = false;
function swap(): void {
  renameSync(DIST, `${DIST}.swap`);
  renameSync(other!, DIST);
  renameSync(`${DIST}.swap`, other!);
  swapped = !swapped;
}

type Styles = { el: string; style: Record<string, string> }[];
// Runs in the page (the DOM types are not in the Node project's library).
const COLLECT = `(async () => {
  await document.fonts.ready;
  const out = [];
  const props = (cs) => { const o = {}; for (let i = 0; i < cs.length; i++) o[cs[i]] = cs.getPropertyValue(cs[i]); return o; };
  for (const el of document.querySelectorAll('body *')) {
    const d = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    const style = props(getComputedStyle(el));
    for (const pseudo of ['::before', '::after']) {
      const ps = getComputedStyle(el, pseudo);
      if (ps.content && ps.content !== 'none' && ps.content !== 'normal') for (const [k, v] of Object.entries(props(ps))) style[pseudo + ' ' + k] = v;
    }
    out.push({ el: d, style });
  }
  return out;
})()`;

async function capture(browser: Browser, url: string, cookies: Parameters<BrowserContext['addCookies']>[0], p: TimedPage, tag: string): Promise<{ styles: Styles; png: Buffer }> {
  const ctx = await newContext(browser, url);
  try {
    if (cookies.length) await ctx.addCookies(cookies);
    const page: Page = await ctx.newPage();
    await timedGoto(page, p.path, `look ${p.name}`, p.ready);
    await page.waitForTimeout(300); // icons (mask images) and fonts settle
    const styles = (await page.evaluate(COLLECT)) as Styles;
    const file = join(OUT, `${tag}-${p.name.replace(/\W+/g, '-')}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return { styles, png: readFileSync(file) };
  } finally {
    await ctx.close();
  }
}

const [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
let differing = 0;
try {
  const { cookies, pages } = await demoMainPages(browser, platform.url);
  for (const p of [{ name: 'connexion', path: '/connexion' }, ...pages]) {
    const ck = p.name === 'connexion' ? [] : cookies;
    const a = await capture(browser, platform.url, ck, p, 'a');
    swap();
    let b: Awaited<ReturnType<typeof capture>>;
    try {
      b = await capture(browser, platform.url, ck, p, 'b');
    } finally {
      swap();
    }
    const diffs: string[] = [];
    if (a.styles.length !== b.styles.length) diffs.push(`element count ${a.styles.length} ≠ ${b.styles.length}`);
    for (let i = 0; i < Math.min(a.styles.length, b.styles.length); i++) {
      const x = a.styles[i]!;
      const y = b.styles[i]!;
      if (x.el !== y.el) {
        diffs.push(`element ${i}: ${x.el} ≠ ${y.el}`);
        break;
      }
      for (const k of new Set([...Object.keys(x.style), ...Object.keys(y.style)])) {
        if (x.style[k] !== y.style[k]) diffs.push(`${x.el} ${k}: ${y.style[k] ?? '∅'} → ${x.style[k] ?? '∅'}`);
      }
    }
    const same = a.png.equals(b.png);
    if (!same || diffs.length) differing++;
    console.log(`${p.name}: screenshot ${same ? 'identical' : 'DIFFERENT'}, ${diffs.length} computed-style difference(s) (other build → this build)`);
    for (const d of diffs.slice(0, 15)) console.log(`    ${d.slice(0, 300)}`);
  }
} finally {
  if (swapped) swap();
  await browser.close();
  await platform.stop();
}
console.log(differing ? `${differing} page(s) differ` : 'every page looks the same');
