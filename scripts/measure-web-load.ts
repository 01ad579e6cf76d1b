/**
 * Measures the load times of the demo's main pages, cold (new browser context, empty cache, session cookie
 * carried over) and warm (same page again), several runs, and prints the median of each.
 *   node --import tsx scripts/measure-web-load.ts [--runs 3] [--detail]
 * --detail also prints, for the first cold run of each page, the resources fetched (start → end, bytes) and the
 * paint timings from Chromium's performance entries: where the cold time goes.
 * --cpu also prints, per page, the median CPU time a cold load costs the browser (all Chromium processes started by
 * this script) and the platform (its process), read from /proc: unlike elapsed times, hardly changed by the
 * other programs loading the machine.
 * --main-thread also prints, per page, the median CPU time of the page's renderer main thread during a cold load
 * (thread time of its tasks in Chromium's trace: script, style, layout, paint, parsing), with the requests made
 * and the bytes transferred: what the page itself costs, whatever the load of the machine.
 * --compare DIR alternates, run by run, the build in web/dist with another build of the application (DIR, e.g. the
 * web/dist of an earlier commit) by swapping the two folders under the running platform: both measured under the
 * same load of the machine. The swap is undone at the end.
 * Needs the web app and the bundle built (node scripts/build-web.mjs, node scripts/build-bundle.mjs).
 */
import { readdirSync, readFileSync, renameSync } from 'node:fs';
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

/** CPU time (user + system, ms) of this process's descendants: Chromium's processes and the platform's. */
function cpuOfDescendants(): { browser: number; server: number } {
  const procs = new Map<number, { ppid: number; comm: string; ticks: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const f = stat.slice(close + 2).split(' ');
      procs.set(Number(d), { comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      /* exited meanwhile */
    }
  }
  const out = { browser: 0, server: 0 };
  for (const [pid, p] of procs) {
    let a = p.ppid;
    while (a > 1 && a !== process.pid) a = procs.get(a)?.ppid ?? 0;
    if (a !== process.pid || pid === process.pid) continue;
    if (/chrom/i.test(p.comm)) out.browser += p.ticks * 10;
    else if (p.comm === 'node') out.server += p.ticks * 10;
  }
  return out;
}

async function coldCpu(browser: Browser, url: string, cookies: Parameters<typeof timeColdAndWarm>[2], p: TimedPage): Promise<{ browser: number; server: number }> {
  const ctx = await newContext(browser, url);
  try {
    if (cookies.length) await ctx.addCookies(cookies);
    const page = await ctx.newPage();
    await page.goto('about:blank');
    const before = cpuOfDescendants();
    await timedGoto(page, p.path, `${p.name} (cpu)`, p.ready);
    const after = cpuOfDescendants();
    return { browser: after.browser - before.browser, server: after.server - before.server };
  } finally {
    await ctx.close();
  }
}

/** A cold load traced: CPU time of the renderer main thread's tasks (ms), requests made, bytes transferred. */
async function coldMainThread(browser: Browser, url: string, cookies: Parameters<typeof timeColdAndWarm>[2], p: TimedPage): Promise<{ cpu: number; requests: number; bytes: number }> {
  const ctx = await newContext(browser, url);
  try {
    if (cookies.length) await ctx.addCookies(cookies);
    const page = await ctx.newPage();
    await page.goto('about:blank');
    let requests = 0;
    page.on('request', () => requests++);
    await browser.startTracing(page, { categories: ['toplevel'] });
    await timedGoto(page, p.path, `${p.name} (fil principal)`, p.ready);
    const bytes = (await page.evaluate("performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((n, r) => n + r.transferSize, 0)")) as number;
    const { traceEvents } = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: { name: string; ph: string; tdur?: number; pid: number; tid: number; args?: { name?: string } }[] };
    const main = new Set(traceEvents.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
    const us = traceEvents.filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && main.has(`${e.pid}:${e.tid}`)).reduce((n, e) => n + (e.tdur ?? 0), 0);
    return { cpu: Math.round(us / 1000), requests, bytes };
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
  if (args.includes('--cpu')) {
    const cpu = builds.map(() => ({}) as Record<string, { browser: number[]; server: number[] }>);
    for (let r = 0; r < runs; r++) {
      for (let b = 0; b < builds.length; b++) {
        if (b === 1) swap();
        try {
          for (const p of all) {
            const c = await coldCpu(browser, platform.url, p.name === 'connexion' ? [] : cookies, p);
            cpu[b]![p.name] ??= { browser: [], server: [] };
            cpu[b]![p.name]!.browser.push(c.browser);
            cpu[b]![p.name]!.server.push(c.server);
          }
        } finally {
          if (swapped) swap();
        }
      }
    }
    builds.forEach((name, b) => {
      console.log(`\n${name} — temps CPU d’un chargement à froid, médiane de ${runs} (ms) :`);
      console.log('page'.padEnd(28) + 'Chromium'.padStart(10) + 'serveur'.padStart(10));
      for (const [k, v] of Object.entries(cpu[b]!)) console.log(k.padEnd(28) + String(median(v.browser)).padStart(10) + String(median(v.server)).padStart(10));
    });
  }
  if (args.includes('--main-thread')) {
    const out = builds.map(() => ({}) as Record<string, { cpu: number[]; requests: number[]; bytes: number[] }>);
    for (let r = 0; r < runs; r++) {
      for (let b = 0; b < builds.length; b++) {
        if (b === 1) swap();
        try {
          for (const p of all) {
            const c = await coldMainThread(browser, platform.url, p.name === 'connexion' ? [] : cookies, p);
            const o = (out[b]![p.name] ??= { cpu: [], requests: [], bytes: [] });
            o.cpu.push(c.cpu);
            o.requests.push(c.requests);
            o.bytes.push(c.bytes);
          }
        } finally {
          if (swapped) swap();
        }
      }
    }
    builds.forEach((name, b) => {
      console.log(`\n${name} — chargement à froid, médiane de ${runs} : CPU du fil principal de la page (ms), requêtes, octets transférés :`);
      console.log('page'.padEnd(28) + 'CPU'.padStart(8) + 'requêtes'.padStart(10) + 'Ko'.padStart(8) + '   (CPU de chaque passage)');
      for (const [k, v] of Object.entries(out[b]!)) console.log(k.padEnd(28) + String(median(v.cpu)).padStart(8) + String(median(v.requests)).padStart(10) + String(Math.round(median(v.bytes) / 1024)).padStart(8) + `   ${v.cpu.join(' ')}`);
    });
  }
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
