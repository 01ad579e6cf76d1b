/**
 * End-to-end support: the real platform started as a child process (embedded database, demo data, temp data
 * dir, free port) and Debian's Chromium driven by playwright-core. Screenshots go to
 * test-artifacts/screenshots/, load times to test-artifacts/load-times.json.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium, request, type APIRequestContext, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const DEMO_PASSWORD = 'paraphe-demo-2026';
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = join('test-artifacts', 'screenshots');
const LOAD_TIMES = join('test-artifacts', 'load-times.json');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** The web app must be built (npm ci does it through `prepare`); build it here if a checkout skipped that. */
export function ensureWebBuilt(): void {
  const index = join('web', 'dist', 'index.html');
  if (existsSync(index) && newestMtime('web', ['dist']) <= statSync(index).mtimeMs) return;
  const r = spawnSync(process.execPath, ['scripts/build-web.mjs'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build:web failed');
}

/** Newest modification time of the web app's sources (a stale build is rebuilt before the tests). */
function newestMtime(dir: string, skip: string[]): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (skip.includes(e.name)) continue;
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p, []) : statSync(p).mtimeMs);
  }
  return newest;
}

export interface Platform {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * The README's start command on a new data directory. Without `simulators`, the demo's préfecture and Hélios
 * simulators are not started (`--no-simulators`): no demo acte or PES is sent, the screens start empty.
 */
export async function startPlatform(opts: { simulators?: boolean } = {}): Promise<Platform> {
  ensureWebBuilt();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'paraphe-e2e-'));
  const child: ChildProcess = spawn(process.execPath, ['bin/paraphe.mjs', 'start', ...(opts.simulators ? [] : ['--no-simulators'])], {
    env: { ...process.env, PORT: String(port), PARAPHE_DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`platform exited (${child.exitCode}):\n${out}`);
    if (out.includes('Comptes de démonstration')) {
      try {
        const r = await fetch(`${url}/api/health`);
        if (r.ok) break;
      } catch {
        /* not listening yet */
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`platform did not start in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    dataDir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run scripts/setup-system.sh (Debian package "chromium")`);
  return chromium.launch({
    env: { ...process.env, LANG: 'fr_FR.UTF-8', LANGUAGE: 'fr' },
    executablePath: CHROMIUM,
    headless: true,
    args: ['--lang=fr-FR', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-dev-shm-usage'],
  });
}

export async function newContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({ baseURL, locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width: 1280, height: 900 } });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export async function login(page: Page, email: string): Promise<void> {
  await page.goto('/connexion');
  await page.getByLabel('Adresse électronique').fill(email);
  await page.getByLabel('Mot de passe').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/connexion'));
  await page.locator('main h1').waitFor();
}

const axeSource: string = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** axe-core injected in the page: WCAG 2.1 A/AA rules (the basis of the RGAA). Returns serious and critical violations. */
export async function accessibilityProblems(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: axeSource });
  const res = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    return axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
  });
  return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function describeViolations(v: AxeViolation[]): string {
  return v.map((x) => `${x.impact} ${x.id}: ${x.help}\n    ${x.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} — ${n.failureSummary ?? ''}`.replace(/\n/g, ' ')).join('\n    ')}`).join('\n');
}

/** Records how long a page took from navigation start to usable (its heading shown, its data loaded). */
export function recordLoadTime(name: string, ms: number): void {
  mkdirSync('test-artifacts', { recursive: true });
  let all: Record<string, number> = {};
  try {
    all = JSON.parse(readFileSync(LOAD_TIMES, 'utf8')) as Record<string, number>;
  } catch {
    /* first record */
  }
  all[name] = Math.round(ms);
  writeFileSync(LOAD_TIMES, JSON.stringify(all, null, 2) + '\n');
}

/** Navigates with a full page load and waits until the page is usable: heading shown, no loading indicator left. */
export async function timedGoto(page: Page, path: string, name: string, ready?: (p: Page) => Promise<unknown>): Promise<number> {
  const t0 = Date.now();
  await page.goto(path, { waitUntil: 'domcontentloaded' });
  await page.locator('main h1').waitFor();
  await page.waitForFunction("!/Chargement|Vérification de la chaîne/.test(document.querySelector('main')?.textContent ?? '')");
  if (ready) await ready(page);
  const ms = Date.now() - t0;
  recordLoadTime(name, ms);
  return ms;
}

/** A main page of the application whose load time is measured. `ready` waits for what makes it usable beyond its heading. */
export interface TimedPage {
  name: string;
  path: string;
  ready?: (p: Page) => Promise<unknown>;
}

/**
 * Times each page twice, from navigation to usable: cold (a new browser context, so an empty HTTP cache, with
 * the given session cookies carried over) then warm (the same page loaded again in that context, assets
 * cached). Records both in test-artifacts/load-times.json as "<name> (froid)" and "<name> (chaud)".
 */
export async function timeColdAndWarm(browser: Browser, baseURL: string, cookies: Parameters<BrowserContext['addCookies']>[0], pages: TimedPage[]): Promise<Record<string, { froid: number; chaud: number }>> {
  const out: Record<string, { froid: number; chaud: number }> = {};
  for (const p of pages) {
    const ctx = await newContext(browser, baseURL);
    try {
      if (cookies.length) await ctx.addCookies(cookies);
      const page = await ctx.newPage();
      const froid = await timedGoto(page, p.path, `${p.name} (froid)`, p.ready);
      const chaud = await timedGoto(page, p.path, `${p.name} (chaud)`, p.ready);
      out[p.name] = { froid, chaud };
    } finally {
      await ctx.close();
    }
  }
  return out;
}

/**
 * The demo's main pages as the admin of Saint-Exemple sees them, with the session cookies of that login (for
 * timeColdAndWarm and scripts/measure-web-load.ts). The login page itself is timed without cookies.
 */
export async function demoMainPages(browser: Browser, baseURL: string): Promise<{ cookies: Parameters<BrowserContext['addCookies']>[0]; pages: TimedPage[] }> {
  const ctx = await newContext(browser, baseURL);
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

/** An API read of a page load: its path and query, and whether index.html's own script started it (not the application's). */
export interface ApiRead {
  path: string;
  byIndexHtml: boolean;
}

/**
 * Loads a page cold (new context, empty cache, the given cookies) until usable and lists the API GETs it made,
 * each with who started it (the initiator's script, from Chromium's network events), and the reads index.html
 * started early that the page never took (web/src/early-requests.ts).
 */
export async function apiReadsOfColdLoad(browser: Browser, baseURL: string, cookies: Parameters<BrowserContext['addCookies']>[0], p: TimedPage): Promise<{ reads: ApiRead[]; untaken: string[] }> {
  const ctx = await newContext(browser, baseURL);
  try {
    if (cookies.length) await ctx.addCookies(cookies);
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    const reads: ApiRead[] = [];
    cdp.on('Network.requestWillBeSent', (e) => {
      const url = new URL(e.request.url);
      if (e.request.method !== 'GET' || !url.pathname.startsWith('/api/')) return;
      const frames = e.initiator.stack?.callFrames ?? [];
      reads.push({ path: url.pathname + url.search, byIndexHtml: frames.length > 0 && frames.every((f) => !new URL(f.url, baseURL).pathname.startsWith('/assets/')) });
    });
    await timedGoto(page, p.path, `${p.name} (lectures)`, p.ready);
    const untaken = (await page.evaluate('Object.keys(window.__parapheEarly ?? {})')) as string[];
    return { reads, untaken };
  } finally {
    await ctx.close();
  }
}

/** A one-page PDF made on the spot (pdf-lib, already a dependency). */
export async function makePdf(text: string): Promise<Buffer> {
  const { PDFDocument, StandardFonts } = await import('@cantoo/pdf-lib');
  const doc = await PDFDocument.create();
  const page = doc.addPage([595, 842]);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText(text, { x: 60, y: 760, size: 18, font });
  page.drawText('Document de test de bout en bout', { x: 60, y: 730, size: 12, font });
  return Buffer.from(await doc.save());
}

/** Screenshot + accessibility check (axe: no serious or critical violation) of the page as it is now. */
export async function check(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  const problems = await accessibilityProblems(page);
  assert.equal(problems.length, 0, `accessibility problems on ${name}:\n${describeViolations(problems)}`);
}

/** The collectivité of the page's URL (/c/:cid/...). */
export function collectiviteIdOf(page: Page): string {
  const m = /\/c\/([0-9a-f-]{36})/.exec(new URL(page.url()).pathname);
  assert.ok(m, `no collectivité in ${page.url()}`);
  return m[1]!;
}

/** Runs `fn` in an API session of the demo collectivité's admin (its own cookies; `headers` carry the CSRF token). */
export async function asDemoAdmin(baseURL: string, fn: (api: APIRequestContext, headers: Record<string, string>) => Promise<void>): Promise<void> {
  const api = await request.newContext({ baseURL });
  try {
    const session = await api.post('/api/auth/login', { data: { email: 'admin@saint-exemple.paraphe.test', password: DEMO_PASSWORD } });
    assert.equal(session.status(), 200, await session.text());
    await fn(api, { 'x-csrf-token': ((await session.json()) as { csrfToken: string }).csrfToken });
  } finally {
    await api.dispose();
  }
}
