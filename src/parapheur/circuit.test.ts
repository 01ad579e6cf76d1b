/**
 * The issue's "done when": a PDF goes through visa by the DGS, signature by the maire through
 * `paraphe sign-client` (a child process against the server started here), and the collectivité's seal
 * (background job, B-T with the local TSA). The result is checked by poppler's pdfsig (every signature
 * valid and trusted) and qpdf --check; the bordereau lists each step with certificates and hashes.
 * Then the typologie's PAdES level: B-LTA for both the maire and the seal, and B-LT refused without a TSA.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../shared/paths.ts';
import { verifyJournal } from '../journal/verify-journal.ts';
import { setConnectorConfig } from '../connectors/set-connector-config.ts';
import { HttpCrlSource } from './signature/certificates/crl-source.ts';
import { loadTrustAnchors } from './signature/certificates/trust-anchors.ts';
import { Pkcs12KeySource } from './signature/pades/key-source.ts';
import { verifyPdfSignatures } from './signature/pades/verify.ts';
import { createWorld, parapheurPath as P, PASSWORD, type World } from './test-fixture.ts';
import { tool } from '../../test/support/tools.ts';
import { CACHET_QUEUE } from './workflow/circuit-progress.ts';

let w: World;

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
});
after(async () => {
  await w?.close();
});

describe('three-step circuit: visa DGS → signature du maire (sign-client) → cachet', () => {
  let dossierId: string;
  let finalPdf: Buffer;

  it('runs through the API and the signer’s device, and ends signed', async () => {
    const { people, bureaux, cid } = w;
    dossierId = await w.createDossier(people.secretaire!);
    const sent = await w.request(people.secretaire!, 'POST', `${P(cid)}/dossiers/${dossierId}/envoyer`, {});
    assert.equal(sent.status, 200, JSON.stringify(sent.json));
    assert.equal((sent.json.dossier as { state: string }).state, 'en_cours');

    const dgsInbox = await w.request(people.dgs!, 'GET', `${P(cid)}/bureaux/${bureaux.dgs}/dossiers?vue=a-traiter`);
    assert.deepEqual((dgsInbox.json.items as { id: string }[]).map((d) => d.id), [dossierId]);
    const maireInbox = await w.request(people.maire!, 'GET', `${P(cid)}/bureaux/${bureaux.maire}/dossiers?vue=a-traiter`);
    assert.deepEqual(maireInbox.json.items, []);
    const recuperables = await w.request(people.secretaire!, 'GET', `${P(cid)}/bureaux/${bureaux.secretariat}/dossiers?vue=recuperables`);
    assert.deepEqual((recuperables.json.items as { id: string }[]).map((d) => d.id), [dossierId]);

    const view = await w.request(people.dgs!, 'GET', `${P(cid)}/dossiers/${dossierId}`);
    assert.ok((view.json.parapheurActions as { name: string }[]).some((a) => a.name === 'viser'));
    const visa = await w.request(people.dgs!, 'POST', `${P(cid)}/dossiers/${dossierId}/viser`, { comment: 'Vu, bon pour signature.' });
    assert.equal(visa.status, 200, JSON.stringify(visa.json));
    assert.deepEqual((visa.json.steps as { state: string }[]).map((s) => s.state), ['done', 'active', 'waiting']);

    const cli = await runCli(['sign-client', '--url', w.url, '--collectivite', cid, '--dossier', dossierId, '--email', people.maire!.email, '--password', PASSWORD, '--p12', w.pki.agents[2].p12Path, '--pass', w.pki.agents[2].p12Password]);
    assert.equal(cli.code, 0, cli.out);
    assert.match(cli.out, /Signature acceptée/);
    const afterSign = await w.request(people.maire!, 'GET', `${P(cid)}/dossiers/${dossierId}`);
    assert.equal((afterSign.json.dossier as { state: string }).state, 'cachet_en_cours');

    assert.ok((await w.runJobs()) >= 1);
    const done = await w.request(people.secretaire!, 'GET', `${P(cid)}/dossiers/${dossierId}`);
    const dossier = done.json.dossier as { state: string; documents: { id: string; role: string; sha256: string }[] };
    assert.equal(dossier.state, 'signe');
    const signed = dossier.documents.filter((d) => d.role === 'signed');
    assert.equal(signed.length, 2, 'one version per signature (maire, cachet)');
    const acts = done.json.acts as { action: string; bureau: string | null; certificate: { subject: string } | null }[];
    assert.deepEqual(acts.map((a) => a.action), ['envoyer', 'viser', 'signer', 'cachet']);
    assert.match(acts[2]!.certificate!.subject, /Chloé Dubois/);
    assert.match(acts[3]!.certificate!.subject, /Cachet serveur/);
    const terminated = await w.request(people.secretaire!, 'GET', `${P(cid)}/bureaux/${bureaux.secretariat}/dossiers?vue=termines`);
    assert.deepEqual((terminated.json.items as { id: string }[]).map((d) => d.id), [dossierId]);

    const content = await w.request(people.secretaire!, 'GET', `/api/collectivites/${cid}/documents/${signed[1]!.id}/content`);
    assert.equal(content.status, 200);
    finalPdf = content.raw;
  });

  it('pdfsig reports both signatures valid and trusted', () => {
    const path = join(w.dir, 'final.pdf');
    writeFileSync(path, finalPdf);
    const { status, out } = tool('pdfsig', ['-nssdir', `sql:${w.nssDir}`, path], 'poppler-utils');
    assert.equal(status, 0, out);
    assert.equal(out.match(/Signature Validation: Signature is Valid\./g)?.length, 2, out);
    assert.equal(out.match(/Certificate Validation: Certificate is Trusted\./g)?.length, 2, out);
    assert.match(out, /Common Name: Chloé Dubois/);
    assert.match(out, /Common Name: Cachet serveur Commune de Testville/);
    assert.match(out, /Total document signed/);
  });

  it('qpdf --check finds no error, and the visible mark is on the page', () => {
    const path = join(w.dir, 'final.pdf');
    const { status, out } = tool('qpdf', ['--check', path], 'qpdf');
    assert.equal(status, 0, out);
    assert.match(out, /No syntax or stream encoding errors found/);
    // the placement tags stay in the content stream under the marks' white background: drop them, join lines
    const text = tool('pdftotext', [path, '-'], 'poppler-utils').out.replace(/#\w+#/g, '').replace(/\s+/g, ' ');
    assert.match(text, /Le maire : Signé par Chloé Dubois le \d{2}\/\d{2}\/\d{4}/);
    assert.match(text, /Cachet : Cachet de Commune de Testville le/);
  });

  it('the bordereau lists each step, who acted for which bureau, certificates and SHA-256', async () => {
    const res = await w.request(w.people.secretaire!, 'GET', `${P(w.cid)}/dossiers/${dossierId}/bordereau`);
    assert.equal(res.status, 200);
    const path = join(w.dir, 'bordereau.pdf');
    writeFileSync(path, res.raw);
    assert.equal(tool('qpdf', ['--check', path], 'qpdf').status, 0);
    const text = tool('pdftotext', ['-layout', path, '-'], 'poppler-utils').out;
    assert.match(text, /Bordereau de signature/);
    assert.match(text, /Étape 1 — Visa/);
    assert.match(text, /Alice Martin/);
    assert.match(text, /bureau DGS/);
    assert.match(text, /Étape 2 — Signature/);
    assert.match(text, /Certificat : .*Chloé Dubois/);
    assert.match(text, /Émetteur : .*Paraphe Test Agents CA/);
    assert.ok(text.includes(w.pki.agents[2].cert.serialNumber), 'serial of the maire’s certificate');
    assert.match(text, /Étape 3 — Cachet serveur/);
    assert.match(text, /SHA-256 du document signé : [0-9a-f]{64}/);
  });

  it('journals every action with the documents’ SHA-256', async () => {
    const rows = await w.deps.db.selectFrom('journal_entry').select(['action', 'document_hashes']).where('object_id', '=', dossierId).where('action', 'like', 'parapheur.%').orderBy('seq').execute();
    assert.deepEqual(rows.map((r) => r.action), ['parapheur.envoyer', 'parapheur.viser', 'parapheur.signature.prepared', 'parapheur.signer', 'parapheur.cachet']);
    for (const r of rows) assert.ok(r.document_hashes.length >= 1 && r.document_hashes.every((h) => /^[0-9a-f]{64}$/.test(h)), r.action);
    const signed = await w.deps.db.selectFrom('journal_entry').select('details').where('object_id', '=', dossierId).where('action', '=', 'parapheur.signer').executeTakeFirstOrThrow();
    assert.match(JSON.stringify(signed.details), /Chloé Dubois/);
    const chain = await verifyJournal(w.deps.db, { chain: w.cid });
    assert.deepEqual(chain.problems, [], 'the collectivité’s hash chain is intact');
  });
});

describe('PAdES level of the typologie', () => {
  const typologie = (body: Record<string, unknown>) => w.request(w.people.admin!, 'POST', `${P(w.cid)}/typologies`, { circuitId: w.circuitId, format: 'pades', mark: null, ...body });

  it('the typologie API accepts, returns and edits niveauPades; ignored outside PAdES', async () => {
    const created = await typologie({ type: 'Niveau', sousType: 'Édité', niveauPades: 'B-LT' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.equal(created.json.niveauPades, 'B-LT');
    const edited = await w.request(w.people.admin!, 'PUT', `${P(w.cid)}/typologies/${String(created.json.id)}`, { type: 'Niveau', sousType: 'Édité', circuitId: w.circuitId, format: 'pades', mark: null, niveauPades: null, version: created.json.version });
    assert.equal(edited.status, 200, JSON.stringify(edited.json));
    assert.equal(edited.json.niveauPades, null, 'null: the default level');
    const cades = await typologie({ type: 'Niveau', sousType: 'CAdES', format: 'cades', niveauPades: 'B-LTA' });
    assert.equal(cades.status, 201, JSON.stringify(cades.json));
    assert.equal(cades.json.niveauPades, null, 'a level is a PAdES setting');
    assert.equal((await typologie({ type: 'Niveau', sousType: 'Faux', niveauPades: 'B-XL' })).status, 400);
  });

  it('B-LTA: the maire (two-phase, sign-client) then the seal; every signature long-term, timestamps valid', async () => {
    const { people, cid } = w;
    const t = await typologie({ type: 'Courrier', sousType: 'Archivé', niveauPades: 'B-LTA', mark: { text: 'Signé par {signataire} le {date}', tag: '#signature#' } });
    assert.equal(t.status, 201, JSON.stringify(t.json));
    const id = await w.createDossier(people.secretaire!, undefined, { typologieId: t.json.id });
    assert.equal((await w.request(people.secretaire!, 'POST', `${P(cid)}/dossiers/${id}/envoyer`, {})).status, 200);
    assert.equal((await w.request(people.dgs!, 'POST', `${P(cid)}/dossiers/${id}/viser`, {})).status, 200);
    const cli = await runCli(['sign-client', '--url', w.url, '--collectivite', cid, '--dossier', id, '--email', people.maire!.email, '--password', PASSWORD, '--p12', w.pki.agents[2].p12Path, '--pass', w.pki.agents[2].p12Password]);
    assert.equal(cli.code, 0, cli.out);
    assert.ok((await w.runJobs()) >= 1);

    const done = await w.request(people.secretaire!, 'GET', `${P(cid)}/dossiers/${id}`);
    const dossier = done.json.dossier as { state: string; documents: { id: string; role: string }[] };
    assert.equal(dossier.state, 'signe');
    const acts = await w.deps.db.selectFrom('parapheur_act').select(['action', 'certificate']).where('dossier_id', '=', id).where('action', 'in', ['signer', 'cachet']).orderBy('at').execute();
    assert.deepEqual(acts.map((a) => [a.action, (a.certificate as { level: string }).level]), [['signer', 'PAdES B-LTA'], ['cachet', 'PAdES B-LTA']]);
    const journaled = await w.deps.db.selectFrom('journal_entry').select('details').where('object_id', '=', id).where('action', 'in', ['parapheur.signer', 'parapheur.cachet']).orderBy('seq').execute();
    assert.deepEqual(journaled.map((j) => (j.details as { level: string }).level), ['PAdES B-LTA', 'PAdES B-LTA']);

    const last = dossier.documents.filter((d) => d.role === 'signed').at(-1)!;
    const pdf = (await w.request(people.secretaire!, 'GET', `/api/collectivites/${cid}/documents/${last.id}/content`)).raw;
    const report = await verifyPdfSignatures(pdf, { trustAnchors: loadTrustAnchors(w.pki.trustDir), crlSource: new HttpCrlSource() });
    assert.equal(report.valid, true, JSON.stringify([report.signatures.map((s) => s.problems), report.documentTimestamps.map((d) => d.problems)]));
    assert.deepEqual(report.signatures.map((s) => s.level), ['B-LTA', 'B-LTA']);
    assert.equal(report.documentTimestamps.length, 2, 'one document timestamp per signature');
    assert.ok(report.documentTimestamps.every((d) => d.valid), JSON.stringify(report.documentTimestamps));

    const path = join(w.dir, 'lta.pdf');
    writeFileSync(path, pdf);
    const { status, out } = tool('pdfsig', ['-nssdir', `sql:${w.nssDir}`, path], 'poppler-utils');
    assert.equal(status, 0, out);
    assert.equal(out.match(/Signature Type: ETSI\.CAdES\.detached/g)?.length, 2, out);
    assert.equal(out.match(/Signature Validation: Signature is Valid\./g)?.length, 2, out);
    assert.equal(out.match(/Certificate Validation: Certificate is Trusted\./g)?.length, 2, out);
    // the document timestamps are listed (pdfsig does not validate them: our verify above does)
    assert.equal(out.match(/Signature Field Name: Horodatage\d\n\s*- Signer Certificate Common Name: Paraphe Test TSA/g)?.length, 2, out);
  });

  it('B-LT without a TSA: prepare refuses the person’s signature; the seal fails visibly (erreur_cachet, French reason journaled), the document unchanged', async () => {
    const { people, cid } = w;
    const personal = await typologie({ type: 'Courrier', sousType: 'Signature B-LT', niveauPades: 'B-LT' });
    assert.equal(personal.status, 201, JSON.stringify(personal.json));
    const toSign = await w.createDossier(people.secretaire!, undefined, { typologieId: personal.json.id });
    assert.equal((await w.request(people.secretaire!, 'POST', `${P(cid)}/dossiers/${toSign}/envoyer`, {})).status, 200);
    assert.equal((await w.request(people.dgs!, 'POST', `${P(cid)}/dossiers/${toSign}/viser`, {})).status, 200);
    const circuit = await w.request(people.admin!, 'POST', `${P(cid)}/circuits`, { name: 'Cachet seul', steps: [{ kind: 'cachet' }] });
    assert.equal(circuit.status, 201, JSON.stringify(circuit.json));
    const t = await typologie({ type: 'Courrier', sousType: 'Cachet B-LT', circuitId: circuit.json.id, niveauPades: 'B-LT' });
    assert.equal(t.status, 201, JSON.stringify(t.json));
    const id = await w.createDossier(people.secretaire!, undefined, { typologieId: t.json.id });
    const before = await w.deps.db.selectFrom('document').select(['role', 'sha256']).where('dossier_id', '=', id).execute();
    const operatorTsa = await w.deps.db.selectFrom('connector_config').select(['scope_id', 'config']).where('connector', '=', 'tsa').where('scope_type', '=', 'operator').executeTakeFirstOrThrow();
    await w.deps.db.deleteFrom('connector_config').where('connector', '=', 'tsa').execute();
    try {
      const sent = await w.request(people.secretaire!, 'POST', `${P(cid)}/dossiers/${id}/envoyer`, {});
      assert.equal((sent.json.dossier as { state: string }).state, 'cachet_en_cours', JSON.stringify(sent.json));
      const chain = await (await Pkcs12KeySource.fromFile(w.pki.agents[2].p12Path, w.pki.agents[2].p12Password)).getCertificateChain();
      const refused = await w.request(people.maire!, 'POST', `${P(cid)}/dossiers/${toSign}/signature/prepare`, { certificateChain: chain.map((c) => Buffer.from(c).toString('base64')) });
      assert.equal(refused.status, 422, JSON.stringify(refused.json));
      assert.match(String(refused.json.message), /La typologie demande une signature PAdES B-LT, qui exige un service d’horodatage/);
      assert.equal((await w.deps.db.selectFrom('parapheur_signature_session').select('id').where('dossier_id', '=', toSign).execute()).length, 0);
      // one attempt: another one cannot cure a missing timestamp server
      await w.runJobs();
      const jobs = await w.deps.db.selectFrom('job').select(['state', 'attempts', 'payload']).where('queue', '=', CACHET_QUEUE).execute();
      const job = jobs.find((j) => (j.payload as { dossierId?: string }).dossierId === id);
      assert.deepEqual([job?.state, job?.attempts], ['failed', 1]);
    } finally {
      await setConnectorConfig(w.deps, { userId: null, tokenId: null, label: 'tests' }, { type: 'operator', id: operatorTsa.scope_id }, 'tsa', operatorTsa.config as Record<string, unknown>);
    }
    const view = await w.request(people.secretaire!, 'GET', `${P(cid)}/dossiers/${id}`);
    assert.equal((view.json.dossier as { state: string }).state, 'erreur_cachet');
    const failed = await w.deps.db.selectFrom('journal_entry').select('details').where('object_id', '=', id).where('action', '=', 'parapheur.cachet.failed').executeTakeFirstOrThrow();
    assert.match(String((failed.details as { error: string }).error), /signature PAdES B-LT, qui exige un service d’horodatage : aucun n’est configuré/);
    assert.deepEqual(await w.deps.db.selectFrom('document').select(['role', 'sha256']).where('dossier_id', '=', id).execute(), before, 'no sealed version');
    assert.equal((await w.deps.db.selectFrom('parapheur_act').select('id').where('dossier_id', '=', id).where('action', '=', 'cachet').execute()).length, 0);
  });
});
