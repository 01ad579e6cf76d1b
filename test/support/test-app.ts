/**
 * A platform for one test file: a fresh database, a temp data dir, the real Fastify app, and helpers to
 * sign in and call the API like a browser (cookie + CSRF) or business software (bearer token).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createDeps } from '../../src/app/create-deps.ts';
import type { Deps } from '../../src/app/deps.ts';
import { buildApp } from '../../src/http/app.ts';
import { createTestDb } from './test-db.ts';
import { createCollectivite } from '../../src/tenancy/create-collectivite.ts';
import { addMember } from '../../src/identity/add-member.ts';
import { createOperatorUser } from '../../src/identity/create-operator-user.ts';
import { createApiToken } from '../../src/identity/create-api-token.ts';
import { withLuhnKey } from '../../src/tenancy/siren.ts';
import type { CollectiviteRole, Permission } from '../../src/identity/roles.ts';
import type { Clock } from '../../src/platform/clock/clock.ts';

export const PASSWORD = 'correct-horse-battery';
const actor = { userId: null, tokenId: null, label: 'test' };

export interface TestPlatform {
  deps: Deps;
  app: FastifyInstance;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestPlatform(opts: { clock?: Clock } = {}): Promise<TestPlatform> {
  const { db, close } = await createTestDb();
  const dataDir = mkdtempSync(join(tmpdir(), 'paraphe-test-'));
  const deps = createDeps(db, { config: { dataDir }, ...(opts.clock ? { clock: opts.clock } : {}) });
  const app = await buildApp(deps);
  await app.ready();
  return {
    deps,
    app,
    dataDir,
    async close() {
      await app.close();
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let sirenCounter = 0;
export async function makeCollectivite(p: TestPlatform, name: string): Promise<string> {
  const base = String(21000000 + process.pid * 100 + ++sirenCounter).slice(-8);
  const c = await createCollectivite(p.deps, actor, { name, type: 'commune', siren: withLuhnKey(base), sirets: [], insee: null, population: 1000, departement: '062', arrondissement: 1, services: ['parapheur'], groupId: null });
  return c.id;
}

export async function makeMember(p: TestPlatform, collectiviteId: string, email: string, role: CollectiviteRole): Promise<string> {
  const m = await addMember(p.deps, actor, collectiviteId, { email, displayName: email.split('@')[0]!, password: PASSWORD, role });
  return m.userId;
}

export async function makeOperator(p: TestPlatform, email: string, operatorRole: 'operator_admin' | 'operator_support'): Promise<void> {
  await createOperatorUser(p.deps, actor, { email, displayName: email, password: PASSWORD, operatorRole });
}

export async function makeToken(p: TestPlatform, collectiviteId: string, permissions: Permission[]): Promise<string> {
  return (await createApiToken(p.deps, actor, collectiviteId, { name: 'logiciel métier', permissions })).token;
}

export interface Client {
  request(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  upload(url: string, filename: string, content: Buffer): Promise<LightMyRequestResponse>;
}

export function multipartBody(filename: string, content: Buffer): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----paraphe${Math.random().toString(16).slice(2)}`;
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

function clientWith(app: FastifyInstance, auth: Record<string, string>): Client {
  return {
    request: (method, url, body, headers = {}) =>
      app.inject({ method: method as 'GET', url, headers: { ...auth, ...headers }, ...(body !== undefined ? { payload: body as object } : {}) }),
    upload: (url, filename, content) => {
      const m = multipartBody(filename, content);
      return app.inject({ method: 'POST', url, headers: { ...auth, ...m.headers }, payload: m.payload });
    },
  };
}

export async function login(p: TestPlatform, email: string): Promise<Client> {
  const res = await p.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: PASSWORD } });
  if (res.statusCode !== 200) throw new Error(`login ${email}: ${res.statusCode} ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'paraphe_session')!;
  return clientWith(p.app, { cookie: `paraphe_session=${cookie.value}`, 'x-csrf-token': (res.json() as { csrfToken: string }).csrfToken });
}

export function tokenClient(p: TestPlatform, token: string): Client {
  return clientWith(p.app, { authorization: `Bearer ${token}` });
}

export const MINIMAL_PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
