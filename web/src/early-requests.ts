/**
 * The API reads a page makes first, known from its address alone. index.html starts them together with the
 * session request, while the application's script and style sheet download (this file is inlined there by
 * the paraphe:early-requests plugin of vite.config.ts), instead of once the script has run, the session is
 * known and the page has rendered: on a first visit that saved a whole server round trip after the script.
 * api() takes a started request over the first time the page asks for the same path (takeEarly in api.ts);
 * a navigation inside the application drops those not taken.
 *
 * Self-contained (no import): it runs before any module. Each path must be written as its page writes it;
 * test/e2e/web-load.test.ts checks that the main pages make no other read on a first visit.
 */

const C = '/api/collectivites/';
const TYPES = '/api/dossier-types';
const parisMonth = (d: Date): string => new Intl.DateTimeFormat('fr-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit' }).format(d).slice(0, 7);

type Reads = (p: { cid: string; id: string }, search: URLSearchParams, now: Date) => string[];

/** Route patterns as in routes.tsx → the GETs their page makes on its first render. */
const PAGES: [string, Reads][] = [
  ['/c/:cid', ({ cid }, _s, now) => [`${C}${cid}/dossiers?limit=200`, TYPES, `${C}${cid}/tableau-de-bord?mois=${parisMonth(now)}`]],
  [
    '/c/:cid/dossiers',
    ({ cid }, s) => {
      // DossierListPage's query string, in its order.
      const qs = new URLSearchParams({ limit: '20' });
      for (const [param, key] of [['type', 'type'], ['etat', 'state'], ['q', 'q'], ['curseur', 'cursor']] as const) {
        const v = s.get(param);
        if (v) qs.set(key, v);
      }
      return [TYPES, `${C}${cid}/dossiers?${qs}`];
    },
  ],
  ['/c/:cid/dossiers/nouveau', () => [TYPES]],
  ['/c/:cid/dossiers/:id', ({ cid, id }) => [TYPES, `${C}${cid}/dossiers/${id}`, `${C}${cid}/dossiers/${id}/history`]],
  ['/c/:cid/parapheur', ({ cid }) => [`${C}${cid}/parapheur/bannettes`]],
  ['/c/:cid/parapheur/dossiers/:id', ({ cid, id }) => [`${C}${cid}/parapheur/dossiers/${id}`, `${C}${cid}/parapheur/bureaux`]],
  ['/c/:cid/actes', ({ cid }, s) => (s.get('mois') ? [] : [`${C}${cid}/dossiers?type=actes`])],
  [
    '/c/:cid/helios',
    ({ cid }, s) => {
      if (s.get('mois')) return [TYPES, `${C}${cid}/helios-retours`];
      const qs = new URLSearchParams({ type: 'helios', limit: '200' });
      const state = s.get('etat');
      if (state) qs.set('state', state);
      return [TYPES, `${C}${cid}/dossiers?${qs}`, `${C}${cid}/helios-retours`];
    },
  ],
  ['/c/:cid/administration/utilisateurs', ({ cid }) => [`${C}${cid}/users`]],
  ['/c/:cid/administration/parapheur', ({ cid }) => [`${C}${cid}/parapheur/bureaux`, `${C}${cid}/parapheur/circuits`, `${C}${cid}/parapheur/typologies`, `${C}${cid}/users`]],
  ['/c/:cid/administration/jetons', ({ cid }) => [`${C}${cid}/api-tokens`]],
  ['/c/:cid/administration/journal', ({ cid }) => [`${C}${cid}/journal/verify`, `${C}${cid}/journal?limit=50`, TYPES]],
];

/** The paths to read early for a page address (none for an unknown one). */
export function earlyRequests(pathname: string, search: string, now: Date): string[] {
  const segments = pathname.split('/').filter(Boolean);
  for (const [pattern, reads] of PAGES) {
    const parts = pattern.split('/').filter(Boolean);
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    if (parts.every((p, i) => (p.startsWith(':') ? ((params[p.slice(1)] = segments[i]!), true) : p === segments[i]))) {
      return reads({ cid: params.cid ?? '', id: params.id ?? '' }, new URLSearchParams(search), now);
    }
  }
  return [];
}

/** A read started by index.html: its answer once it has come (`settled`), or the promise of it (null: no answer). */
export interface EarlyRead {
  settled?: { status: number; text: string };
  promise: Promise<{ status: number; text: string } | null>;
}

declare global {
  interface Window {
    /** The session request started by index.html before the application's script is loaded. */
    __parapheSession?: EarlyRead;
    /** The page's first reads started by index.html, by path, until the application takes them (api.ts). */
    __parapheEarly?: Record<string, EarlyRead>;
  }
}

/**
 * Run by index.html (the plugin appends the call): the session, then the page's reads, all at once. Each
 * answer is kept as text as soon as it comes, so that the application's first render can use those already
 * there without waiting (takeSettled in api.ts).
 */
export function startEarlyRequests(): void {
  const get = (path: string): EarlyRead => {
    const read: EarlyRead = {
      promise: fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then(async (res) => (read.settled = { status: res.status, text: await res.text() }))
        .catch(() => null),
    };
    return read;
  };
  window.__parapheSession = get('/api/auth/session');
  const early: Record<string, EarlyRead> = {};
  for (const path of earlyRequests(location.pathname, location.search, new Date())) early[path] = get(path);
  window.__parapheEarly = early;
}
