/**
 * HELIOS end to end through the platform: the DGFiP gateway is `paraphe-sim helios` as a separate process
 * (real FTP), the PES_Aller is signed per bordereau with our XAdES signer (test CA trusted by the
 * simulator). Finance software drives it with an API token: deposit (validated), readable view,
 * transmission (dossier action + job), acquit polling (exactly once), PES_Retour listing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { Client as FtpClient } from 'basic-ftp';
import { xadesTestKeys } from '../../test/support/xades-keys.ts';
import { startTestPlatform, makeCollectivite, makeToken, tokenClient, type TestPlatform, type Client } from '../../test/support/test-app.ts';
import { TOKEN_PERMISSIONS } from '../identity/roles.ts';
import { setConnectorConfig } from '../connectors/set-connector-config.ts';
import { runDueJobs } from '../platform/jobs/job-queue.ts';
import { withLuhnKey } from '../tenancy/siren.ts';
import { KeySigner, signPes } from '../parapheur/signature/xades/index.ts';
import { spawnHeliosSim, testPesAller, type RunningSim, type TestPesOptions } from '../simulators/helios/testing.ts';
import { heliosPorts, setHeliosPorts } from './install.ts';
import { pollHelios } from './use-cases/poll-helios.ts';

const actor = { userId: null, tokenId: null, label: 'test' };
const keys = xadesTestKeys();
const signer = new KeySigner(keys.signerCertPem, keys.signerKeyPem);
let p: TestPlatform;
let sim: RunningSim;
let cid: string;
let siret: string;
let api: Client;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const base = () => `/api/collectivites/${cid}`;
const signed = (o: Omit<TestPesOptions, 'siret'>) => signPes(testPesAller({ ...o, siret }), signer, { role: 'Ordonnateur', city: 'Nice', postalCode: '06000', countryName: 'France', infoDematerialisee: 'set' });

interface HeliosJson {
  nomFic: string;
  fichierEnvoye: string | null;
  acquit: { statut: string; elements: { domaine: string | null; accepte: boolean; bordereau: string | null; erreurs: { code: string | null; libelle: string | null }[] }[] } | null;
  dossier: { id: string; state: string; s2lowCode: number | null; metadata: Record<string, unknown>; documents: { role: string; filename: string }[]; actions: { name: string }[] };
}

async function get(id: string): Promise<HeliosJson> {
  const res = await api.request('GET', `${base()}/helios/${id}`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as HeliosJson;
}

/** Runs the jobs and polls the gateway until the dossier reaches `state` (Hélios answers asynchronously). */
async function until(id: string, state: string): Promise<HeliosJson> {
  for (let i = 0; i < 200; i++) {
    await runDueJobs(p.deps.db, p.deps.clock, p.deps.jobHandlers);
    await pollHelios(p.deps, heliosPorts(p.deps));
    const v = await get(id);
    if (v.dossier.state === state) return v;
    await sleep(100);
  }
  throw new Error(`dossier ${id} never reached ${state}: ${JSON.stringify(await get(id))}\nsimulator:\n${sim.output.join('\n')}`);
}

async function deposit(bytes: Buffer, name = 'flux.xml') {
  return api.upload(`${base()}/helios`, name, bytes);
}

async function counts() {
  const n = async (t: 'dossier' | 'helios_pes' | 'blob' | 'document') => Number((await p.deps.db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { dossier: await n('dossier'), pes: await n('helios_pes'), blob: await n('blob'), document: await n('document') };
}

before(async () => {
  p = await startTestPlatform();
  cid = await makeCollectivite(p, 'Commune de Nice-sur-Test');
  const c = await p.deps.db.selectFrom('collectivite').select('siren').where('id', '=', cid).executeTakeFirstOrThrow();
  siret = withLuhnKey(`${c.siren}0001`);
  sim = await spawnHeliosSim({ knownSirets: [siret], trustAnchorPaths: [keys.caCertPath] });
  await setConnectorConfig(p.deps, actor, { type: 'collectivite', id: cid }, 'tdt-helios', { host: '127.0.0.1', port: sim.port, user: 'paraphe', password: 'paraphe', pDest: 'VHPCE11', pAppli: 'GHELPES2' });
  api = tokenClient(p, await makeToken(p, cid, [...TOKEN_PERMISSIONS]));
});
after(async () => {
  await sim?.stop();
  await p?.close();
});

describe('HELIOS through the platform and the gateway simulator', () => {
  let acceptedId: string;

  test('a signed PES is deposited (validated), readable, transmitted by FTP and acquitted', async () => {
    const res = await deposit(await signed({ nomFic: 'PES-E2E-OK', idBords: [1, 2], pjs: ['PJE2E0000001'] }));
    assert.equal(res.statusCode, 201, res.body);
    const created = res.json() as HeliosJson;
    acceptedId = created.dossier.id;
    assert.equal(created.nomFic, 'PES-E2E-OK');
    assert.deepEqual([created.dossier.state, created.dossier.s2lowCode, created.dossier.metadata.signe, created.dossier.metadata.bordereaux], ['poste', 1, true, 2]);

    const vue = await api.request('GET', `${base()}/helios/${acceptedId}/vue`);
    assert.equal(vue.statusCode, 200, vue.body);
    const v = vue.json() as { bordereaux: { numero: string; signe: boolean }[]; pjs: { idUnique: string }[]; collectivite: { idColl: string } };
    assert.deepEqual(v.bordereaux.map((b) => [b.numero, b.signe]), [['1', true], ['2', true]]);
    assert.deepEqual(v.pjs.map((x) => x.idUnique), ['PJE2E0000001']);
    assert.equal(v.collectivite.idColl, siret);

    const act = await api.request('POST', `/api/collectivites/${cid}/dossiers/${acceptedId}/actions/transmettre`, {});
    assert.equal(act.statusCode, 200, act.body);
    // The simulator answers at once: the dossier may pass through `transmis` within one loop turn.
    const done = await until(acceptedId, 'acquitte');
    assert.match(done.fichierEnvoye!, new RegExp(`^PESALR2_${siret}_\\d{6}_001\\.xml$`));
    const sent = await p.deps.db.selectFrom('journal_entry').select('details').where('object_id', '=', acceptedId).where('action', '=', 'dossier.job.transmettre.done').executeTakeFirstOrThrow();
    assert.deepEqual([(sent.details as { to: string }).to, (sent.details as { fichier: string }).fichier], ['transmis', done.fichierEnvoye]);
    assert.equal(done.dossier.s2lowCode, 4);
    assert.equal(done.acquit?.statut, 'OK');
    assert.ok(done.acquit!.elements.every((e) => e.accepte));
    assert.deepEqual(done.acquit!.elements.map((e) => e.bordereau).filter(Boolean), ['1', '2']);
    assert.ok(done.dossier.documents.some((d) => d.role === 'evidence' && /-ACK-.*_OK\.xml$/.test(d.filename)), JSON.stringify(done.dossier.documents));
    const journal = await p.deps.db.selectFrom('journal_entry').select('action').where('object_id', '=', acceptedId).execute();
    const actions = journal.map((j) => j.action);
    for (const a of ['dossier.created', 'dossier.action.transmettre', 'helios.fichier.nomme', 'dossier.job.transmettre.done', 'helios.acquit.accepte']) assert.ok(actions.includes(a), `${a} missing from ${actions.join(', ')}`);
  });

  test('an acquit delivered again (crash before its removal) is handled once: only removed', async () => {
    const doc = await p.deps.db.selectFrom('document').select(['filename', 'sha256']).where('dossier_id', '=', acceptedId).where('role', '=', 'evidence').executeTakeFirstOrThrow();
    const chunks: Buffer[] = [];
    for await (const c of p.deps.blobs.open(doc.sha256)) chunks.push(c as Buffer);
    writeFileSync(join(sim.root, 'ftp', 'sortie', doc.filename), Buffer.concat(chunks));
    const report = await pollHelios(p.deps, heliosPorts(p.deps));
    assert.deepEqual(report.endpoints.map((e) => e.report?.alreadyProcessed), [[doc.filename]]);
    const acquits = await p.deps.db.selectFrom('journal_entry').select('id').where('object_id', '=', acceptedId).where('action', '=', 'helios.acquit.accepte').execute();
    assert.equal(acquits.length, 1);
    const evidence = await p.deps.db.selectFrom('document').select('id').where('dossier_id', '=', acceptedId).where('role', '=', 'evidence').execute();
    assert.equal(evidence.length, 1);
  });

  test('a PES altered after signing is refused by Hélios; the signature error is listed on its bordereau', async () => {
    const text = iconv.decode(await signed({ nomFic: 'PES-E2E-ALTERE', idBords: [4] }), 'latin1');
    const tampered = iconv.encode(text.replace('<Obj V="Réparation école n°1', '<Obj V="Réparation école n°9'), 'latin1');
    const res = await deposit(tampered);
    assert.equal(res.statusCode, 201, res.body);
    const id = (res.json() as HeliosJson).dossier.id;
    assert.equal((await api.request('POST', `/api/collectivites/${cid}/dossiers/${id}/actions/transmettre`, {})).statusCode, 200);
    const refused = await until(id, 'refuse');
    assert.equal(refused.dossier.s2lowCode, 6);
    assert.equal(refused.acquit?.statut, 'KO');
    const el = refused.acquit!.elements.find((e) => !e.accepte)!;
    assert.equal(el.bordereau, '4');
    assert.equal(el.erreurs[0]!.code, 'ERREUR_SIGNATURE_INVALIDE');
  });

  test('an unsigned PES cannot be transmitted (French reason)', async () => {
    const res = await deposit(testPesAller({ nomFic: 'PES-E2E-NONSIGNE', idBords: [6], siret }));
    assert.equal(res.statusCode, 201, res.body);
    const created = res.json() as HeliosJson;
    assert.equal(created.dossier.metadata.signe, false);
    assert.ok(!created.dossier.actions.some((a) => a.name === 'transmettre'));
    const act = await api.request('POST', `/api/collectivites/${cid}/dossiers/${created.dossier.id}/actions/transmettre`, {});
    assert.equal(act.statusCode, 409);
    assert.match((act.json() as { message: string }).message, /ne sont pas tous signés/);
  });

  test('a PES_Retour from the trésorerie is stored, listed for the collectivité and linked to the flux it answers', async () => {
    const ftp = new FtpClient();
    await ftp.access({ host: '127.0.0.1', port: sim.port, user: 'paraphe', password: 'paraphe' });
    await ftp.send('SITE P_RETOUR PES-E2E-OK');
    ftp.close();
    let list: { fichier: string; nomFic: string | null; resume: string[]; flux: { dossierId: string; nomFic: string; bordereaux: number }[] }[] = [];
    for (let i = 0; i < 200 && list.length === 0; i++) {
      await pollHelios(p.deps, heliosPorts(p.deps));
      list = (await api.request('GET', `${base()}/helios-retours`)).json() as typeof list;
      if (list.length === 0) await sleep(100);
    }
    assert.equal(list.length, 1);
    assert.match(list[0]!.fichier, /^PES2R_/);
    // A readable summary per bordereau, kept from the file at receipt.
    assert.ok(list[0]!.resume.length > 0);
    assert.ok(list[0]!.resume.every((l) => /^Mandats, exercice \d{4}, bordereau n° \d+ : \d+ pièces? \(\d+ prises? en charge\)$/.test(l)), list[0]!.resume.join('\n'));
    const raw = await api.request('GET', `${base()}/helios-retours/${list[0]!.fichier}`);
    assert.equal(raw.statusCode, 200);
    assert.match(raw.body, /PES_Retour/);
    // Its own NomFic differs from the PES_Aller's: the link goes through SIRET, budget, exercice and IdBord.
    assert.notEqual(list[0]!.nomFic, 'PES-E2E-OK');
    assert.deepEqual(list[0]!.flux, [{ dossierId: acceptedId, nomFic: 'PES-E2E-OK', bordereaux: 2 }]);
    const flux = (await api.request('GET', `${base()}/helios/${acceptedId}`)).json() as { retours: { fichier: string; flux: { dossierId: string }[] }[] };
    assert.deepEqual(flux.retours.map((r) => r.fichier), [list[0]!.fichier]);
    // The other flux (refused one, unsigned one) have no retour.
    const others = await p.deps.db.selectFrom('helios_pes').select('dossier_id').where('collectivite_id', '=', cid).where('dossier_id', '!=', acceptedId).execute();
    assert.ok(others.length >= 2);
    for (const o of others) assert.deepEqual(((await api.request('GET', `${base()}/helios/${o.dossier_id}`)).json() as { retours: unknown[] }).retours, []);
    const journal = await p.deps.db.selectFrom('journal_entry').select('details').where('object_id', '=', acceptedId).where('action', '=', 'helios.retour.rattache').execute();
    assert.equal(journal.length, 1);
  });

  test('a PES_Retour naming bordereaux of a flux sent again after a refusal is linked to the last flux sent', async () => {
    // Bordereau 4 was refused (altered signature) in PES-E2E-ALTERE; sent again, correctly signed, in a new flux.
    const res = await deposit(await signed({ nomFic: 'PES-E2E-RENVOI', idBords: [4] }));
    assert.equal(res.statusCode, 201, res.body);
    const id = (res.json() as HeliosJson).dossier.id;
    assert.equal((await api.request('POST', `/api/collectivites/${cid}/dossiers/${id}/actions/transmettre`, {})).statusCode, 200);
    await until(id, 'acquitte');
    // As if deposited before its bordereaux' keys were kept (migration 0012): read again from the stored PES.
    await p.deps.db.deleteFrom('helios_pes_bordereau').where('dossier_id', '=', id).execute();
    const ftp = new FtpClient();
    await ftp.access({ host: '127.0.0.1', port: sim.port, user: 'paraphe', password: 'paraphe' });
    await ftp.send('SITE P_RETOUR PES-E2E-RENVOI');
    ftp.close();
    let linked: { retours: { fichier: string; resume: string[]; flux: { nomFic: string; bordereaux: number }[] }[] } = { retours: [] };
    for (let i = 0; i < 200 && linked.retours.length === 0; i++) {
      await pollHelios(p.deps, heliosPorts(p.deps));
      linked = (await api.request('GET', `${base()}/helios/${id}`)).json() as typeof linked;
      if (linked.retours.length === 0) await sleep(100);
    }
    assert.equal(linked.retours.length, 1);
    assert.deepEqual(linked.retours[0]!.flux, [{ dossierId: id, nomFic: 'PES-E2E-RENVOI', bordereaux: 1 }]);
    assert.match(linked.retours[0]!.resume[0]!, /bordereau n° 4 /);
    const altere = await p.deps.db.selectFrom('helios_pes').select('dossier_id').where('nom_fic', '=', 'PES-E2E-ALTERE').executeTakeFirstOrThrow();
    assert.deepEqual(((await api.request('GET', `${base()}/helios/${altere.dossier_id}`)).json() as { retours: unknown[] }).retours, []);
  });

  test('bad input is refused with a French message and leaves nothing', async () => {
    const before = await counts();
    const valid = testPesAller({ nomFic: 'PES-E2E-BAD', idBords: [7], siret });
    const text = iconv.decode(valid, 'latin1');
    const doctype = iconv.encode(text.replace(/\?>/, '?>\n<!DOCTYPE PES_Aller [<!ENTITY x "y">]>'), 'latin1');
    const cases: [Buffer, RegExp][] = [
      [doctype, /DOCTYPE|entité/i],
      [Buffer.from('ceci n’est pas du XML'), /n’est pas un document XML/],
      [iconv.encode(text.replace(/<CodCol V="[^"]*"\/>/, '<CodCol V="000"/>'), 'latin1'), /n’est pas valide/],
      [testPesAller({ nomFic: 'PES-E2E-AUTRE', idBords: [8], siret: '21340172200011' }), /n’appartient pas à cette collectivité/],
    ];
    for (const [bytes, message] of cases) {
      const res = await deposit(bytes);
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${res.statusCode} ${res.body}`);
      assert.match((res.json() as { message: string }).message, message);
    }
    // A rule error comes with its place, in French.
    const codCol = await deposit(cases[2]![0]);
    const erreurs = (codCol.json() as { details: { erreurs: { code: string; emplacement: string; message: string }[] } }).details.erreurs;
    assert.ok(erreurs.length > 0 && erreurs.every((e) => e.emplacement && e.message), JSON.stringify(erreurs));
    assert.ok(erreurs.some((e) => e.code === 'CODCOL_000' && e.emplacement === 'en-tête' && /interdit/.test(e.message)), JSON.stringify(erreurs));
    // The polling cycle was started by the first transmission.
    assert.ok(await p.deps.db.selectFrom('job').select('id').where('queue', '=', 'helios-releve').executeTakeFirst());
    const dup = await deposit(await signed({ nomFic: 'PES-E2E-OK', idBords: [9] }));
    assert.equal(dup.statusCode, 409, dup.body);
    assert.match((dup.json() as { message: string }).message, /a déjà été déposé/);

    const original = heliosPorts(p.deps).pes;
    setHeliosPorts(p.deps, { pes: { ...original, maxFileBytes: 1024 } });
    try {
      const big = await deposit(valid);
      assert.equal(big.statusCode, 413, big.body);
      assert.match((big.json() as { message: string }).message, /taille maximale/);
    } finally {
      setHeliosPorts(p.deps, { pes: original });
    }
    assert.deepEqual(await counts(), before);
  });
});
