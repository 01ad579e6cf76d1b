/**
 * Detached CAdES through the parapheur: a `cades` typologie takes a CSV or an ODT as principal document;
 * visa by the DGS, the maire's two-phase signature (through the API, and through `paraphe sign-client`),
 * the server seal (background job, B-T). Each signing step adds a .p7s beside the untouched original;
 * `openssl cms -verify` accepts every .p7s over the original and refuses a modified file; the dossier view
 * reports signer, date and certificate; the bordereau names the .p7s. A PAdES typologie still needs a PDF.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../shared/paths.ts';
import { Pkcs12KeySource } from './signature/pades/key-source.ts';
import { makeTestOdt } from './signature/cades/test-odt.ts';
import { createWorld, parapheurPath as P, PASSWORD, type World } from './test-fixture.ts';

let w: World;
let cadesTypologie: string;
const csv = new TextEncoder().encode('compte;libellé;montant\n6061;Fournitures non stockables;1250,00\n6226;Honoraires;830,50\n');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function tool(cmd: string, args: string[], pkg: string): { status: number; out: string } {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
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

function write(name: string, bytes: Uint8Array): string {
  const p = join(w.dir, name);
  writeFileSync(p, bytes);
  return p;
}

const opensslVerify = (p7s: string, content: string) =>
  tool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', p7s, '-content', content, '-CAfile', w.pki.rootPemPath, '-purpose', 'any', '-out', '/dev/null'], 'openssl');

interface Doc { id: string; role: string; filename: string; mediaType: string; sha256: string }

async function download(id: string): Promise<Buffer> {
  const res = await w.request(w.people.secretaire!, 'GET', `/api/collectivites/${w.cid}/documents/${id}/content`);
  assert.equal(res.status, 200);
  return res.raw;
}

before(async () => {
  w = await createWorld();
  const t = await w.request(w.people.admin!, 'POST', `${P(w.cid)}/typologies`, { type: 'Finances', sousType: 'Tableau signé', circuitId: w.circuitId, format: 'cades' });
  assert.equal(t.status, 201, JSON.stringify(t.json));
  cadesTypologie = String(t.json.id);
});
after(async () => {
  await w?.close();
});

describe('detached CAdES: visa → signature (two-phase) → cachet on a CSV', () => {
  let dossierId: string;
  let docs: Doc[];

  it('runs the circuit; each signing step adds a .p7s and the original stays untouched', async () => {
    const { people, cid } = w;
    dossierId = await w.createDossier(people.secretaire!, csv, { typologieId: cadesTypologie }, { filename: 'budget.csv' });
    const sent = await w.request(people.secretaire!, 'POST', `${P(cid)}/dossiers/${dossierId}/envoyer`, {});
    assert.equal(sent.status, 200, JSON.stringify(sent.json));
    assert.equal((await w.request(people.dgs!, 'POST', `${P(cid)}/dossiers/${dossierId}/viser`, {})).status, 200);

    const key = await Pkcs12KeySource.fromFile(w.pki.agents[2].p12Path, w.pki.agents[2].p12Password);
    const chain = (await key.getCertificateChain()).map((c) => Buffer.from(c).toString('base64'));
    const prepared = await w.request(people.maire!, 'POST', `${P(cid)}/dossiers/${dossierId}/signature/prepare`, { certificateChain: chain });
    assert.equal(prepared.status, 200, JSON.stringify(prepared.json));
    assert.equal(prepared.json.format, 'cades');
    const items = prepared.json.items as { id: string; dataToSign: string; digest: string }[];
    assert.equal(items.length, 1);
    const wrong = await w.request(people.maire!, 'POST', `${P(cid)}/dossiers/${dossierId}/signature/complete`, { sessionId: prepared.json.sessionId, signatureValues: [Buffer.alloc(256, 1).toString('base64')] });
    assert.equal(wrong.status, 422, 'a value that does not match the prepared data is refused');
    const value = await key.sign({ data: new Uint8Array(Buffer.from(items[0]!.dataToSign, 'base64')), digest: new Uint8Array(Buffer.from(items[0]!.digest, 'base64')), digestAlgorithm: 'SHA-256' });
    const done = await w.request(people.maire!, 'POST', `${P(cid)}/dossiers/${dossierId}/signature/complete`, { sessionId: prepared.json.sessionId, signatureValues: [Buffer.from(value).toString('base64')] });
    assert.equal(done.status, 200, JSON.stringify(done.json));
    assert.equal((done.json.dossier as { state: string }).state, 'cachet_en_cours');

    assert.ok((await w.runJobs()) >= 1);
    const view = await w.request(people.secretaire!, 'GET', `${P(cid)}/dossiers/${dossierId}`);
    const dossier = view.json.dossier as { state: string; documents: Doc[] };
    assert.equal(dossier.state, 'signe');
    docs = dossier.documents;
    const principal = docs.find((d) => d.role === 'principal')!;
    assert.equal(principal.sha256, sha(csv), 'the original is the signed content, unchanged');
    const p7s = docs.filter((d) => d.role === 'signed');
    assert.deepEqual(p7s.map((d) => [d.filename, d.mediaType]), [['budget.csv.signature-2.p7s', 'application/pkcs7-signature'], ['budget.csv.signature-3.p7s', 'application/pkcs7-signature']]);
    const acts = view.json.acts as { action: string; certificate: { subject: string } | null }[];
    assert.deepEqual(acts.map((a) => a.action), ['envoyer', 'viser', 'signer', 'cachet']);

    const detached = view.json.detachedSignatures as { filename: string; valid: boolean; signer: { subject: string }; signingTime: string; timestampTime: string | null; level: string; problems: string[]; signers: { subject: string | null; valid: boolean; timestampTime: string | null }[] }[];
    assert.equal(detached.length, 2);
    assert.ok(detached.every((d) => d.valid), JSON.stringify(detached.map((d) => d.problems)));
    assert.match(detached[0]!.signer.subject, /Chloé Dubois/);
    assert.match(detached[1]!.signer.subject, /Cachet serveur/);
    assert.deepEqual(detached.map((d) => d.level), ['CAdES B-T', 'CAdES B-T'], 'the TSA connector makes them B-T');
    assert.ok(detached.every((d) => d.signingTime && d.timestampTime));
    // The seal co-signs: its .p7s holds the maire's signer too (the last .p7s is the complete co-signature).
    assert.deepEqual(detached.map((d) => d.signers.map((x) => x.subject?.replace(/,.*/, ''))), [['CN=Chloé Dubois'], ['CN=Chloé Dubois', 'CN=Cachet serveur Commune de Testville']]);
    assert.ok(detached[1]!.signers.every((x) => x.valid && x.timestampTime));
  });

  it('openssl cms verifies both .p7s over the downloaded original and refuses a modified copy', async () => {
    const original = write('budget.csv', await download(docs.find((d) => d.role === 'principal')!.id));
    const tampered = write('budget-modifie.csv', new TextEncoder().encode(Buffer.from(csv).toString('utf8').replace('1250,00', '12500,00')));
    for (const d of docs.filter((x) => x.role === 'signed')) {
      const p7s = write(d.filename, await download(d.id));
      const ok = opensslVerify(p7s, original);
      assert.equal(ok.status, 0, `${d.filename}: ${ok.out}`);
      assert.match(ok.out, /Verification successful/);
      assert.notEqual(opensslVerify(p7s, tampered).status, 0, `${d.filename} must not verify a modified file`);
    }
  });

  it('the bordereau names each detached signature', async () => {
    const res = await w.request(w.people.secretaire!, 'GET', `${P(w.cid)}/dossiers/${dossierId}/bordereau`);
    assert.equal(res.status, 200);
    const text = tool('pdftotext', ['-layout', write('bordereau-cades.pdf', res.raw), '-'], 'poppler-utils').out;
    assert.match(text, /Document signé \(inchangé\) : budget\.csv/);
    assert.match(text, /Signatures CAdES détachées \(2\)/);
    assert.match(text, /Étape 2 — Signature[\s\S]*Signature détachée : budget\.csv\.signature-2\.p7s/);
    assert.match(text, /Étape 3 — Cachet serveur[\s\S]*Signature détachée : budget\.csv\.signature-3\.p7s/);
    assert.match(text, /Niveau : CAdES B-T/);
  });
});

describe('CAdES co-signature: two personal signatures (two-phase), then the seal', () => {
  it('the final .p7s holds the three signers; openssl cms verifies every one and prints three signerInfos', async () => {
    const { people, cid } = w;
    const circuit = await w.request(people.admin!, 'POST', `${P(cid)}/circuits`, {
      name: 'Signature du DGS, signature du maire, cachet',
      steps: [
        { kind: 'signature', actors: { type: 'bureaux', bureauIds: [w.bureaux.dgs], mode: 'any' } },
        { kind: 'signature', actors: { type: 'bureaux', bureauIds: [w.bureaux.maire], mode: 'any' } },
        { kind: 'cachet' },
      ],
    });
    assert.equal(circuit.status, 201, JSON.stringify(circuit.json));
    const t = await w.request(people.admin!, 'POST', `${P(cid)}/typologies`, { type: 'Finances', sousType: 'Tableau co-signé', circuitId: circuit.json.id, format: 'cades' });
    assert.equal(t.status, 201, JSON.stringify(t.json));
    const id = await w.createDossier(people.secretaire!, csv, { typologieId: String(t.json.id) }, { filename: 'cosigne.csv' });
    assert.equal((await w.request(people.secretaire!, 'POST', `${P(cid)}/dossiers/${id}/envoyer`, {})).status, 200);
    for (const [who, agent] of [[people.dgs!, w.pki.agents[0]], [people.maire!, w.pki.agents[2]]] as const) {
      const key = await Pkcs12KeySource.fromFile(agent.p12Path, agent.p12Password);
      const chain = (await key.getCertificateChain()).map((c) => Buffer.from(c).toString('base64'));
      const prepared = await w.request(who, 'POST', `${P(cid)}/dossiers/${id}/signature/prepare`, { certificateChain: chain });
      assert.equal(prepared.status, 200, JSON.stringify(prepared.json));
      const item = (prepared.json.items as { dataToSign: string; digest: string }[])[0]!;
      const value = await key.sign({ data: new Uint8Array(Buffer.from(item.dataToSign, 'base64')), digest: new Uint8Array(Buffer.from(item.digest, 'base64')), digestAlgorithm: 'SHA-256' });
      const done = await w.request(who, 'POST', `${P(cid)}/dossiers/${id}/signature/complete`, { sessionId: prepared.json.sessionId, signatureValues: [Buffer.from(value).toString('base64')] });
      assert.equal(done.status, 200, JSON.stringify(done.json));
    }
    await w.runJobs();
    const view = await w.request(people.secretaire!, 'GET', `${P(cid)}/dossiers/${id}`);
    const dossier = view.json.dossier as { state: string; documents: Doc[] };
    assert.equal(dossier.state, 'signe');
    const signed = dossier.documents.filter((d) => d.role === 'signed');
    assert.deepEqual(signed.map((d) => d.filename), ['cosigne.csv.signature-1.p7s', 'cosigne.csv.signature-2.p7s', 'cosigne.csv.signature-3.p7s'], 'one document per step: the history stays');
    const detached = view.json.detachedSignatures as { valid: boolean; signers: { subject: string | null }[]; problems: string[] }[];
    assert.deepEqual(detached.map((d) => d.signers.length), [1, 2, 3]);
    assert.ok(detached.every((d) => d.valid), JSON.stringify(detached.map((d) => d.problems)));
    const original = write('cosigne.csv', await download(dossier.documents.find((d) => d.role === 'principal')!.id));
    const final = write('cosigne.csv.signature-3.p7s', await download(signed[2]!.id));
    const ok = opensslVerify(final, original);
    assert.equal(ok.status, 0, ok.out);
    const printed = tool('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', final], 'openssl').out;
    assert.equal(printed.match(/signatureAlgorithm:/g)?.length, 3, 'three SignerInfos');
    const changed = new Uint8Array(csv);
    changed[5] = changed[5]! ^ 1;
    assert.notEqual(opensslVerify(final, write('cosigne-modifie.csv', changed)).status, 0);
    const bordereau = await w.request(people.secretaire!, 'GET', `${P(cid)}/dossiers/${id}/bordereau`);
    assert.equal(bordereau.status, 200);
    assert.match(tool('pdftotext', ['-layout', write('bordereau-cosigne.pdf', bordereau.raw), '-'], 'poppler-utils').out, /Signatures CAdES détachées \(3\)/);
  });
});

describe('detached CAdES on an ODT through paraphe sign-client', () => {
  it('the signer’s device signs, the seal follows, and openssl cms accepts both signatures', async () => {
    const { people, cid } = w;
    const odt = makeTestOdt('Convention de partenariat avec l’association des Amis de Testville.');
    const id = await w.createDossier(people.secretaire!, odt, { typologieId: cadesTypologie }, { filename: 'convention.odt' });
    assert.equal((await w.request(people.secretaire!, 'POST', `${P(cid)}/dossiers/${id}/envoyer`, {})).status, 200);
    assert.equal((await w.request(people.dgs!, 'POST', `${P(cid)}/dossiers/${id}/viser`, {})).status, 200);
    const cli = await runCli(['sign-client', '--url', w.url, '--collectivite', cid, '--dossier', id, '--email', people.maire!.email, '--password', PASSWORD, '--p12', w.pki.agents[2].p12Path, '--pass', w.pki.agents[2].p12Password]);
    assert.equal(cli.code, 0, cli.out);
    assert.match(cli.out, /signature CAdES détachée/);
    assert.match(cli.out, /Signature acceptée/);
    await w.runJobs();
    const view = await w.request(people.secretaire!, 'GET', `${P(cid)}/dossiers/${id}`);
    const dossier = view.json.dossier as { state: string; documents: Doc[] };
    assert.equal(dossier.state, 'signe');
    const principal = dossier.documents.find((d) => d.role === 'principal')!;
    assert.equal(principal.mediaType, 'application/vnd.oasis.opendocument.text');
    const original = write('convention.odt', await download(principal.id));
    const signed = dossier.documents.filter((d) => d.role === 'signed');
    assert.equal(signed.length, 2);
    for (const d of signed) {
      const res = opensslVerify(write(d.filename, await download(d.id)), original);
      assert.equal(res.status, 0, res.out);
    }
  });
});

describe('media types and typologies', () => {
  it('a PAdES typologie refuses a non-PDF principal with a French message; CAdES refuses unknown binaries', async () => {
    const created = await w.request(w.people.secretaire!, 'POST', `/api/collectivites/${w.cid}/dossiers`, { type: 'document-a-signer', title: 'Tableau', metadata: { typologieId: w.typologieId, bureauEmetteurId: w.bureaux.secretariat } });
    assert.equal(created.status, 201);
    const boundary = '----cades';
    const upload = (id: string, filename: string, bytes: Uint8Array) => w.request(w.people.secretaire!, 'POST', `/api/collectivites/${w.cid}/dossiers/${id}/documents?role=principal`, {
      multipart: { body: Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`), Buffer.from(bytes), Buffer.from(`\r\n--${boundary}--\r\n`)]), type: `multipart/form-data; boundary=${boundary}` },
    });
    const refused = await upload(String(created.json.id), 'budget.csv', csv);
    assert.equal(refused.status, 415);
    assert.equal(refused.json.message, 'La typologie « Courrier / Sortant » signe en PAdES : le document principal doit être un PDF (fichier reçu : text/plain). Pour signer un autre type de fichier, choisissez une typologie CAdES.');
    const rows = await w.deps.db.selectFrom('document').select('id').where('dossier_id', '=', String(created.json.id)).execute();
    assert.equal(rows.length, 0, 'a refused upload leaves nothing');

    const cades = await w.request(w.people.secretaire!, 'POST', `/api/collectivites/${w.cid}/dossiers`, { type: 'document-a-signer', title: 'Exécutable', metadata: { typologieId: cadesTypologie, bureauEmetteurId: w.bureaux.secretariat } });
    const exe = await upload(String(cades.json.id), 'programme.csv', new Uint8Array(Buffer.from('MZ\x90\x00\x03\x00\x00\x00 binaire', 'latin1')));
    assert.equal(exe.status, 415);
    assert.match(String(exe.json.message), /Type de fichier refusé/);
  });

  it('a PES dossier cannot use a CAdES typologie', async () => {
    const created = await w.request(w.people.secretaire!, 'POST', `/api/collectivites/${w.cid}/dossiers`, { type: 'pes-a-signer', title: 'PES', metadata: { typologieId: cadesTypologie, bureauEmetteurId: w.bureaux.secretariat } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const id = String(created.json.id);
    const pes = new TextEncoder().encode('<?xml version="1.0" encoding="ISO-8859-1"?>\n<PES_Aller><EnTetePES/></PES_Aller>\n');
    const boundary = '----pes';
    const up = await w.request(w.people.secretaire!, 'POST', `/api/collectivites/${w.cid}/dossiers/${id}/documents?role=principal`, {
      multipart: { body: Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="pes.xml"\r\nContent-Type: application/xml\r\n\r\n`), Buffer.from(pes), Buffer.from(`\r\n--${boundary}--\r\n`)]), type: `multipart/form-data; boundary=${boundary}` },
    });
    assert.equal(up.status, 201, JSON.stringify(up.json));
    const sent = await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {});
    assert.equal(sent.status, 422);
    assert.match(String(sent.json.message), /signe en CADES : elle ne convient pas à ce type de dossier/);
  });
});
