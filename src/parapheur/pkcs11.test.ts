/**
 * Keys on a PKCS#11 token (SoftHSM2 from Debian): the maire signs through `paraphe sign-client
 * --pkcs11-module …` and the seal step signs with the collectivité's key held by the token (connector
 * `parapheur-seal` with `pkcs11` settings). pdfsig reports both signatures valid and trusted. A wrong PIN
 * is refused in French and nothing changes.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../shared/paths.ts';
import { setConnectorConfig } from '../connectors/set-connector-config.ts';
import { createWorld, parapheurPath as P, PASSWORD, type World } from './test-fixture.ts';

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const TOKEN = 'paraphe-test';
const PIN = '123456';
let w: World;

function tool(cmd: string, args: string[], pkg: string): { status: number; out: string } {
  const res = spawnSync(cmd, args, { encoding: 'utf8', env: process.env });
  if (res.error && (res.error as NodeJS.ErrnoException).code === 'ENOENT') assert.fail(`${cmd} is required for this test: apt-get install -y ${pkg}`);
  return { status: res.status ?? -1, out: `${res.stdout}${res.stderr}` };
}

function runCli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/paraphe.mjs'), ...args], { cwd: w.dir, env: { ...process.env, LOG_LEVEL: 'silent' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

before(async () => {
  w = await createWorld();
  const hsm = join(w.dir, 'softhsm');
  mkdirSync(join(hsm, 'tokens'), { recursive: true });
  writeFileSync(join(hsm, 'softhsm2.conf'), `directories.tokendir = ${join(hsm, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = join(hsm, 'softhsm2.conf'); // read by the module when first loaded, and by the child processes
  const init = tool('softhsm2-util', ['--init-token', '--free', '--label', TOKEN, '--pin', PIN, '--so-pin', '87654321'], 'softhsm2');
  assert.equal(init.status, 0, init.out);
  for (const [label, id, identity] of [['cachet', '01', w.pki.seal], ['maire', '02', w.pki.agents[2]]] as const) {
    const imp = tool('softhsm2-util', ['--import', identity.keyPath, '--token', TOKEN, '--label', label, '--id', id, '--pin', PIN], 'softhsm2');
    assert.equal(imp.status, 0, imp.out);
  }
  await setConnectorConfig(w.deps, { userId: null, tokenId: null, label: 'tests' }, { type: 'collectivite', id: w.cid }, 'parapheur-seal', { pkcs11: { module: MODULE, tokenLabel: TOKEN, pin: PIN, keyLabel: 'cachet', chainPath: w.pki.seal.chainPath } });
});
after(async () => {
  await w?.close();
});

it('the maire signs with a token through sign-client, the seal signs with the token; pdfsig trusts both', async () => {
  const id = await w.createDossier(w.people.secretaire!);
  assert.equal((await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {})).status, 200);
  assert.equal((await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {})).status, 200);
  const base = ['sign-client', '--url', w.url, '--collectivite', w.cid, '--dossier', id, '--email', w.people.maire!.email, '--password', PASSWORD, '--pkcs11-module', MODULE, '--token-label', TOKEN, '--key-label', 'maire', '--chain', w.pki.agents[2].chainPath];
  const before = await w.deps.db.selectFrom('dossier').select(['state', 'version']).where('id', '=', id).executeTakeFirstOrThrow();
  const wrongPin = await runCli([...base, '--pin', '000000']);
  assert.equal(wrongPin.code, 2, wrongPin.out);
  assert.match(wrongPin.out, /Code PIN du jeton PKCS#11 refusé/);
  assert.deepEqual(await w.deps.db.selectFrom('dossier').select(['state', 'version']).where('id', '=', id).executeTakeFirstOrThrow(), before);
  const cli = await runCli([...base, '--pin', PIN]);
  assert.equal(cli.code, 0, cli.out);
  await w.runJobs();
  const view = await w.request(w.people.secretaire!, 'GET', `${P(w.cid)}/dossiers/${id}`);
  const dossier = view.json.dossier as { state: string; documents: { id: string; role: string }[] };
  assert.equal(dossier.state, 'signe', JSON.stringify(view.json.acts));
  const last = dossier.documents.filter((d) => d.role === 'signed').at(-1)!;
  const pdf = await w.request(w.people.secretaire!, 'GET', `/api/collectivites/${w.cid}/documents/${last.id}/content`);
  const path = join(w.dir, 'pkcs11.pdf');
  writeFileSync(path, pdf.raw);
  const { status, out } = tool('pdfsig', ['-nssdir', `sql:${w.nssDir}`, path], 'poppler-utils');
  assert.equal(status, 0, out);
  assert.equal(out.match(/Signature Validation: Signature is Valid\./g)?.length, 2, out);
  assert.equal(out.match(/Certificate Validation: Certificate is Trusted\./g)?.length, 2, out);
  assert.match(out, /Common Name: Chloé Dubois/);
  assert.match(out, /Common Name: Cachet serveur Commune de Testville/);
});
