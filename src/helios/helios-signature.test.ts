/**
 * A PES flow passes through the parapheur before it is sent: `soumettre-signature` creates a child
 * `pes-a-signer` dossier that runs a visa + signature circuit (two-phase XAdES per bordereau with the test
 * PKI); signed, the flow carries the signed PES, is transmitted by FTP to `paraphe-sim helios` (a separate
 * process that checks the signatures against the test root) and acquitted; xmlsec1 verifies the transmitted
 * file. A rejected circuit, a PES already signed outside, and the isolation between collectivités are
 * covered too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki, type TestPki, type TestIdentity } from '../../test/support/pki.ts';
import { xadesTestKeys } from '../../test/support/xades-keys.ts';
import { startTestPlatform, makeCollectivite, makeMember, makeToken, login, tokenClient, type TestPlatform, type Client } from '../../test/support/test-app.ts';
import { TOKEN_PERMISSIONS } from '../identity/roles.ts';
import { setConnectorConfig } from '../connectors/set-connector-config.ts';
import { runDueJobs } from '../platform/jobs/job-queue.ts';
import { withLuhnKey } from '../tenancy/siren.ts';
import { Pkcs12KeySource } from '../parapheur/signature/pades/key-source.ts';
import { KeySigner, signPes } from '../parapheur/signature/xades/index.ts';
import { spawnHeliosSim, testPesAller, type RunningSim } from '../simulators/helios/testing.ts';
import { assertChildCircuitStopped } from '../../test/support/child-circuit.ts';
import { heliosPorts } from './install.ts';
import { pollHelios } from './use-cases/poll-helios.ts';

const setup = { userId: null, tokenId: null, label: 'test' };

let dir: string;
let pki: TestPki;
let sim: RunningSim;
let p: TestPlatform;
let cid: string;
let otherCid: string;
let siret: string;
let api: Client;
let people: Record<'admin' | 'secretaire' | 'dgs' | 'maire', Client>;
const bureaux: Record<string, string> = {};
let typologie: string; // Helios / PES: visa DGS, signature du maire (XAdES)
let typologieVisa: string; // Helios / Visa: visa DGS only
let typologiePdf: string; // Actes / Délibération (PAdES): refused for a PES

interface SignatureView {
  parapheurDossierId: string;
  etat: string;
  transmettreApresSignature: boolean;
  motifRefus: string | null;
  etapes: { position: number; kind: string; state: string; bureaux: { name: string; pending: boolean }[] }[];
}
interface HeliosJson {
  nomFic: string;
  fichierEnvoye: string | null;
  acquit: { statut: string; elements: { accepte: boolean; bordereau: string | null }[] } | null;
  signature: SignatureView | null;
  dossier: { id: string; state: string; stateLabel: string; s2lowCode: number | null; metadata: Record<string, unknown>; actions: { name: string }[]; documents: { id: string; role: string; filename: string; sha256: string }[] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const H = (path: string) => `/api/collectivites/${cid}${path}`;
const P = (path: string) => `/api/collectivites/${cid}/parapheur${path}`;

function tool(cmd: string, args: string[], pkg: string): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) assert.fail(`${cmd} is required for this test: apt-get install -y ${pkg}`);
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

async function ok<T = Record<string, unknown>>(who: Client, method: string, url: string, body?: unknown, status = 200): Promise<T> {
  const r = await who.request(method, url, body);
  assert.equal(r.statusCode, status, `${method} ${url}: ${r.body}`);
  return r.json() as T;
}

const flux = (id: string, who: Client = api) => ok<HeliosJson>(who, 'GET', H(`/helios/${id}`));

/** Runs the jobs and polls the gateway until the flow reaches `state` (Hélios answers asynchronously). */
async function until(id: string, state: string): Promise<HeliosJson> {
  for (let i = 0; i < 200; i++) {
    await runDueJobs(p.deps.db, p.deps.clock, p.deps.jobHandlers);
    await pollHelios(p.deps, heliosPorts(p.deps));
    const v = await flux(id);
    if (v.dossier.state === state) return v;
    await sleep(100);
  }
  throw new Error(`flow ${id} never reached ${state}: ${JSON.stringify(await flux(id))}\nsimulator:\n${sim.output.join('\n')}`);
}

/** An unsigned PES_Aller (InfoDematerialisee 1) deposited by the finance software's token. */
async function deposit(nomFic: string, idBords: number[], client: Client = api): Promise<HeliosJson> {
  const res = await client.upload(H('/helios'), `${nomFic}.xml`, testPesAller({ nomFic, idBords, siret, demat: true }));
  assert.equal(res.statusCode, 201, res.body);
  return res.json() as HeliosJson;
}

async function signAsMaire(childId: string, identity: TestIdentity): Promise<number> {
  const key = await Pkcs12KeySource.fromFile(identity.p12Path, identity.p12Password);
  const chain = await key.getCertificateChain();
  const prepared = await ok<{ sessionId: string; items: { dataToSign: string; digest: string }[] }>(people.maire, 'POST', P(`/dossiers/${childId}/signature/prepare`), { certificateChain: chain.map((c) => Buffer.from(c).toString('base64')) });
  const values = await Promise.all(prepared.items.map((i) => key.sign({ data: Buffer.from(i.dataToSign, 'base64'), digest: Buffer.from(i.digest, 'base64'), digestAlgorithm: 'SHA-256' })));
  await ok(people.maire, 'POST', P(`/dossiers/${childId}/signature/complete`), { sessionId: prepared.sessionId, signatureValues: values.map((v) => Buffer.from(v).toString('base64')) });
  return prepared.items.length;
}

async function journalOf(dossierId: string): Promise<string[]> {
  const rows = await p.deps.db.selectFrom('journal_entry').select('action').where('object_id', '=', dossierId).orderBy('seq').execute();
  return rows.map((r) => r.action);
}

function xmlsecVerify(file: string, bordereauIndex: number) {
  return tool('xmlsec1', [
    '--verify', '--id-attr:Id', 'Bordereau', '--id-attr:Id', 'http://uri.etsi.org/01903/v1.1.1#:SignedProperties',
    '--trusted-pem', pki.root.certPath, '--untrusted-pem', pki.intermediate.certPath,
    '--node-xpath', `(//*[local-name()='Bordereau'])[${bordereauIndex}]/*[local-name()='Signature']`,
    file,
  ], 'xmlsec1');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paraphe-helios-signature-'));
  pki = await createTestPki(join(dir, 'signing-pki'));
  p = await startTestPlatform();
  cid = await makeCollectivite(p, 'Commune de Nice-sur-Circuit');
  otherCid = await makeCollectivite(p, 'Commune Voisine');
  const siren = (await p.deps.db.selectFrom('collectivite').select('siren').where('id', '=', cid).executeTakeFirstOrThrow()).siren;
  siret = withLuhnKey(`${siren}0001`);
  // The gateway knows the CA that issues the agents' certificates (the XAdES KeyInfo carries the signer's
  // certificate only, as Hélios expects) and the outside signer's CA.
  sim = await spawnHeliosSim({ knownSirets: [siret], trustAnchorPaths: [pki.intermediate.certPath, xadesTestKeys().caCertPath] });
  await setConnectorConfig(p.deps, setup, { type: 'collectivite', id: cid }, 'tdt-helios', { host: '127.0.0.1', port: sim.port, user: 'paraphe', password: 'paraphe', pDest: 'VHPCE11', pAppli: 'GHELPES2' });
  await setConnectorConfig(p.deps, setup, { type: 'collectivite', id: cid }, 'parapheur-certificats', { trustAnchorsPath: pki.trustDir });
  const ids: Record<string, string> = {};
  for (const [k, role] of [['admin', 'collectivite_admin'], ['secretaire', 'agent'], ['dgs', 'agent'], ['maire', 'elu']] as const) ids[k] = await makeMember(p, cid, `${k}@helios-signature.test`, role);
  people = { admin: await login(p, 'admin@helios-signature.test'), secretaire: await login(p, 'secretaire@helios-signature.test'), dgs: await login(p, 'dgs@helios-signature.test'), maire: await login(p, 'maire@helios-signature.test') };
  api = tokenClient(p, await makeToken(p, cid, [...TOKEN_PERMISSIONS]));
  for (const [k, name, holder] of [['maire', 'Maire', 'maire'], ['dgs', 'DGS', 'dgs'], ['finances', 'Finances', 'secretaire']] as const) {
    bureaux[k] = (await ok<{ id: string }>(people.admin, 'POST', P('/bureaux'), { name, holderUserIds: [ids[holder]] }, 201)).id;
  }
  const circuit = await ok<{ id: string }>(people.admin, 'POST', P('/circuits'), { name: 'Visa DGS, signature du maire', steps: [{ kind: 'visa', actors: { type: 'bureaux', bureauIds: [bureaux.dgs] } }, { kind: 'signature', actors: { type: 'bureaux', bureauIds: [bureaux.maire] } }] }, 201);
  typologie = (await ok<{ id: string }>(people.admin, 'POST', P('/typologies'), { type: 'Helios', sousType: 'PES', circuitId: circuit.id, format: 'xades' }, 201)).id;
  const visaOnly = await ok<{ id: string }>(people.admin, 'POST', P('/circuits'), { name: 'Visa DGS', steps: [{ kind: 'visa', actors: { type: 'bureaux', bureauIds: [bureaux.dgs] } }] }, 201);
  typologieVisa = (await ok<{ id: string }>(people.admin, 'POST', P('/typologies'), { type: 'Helios', sousType: 'Visa', circuitId: visaOnly.id, format: 'xades' }, 201)).id;
  typologiePdf = (await ok<{ id: string }>(people.admin, 'POST', P('/typologies'), { type: 'Actes', sousType: 'Délibération', circuitId: circuit.id, format: 'pades' }, 201)).id;
});

after(async () => {
  await sim?.stop();
  await p?.close();
  await pki?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a PES flow through the parapheur before its transmission', () => {
  test('token-driven: unsigned PES, visa, two-phase XAdES per bordereau → signed, sent by FTP, acquitted; xmlsec1 verifies the file sent', async () => {
    const created = await deposit('PES-CIRCUIT-OK', [1, 2]);
    const id = created.dossier.id;
    assert.deepEqual([created.dossier.state, created.dossier.metadata.signe, created.signature], ['poste', false, null]);
    assert.ok(created.dossier.actions.some((x) => x.name === 'soumettre_signature'), 'the flow lists soumettre_signature');
    assert.ok(!created.dossier.actions.some((x) => x.name === 'transmettre'), 'not transmissible unsigned');
    // The generic action endpoint cannot submit without the parapheur choices.
    const bare = await api.request('POST', H(`/dossiers/${id}/actions/soumettre_signature`), {});
    assert.equal(bare.statusCode, 409);
    assert.match((bare.json() as { message: string }).message, /choix du parapheur/);

    const submitted = await ok<HeliosJson>(api, 'POST', H(`/helios/${id}/soumettre-signature`), { typologieId: typologie, bureauEmetteurId: bureaux.finances });
    assert.deepEqual([submitted.dossier.state, submitted.dossier.s2lowCode], ['a_signer', 13]);
    const sig = submitted.signature!;
    assert.equal(sig.etat, 'en_cours');
    assert.equal(sig.transmettreApresSignature, true);
    assert.deepEqual(sig.etapes.map((s) => [s.kind, s.state]), [['visa', 'active'], ['signature', 'waiting']]);
    assert.deepEqual(sig.etapes[0]!.bureaux.map((b) => [b.name, b.pending]), [['DGS', true]]);
    assert.ok(!submitted.dossier.actions.some((x) => x.name === 'soumettre_signature' || x.name === 'transmettre'));

    // The child dossier: the PES as deposited, linking back to the flow.
    const child = await ok<{ dossier: { type: string; documents: { role: string; sha256: string }[] }; origine: { type: string; dossierId: string } | null }>(people.dgs, 'GET', P(`/dossiers/${sig.parapheurDossierId}`));
    assert.equal(child.dossier.type, 'pes-a-signer');
    assert.deepEqual(child.origine && [child.origine.type, child.origine.dossierId], ['helios', id]);
    assert.deepEqual(child.dossier.documents.map((d) => `${d.role}:${d.sha256}`), created.dossier.documents.map((d) => `${d.role}:${d.sha256}`));

    await ok(people.dgs, 'POST', P(`/dossiers/${sig.parapheurDossierId}/viser`), { comment: 'Vu.' });
    assert.deepEqual((await flux(id)).signature!.etapes.map((s) => s.state), ['done', 'active']);
    assert.equal(await signAsMaire(sig.parapheurDossierId, pki.agents[2]), 2, 'one XAdES signature per bordereau');

    const done = await until(id, 'acquitte');
    assert.equal(done.signature!.etat, 'signe');
    assert.equal(done.dossier.metadata.signe, true);
    assert.equal(done.acquit?.statut, 'OK', JSON.stringify(done.acquit));
    assert.deepEqual(done.acquit!.elements.map((e) => e.bordereau).filter(Boolean), ['1', '2']);
    const childSigned = (await ok<{ dossier: { documents: { role: string; sha256: string }[] } }>(api, 'GET', P(`/dossiers/${sig.parapheurDossierId}`))).dossier.documents.filter((d) => d.role === 'signed');
    assert.equal(childSigned.length, 1);
    const signedDoc = done.dossier.documents.find((d) => d.role === 'signed')!;
    assert.equal(signedDoc.sha256, childSigned[0]!.sha256, 'the flow carries the signed version');

    // The file the simulated gateway received is the signed PES, and xmlsec1 accepts each bordereau.
    const received = readdirSync(join(sim.root, 'received')).filter((f) => f.endsWith(`_${done.fichierEnvoye}`));
    assert.equal(received.length, 1, readdirSync(join(sim.root, 'received')).join(', '));
    const sent = readFileSync(join(sim.root, 'received', received[0]!));
    assert.equal(createHash('sha256').update(sent).digest('hex'), signedDoc.sha256);
    assert.notEqual(signedDoc.sha256, created.dossier.documents[0]!.sha256);
    const file = join(dir, 'transmis.xml');
    writeFileSync(file, sent);
    for (const i of [1, 2]) {
      const v = xmlsecVerify(file, i);
      assert.equal(v.status, 0, `bordereau ${i}: ${v.out}`);
    }
    const vue = await ok<{ bordereaux: { signe: boolean }[] }>(api, 'GET', H(`/helios/${id}/vue`));
    assert.deepEqual(vue.bordereaux.map((b) => b.signe), [true, true]);

    const actions = await journalOf(id);
    for (const x of ['dossier.action.soumettre_signature', 'helios.signature.signe', 'dossier.action.transmettre', 'dossier.job.transmettre.done', 'helios.acquit.accepte']) assert.ok(actions.includes(x), `${x} missing in ${actions.join(', ')}`);

    // The same event seen again changes nothing.
    const childRow = await p.deps.db.selectFrom('dossier').selectAll().where('id', '=', sig.parapheurDossierId).executeTakeFirstOrThrow();
    for (const version of [childRow.version, childRow.version + 1]) {
      await p.deps.db.transaction().execute((trx) => p.deps.dossierEvents.emit(trx, { collectiviteId: cid, dossierId: childRow.id, type: childRow.type, from: 'en_cours', to: 'signe', version, at: new Date() }));
    }
    const again = await flux(id);
    assert.equal(again.dossier.state, 'acquitte');
    assert.equal(again.dossier.documents.length, done.dossier.documents.length);
    assert.deepEqual(await journalOf(id), actions);
  });

  test('bordereaux without Id, PES_Aller with one: one global XAdES signature in the circuit, acquitted, verified by xmlsec1; signed globally outside, deposited as signed', async () => {
    const bytes = Buffer.from(testPesAller({ nomFic: 'PES-CIRCUIT-GLOBAL', idBords: [6, 7], siret, demat: true }).toString('latin1').replace(/<Bordereau Id="BORD\d+">/g, '<Bordereau>'), 'latin1');
    const res = await api.upload(H('/helios'), 'global.xml', bytes);
    assert.equal(res.statusCode, 201, res.body);
    const created = res.json() as HeliosJson;
    const id = created.dossier.id;
    assert.equal(created.dossier.metadata.signe, false);
    const sig = (await ok<HeliosJson>(api, 'POST', H(`/helios/${id}/soumettre-signature`), { typologieId: typologie, bureauEmetteurId: bureaux.finances })).signature!;
    await ok(people.dgs, 'POST', P(`/dossiers/${sig.parapheurDossierId}/viser`), {});
    assert.equal(await signAsMaire(sig.parapheurDossierId, pki.agents[2]), 1, 'one global signature');
    const done = await until(id, 'acquitte');
    assert.equal(done.acquit?.statut, 'OK', JSON.stringify(done.acquit));
    assert.deepEqual(done.acquit!.elements.map((e) => e.bordereau).filter(Boolean), ['6', '7']);
    const received = readdirSync(join(sim.root, 'received')).filter((f) => f.endsWith(`_${done.fichierEnvoye}`));
    const file = join(dir, 'transmis-global.xml');
    writeFileSync(file, readFileSync(join(sim.root, 'received', received[0]!)));
    const v = tool('xmlsec1', [
      '--verify', '--id-attr:Id', 'http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller:PES_Aller', '--id-attr:Id', 'http://uri.etsi.org/01903/v1.1.1#:SignedProperties',
      '--trusted-pem', pki.root.certPath, '--untrusted-pem', pki.intermediate.certPath,
      '--node-xpath', "/*[local-name()='PES_Aller']/*[local-name()='Signature']", file,
    ], 'xmlsec1');
    assert.equal(v.status, 0, v.out);
    const vue = await ok<{ signatureGlobale: boolean; bordereaux: { signe: boolean }[] }>(api, 'GET', H(`/helios/${id}/vue`));
    assert.deepEqual([vue.signatureGlobale, vue.bordereaux.map((b) => b.signe)], [true, [false, false]]);

    const keys = xadesTestKeys();
    const outside = await signPes(testPesAller({ nomFic: 'PES-GLOBAL-DEHORS', idBords: [8], siret }), new KeySigner(keys.signerCertPem, keys.signerKeyPem), { role: 'Ordonnateur', scope: 'global' });
    const up = await api.upload(H('/helios'), 'global-dehors.xml', outside);
    assert.equal(up.statusCode, 201, up.body);
    const flow = up.json() as HeliosJson;
    assert.equal(flow.dossier.metadata.signe, true);
    await ok(api, 'POST', H(`/dossiers/${flow.dossier.id}/actions/transmettre`), {});
    assert.equal((await until(flow.dossier.id, 'acquitte')).acquit?.statut, 'OK');
  });

  test('bordereaux with Id, global signature asked at submission: one XAdES signature of the PES_Aller in the circuit, acquitted, verified by xmlsec1', async () => {
    const created = await deposit('PES-CIRCUIT-GLOBAL-DEMANDEE', [11, 12]);
    const id = created.dossier.id;
    // Without the choice the file would be signed per bordereau (both carry an Id).
    const bad = await api.request('POST', H(`/helios/${id}/soumettre-signature`), { typologieId: typologie, bureauEmetteurId: bureaux.finances, porteeSignature: 'pj' });
    assert.equal(bad.statusCode, 400, bad.body);
    const sig = (await ok<HeliosJson>(api, 'POST', H(`/helios/${id}/soumettre-signature`), { typologieId: typologie, bureauEmetteurId: bureaux.finances, porteeSignature: 'global' })).signature!;
    const child = await p.deps.db.selectFrom('dossier').select('metadata').where('id', '=', sig.parapheurDossierId).executeTakeFirstOrThrow();
    assert.equal((child.metadata as { porteeSignature?: string }).porteeSignature, 'global');
    await ok(people.dgs, 'POST', P(`/dossiers/${sig.parapheurDossierId}/viser`), {});
    assert.equal(await signAsMaire(sig.parapheurDossierId, pki.agents[2]), 1, 'one global signature, not one per bordereau');
    const done = await until(id, 'acquitte');
    assert.equal(done.acquit?.statut, 'OK', JSON.stringify(done.acquit));
    assert.deepEqual(done.acquit!.elements.map((e) => e.bordereau).filter(Boolean), ['11', '12']);
    const vue = await ok<{ signatureGlobale: boolean; bordereaux: { signe: boolean }[] }>(api, 'GET', H(`/helios/${id}/vue`));
    assert.deepEqual([vue.signatureGlobale, vue.bordereaux.map((b) => b.signe)], [true, [false, false]]);
    const received = readdirSync(join(sim.root, 'received')).filter((f) => f.endsWith(`_${done.fichierEnvoye}`));
    const file = join(dir, 'transmis-global-demandee.xml');
    writeFileSync(file, readFileSync(join(sim.root, 'received', received[0]!)));
    const v = tool('xmlsec1', [
      '--verify', '--id-attr:Id', 'http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller:PES_Aller', '--id-attr:Id', 'http://uri.etsi.org/01903/v1.1.1#:SignedProperties',
      '--trusted-pem', pki.root.certPath, '--untrusted-pem', pki.intermediate.certPath,
      '--node-xpath', "/*[local-name()='PES_Aller']/*[local-name()='Signature']", file,
    ], 'xmlsec1');
    assert.equal(v.status, 0, v.out);
    assert.equal(xmlsecVerify(file, 1).status === 0, false, 'no signature on the bordereau itself');
  });

  test('choices are checked (PAdES or unknown typologie, bureau not held); a PES already signed outside is transmitted directly', async () => {
    const created = await deposit('PES-CIRCUIT-CHOIX', [3], people.secretaire);
    const countDossiers = async () => Number((await p.deps.db.selectFrom('dossier').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await countDossiers();
    const pdf = await people.secretaire.request('POST', H(`/helios/${created.dossier.id}/soumettre-signature`), { typologieId: typologiePdf, bureauEmetteurId: bureaux.finances });
    assert.equal(pdf.statusCode, 422, pdf.body);
    assert.match((pdf.json() as { message: string }).message, /signe en PADES .* XAdES/);
    const unknown = await people.secretaire.request('POST', H(`/helios/${created.dossier.id}/soumettre-signature`), { typologieId: '00000000-0000-4000-8000-000000000000', bureauEmetteurId: bureaux.finances });
    assert.equal(unknown.statusCode, 422);
    const notHeld = await people.secretaire.request('POST', H(`/helios/${created.dossier.id}/soumettre-signature`), { typologieId: typologie, bureauEmetteurId: bureaux.maire });
    assert.equal(notHeld.statusCode, 403, notHeld.body);
    assert.equal(await countDossiers(), before);
    const still = await flux(created.dossier.id);
    assert.deepEqual([still.dossier.state, still.signature], ['poste', null]);

    // Signed outside (paraphe pes sign): no circuit, transmitted as before.
    const keys = xadesTestKeys();
    const signed = await signPes(testPesAller({ nomFic: 'PES-CIRCUIT-DEJA-SIGNE', idBords: [4], siret }), new KeySigner(keys.signerCertPem, keys.signerKeyPem), { role: 'Ordonnateur', city: 'Nice', postalCode: '06000', countryName: 'France', infoDematerialisee: 'set' });
    const res = await api.upload(H('/helios'), 'deja-signe.xml', signed);
    assert.equal(res.statusCode, 201, res.body);
    const outside = res.json() as HeliosJson;
    assert.ok(!outside.dossier.actions.some((x) => x.name === 'soumettre_signature'));
    const again = await api.request('POST', H(`/helios/${outside.dossier.id}/soumettre-signature`), { typologieId: typologie, bureauEmetteurId: bureaux.finances });
    assert.equal(again.statusCode, 409);
    assert.match((again.json() as { message: string }).message, /déjà signés/);
    await ok(api, 'POST', H(`/dossiers/${outside.dossier.id}/actions/transmettre`), {});
    const acked = await until(outside.dossier.id, 'acquitte');
    assert.equal(acked.signature, null);
  });

  test('a rejected circuit: « Refusé au parapheur » with the motif, submitted again, taken back; a visa-only circuit signs nothing', async () => {
    const created = await deposit('PES-CIRCUIT-REFUS', [5], people.secretaire);
    const id = created.dossier.id;
    const first = await ok<HeliosJson>(people.secretaire, 'POST', H(`/helios/${id}/soumettre-signature`), { typologieId: typologie, bureauEmetteurId: bureaux.finances, transmettreApresSignature: false });
    const firstChild = first.signature!.parapheurDossierId;
    await ok(people.dgs, 'POST', P(`/dossiers/${firstChild}/rejeter`), { motif: 'Le mandat 1 est imputé sur le mauvais article.' });
    const refused = await flux(id, people.secretaire);
    assert.equal(refused.dossier.state, 'signature_refusee');
    assert.equal(refused.dossier.stateLabel, 'Refusé au parapheur');
    assert.equal(refused.signature!.motifRefus, 'Le mandat 1 est imputé sur le mauvais article.');
    assert.deepEqual(refused.dossier.actions.map((x) => x.name).sort(), ['abandonner', 'soumettre_signature']);
    assert.ok((await journalOf(id)).includes('helios.signature.refusee'));
    assert.equal(refused.fichierEnvoye, null, 'nothing sent');

    // Submitted again: a new circuit; the rejected child is abandoned without touching the flow.
    const second = await ok<HeliosJson>(people.secretaire, 'POST', H(`/helios/${id}/soumettre-signature`), { typologieId: typologie, bureauEmetteurId: bureaux.finances });
    assert.equal(second.dossier.state, 'a_signer');
    assert.notEqual(second.signature!.parapheurDossierId, firstChild);
    assert.equal((await p.deps.db.selectFrom('dossier').select('state').where('id', '=', firstChild).executeTakeFirstOrThrow()).state, 'abandonne');

    // Taken back before anyone acted: the flow is `poste` again; sent again from the parapheur, it waits again.
    const secondChild = second.signature!.parapheurDossierId;
    await ok(people.secretaire, 'POST', P(`/dossiers/${secondChild}/reprendre`), {});
    assert.equal((await flux(id)).dossier.state, 'poste');
    await ok(people.secretaire, 'POST', P(`/dossiers/${secondChild}/envoyer`), {});
    assert.equal((await flux(id)).dossier.state, 'a_signer');
    await ok(people.secretaire, 'POST', P(`/dossiers/${secondChild}/reprendre`), {});
    await ok(people.secretaire, 'POST', H(`/dossiers/${secondChild}/actions/abandonner`), {});
    assert.equal((await flux(id)).dossier.state, 'poste');
    for (const x of ['helios.signature.reprise', 'helios.signature.renvoyee', 'helios.signature.abandonnee']) assert.ok((await journalOf(id)).includes(x), x);

    // A circuit of visas only: the PES is still unsigned, the flow says why and is not sent.
    const third = await ok<HeliosJson>(people.secretaire, 'POST', H(`/helios/${id}/soumettre-signature`), { typologieId: typologieVisa, bureauEmetteurId: bureaux.finances });
    await ok(people.dgs, 'POST', P(`/dossiers/${third.signature!.parapheurDossierId}/viser`), {});
    const unsigned = await flux(id);
    assert.equal(unsigned.dossier.state, 'signature_refusee');
    assert.match(unsigned.signature!.motifRefus!, /aucune étape de signature/);
    assert.equal(unsigned.dossier.metadata.signe, false);
    assert.ok(!(await journalOf(id)).includes('dossier.action.transmettre'), 'not transmitted');
  });

  test('abandoning the flow while its circuit runs stops the child: it leaves the maire’s inbox and a late signature is refused', async () => {
    const created = await deposit('PES-CIRCUIT-ABANDON', [7], people.secretaire);
    const id = created.dossier.id;
    const s = await ok<HeliosJson>(people.secretaire, 'POST', H(`/helios/${id}/soumettre-signature`), { typologieId: typologie, bureauEmetteurId: bureaux.finances, transmettreApresSignature: false });
    const child = s.signature!.parapheurDossierId;
    await ok(people.dgs, 'POST', P(`/dossiers/${child}/viser`), {});
    const inbox = async () => (await ok<{ items: { id: string }[] }>(people.maire, 'GET', P(`/bureaux/${bureaux.maire}/dossiers?vue=a-traiter`))).items.map((d) => d.id);
    assert.ok((await inbox()).includes(child), 'the maire’s turn');
    const key = await Pkcs12KeySource.fromFile(pki.agents[2].p12Path, pki.agents[2].p12Password);
    const chain = (await key.getCertificateChain()).map((c) => Buffer.from(c).toString('base64'));
    const prepared = await ok<{ sessionId: string; items: { dataToSign: string; digest: string }[] }>(people.maire, 'POST', P(`/dossiers/${child}/signature/prepare`), { certificateChain: chain });
    const values = await Promise.all(prepared.items.map((i) => key.sign({ data: Buffer.from(i.dataToSign, 'base64'), digest: Buffer.from(i.digest, 'base64'), digestAlgorithm: 'SHA-256' })));

    await ok(people.secretaire, 'POST', H(`/dossiers/${id}/actions/abandonner`), {});
    const abandoned = await flux(id);
    assert.equal(abandoned.dossier.state, 'abandonne');
    assert.equal(abandoned.signature!.etat, 'abandonne');
    assert.deepEqual(abandoned.signature!.etapes.map((x) => [x.kind, x.state]), [['visa', 'done'], ['signature', 'stopped']]);
    assert.ok(!(await inbox()).includes(child), 'gone from the maire’s inbox');
    await assertChildCircuitStopped(people.maire, P(`/dossiers/${child}`), 'Le flux PES a été abandonné : son circuit de signature est interrompu.', { sessionId: prepared.sessionId, signatureValues: values.map((v) => Buffer.from(v).toString('base64')) });
    assert.equal((await flux(id)).fichierEnvoye, null, 'nothing sent');
    assert.ok((await journalOf(child)).includes('parapheur.interrompre'));
    assert.ok((await journalOf(id)).includes('helios.signature.abandonnee'));
  });

  test('isolation: a child dossier of one collectivité never moves a PES flow of another', async () => {
    const otherFlux = await p.deps.db.insertInto('dossier').values({ collectivite_id: otherCid, type: 'helios', title: 'PES voisin', metadata: JSON.stringify({ signe: false }), state: 'a_signer', created_by: null, updated_at: new Date() }).returning('id').executeTakeFirstOrThrow();
    const child = await ok<{ id: string }>(people.secretaire, 'POST', H('/dossiers'), { type: 'pes-a-signer', title: 'PES', metadata: { typologieId: typologie, bureauEmetteurId: bureaux.finances } }, 201);
    const up = await people.secretaire.upload(H(`/dossiers/${child.id}/documents?role=principal`), 'pes.xml', testPesAller({ nomFic: 'PES-CIRCUIT-FORGE', idBords: [1], siret, demat: true }));
    assert.equal(up.statusCode, 201, up.body);
    // A link of this collectivité naming the other collectivité's flow (forged).
    await p.deps.db.insertInto('helios_signature').values({ child_dossier_id: child.id, helios_dossier_id: otherFlux.id, collectivite_id: cid, transmettre_apres_signature: true }).execute();
    const otherBefore = await p.deps.db.selectFrom('dossier').select(['state', 'version', 'metadata']).where('id', '=', otherFlux.id).executeTakeFirstOrThrow();
    await ok(people.secretaire, 'POST', P(`/dossiers/${child.id}/envoyer`), {});
    const view = await ok<{ origine: unknown }>(people.dgs, 'GET', P(`/dossiers/${child.id}`));
    assert.equal(view.origine, null, 'no link to another collectivité’s flow');
    await ok(people.dgs, 'POST', P(`/dossiers/${child.id}/viser`), {});
    await signAsMaire(child.id, pki.agents[2]);
    assert.equal((await p.deps.db.selectFrom('dossier').select('state').where('id', '=', child.id).executeTakeFirstOrThrow()).state, 'signe');
    assert.deepEqual(await p.deps.db.selectFrom('dossier').select(['state', 'version', 'metadata']).where('id', '=', otherFlux.id).executeTakeFirstOrThrow(), otherBefore);
    assert.equal((await p.deps.db.selectFrom('document').select('id').where('dossier_id', '=', otherFlux.id).execute()).length, 0);
    assert.equal((await p.deps.db.selectFrom('journal_entry').select('id').where('object_id', '=', otherFlux.id).execute()).length, 0);
    // Nor can A read B's flow through the module's routes.
    assert.equal((await api.request('GET', H(`/helios/${otherFlux.id}`))).statusCode, 404);
    assert.equal((await api.request('POST', H(`/helios/${otherFlux.id}/soumettre-signature`), { typologieId: typologie, bureauEmetteurId: bureaux.finances })).statusCode, 404);
  });
});
