/** Thin client for the platform's API: same origin, session cookie, CSRF token on every write. */
import type { EarlyRead } from './early-requests';

export interface ApiErrorBody {
  code: string;
  message: string;
  details: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.status = status;
    this.code = body.code;
    this.details = body.details;
  }
}

let csrfToken = '';
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

function toError(status: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as Partial<ApiErrorBody>;
    if (typeof body.message === 'string') return new ApiError(status, { code: body.code ?? 'ERROR', message: body.message, details: body.details ?? null });
  } catch {
    /* not JSON: generic message below */
  }
  return new ApiError(status, { code: 'HTTP_' + status, message: `Le serveur a répondu par une erreur (${status}). Réessayez dans un instant.`, details: null });
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  if (method === 'GET') {
    // The page's first read, already started by index.html (early-requests.ts): its answer if it got one.
    const early = takeEarly(path);
    const got = early ? (early.settled ?? (await early.promise)) : null;
    if (got && ok(got.status)) return parse<T>(got.text);
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, { code: 'NETWORK', message: 'Le serveur ne répond pas : vérifiez votre connexion puis réessayez.', details: null });
  }
  return read<T>(res);
}

const ok = (status: number) => status >= 200 && status < 300;
const parse = <T>(text: string): T => (text ? JSON.parse(text) : null) as T;

/** The request index.html started for this path, once; none after a navigation inside the application. */
function takeEarly(path: string): EarlyRead | undefined {
  const early = window.__parapheEarly?.[path];
  if (early) delete window.__parapheEarly![path];
  return early;
}

/**
 * The answer of the read index.html started for this path if it has already come and succeeded (taken: the
 * page renders with it at once, no request, no loading state); undefined otherwise (api() will wait for it).
 */
export function takeSettled<T>(path: string): T | undefined {
  const early = window.__parapheEarly?.[path];
  if (!early?.settled || !ok(early.settled.status)) return undefined;
  delete window.__parapheEarly![path];
  return parse<T>(early.settled.text);
}

/** A navigation inside the application: the reads started for the first page are no longer wanted. */
export function dropEarlyRequests(): void {
  window.__parapheEarly = undefined;
}

/**
 * GET /api/auth/session: the first time, the answer to the request index.html started early (if it got
 * one), afterwards a new request.
 */
export async function sessionRequest<T>(): Promise<T> {
  const early = window.__parapheSession;
  window.__parapheSession = undefined;
  const got = early ? (early.settled ?? (await early.promise)) : null;
  if (!got) return api<T>('GET', '/api/auth/session');
  if (!ok(got.status)) throw toError(got.status, got.text);
  return parse<T>(got.text);
}

/** The session if index.html's request for it has already been answered: the user (null: not logged in), undefined if not known yet. */
export function settledSession<T>(): T | null | undefined {
  const got = window.__parapheSession?.settled;
  if (!got || !(ok(got.status) || got.status === 401)) return undefined;
  window.__parapheSession = undefined;
  return ok(got.status) ? parse<T>(got.text) : null;
}

async function read<T>(res: Response): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw toError(res.status, text);
  return parse<T>(text);
}

/** Multipart upload with progress (fetch has no upload progress: XMLHttpRequest does). */
export function uploadFile<T>(path: string, file: File, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(JSON.parse(xhr.responseText) as T);
      } else reject(toError(xhr.status, xhr.responseText));
    };
    xhr.onerror = () => reject(new ApiError(0, { code: 'NETWORK', message: 'L’envoi du fichier a échoué : vérifiez votre connexion puis réessayez.', details: null }));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return 'Une erreur inattendue est survenue. Rechargez la page puis réessayez.';
}

/** Field-level messages from a validation error (zod issues in `details`), keyed by the field's path. */
export function fieldErrors(e: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(e instanceof ApiError) || !e.details || typeof e.details !== 'object') return out;
  // Acte metadata errors name their field (`{ errors: [{ field, message }] }`).
  const named = (e.details as { errors?: unknown }).errors;
  if (Array.isArray(named)) for (const x of named as { field?: string; message?: string }[]) if (x.field && x.message) out[x.field] = x.message;
  const issues = (e.details as { issues?: unknown }).issues ?? (Array.isArray(e.details) ? e.details : null);
  if (!Array.isArray(issues)) return out;
  for (const i of issues as { path?: (string | number)[]; message?: string }[]) {
    if (i.path && i.message) out[i.path.join('.')] = i.message;
  }
  return out;
}
