/**
 * End to end: the simulator runs as a separate process; PES files are signed with our XAdES signer,
 * deposited with our FTP transport, and the PES_ACQUIT polled back is checked with xmllint on the
 * conformance schema and with the PES_ACQUIT parser.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import iconv from 'iconv-lite';
import { Client } from 'basic-ftp';
import { Readable } from 'node:stream';
import { xadesTestKeys } from '../../../test/support/xades-keys.ts';
import { KeySigner, signPes } from '../../parapheur/signature/xades/index.ts';
import { parsePesAcquit, parsePesRetour, retourSummaryFr, type PesAcquit } from '../../helios/pes/index.ts';
import { FtpHeliosTransport, pesTransportMeta, pesUploadName, type HeliosResponse } from '../../helios/transport/index.ts';
import { CONFORMANCE_ACQUIT_XSD, CONFORMANCE_RETOUR_XSD, xmllintSchema } from '../../helios/acquit/testing.ts';
import { spawnHeliosSim, testPesAller, UNKNOWN_SIRET, type RunningSim, type TestPesOptions } from './testing.ts';

const keys = xadesTestKeys();
const signer = new KeySigner(keys.signerCertPem, keys.signerKeyPem);
let sim: RunningSim;
let transport: FtpHeliosTransport;
let seq = 0;

before(async () => {
  sim = await spawnHeliosSim({ trustAnchorPaths: [keys.caCertPath] });
  transport = new FtpHeliosTransport({ host: '127.0.0.1', port: sim.port, user: 'paraphe', password: 'paraphe', serverCode: 'VHPCE11' });
});
after(async () => {
  await sim.stop();
});

const signed = (o: TestPesOptions) => signPes(testPesAller(o), signer, { role: 'Ordonnateur', city: 'Nice', postalCode: '06000', countryName: 'France', infoDematerialisee: 'set' });

async function deposit(bytes: Buffer): Promise<string> {
  const meta = pesTransportMeta(bytes);
  await transport.send({ name: pesUploadName(meta.idColl, new Date(), ++seq), bytes }, meta);
  return meta.nomFic;
}

/** Polls /sortie/ until the response for `nomFic` arrives (the real Hélios answers later: never assume it is there). */
async function responseFor(nomFic: string, kind: HeliosResponse['kind'] = 'PES_ACQUIT'): Promise<HeliosResponse> {
  for (let attempt = 0; attempt < 200; attempt++) {
    let found: HeliosResponse | undefined;
    await transport.fetchResponses(async (r) => {
      if (r.kind === kind && r.nomFic === nomFic) found = r;
      else throw new Error('not for this test: leave it');
    });
    if (found) return found;
    await sleep(100);
  }
  throw new Error(`no ${kind} for ${nomFic}`);
}

async function acquitFor(nomFic: string): Promise<{ response: HeliosResponse; acquit: PesAcquit }> {
  const response = await responseFor(nomFic);
  const lint = xmllintSchema(response.bytes, CONFORMANCE_ACQUIT_XSD);
  assert.ok(lint.valid, `acquit ${response.name} not valid against the conformance schema:\n${lint.output}`);
  return { response, acquit: await parsePesAcquit(response.bytes) };
}

test('a signed PES deposited by FTP gets an accepted PES_ACQUIT, schema-valid, echoing NomFic, one element per bordereau and PJ', async () => {
  const nomFic = await deposit(await signed({ nomFic: 'PES-OK-1', idBords: [1, 2], pjs: ['PJOK00000001'] }));
  const { response, acquit } = await acquitFor(nomFic);
  assert.match(response.name, /^034000_\d{12}-ACK-A\d{7}_12312_OK\.xml$/);
  assert.equal(acquit.statut, 'OK');
  assert.equal(acquit.nomFic, 'PES-OK-1');
  assert.deepEqual(
    acquit.elements.map((e) => [e.domaineAck, e.etatAck, e.numBord ?? e.idUnique]),
    [['5', '1', '1'], ['5', '1', '2'], ['4', '1', 'PJOK00000001']],
  );
  // The simulator keeps what it received, with the SITE parameters of the deposit.
  const kept = readdirSync(join(sim.root, 'received')).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(sim.root, 'received', f), 'utf8')) as { site: unknown; acquit: string });
  const record = kept.find((k) => k.acquit === response.name);
  assert.deepEqual(record?.site, { dest: 'VHPCE11', appli: 'GHELPES2', msg: 'PESALR2#123#034000#12' });
});

test('an unsigned PES with InfoDematerialisee 1 is rejected on the bordereau signature (domain 3, ERREUR_SIGNATURE_INVALIDE)', async () => {
  const nomFic = await deposit(testPesAller({ nomFic: 'PES-UNSIGNED', idBords: [3], demat: true }));
  const { acquit } = await acquitFor(nomFic);
  assert.equal(acquit.statut, 'KO');
  assert.equal(acquit.elements[0]!.domaineAck, '3');
  assert.equal(acquit.elements[0]!.numBord, '3');
  assert.equal(acquit.elements[0]!.erreurs[0]!.code, 'ERREUR_SIGNATURE_INVALIDE');
});

test('a PES altered after signing is rejected with ERREUR_SIGNATURE_INVALIDE', async () => {
  const bytes = await signed({ nomFic: 'PES-TAMPERED', idBords: [4] });
  const text = iconv.decode(bytes, 'latin1');
  const tampered = iconv.encode(text.replace('<Obj V="Réparation école n°1', '<Obj V="Réparation école n°9'), 'latin1');
  assert.notDeepEqual(tampered, bytes);
  const { acquit } = await acquitFor(await deposit(tampered));
  assert.equal(acquit.statut, 'KO');
  assert.deepEqual([acquit.elements[0]!.domaineAck, acquit.elements[0]!.etatAck], ['3', '0']);
  assert.equal(acquit.elements[0]!.erreurs[0]!.code, 'ERREUR_SIGNATURE_INVALIDE');
});

test('a global signature (bordereaux without Id): accepted; altered, rejected on domain 2; with InfoDematerialisee 0, ERREUR_PES_PARAM_SIGNATURE', async () => {
  const globalSigned = (o: TestPesOptions) =>
    signPes(iconv.encode(iconv.decode(testPesAller(o), 'latin1').replace(/<Bordereau Id="BORD\d+">/g, '<Bordereau>'), 'latin1'), signer, { role: 'Ordonnateur', city: 'Nice' });
  const good = await globalSigned({ nomFic: 'PES-GLOBAL-OK', idBords: [40, 41] });
  assert.equal((iconv.decode(good, 'latin1').match(/<ds:Signature /g) ?? []).length, 1);
  const ok = await acquitFor(await deposit(good));
  assert.equal(ok.acquit.statut, 'OK', JSON.stringify(ok.acquit.elements));
  assert.deepEqual(ok.acquit.elements.map((e) => [e.domaineAck, e.etatAck, e.numBord]), [['5', '1', '40'], ['5', '1', '41']]);

  const text = iconv.decode(await globalSigned({ nomFic: 'PES-GLOBAL-ALTERE', idBords: [42] }), 'latin1');
  const { acquit } = await acquitFor(await deposit(iconv.encode(text.replace('<Obj V="Réparation école n°1', '<Obj V="Réparation école n°7'), 'latin1')));
  assert.equal(acquit.statut, 'KO');
  assert.deepEqual([acquit.elements[0]!.domaineAck, acquit.elements[0]!.etatAck, acquit.elements[0]!.erreurs[0]!.code], ['2', '0', 'ERREUR_SIGNATURE_INVALIDE']);
  assert.ok(acquit.elements.slice(1).every((e) => e.etatAck === '0'), 'nothing integrated under an invalid global signature');

  const notDemat = iconv.decode(await globalSigned({ nomFic: 'PES-GLOBAL-NONDEMAT', idBords: [43] }), 'latin1').replace('<InfoDematerialisee V="1"/>', '<InfoDematerialisee V="0"/>');
  const refused = await acquitFor(await deposit(iconv.encode(notDemat, 'latin1')));
  assert.deepEqual([refused.acquit.elements[0]!.domaineAck, refused.acquit.elements[0]!.erreurs[0]!.code], ['99', 'ERREUR_PES_PARAM_SIGNATURE']);
});

test('a PJ IdUnique already integrated from an earlier file is rejected with ERREUR_DOUBLON_PJ 1984, the rest accepted', async () => {
  const first = await acquitFor(await deposit(await signed({ nomFic: 'PES-PJ-1', idBords: [5], pjs: ['PJDOUBLON0001'] })));
  assert.equal(first.acquit.statut, 'OK');
  const { acquit } = await acquitFor(await deposit(await signed({ nomFic: 'PES-PJ-2', idBords: [6], pjs: ['PJDOUBLON0001', 'PJNOUVEAU0002'] })));
  assert.equal(acquit.statut, 'KO');
  const pj = acquit.elements.find((e) => e.idUnique === 'PJDOUBLON0001')!;
  assert.equal(pj.accepte, false);
  assert.equal(pj.erreurs[0]!.code, 'ERREUR_DOUBLON_PJ');
  assert.equal(pj.erreurs[0]!.codeNumerique, '1984');
  assert.equal(acquit.elements.find((e) => e.idUnique === 'PJNOUVEAU0002')!.accepte, true);
  assert.equal(acquit.elements.find((e) => e.numBord === '6')!.accepte, true);
});

test('a PES signed with a certificate that does not chain to the trusted authority is rejected with ERREUR_CERTIFICAT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'paraphe-untrusted-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '30', '-subj', '/C=FR/CN=Signataire inconnu'], { stdio: 'ignore' });
  const stranger = new KeySigner(readFileSync(join(dir, 'c.pem'), 'utf8'), readFileSync(join(dir, 'k.pem'), 'utf8'));
  const bytes = await signPes(testPesAller({ nomFic: 'PES-UNTRUSTED', idBords: [30] }), stranger, { infoDematerialisee: 'set' });
  const { acquit } = await acquitFor(await deposit(bytes));
  assert.deepEqual([acquit.elements[0]!.domaineAck, acquit.elements[0]!.etatAck], ['3', '0']);
  assert.equal(acquit.elements[0]!.erreurs[0]!.code, 'ERREUR_CERTIFICAT');
});

test('a bordereau already integrated is rejected with ERREUR_DOUBLON_BORDEREAU', async () => {
  await acquitFor(await deposit(await signed({ nomFic: 'PES-BORD-1', idBords: [7] })));
  const { acquit } = await acquitFor(await deposit(await signed({ nomFic: 'PES-BORD-2', idBords: [7] })));
  assert.equal(acquit.elements[0]!.erreurs[0]!.code, 'ERREUR_DOUBLON_BORDEREAU');
});

test('a SIRET unknown to Hélios rejects the whole file with ERREUR_SIRET', async () => {
  const { acquit } = await acquitFor(await deposit(await signed({ nomFic: 'PES-SIRET', siret: UNKNOWN_SIRET, idBords: [1] })));
  assert.equal(acquit.statut, 'KO');
  assert.equal(acquit.elements.length, 1);
  assert.equal(acquit.elements[0]!.domaineAck, '99');
  assert.equal(acquit.elements[0]!.erreurs[0]!.code, 'ERREUR_SIRET');
});

test('a NomFic already received is rejected with ERREUR_PES_PARAM', async () => {
  await acquitFor(await deposit(await signed({ nomFic: 'PES-NOMFIC', idBords: [8] })));
  const { acquit } = await acquitFor(await deposit(await signed({ nomFic: 'PES-NOMFIC', idBords: [9] })));
  assert.equal(acquit.elements[0]!.erreurs[0]!.code, 'ERREUR_PES_PARAM');
});

test('a file that breaks the PES_Aller schema is rejected with ERREUR_SCHEMA_INCOMPLET', async () => {
  const text = iconv.decode(testPesAller({ nomFic: 'PES-XSD', idBords: [10] }), 'latin1').replace(/<TypBord V="01"\/>/, '<TypBord V="99"/>');
  const { acquit } = await acquitFor(await deposit(iconv.encode(text, 'latin1')));
  assert.equal(acquit.elements[0]!.domaineAck, '0');
  assert.equal(acquit.elements[0]!.erreurs[0]!.code, 'ERREUR_SCHEMA_INCOMPLET');
});

test('an empty file is answered with ERREUR_FLUX_VIDE, the acquit header taken from P_MSG and the upload name', async () => {
  const meta = pesTransportMeta(testPesAller({ nomFic: 'unused' }));
  const name = pesUploadName(meta.idColl, new Date(), ++seq);
  await transport.send({ name, bytes: Buffer.alloc(0) }, meta);
  const { acquit } = await acquitFor(name.replace(/\.xml$/, ''));
  assert.equal(acquit.entete.idColl, meta.idColl);
  assert.equal(acquit.entete.idPost, '034000');
  assert.equal(acquit.elements[0]!.erreurs[0]!.code, 'ERREUR_FLUX_VIDE');
});

test('a STOR without SITE P_APPLI GHELPES2 is refused and nothing is received', async () => {
  const before = readdirSync(join(sim.root, 'received')).length;
  const client = new Client();
  try {
    await client.access({ host: '127.0.0.1', port: sim.port, user: 'paraphe', password: 'paraphe' });
    await client.send('SITE P_DEST VHPCE11');
    await assert.rejects(client.uploadFrom(Readable.from([testPesAller({ nomFic: 'PES-NOAPPLI' })]), '/entree/PESALR2_21060088800015_261123_999.xml'), /550/);
    await assert.rejects(client.send('SITE P_APPLI AUTRE'), /501/);
  } finally {
    client.close();
  }
  assert.equal(readdirSync(join(sim.root, 'received')).length, before);
  assert.equal(existsSync(join(sim.root, 'ftp/entree/PESALR2_21060088800015_261123_999.xml')), false);
});

test('a PES_Retour asked with SITE P_RETOUR arrives in /sortie/ as PES2R*, schema-valid, for the integrated bordereaux', async () => {
  const nomFic = await deposit(await signed({ nomFic: 'PES-RETOUR', idBords: [11, 12] }));
  await acquitFor(nomFic);
  const client = new Client();
  try {
    await client.access({ host: '127.0.0.1', port: sim.port, user: 'paraphe', password: 'paraphe' });
    const res = await client.send(`SITE P_RETOUR ${nomFic}`);
    assert.equal(res.code, 200);
  } finally {
    client.close();
  }
  let retour: HeliosResponse | undefined;
  await transport.fetchResponses(async (r) => {
    if (r.kind !== 'PES_Retour') throw new Error('leave it');
    retour = r;
  });
  assert.ok(retour, 'PES_Retour fetched');
  assert.match(retour.name, /^PES2R_/);
  const lint = xmllintSchema(retour.bytes, CONFORMANCE_RETOUR_XSD);
  assert.ok(lint.valid, lint.output);
  const parsed = await parsePesRetour(retour.bytes);
  assert.equal(parsed.typFic, 'PESRETOUR_DEP');
  assert.deepEqual(parsed.domaines, [{ nom: 'PES_DepenseRetour', elements: 3 }]);
  // Readable: each bordereau with its pièces "prise en charge" (EtatPce 02 in the XSD's nomenclature).
  assert.deepEqual(parsed.bordereaux.map((b) => [b.numero, b.pieces, b.etatsPieces]), [['11', 1, { '02': 1 }], ['12', 1, { '02': 1 }]]);
  assert.match(retourSummaryFr(parsed)[0]!, /^Mandats, exercice \d{4}, bordereau n° 11 : 1 pièce \(1 prise en charge\)$/);
});

test('with --retour-auto the PES_Retour follows the acquit of an integrated file without being asked', async () => {
  const auto = await spawnHeliosSim({ trustAnchorPaths: [keys.caCertPath], retourAuto: true });
  try {
    const t = new FtpHeliosTransport({ host: '127.0.0.1', port: auto.port, user: 'paraphe', password: 'paraphe', serverCode: 'VHPCE11' });
    const bytes = await signed({ nomFic: 'PES-RETOUR-AUTO', idBords: [50] });
    const meta = pesTransportMeta(bytes);
    await t.send({ name: pesUploadName(meta.idColl, new Date(), 1), bytes }, meta);
    const kinds: string[] = [];
    for (let i = 0; i < 100 && kinds.length < 2; i++) {
      await t.fetchResponses(async (r) => {
        kinds.push(r.kind);
      });
      if (kinds.length < 2) await sleep(100);
    }
    assert.deepEqual(kinds.sort(), ['PES_ACQUIT', 'PES_Retour']);
  } finally {
    await auto.stop();
  }
});

test('the simulator remembers integrated PJ across a restart on the same root', async () => {
  await acquitFor(await deposit(await signed({ nomFic: 'PES-RESTART-1', idBords: [20], pjs: ['PJRESTART0001'] })));
  await sim.stop();
  sim = await spawnHeliosSim({ trustAnchorPaths: [keys.caCertPath], root: sim.root });
  transport = new FtpHeliosTransport({ host: '127.0.0.1', port: sim.port, user: 'paraphe', password: 'paraphe', serverCode: 'VHPCE11' });
  const { acquit } = await acquitFor(await deposit(await signed({ nomFic: 'PES-RESTART-2', idBords: [21], pjs: ['PJRESTART0001'] })));
  assert.equal(acquit.elements.find((e) => e.idUnique === 'PJRESTART0001')!.erreurs[0]!.code, 'ERREUR_DOUBLON_PJ');
});
