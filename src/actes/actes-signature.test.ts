/**
 * An acte passes through the parapheur before it is transmitted: `soumettre-signature` creates a child
 * `document-a-signer` dossier that runs a visa + signature (two-phase PAdES with the test PKI) + cachet
 * circuit; signed, the acte carries the signed PDF, is transmitted to the préfecture simulator (a separate
 * process, answering through a real Dovecot mailbox), acknowledged, and its stamped PDF keeps both
 * signatures valid for pdfsig. A rejected circuit, a circuit taken back, a token-driven flow and the
 * isolation between collectivités are covered too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conformancePath } from './archive/testing.ts';
import { spawnActesSimulator, type SimulatorProcess } from '../simulators/actes/testing.ts';
import { createTestPki as createTlsPki, type TestPki as TlsPki } from '../../test/support/tls.ts';
import { createTestPki as createSigningPki, type TestPki as SigningPki, type TestIdentity } from '../../test/support/pki.ts';
import { startDovecot, type DovecotInstance } from '../../test/support/dovecot.ts';
import { startTestPlatform, makeCollectivite, makeMember, makeToken, login, tokenClient, type TestPlatform, type Client } from '../../test/support/test-app.ts';
import { TOKEN_PERMISSIONS } from '../identity/roles.ts';
import { setConnectorConfig } from '../connectors/set-connector-config.ts';
import { runDueJobs } from '../platform/jobs/job-queue.ts';
import { makeTestPdf } from '../parapheur/signature/pades/test-pdf.ts';
import { Pkcs12KeySource } from '../parapheur/signature/pades/key-source.ts';
import { actesPorts } from './install.ts';
import { pollActesMailboxes } from './use-cases/poll-actes-mailboxes.ts';
import { assertChildCircuitStopped } from '../../test/support/child-circuit.ts';

const CURRENT = conformancePath('pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/999-1234----7-2_1.xml');
const MAILBOX = { user: 'retour-signature@paraphe.test', password: 'secret-retour' };
const setup = { userId: null, tokenId: null, label: 'test' };

let dir: string;
let tls: TlsPki;
let pki: SigningPki;
let nssDir: string;
let dovecot: DovecotInstance;
let sim: SimulatorProcess;
let p: TestPlatform;
let cid: string;
let otherCid: string;
let api: Client;
let people: Record<'admin' | 'secretaire' | 'dgs' | 'maire', Client>;
const bureaux: Record<string, string> = {};
let typologie: string; // Actes / Délibération: visa DGS, signature du maire, cachet
let typologieVisa: string; // Actes / Arrêté: visa DGS only
let typologiePes: string; // Helios / PES (XAdES): refused for an acte

interface SignatureView {
  parapheurDossierId: string;
  etat: string;
  etatLibelle: string;
  transmettreApresSignature: boolean;
  motifRefus: string | null;
  etapes: { position: number; kind: string; state: string; bureaux: { name: string; pending: boolean }[] }[];
}
interface ActeView {
  idActe: string;
  dateEnvoi: string | null;
  dateReception: string | null;
  archive: { nom: string; sha256: string } | null;
  signature: SignatureView | null;
  dossier: { id: string; state: string; stateLabel: string; s2lowCode: number | null; actions: { name: string }[]; documents: { id: string; role: string; filename: string; sha256: string }[] };
}

function tool(cmd: string, args: string[], pkg: string): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) assert.fail(`${cmd} is required for this test: apt-get install -y ${pkg}`);
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, done: () => Promise<T | undefined | false>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    await runDueJobs(p.deps.db, p.deps.clock, p.deps.jobHandlers);
    await pollActesMailboxes(p.deps, actesPorts(p.deps));
    await runDueJobs(p.deps.db, p.deps.clock, p.deps.jobHandlers);
    const v = await done();
    if (v) return v;
    await sleep(100);
  }
  throw new Error(`never happened: ${what}\nsimulator:\n${sim.output()}`);
}

const A = (path: string) => `/api/collectivites/${cid}${path}`;
const P = (path: string) => `/api/collectivites/${cid}/parapheur${path}`;

async function acte(id: string, who: Client = api): Promise<ActeView> {
  const r = await who.request('GET', A(`/actes/${id}`));
  assert.equal(r.statusCode, 200, r.body);
  return r.json() as ActeView;
}

async function ok<T = Record<string, unknown>>(who: Client, method: string, url: string, body?: unknown, status = 200): Promise<T> {
  const r = await who.request(method, url, body);
  assert.equal(r.statusCode, status, `${method} ${url}: ${r.body}`);
  return r.json() as T;
}

/** An acte by the business software's token, with its unsigned PDF (placement tags) and an annex. */
async function createActe(numeroInterne: string, client: Client = api): Promise<ActeView> {
  const created = await ok<ActeView>(client, 'POST', A('/actes'), { metadata: { nature: 'DE', classification: '7.1', numeroInterne, dateDecision: '2026-03-12', objet: `Tarifs de la cantine ${numeroInterne}`, documentPapier: false, typologieActe: '99_DE', typologieAnnexes: ['99_DE'] } }, 201);
  const pdf = Buffer.from(await makeTestPdf({ lines: ['Délibération : tarifs de la cantine scolaire.', 'Le maire : #signature#', 'Cachet : #cachet#'] }));
  const up = await client.upload(A(`/actes/${created.dossier.id}/documents?role=principal`), 'deliberation.pdf', pdf);
  assert.equal(up.statusCode, 201, up.body);
  const annexe = await client.upload(A(`/actes/${created.dossier.id}/documents?role=annexe`), 'grille.pdf', Buffer.from(await makeTestPdf({ lines: ['Annexe : grille tarifaire.'] })));
  assert.equal(annexe.statusCode, 201, annexe.body);
  return acte(created.dossier.id, client);
}

async function signAsMaire(childId: string, identity: TestIdentity): Promise<void> {
  const key = await Pkcs12KeySource.fromFile(identity.p12Path, identity.p12Password);
  const chain = await key.getCertificateChain();
  const prepared = await ok<{ sessionId: string; items: { dataToSign: string; digest: string }[] }>(people.maire, 'POST', P(`/dossiers/${childId}/signature/prepare`), { certificateChain: chain.map((c) => Buffer.from(c).toString('base64')) });
  const values = await Promise.all(prepared.items.map((i) => key.sign({ data: Buffer.from(i.dataToSign, 'base64'), digest: Buffer.from(i.digest, 'base64'), digestAlgorithm: 'SHA-256' })));
  await ok(people.maire, 'POST', P(`/dossiers/${childId}/signature/complete`), { sessionId: prepared.sessionId, signatureValues: values.map((v) => Buffer.from(v).toString('base64')) });
}

async function journalOf(dossierId: string): Promise<string[]> {
  const rows = await p.deps.db.selectFrom('journal_entry').select('action').where('object_id', '=', dossierId).orderBy('seq').execute();
  return rows.map((r) => r.action);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'paraphe-actes-signature-'));
  tls = createTlsPki();
  pki = await createSigningPki(join(dir, 'signing-pki'));
  nssDir = join(dir, 'nss');
  mkdirSync(nssDir);
  assert.equal(tool('certutil', ['-N', '-d', `sql:${nssDir}`, '--empty-password'], 'libnss3-tools').status, 0);
  assert.equal(tool('certutil', ['-A', '-d', `sql:${nssDir}`, '-n', 'paraphe-test-root', '-t', 'CT,C,C', '-i', pki.rootPemPath], 'libnss3-tools').status, 0);
  dovecot = await startDovecot([MAILBOX]);
  p = await startTestPlatform();
  cid = await makeCollectivite(p, 'Commune de Signature');
  otherCid = await makeCollectivite(p, 'Commune Voisine');
  const siren = (await p.deps.db.selectFrom('collectivite').select('siren').where('id', '=', cid).executeTakeFirstOrThrow()).siren;
  const ids: Record<string, string> = {};
  for (const [k, role] of [['admin', 'collectivite_admin'], ['secretaire', 'agent'], ['dgs', 'agent'], ['maire', 'elu']] as const) ids[k] = await makeMember(p, cid, `${k}@signature.test`, role);
  people = { admin: await login(p, 'admin@signature.test'), secretaire: await login(p, 'secretaire@signature.test'), dgs: await login(p, 'dgs@signature.test'), maire: await login(p, 'maire@signature.test') };
  api = tokenClient(p, await makeToken(p, cid, [...TOKEN_PERMISSIONS]));

  const sirens = join(dir, 'sirens.txt');
  writeFileSync(sirens, `${siren}\n`);
  sim = await spawnActesSimulator(['--port', '0', '--tls-cert', tls.server.certPath, '--tls-key', tls.server.keyPath, '--client-ca', tls.ca.certPath, '--smtp', `127.0.0.1:${dovecot.lmtpPort}`, '--lmtp', '--data-dir', join(dir, 'sim'), '--classification', CURRENT, '--sirens', sirens]);
  await setConnectorConfig(p.deps, setup, { type: 'collectivite', id: cid }, 'tdt-actes', {
    url: sim.ctesUrl,
    clientCertPath: tls.client.certPath,
    clientKeyPath: tls.client.keyPath,
    caPath: tls.ca.certPath,
    trigramme: 'PAR',
    adressesRetour: [MAILBOX.user],
    imap: { host: dovecot.host, port: dovecot.imapPort, secure: false, user: MAILBOX.user, password: MAILBOX.password },
  });
  await setConnectorConfig(p.deps, setup, { type: 'collectivite', id: cid }, 'parapheur-certificats', { trustAnchorsPath: pki.trustDir });
  await setConnectorConfig(p.deps, setup, { type: 'collectivite', id: cid }, 'parapheur-seal', { p12Path: pki.seal.p12Path, password: pki.seal.p12Password });
  const up = await people.admin.upload(A('/actes-classification'), 'classification.xml', readFileSync(CURRENT));
  assert.equal(up.statusCode, 200, up.body);

  for (const [k, name, holder] of [['maire', 'Maire', 'maire'], ['dgs', 'DGS', 'dgs'], ['secretariat', 'Secrétariat', 'secretaire']] as const) {
    bureaux[k] = (await ok<{ id: string }>(people.admin, 'POST', P('/bureaux'), { name, holderUserIds: [ids[holder]] }, 201)).id;
  }
  const circuit = await ok<{ id: string }>(people.admin, 'POST', P('/circuits'), { name: 'Visa DGS, signature du maire, cachet', steps: [{ kind: 'visa', actors: { type: 'bureaux', bureauIds: [bureaux.dgs] } }, { kind: 'signature', actors: { type: 'bureaux', bureauIds: [bureaux.maire] } }, { kind: 'cachet' }] }, 201);
  typologie = (await ok<{ id: string }>(people.admin, 'POST', P('/typologies'), { type: 'Actes', sousType: 'Délibération', circuitId: circuit.id, format: 'pades', mark: { text: 'Signé par {signataire} le {date}', tag: '#signature#' } }, 201)).id;
  const visaOnly = await ok<{ id: string }>(people.admin, 'POST', P('/circuits'), { name: 'Visa DGS', steps: [{ kind: 'visa', actors: { type: 'bureaux', bureauIds: [bureaux.dgs] } }] }, 201);
  typologieVisa = (await ok<{ id: string }>(people.admin, 'POST', P('/typologies'), { type: 'Actes', sousType: 'Arrêté', circuitId: visaOnly.id, format: 'pades' }, 201)).id;
  typologiePes = (await ok<{ id: string }>(people.admin, 'POST', P('/typologies'), { type: 'Helios', sousType: 'PES', circuitId: visaOnly.id, format: 'xades' }, 201)).id;
});

after(async () => {
  await p?.close();
  await sim?.stop();
  await dovecot?.stop();
  tls?.cleanup();
  await pki?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an acte through the parapheur before its transmission', () => {
  test('token-driven: visa, two-phase PAdES signature, cachet → signed, transmitted, acknowledged; the stamped PDF keeps both signatures valid', async () => {
    const a = await createActe('2026_101');
    assert.ok(a.dossier.actions.some((x) => x.name === 'soumettre_signature'), 'the acte lists soumettre_signature');
    assert.ok(!a.dossier.actions.some((x) => x.name === 'viser'), 'no stand-in visa any more');
    // The generic action endpoint cannot submit without the parapheur choices.
    const bare = await api.request('POST', A(`/dossiers/${a.dossier.id}/actions/soumettre_signature`), {});
    assert.equal(bare.statusCode, 409);
    assert.match((bare.json() as { message: string }).message, /choix du parapheur/);

    const submitted = await ok<ActeView>(api, 'POST', A(`/actes/${a.dossier.id}/soumettre-signature`), { typologieId: typologie, bureauEmetteurId: bureaux.secretariat });
    assert.equal(submitted.dossier.state, 'a_signer');
    assert.equal(submitted.dossier.s2lowCode, 18);
    const sig = submitted.signature!;
    assert.equal(sig.etat, 'en_cours');
    assert.equal(sig.transmettreApresSignature, true);
    assert.deepEqual(sig.etapes.map((s) => [s.kind, s.state]), [['visa', 'active'], ['signature', 'waiting'], ['cachet', 'waiting']]);
    assert.deepEqual(sig.etapes[0]!.bureaux.map((b) => [b.name, b.pending]), [['DGS', true]]);
    assert.ok(!submitted.dossier.actions.some((x) => x.name === 'soumettre_signature' || x.name === 'transmettre'));

    // The child dossier: the acte's PDF and annex, titled after the acte, linking back to it.
    const child = await ok<{ dossier: { title: string; documents: { role: string; sha256: string }[] }; origine: { dossierId: string } | null }>(people.dgs, 'GET', P(`/dossiers/${sig.parapheurDossierId}`));
    assert.equal(child.dossier.title, 'Acte n° 2026_101 — Tarifs de la cantine 2026_101');
    assert.deepEqual(child.origine?.dossierId, a.dossier.id);
    const pairs = (docs: { role: string; sha256: string }[]) => docs.map((d) => `${d.role}:${d.sha256}`).sort();
    assert.deepEqual(pairs(child.dossier.documents), pairs(a.dossier.documents));
    const inbox = await ok<{ items: { id: string }[] }>(people.dgs, 'GET', P(`/bureaux/${bureaux.dgs}/dossiers?vue=a-traiter`));
    assert.ok(inbox.items.some((x) => x.id === sig.parapheurDossierId));

    await ok(people.dgs, 'POST', P(`/dossiers/${sig.parapheurDossierId}/viser`), { comment: 'Vu.' });
    assert.deepEqual((await acte(a.dossier.id)).signature!.etapes.map((s) => s.state), ['done', 'active', 'waiting']);
    await signAsMaire(sig.parapheurDossierId, pki.agents[2]);
    assert.equal((await acte(a.dossier.id)).dossier.state, 'a_signer', 'still waiting for the cachet');

    const acked = await until('acquitté', async () => {
      const v = await acte(a.dossier.id);
      return v.dossier.state === 'acquitte' && v;
    });
    assert.equal(acked.signature!.etat, 'signe');
    const childDocs = (await ok<{ dossier: { documents: { role: string; sha256: string }[] } }>(api, 'GET', P(`/dossiers/${sig.parapheurDossierId}`))).dossier.documents.filter((d) => d.role === 'signed');
    assert.equal(childDocs.length, 2, 'maire + cachet');
    const signedDoc = acked.dossier.documents.find((d) => d.role === 'signed')!;
    assert.equal(signedDoc.sha256, childDocs[1]!.sha256, 'the acte carries the last signed version');

    // The archive sent to the préfecture holds the signed PDF.
    const tarDir = join(dir, 'archive');
    mkdirSync(tarDir);
    const archive = await api.request('GET', `/api/collectivites/${cid}/documents/${acked.dossier.documents.find((d) => d.filename === acked.archive!.nom)!.id}/content`);
    assert.equal(archive.statusCode, 200);
    writeFileSync(join(tarDir, 'a.tar.gz'), archive.rawPayload);
    assert.equal(tool('tar', ['-xzf', join(tarDir, 'a.tar.gz'), '-C', tarDir], 'tar').status, 0);
    const pdfs = readdirSync(tarDir).filter((f) => f.endsWith('.pdf')).map((f) => createHash('sha256').update(readFileSync(join(tarDir, f))).digest('hex'));
    assert.ok(pdfs.includes(signedDoc.sha256), 'signed version transmitted');
    assert.ok(!pdfs.includes(a.dossier.documents.find((d) => d.role === 'principal')!.sha256), 'not the unsigned one');

    const stamped = await api.request('GET', A(`/actes/${a.dossier.id}/acte-tamponne`));
    assert.equal(stamped.statusCode, 200);
    const signedBytes = (await api.request('GET', `/api/collectivites/${cid}/documents/${signedDoc.id}/content`)).rawPayload;
    assert.ok(stamped.rawPayload.subarray(0, signedBytes.length).equals(signedBytes), 'the stamp is an incremental update of the signed PDF');
    const f = join(dir, 'tamponne.pdf');
    writeFileSync(f, stamped.rawPayload);
    const out = tool('pdfsig', ['-nssdir', `sql:${nssDir}`, f], 'poppler-utils').out;
    assert.equal(out.match(/Signature Validation: Signature is Valid\./g)?.length, 2, out);
    assert.equal(out.match(/Certificate Validation: Certificate is Trusted\./g)?.length, 2, out);
    assert.equal(tool('qpdf', ['--check', f], 'qpdf').status, 0);
    assert.match(tool('pdftotext', [f, '-'], 'poppler-utils').out, new RegExp(`ID : ${acked.idActe}`));

    const actions = await journalOf(a.dossier.id);
    for (const x of ['dossier.action.soumettre_signature', 'actes.signature.signe', 'dossier.action.transmettre', 'dossier.job.transmettre.done', 'actes.ar.recu']) assert.ok(actions.includes(x), `${x} missing in ${actions.join(', ')}`);

    // The same event seen again changes nothing.
    const childRow = await p.deps.db.selectFrom('dossier').selectAll().where('id', '=', sig.parapheurDossierId).executeTakeFirstOrThrow();
    const docsBefore = (await acte(a.dossier.id)).dossier.documents.length;
    for (const version of [childRow.version, childRow.version + 1]) {
      await p.deps.db.transaction().execute((trx) => p.deps.dossierEvents.emit(trx, { collectiviteId: cid, dossierId: childRow.id, type: childRow.type, from: 'cachet_en_cours', to: 'signe', version, at: new Date() }));
    }
    const again = await acte(a.dossier.id);
    assert.equal(again.dossier.state, 'acquitte');
    assert.equal(again.dossier.documents.length, docsBefore);
    assert.deepEqual(await journalOf(a.dossier.id), actions);
  });

  test('choices are checked: unknown or XAdES typologie, a bureau émetteur the person does not hold; nothing is written', async () => {
    const a = await createActe('2026_102', people.secretaire);
    const countDossiers = async () => Number((await p.deps.db.selectFrom('dossier').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await countDossiers();
    const pes = await people.secretaire.request('POST', A(`/actes/${a.dossier.id}/soumettre-signature`), { typologieId: typologiePes, bureauEmetteurId: bureaux.secretariat });
    assert.equal(pes.statusCode, 422, pes.body);
    assert.match((pes.json() as { message: string }).message, /signe en XADES .* PAdES/);
    const unknown = await people.secretaire.request('POST', A(`/actes/${a.dossier.id}/soumettre-signature`), { typologieId: '00000000-0000-4000-8000-000000000000', bureauEmetteurId: bureaux.secretariat });
    assert.equal(unknown.statusCode, 422);
    const notHeld = await people.secretaire.request('POST', A(`/actes/${a.dossier.id}/soumettre-signature`), { typologieId: typologie, bureauEmetteurId: bureaux.maire });
    assert.equal(notHeld.statusCode, 403, notHeld.body);
    assert.match((notHeld.json() as { message: string }).message, /bureau émetteur/);
    assert.equal(await countDossiers(), before);
    const still = await acte(a.dossier.id);
    assert.equal(still.dossier.state, 'brouillon');
    assert.equal(still.signature, null);
  });

  test('a rejected circuit: the acte is « Refusé au parapheur » with the motif, then submitted again, taken back, and abandoned', async () => {
    const a = await createActe('2026_103', people.secretaire);
    const first = await ok<ActeView>(people.secretaire, 'POST', A(`/actes/${a.dossier.id}/soumettre-signature`), { typologieId: typologie, bureauEmetteurId: bureaux.secretariat, transmettreApresSignature: false });
    const firstChild = first.signature!.parapheurDossierId;
    await ok(people.dgs, 'POST', P(`/dossiers/${firstChild}/rejeter`), { motif: 'Le montant de l’article 2 est erroné.' });
    const refused = await acte(a.dossier.id, people.secretaire);
    assert.equal(refused.dossier.state, 'signature_refusee');
    assert.equal(refused.dossier.stateLabel, 'Refusé au parapheur');
    assert.equal(refused.signature!.motifRefus, 'Le montant de l’article 2 est erroné.');
    assert.deepEqual(refused.dossier.actions.map((x) => x.name).sort(), ['abandonner', 'soumettre_signature']);
    const history = await journalOf(a.dossier.id);
    assert.ok(history.includes('actes.signature.refusee'));

    // Submitted again: a new circuit; the rejected child is abandoned without touching the acte.
    const second = await ok<ActeView>(people.secretaire, 'POST', A(`/actes/${a.dossier.id}/soumettre-signature`), { typologieId: typologie, bureauEmetteurId: bureaux.secretariat });
    assert.equal(second.dossier.state, 'a_signer');
    assert.notEqual(second.signature!.parapheurDossierId, firstChild);
    assert.equal((await p.deps.db.selectFrom('dossier').select('state').where('id', '=', firstChild).executeTakeFirstOrThrow()).state, 'abandonne');

    // Taken back before anyone acted: the acte is a draft again; sent again from the parapheur, it waits again.
    const secondChild = second.signature!.parapheurDossierId;
    await ok(people.secretaire, 'POST', P(`/dossiers/${secondChild}/reprendre`), {});
    assert.equal((await acte(a.dossier.id)).dossier.state, 'brouillon');
    await ok(people.secretaire, 'POST', P(`/dossiers/${secondChild}/envoyer`), {});
    assert.equal((await acte(a.dossier.id)).dossier.state, 'a_signer');
    await ok(people.secretaire, 'POST', P(`/dossiers/${secondChild}/reprendre`), {});
    await ok(people.secretaire, 'POST', A(`/dossiers/${secondChild}/actions/abandonner`), {});
    const back = await acte(a.dossier.id);
    assert.equal(back.dossier.state, 'brouillon');
    for (const x of ['actes.signature.reprise', 'actes.signature.renvoyee', 'actes.signature.abandonnee']) assert.ok((await journalOf(a.dossier.id)).includes(x), x);
    // Abandoned child: a later event from it no longer moves the acte.
    await ok(people.secretaire, 'POST', A(`/dossiers/${a.dossier.id}/actions/abandonner`), {});
    assert.equal((await acte(a.dossier.id)).dossier.state, 'abandonne');
  });

  test('abandoning the acte while its circuit runs stops the child: it leaves the maire’s inbox and a late signature is refused', async () => {
    const a = await createActe('2026_105', people.secretaire);
    const s = await ok<ActeView>(people.secretaire, 'POST', A(`/actes/${a.dossier.id}/soumettre-signature`), { typologieId: typologie, bureauEmetteurId: bureaux.secretariat, transmettreApresSignature: false });
    const child = s.signature!.parapheurDossierId;
    await ok(people.dgs, 'POST', P(`/dossiers/${child}/viser`), {});
    const inbox = async () => (await ok<{ items: { id: string }[] }>(people.maire, 'GET', P(`/bureaux/${bureaux.maire}/dossiers?vue=a-traiter`))).items.map((d) => d.id);
    assert.ok((await inbox()).includes(child), 'the maire’s turn');
    // The maire's device prepared the signature just before the acte was abandoned.
    const key = await Pkcs12KeySource.fromFile(pki.agents[2].p12Path, pki.agents[2].p12Password);
    const chain = (await key.getCertificateChain()).map((c) => Buffer.from(c).toString('base64'));
    const prepared = await ok<{ sessionId: string; items: { dataToSign: string; digest: string }[] }>(people.maire, 'POST', P(`/dossiers/${child}/signature/prepare`), { certificateChain: chain });
    const values = await Promise.all(prepared.items.map((i) => key.sign({ data: Buffer.from(i.dataToSign, 'base64'), digest: Buffer.from(i.digest, 'base64'), digestAlgorithm: 'SHA-256' })));

    await ok(people.secretaire, 'POST', A(`/dossiers/${a.dossier.id}/actions/abandonner`), {});
    const abandoned = await acte(a.dossier.id);
    assert.equal(abandoned.dossier.state, 'abandonne');
    assert.equal(abandoned.signature!.etat, 'abandonne');
    assert.deepEqual(abandoned.signature!.etapes.map((x) => [x.kind, x.state]), [['visa', 'done'], ['signature', 'stopped'], ['cachet', 'stopped']]);
    assert.ok(abandoned.signature!.etapes.every((x) => x.bureaux.every((b) => !b.pending)), 'no bureau is expected any more');
    assert.ok(!(await inbox()).includes(child), 'gone from the maire’s inbox');
    await assertChildCircuitStopped(people.maire, P(`/dossiers/${child}`), 'L’acte a été abandonné : son circuit de signature est interrompu.', { sessionId: prepared.sessionId, signatureValues: values.map((v) => Buffer.from(v).toString('base64')) });
    const again = await people.maire.request('POST', P(`/dossiers/${child}/signature/prepare`), { certificateChain: chain });
    assert.equal(again.statusCode, 409, again.body);
    assert.match((again.json() as { message: string }).message, /Abandonné/);
    assert.ok(!(await acte(a.dossier.id)).dossier.documents.some((d) => d.role === 'signed'), 'nothing signed');
    assert.ok((await journalOf(child)).includes('parapheur.interrompre'));
    assert.ok((await journalOf(a.dossier.id)).includes('actes.signature.abandonnee'));
  });

  test('signed with transmettreApresSignature = false: the acte waits, signed, until someone transmits it', async () => {
    const a = await createActe('2026_104');
    const s = await ok<ActeView>(api, 'POST', A(`/actes/${a.dossier.id}/soumettre-signature`), { typologieId: typologieVisa, bureauEmetteurId: bureaux.secretariat, transmettreApresSignature: false });
    await ok(people.dgs, 'POST', P(`/dossiers/${s.signature!.parapheurDossierId}/viser`), {});
    const signed = await acte(a.dossier.id);
    assert.equal(signed.dossier.state, 'signe');
    assert.ok(!signed.dossier.documents.some((d) => d.role === 'signed'), 'a visa-only circuit signs nothing: the deposited PDF is the acte');
    assert.ok(signed.dossier.actions.some((x) => x.name === 'transmettre'));
    assert.ok(!(await journalOf(a.dossier.id)).includes('dossier.action.transmettre'), 'not transmitted');
  });

  test('isolation: a child dossier of one collectivité never moves an acte of another', async () => {
    // An acte of the other collectivité, waiting for a signature.
    const otherActe = await p.deps.db.insertInto('dossier').values({ collectivite_id: otherCid, type: 'actes', title: 'Acte voisin', metadata: JSON.stringify({}), state: 'a_signer', created_by: null, updated_at: new Date() }).returning('id').executeTakeFirstOrThrow();
    // A dossier of this collectivité, linked (forged) to it.
    const child = await ok<{ id: string }>(people.secretaire, 'POST', A('/dossiers'), { type: 'document-a-signer', title: 'Courrier', metadata: { typologieId: typologieVisa, bureauEmetteurId: bureaux.secretariat } }, 201);
    const otherBefore = await p.deps.db.selectFrom('dossier').select(['state', 'version']).where('id', '=', otherActe.id).executeTakeFirstOrThrow();
    const up = await people.secretaire.upload(A(`/dossiers/${child.id}/documents?role=principal`), 'courrier.pdf', Buffer.from(await makeTestPdf({ lines: ['Courrier.'] })));
    assert.equal(up.statusCode, 201);
    await p.deps.db.insertInto('actes_signature').values({ child_dossier_id: child.id, acte_dossier_id: otherActe.id, collectivite_id: cid, transmettre_apres_signature: true }).execute();
    await ok(people.secretaire, 'POST', P(`/dossiers/${child.id}/envoyer`), {});
    const view = await ok<{ origine: unknown }>(people.dgs, 'GET', P(`/dossiers/${child.id}`));
    assert.equal(view.origine, null, 'no link to another collectivité’s acte');
    await ok(people.dgs, 'POST', P(`/dossiers/${child.id}/viser`), {});
    assert.equal((await p.deps.db.selectFrom('dossier').select('state').where('id', '=', child.id).executeTakeFirstOrThrow()).state, 'signe');
    const other = await p.deps.db.selectFrom('dossier').select(['state', 'version']).where('id', '=', otherActe.id).executeTakeFirstOrThrow();
    assert.deepEqual(other, otherBefore);
    assert.equal((await p.deps.db.selectFrom('document').select('id').where('dossier_id', '=', otherActe.id).execute()).length, 0);
    assert.equal((await p.deps.db.selectFrom('journal_entry').select('id').where('object_id', '=', otherActe.id).execute()).length, 0);
  });
});
