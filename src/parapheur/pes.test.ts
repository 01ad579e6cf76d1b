/**
 * Hélios: a PES_Aller with accented ISO-8859-1 text goes through visa DGS → signature du maire (through
 * `paraphe sign-client`, one XAdES signature per bordereau), another through visa → cachet serveur, and a
 * third through visa → signature du maire → cachet, the seal then signing the whole PES_Aller over the maire's.
 * xmlsec1 accepts every bordereau's signature and rejects a tampered copy, xmllint validates the signed
 * file against the PES v5.17 schema, and the accents stay Latin-1 bytes. A PES with a DOCTYPE is refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { conformanceDir, repoRoot } from '../shared/paths.ts';
import { ACCENTED_SAMPLE, generatePesAller } from '../../test/support/xades-keys.ts';
import { createWorld, parapheurPath as P, PASSWORD, type World } from './test-fixture.ts';

const XSD = join(conformanceDir, 'iparapheur-v5-xsd/src/test/resources/xsd/schemas_pes_v5.17/PES_V2/Rev0/PES_Aller.xsd');
let w: World;
let signTypologie: string;
let sealTypologie: string;
let threeStepTypologie: string;

function tool(cmd: string, args: string[], pkg: string): { status: number; out: string } {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  if (res.error && (res.error as NodeJS.ErrnoException).code === 'ENOENT') assert.fail(`${cmd} is required for this test: apt-get install -y ${pkg}`);
  return { status: res.status ?? -1, out: `${res.stdout}${res.stderr}` };
}

function xmlsecVerify(file: string, bordereauIndex: number) {
  return tool('xmlsec1', [
    '--verify', '--id-attr:Id', 'Bordereau', '--id-attr:Id', 'http://uri.etsi.org/01903/v1.1.1#:SignedProperties',
    '--trusted-pem', w.pki.root.certPath, '--untrusted-pem', w.pki.intermediate.certPath,
    '--node-xpath', `(//*[local-name()='Bordereau'])[${bordereauIndex}]/*[local-name()='Signature']`,
    file,
  ], 'xmlsec1');
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

async function finalDocument(id: string): Promise<Buffer> {
  const view = await w.request(w.people.secretaire!, 'GET', `${P(w.cid)}/dossiers/${id}`);
  const docs = (view.json.dossier as { documents: { id: string; role: string }[] }).documents.filter((d) => d.role === 'signed');
  const res = await w.request(w.people.secretaire!, 'GET', `/api/collectivites/${w.cid}/documents/${docs.at(-1)!.id}/content`);
  assert.equal(res.status, 200);
  return res.raw;
}

before(async () => {
  w = await createWorld();
  const admin = w.people.admin!;
  const mk = async (name: string, steps: unknown[], sousType: string) => {
    const c = await w.request(admin, 'POST', `${P(w.cid)}/circuits`, { name, steps });
    assert.equal(c.status, 201, JSON.stringify(c.json));
    const t = await w.request(admin, 'POST', `${P(w.cid)}/typologies`, { type: 'Helios', sousType, circuitId: c.json.id, format: 'xades' });
    assert.equal(t.status, 201, JSON.stringify(t.json));
    return String(t.json.id);
  };
  signTypologie = await mk('PES : visa DGS, signature de l’ordonnateur', [
    { kind: 'visa', actors: { type: 'bureaux', bureauIds: [w.bureaux.dgs], mode: 'any' } },
    { kind: 'signature', actors: { type: 'superieur' } },
  ], 'PES signé par le maire');
  sealTypologie = await mk('PES : visa DGS, cachet', [
    { kind: 'visa', actors: { type: 'bureaux', bureauIds: [w.bureaux.dgs], mode: 'any' } },
    { kind: 'cachet' },
  ], 'PES cacheté');
  threeStepTypologie = await mk('PES : visa DGS, signature de l’ordonnateur, cachet', [
    { kind: 'visa', actors: { type: 'bureaux', bureauIds: [w.bureaux.dgs], mode: 'any' } },
    { kind: 'signature', actors: { type: 'superieur' } },
    { kind: 'cachet' },
  ], 'PES signé puis cacheté');
});
after(async () => {
  await w?.close();
});

describe('PES through the parapheur (XAdES per bordereau)', () => {
  it('visa DGS, then the maire signs every bordereau through sign-client; xmlsec1 and the XSD accept the result', async () => {
    const pes = generatePesAller(3, 2);
    // émetteur: the DGS's own bureau, whose superior is the maire ("supérieur" step)
    const id = await w.createDossier(w.people.dgs!, pes, { typologieId: signTypologie, bureauEmetteurId: w.bureaux.dgs }, { type: 'pes-a-signer', filename: 'PES_Aller.xml' });
    const sent = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {});
    assert.equal(sent.status, 200, JSON.stringify(sent.json));
    assert.deepEqual((sent.json.steps as { bureaux: { name: string }[] }[]).map((s) => s.bureaux.map((b) => b.name)), [['DGS'], ['Maire']]);
    assert.equal((await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {})).status, 200);
    const cli = await runCli(['sign-client', '--url', w.url, '--collectivite', w.cid, '--dossier', id, '--email', w.people.maire!.email, '--password', PASSWORD, '--p12', w.pki.agents[2].p12Path, '--pass', w.pki.agents[2].p12Password]);
    assert.equal(cli.code, 0, cli.out);
    assert.match(cli.out, /3 élément\(s\) \(bordereaux PES\)/);
    const view = await w.request(w.people.dgs!, 'GET', `${P(w.cid)}/dossiers/${id}`);
    assert.equal((view.json.dossier as { state: string }).state, 'signe');
    const signed = await finalDocument(id);
    const file = join(w.dir, 'pes-signed.xml');
    writeFileSync(file, signed);
    for (const i of [1, 2, 3]) {
      const v = xmlsecVerify(file, i);
      assert.equal(v.status, 0, `bordereau ${i}: ${v.out}`);
    }
    const xsd = tool('xmllint', ['--noout', '--schema', XSD, file], 'libxml2-utils');
    assert.equal(xsd.status, 0, xsd.out);
    assert.match(signed.subarray(0, 60).toString('latin1'), /encoding="ISO-8859-1"/);
    assert.ok(!signed.includes(Buffer.from('é', 'utf8')), 'accents stay ISO-8859-1');
    assert.ok(signed.includes(iconv.encode('<xad:ClaimedRole>Maire</xad:ClaimedRole>', 'latin1')));
    const text = signed.toString('latin1');
    const amount = /<MtHT V="([0-9.]+)"\/>/.exec(text);
    assert.ok(amount, 'an amount to tamper with');
    const tampered = Buffer.from(text.replace(amount[0], `<MtHT V="${Number(amount[1]) + 1}"/>`), 'latin1');
    assert.ok(!tampered.equals(signed));
    const tamperedFile = join(w.dir, 'pes-tampered.xml');
    writeFileSync(tamperedFile, tampered);
    assert.notEqual(xmlsecVerify(tamperedFile, 1).status, 0, 'xmlsec1 must reject a tampered bordereau');
  });

  it('visa DGS, then the seal signs the accented PES (background job); xmlsec1 accepts it', async () => {
    const pes = new Uint8Array(readFileSync(ACCENTED_SAMPLE));
    const id = await w.createDossier(w.people.secretaire!, pes, { typologieId: sealTypologie }, { type: 'pes-a-signer', filename: 'PES_accents.xml' });
    assert.equal((await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {})).status, 200);
    const visa = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {});
    assert.equal((visa.json.dossier as { state: string }).state, 'cachet_en_cours');
    await w.runJobs();
    const view = await w.request(w.people.secretaire!, 'GET', `${P(w.cid)}/dossiers/${id}`);
    assert.equal((view.json.dossier as { state: string }).state, 'signe');
    const signed = await finalDocument(id);
    const file = join(w.dir, 'pes-sealed.xml');
    writeFileSync(file, signed);
    const v = xmlsecVerify(file, 1);
    assert.equal(v.status, 0, v.out);
    assert.ok(signed.includes(iconv.encode('<LibelleColBud V="Test é(-è_çà)="/>', 'latin1')));
  });

  it('a PES deposited with a global signature asked (porteeSignature): the seal signs the whole PES_Aller once; xmlsec1 and the XSD accept it', async () => {
    const pes = generatePesAller(2, 1);
    const id = await w.createDossier(w.people.secretaire!, pes, { typologieId: sealTypologie, porteeSignature: 'global' }, { type: 'pes-a-signer', filename: 'PES_global.xml' });
    assert.equal((await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {})).status, 200);
    assert.equal(((await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {})).json.dossier as { state: string }).state, 'cachet_en_cours');
    await w.runJobs();
    const signed = await finalDocument(id);
    const file = join(w.dir, 'pes-sealed-global.xml');
    writeFileSync(file, signed);
    const v = tool('xmlsec1', [
      '--verify', '--id-attr:Id', 'http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller:PES_Aller', '--id-attr:Id', 'http://uri.etsi.org/01903/v1.1.1#:SignedProperties',
      '--trusted-pem', w.pki.root.certPath, '--untrusted-pem', w.pki.intermediate.certPath,
      '--node-xpath', "/*[local-name()='PES_Aller']/*[local-name()='Signature']", file,
    ], 'xmlsec1');
    assert.equal(v.status, 0, v.out);
    assert.equal((signed.toString('latin1').match(/<ds:Signature[ >]/g) ?? []).length, 1, 'one signature, the global one');
    const xsd = tool('xmllint', ['--noout', '--schema', XSD, file], 'libxml2-utils');
    assert.equal(xsd.status, 0, xsd.out);
  });

  it('visa DGS, signature of every bordereau by the maire, then the seal: a global signature over them; xmlsec1 verifies all, the XSD accepts the file', async () => {
    const pes = generatePesAller(2, 1);
    const id = await w.createDossier(w.people.dgs!, pes, { typologieId: threeStepTypologie, bureauEmetteurId: w.bureaux.dgs }, { type: 'pes-a-signer', filename: 'PES_trois_etapes.xml' });
    const sent = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {});
    assert.equal(sent.status, 200, JSON.stringify(sent.json));
    assert.equal((await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {})).status, 200);
    const cli = await runCli(['sign-client', '--url', w.url, '--collectivite', w.cid, '--dossier', id, '--email', w.people.maire!.email, '--password', PASSWORD, '--p12', w.pki.agents[2].p12Path, '--pass', w.pki.agents[2].p12Password]);
    assert.equal(cli.code, 0, cli.out);
    assert.match(cli.out, /2 élément\(s\) \(bordereaux PES\)/);
    const afterSignature = await w.request(w.people.dgs!, 'GET', `${P(w.cid)}/dossiers/${id}`);
    assert.equal((afterSignature.json.dossier as { state: string }).state, 'cachet_en_cours');
    await w.runJobs();
    const view = await w.request(w.people.dgs!, 'GET', `${P(w.cid)}/dossiers/${id}`);
    assert.equal((view.json.dossier as { state: string }).state, 'signe', JSON.stringify(view.json));
    const signed = await finalDocument(id);
    const file = join(w.dir, 'pes-signed-sealed.xml');
    writeFileSync(file, signed);
    for (const i of [1, 2]) {
      const v = xmlsecVerify(file, i);
      assert.equal(v.status, 0, `bordereau ${i}: ${v.out}`);
    }
    const global = tool('xmlsec1', [
      '--verify', '--id-attr:Id', 'http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller:PES_Aller', '--id-attr:Id', 'http://uri.etsi.org/01903/v1.1.1#:SignedProperties',
      '--trusted-pem', w.pki.root.certPath, '--untrusted-pem', w.pki.intermediate.certPath,
      '--node-xpath', "/*[local-name()='PES_Aller']/*[local-name()='Signature']", file,
    ], 'xmlsec1');
    assert.equal(global.status, 0, global.out);
    const text = signed.toString('latin1');
    assert.equal((text.match(/<ds:Signature[ >]/g) ?? []).length, 3, 'two bordereau signatures and the global seal');
    assert.ok(signed.includes(iconv.encode('<xad:ClaimedRole>Maire</xad:ClaimedRole>', 'latin1')));
    assert.ok(signed.includes(iconv.encode('<xad:ClaimedRole>Cachet serveur</xad:ClaimedRole>', 'latin1')));
    const xsd = tool('xmllint', ['--noout', '--schema', XSD, file], 'libxml2-utils');
    assert.equal(xsd.status, 0, xsd.out);
  });

  it('refuses at sending a PES circuit with three signing steps, or two when a global signature was asked', async () => {
    const admin = w.people.admin!;
    const c = await w.request(admin, 'POST', `${P(w.cid)}/circuits`, { name: 'PES : trois signatures', steps: [
      { kind: 'signature', actors: { type: 'bureaux', bureauIds: [w.bureaux.dgs], mode: 'any' } },
      { kind: 'signature', actors: { type: 'superieur' } },
      { kind: 'cachet' },
    ] });
    assert.equal(c.status, 201, JSON.stringify(c.json));
    const t = await w.request(admin, 'POST', `${P(w.cid)}/typologies`, { type: 'Helios', sousType: 'PES trois signatures', circuitId: c.json.id, format: 'xades' });
    assert.equal(t.status, 201, JSON.stringify(t.json));
    const three = await w.createDossier(w.people.dgs!, generatePesAller(1, 1), { typologieId: String(t.json.id), bureauEmetteurId: w.bureaux.dgs }, { type: 'pes-a-signer', filename: 'pes3.xml' });
    const res = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${three}/envoyer`, {});
    assert.equal(res.status, 422, JSON.stringify(res.json));
    assert.match(String(res.json.message), /au plus deux étapes de signature ou de cachet/);
    const global = await w.createDossier(w.people.dgs!, generatePesAller(1, 1), { typologieId: threeStepTypologie, bureauEmetteurId: w.bureaux.dgs, porteeSignature: 'global' }, { type: 'pes-a-signer', filename: 'pesg.xml' });
    const res2 = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${global}/envoyer`, {});
    assert.equal(res2.status, 422, JSON.stringify(res2.json));
    assert.match(String(res2.json.message), /signature globale du PES a été demandée/);
    for (const d of [three, global]) {
      const row = await w.deps.db.selectFrom('dossier').select('state').where('id', '=', d).executeTakeFirstOrThrow();
      assert.equal(row.state, 'brouillon');
    }
  });

  it('refuses a PES with a DOCTYPE and a PDF typologie for a PES, the dossier staying a draft', async () => {
    const evil = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE PES_Aller [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<PES_Aller>&x;</PES_Aller>\n', 'latin1');
    const id = await w.createDossier(w.people.secretaire!, evil, { typologieId: sealTypologie }, { type: 'pes-a-signer', filename: 'evil.xml' });
    const res = await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {});
    assert.equal(res.status, 422, JSON.stringify(res.json));
    assert.match(String(res.json.message), /PES est illisible/);
    const wrong = await w.createDossier(w.people.secretaire!, generatePesAller(1, 1), { typologieId: w.typologieId }, { type: 'pes-a-signer', filename: 'pes.xml' });
    const res2 = await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${wrong}/envoyer`, {});
    assert.equal(res2.status, 422);
    assert.match(String(res2.json.message), /signe en PADES : elle ne convient pas/);
    for (const d of [id, wrong]) {
      const row = await w.deps.db.selectFrom('dossier').select('state').where('id', '=', d).executeTakeFirstOrThrow();
      assert.equal(row.state, 'brouillon');
    }
  });
});
