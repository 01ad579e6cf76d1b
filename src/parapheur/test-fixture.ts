/**
 * Test world for the parapheur: a migrated database, the real app (listening on loopback so child processes
 * can reach it), the test PKI with its CRL server, a local TSA, and a commune with its people and bureaux.
 * Used only by the parapheur tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createTestDb, type TestDb } from '../../test/support/test-db.ts';
import { createTestPki, type TestPki } from '../../test/support/pki.ts';
import { nssDbTrusting } from '../../test/support/tools.ts';
import { startTestTsa, type TestTsa } from '../../test/support/tsa-server.ts';
import { createDeps } from '../app/create-deps.ts';
import type { Deps } from '../app/deps.ts';
import { buildApp } from '../http/app.ts';
import { ensureOperator } from '../tenancy/ensure-operator.ts';
import { createCollectivite } from '../tenancy/create-collectivite.ts';
import { withLuhnKey } from '../tenancy/siren.ts';
import { addMember } from '../identity/add-member.ts';
import { setConnectorConfig } from '../connectors/set-connector-config.ts';
import type { Actor } from '../identity/principal.ts';
import type { CollectiviteRole } from '../identity/roles.ts';
import { runDueJobs } from '../platform/jobs/job-queue.ts';
import { makeTestPdf } from './signature/pades/test-pdf.ts';

export const PASSWORD = 'mot-de-passe-de-test-2026';
const setup: Actor = { userId: null, tokenId: null, label: 'tests' };

export interface Caller {
  email: string;
  userId: string;
  cookie: string;
  csrf: string;
}

export interface World {
  dir: string;
  tdb: TestDb;
  deps: Deps;
  app: FastifyInstance;
  url: string;
  pki: TestPki;
  tsa: TestTsa;
  cid: string;
  otherCid: string;
  people: Record<string, Caller>;
  bureaux: Record<string, string>;
  circuitId: string;
  typologieId: string;
  nssDir: string;
  request(who: Caller | null, method: string, url: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown>; raw: Buffer }>;
  createDossier(who: Caller, pdf?: Uint8Array, meta?: Record<string, unknown>, opts?: { type?: string; filename?: string }): Promise<string>;
  runJobs(): Promise<number>;
  close(): Promise<void>;
}

const P = (cid: string) => `/api/collectivites/${cid}/parapheur`;
export { P as parapheurPath };

function multipart(filename: string, bytes: Uint8Array): { body: Buffer; type: string } {
  const boundary = `----paraphe${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/pdf\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, Buffer.from(bytes), tail]), type: `multipart/form-data; boundary=${boundary}` };
}

export async function createWorld(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-parapheur-'));
  const pki = await createTestPki(join(dir, 'pki'));
  const tsa = await startTestTsa(pki);
  const tdb = await createTestDb();
  const deps = createDeps(tdb.db, { config: { dataDir: join(dir, 'data') } });
  const app = await buildApp(deps);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const operatorId = await ensureOperator(deps);
  const mk = (name: string, base: string) => createCollectivite(deps, setup, { name, type: 'commune', siren: withLuhnKey(base), sirets: [], insee: null, population: 1500, departement: '062', arrondissement: 1, services: ['parapheur'], groupId: null });
  const commune = await mk('Commune de Testville', '21620999');
  const other = await mk('Commune d’Ailleurs', '21620888');
  await setConnectorConfig(deps, setup, { type: 'operator', id: operatorId }, 'parapheur-certificats', { trustAnchorsPath: pki.trustDir });
  await setConnectorConfig(deps, setup, { type: 'collectivite', id: commune.id }, 'parapheur-seal', { p12Path: pki.seal.p12Path, password: pki.seal.p12Password });
  await setConnectorConfig(deps, setup, { type: 'operator', id: operatorId }, 'tsa', { url: tsa.url });

  const request: World['request'] = async (who, method, path, body) => {
    const isMultipart = body instanceof Object && 'multipart' in (body as object);
    const mp = isMultipart ? (body as { multipart: { body: Buffer; type: string } }).multipart : null;
    const res = await app.inject({
      method: method as 'GET',
      url: path,
      headers: { ...(who ? { cookie: who.cookie, 'x-csrf-token': who.csrf } : {}), ...(mp ? { 'content-type': mp.type } : body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(mp ? { payload: mp.body } : body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      /* binary */
    }
    return { status: res.statusCode, json, raw: res.rawPayload };
  };

  const people: Record<string, Caller> = {};
  const roster: [string, string, CollectiviteRole, string][] = [
    ['admin', 'Administratrice', 'collectivite_admin', commune.id],
    ['secretaire', 'Sophie Secrétaire', 'agent', commune.id],
    ['dgs', 'Alice Martin', 'agent', commune.id],
    ['maire', 'Chloé Dubois', 'elu', commune.id],
    ['adjoint', 'Bruno Lefèvre', 'elu', commune.id],
    ['urbanisme', 'Ulysse Urbain', 'agent', commune.id],
    ['intrus', 'Igor Intrus', 'agent', commune.id],
    ['ailleurs', 'Admin d’Ailleurs', 'collectivite_admin', other.id],
  ];
  for (const [key, name, role, cid] of roster) {
    const email = `${key}@testville.paraphe.test`;
    const m = await addMember(deps, setup, cid, { email, displayName: name, password: PASSWORD, role });
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: PASSWORD } });
    const cookie = res.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    people[key] = { email, userId: m.userId, cookie, csrf: (JSON.parse(res.body) as { csrfToken: string }).csrfToken };
  }

  const bureaux: Record<string, string> = {};
  const mkBureau = async (key: string, name: string, holders: string[], superior: string | null) => {
    const res = await request(people.admin!, 'POST', `${P(commune.id)}/bureaux`, { name, superiorId: superior, holderUserIds: holders.map((h) => people[h]!.userId) });
    if (res.status !== 201) throw new Error(`bureau ${name}: ${JSON.stringify(res.json)}`);
    bureaux[key] = String(res.json.id);
  };
  await mkBureau('maire', 'Maire', ['maire'], null);
  await mkBureau('adjoint', 'Premier adjoint', ['adjoint'], bureaux.maire!);
  await mkBureau('dgs', 'DGS', ['dgs'], bureaux.maire!);
  await mkBureau('secretariat', 'Secrétariat', ['secretaire'], bureaux.dgs!);
  await mkBureau('urbanisme', 'Service urbanisme', ['urbanisme'], bureaux.dgs!);
  const circuit = await request(people.admin!, 'POST', `${P(commune.id)}/circuits`, {
    name: 'Visa DGS, signature du maire, cachet',
    steps: [
      { kind: 'visa', actors: { type: 'bureaux', bureauIds: [bureaux.dgs], mode: 'any' } },
      { kind: 'signature', actors: { type: 'bureaux', bureauIds: [bureaux.maire], mode: 'any' } },
      { kind: 'cachet' },
    ],
  });
  if (circuit.status !== 201) throw new Error(JSON.stringify(circuit.json));
  const typologie = await request(people.admin!, 'POST', `${P(commune.id)}/typologies`, { type: 'Courrier', sousType: 'Sortant', circuitId: circuit.json.id, format: 'pades', mark: { text: 'Signé par {signataire} le {date}', tag: '#signature#' } });
  if (typologie.status !== 201) throw new Error(JSON.stringify(typologie.json));

  const nssDir = nssDbTrusting(join(dir, 'nss'), pki.root.certPath);

  const world: World = {
    dir, tdb, deps, app, url, pki, tsa, cid: commune.id, otherCid: other.id, people, bureaux, circuitId: String(circuit.json.id), typologieId: String(typologie.json.id), nssDir, request,
    async createDossier(who, pdf, meta = {}, opts = {}) {
      const created = await request(who, 'POST', `/api/collectivites/${commune.id}/dossiers`, { type: opts.type ?? 'document-a-signer', title: 'Courrier au préfet', metadata: { typologieId: world.typologieId, bureauEmetteurId: bureaux.secretariat, ...meta } });
      if (created.status !== 201) throw new Error(JSON.stringify(created.json));
      const id = String(created.json.id);
      const bytes = pdf ?? (await makeTestPdf({ lines: ['Objet : demande de subvention.', 'Le maire : #signature#', 'Cachet : #cachet#'] }));
      const up = await request(who, 'POST', `/api/collectivites/${commune.id}/dossiers/${id}/documents?role=principal`, { multipart: multipart(opts.filename ?? 'courrier.pdf', bytes) });
      if (up.status !== 201) throw new Error(JSON.stringify(up.json));
      return id;
    },
    runJobs: () => runDueJobs(deps.db, deps.clock, deps.jobHandlers),
    async close() {
      await app.close();
      await tdb.close();
      await tsa.close();
      await pki.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}
