/**
 * DocumentBudgetaire: the real TotEM samples of the conformance set (read from /work/shared, never copied)
 * are checked with the bundled official schema; one is sent as a BF acte through the API, and the archive
 * that would leave is checked independently with xmllint (ACTES schema for the message, the conformance
 * copy of DocumentBudgetaire.xsd for the document).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import { conformancePath, CONFORMANCE_ACTES_XSD, xmllintSchema } from '../archive/testing.ts';
import { extractTarGz } from '../archive/tar.ts';
import { checkDocumentBudgetaire } from './document-budgetaire.ts';
import { startTestPlatform, makeCollectivite, makeToken, tokenClient, type TestPlatform, type Client } from '../../../test/support/test-app.ts';
import { TOKEN_PERMISSIONS } from '../../identity/roles.ts';
import { setConnectorConfig } from '../../connectors/set-connector-config.ts';
import { importClassification } from '../use-cases/import-classification.ts';
import { setActesPorts } from '../install.ts';
import { runDueJobs } from '../../platform/jobs/job-queue.ts';

const SAMPLES = {
  bp: conformancePath('yatotem2scdl-docbudg/tests/exemples/DOCBUDG-21560046100085-056025-BP-2022-07042022000000/totem.xml'),
  dm: conformancePath('yatotem2scdl-docbudg/tests/exemples/DOCBUDG-21560046100010-056025-DM2-2021-25112021000000/totem.xml'),
  ca: conformancePath('yatotem2scdl-docbudg/tests/exemples/DOCBUDG-21560046100010-056025-CA-2021-01032022000000/totem.xml'),
  badSiret: conformancePath('yatotem2scdl-docbudg/tests/data_extract_metadata/totem_mauvais_siret.xml'),
};
const CONFORMANCE_DOCBUDG_XSD = conformancePath('iparapheur-v5-xsd/src/test/resources/xsd/schemas_pes_v5.17/SchemaDocBudg/DocumentBudgetaire.xsd');
const CLASSIFICATION = conformancePath('pastell-tdt/test/PHPUnit/connecteur/s2low/fixtures/999-1234----7-2_1.xml');
const NOT_BUDGET = CLASSIFICATION; // a real ACTES RetourClassification: well-formed XML, another root

function withDoctype(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1');
  const end = text.indexOf('?>') + 2;
  return Buffer.from(`${text.slice(0, end)}\n<!DOCTYPE DocumentBudgetaire [<!ENTITY x "y">]>${text.slice(end)}`, 'latin1');
}

function frenchError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof AppError && e.code === 'VALIDATION' && pattern.test(e.messageFr));
}

describe('DocumentBudgetaire checks', () => {
  test('the three real budget documents pass the bundled official schema, as xmllint says with the conformance copy', () => {
    for (const [name, path] of Object.entries({ bp: SAMPLES.bp, dm: SAMPLES.dm, ca: SAMPLES.ca })) {
      assert.ok(xmllintSchema(CONFORMANCE_DOCBUDG_XSD, path).valid, name);
      const info = checkDocumentBudgetaire(readFileSync(path), 'totem.xml');
      assert.match(info.siret ?? '', /^215600461000/, name);
      assert.match(info.exercice ?? '', /^20(21|22)$/, name);
    }
    assert.equal(checkDocumentBudgetaire(readFileSync(SAMPLES.bp), 'totem.xml').natureDecision, '01');
  });

  test('a budget document invalid against the schema, another XML, a DOCTYPE: clear French errors', () => {
    assert.equal(xmllintSchema(CONFORMANCE_DOCBUDG_XSD, SAMPLES.badSiret).valid, false);
    frenchError(() => checkDocumentBudgetaire(readFileSync(SAMPLES.badSiret), 'totem_mauvais_siret.xml'), /« totem_mauvais_siret\.xml » n’est pas conforme au schéma DocumentBudgetaire : ligne \d+ : .*IdEtab/);
    frenchError(() => checkDocumentBudgetaire(readFileSync(NOT_BUDGET), 'classification.xml'), /n’est pas un document budgétaire : l’élément racine est « RetourClassification »/);
    frenchError(() => checkDocumentBudgetaire(withDoctype(readFileSync(SAMPLES.bp)), 'piege.xml'), /DOCTYPE ou ENTITY/);
    frenchError(() => checkDocumentBudgetaire(Buffer.from('pas du XML'), 'budget.xml'), /n’est pas un XML bien formé/);
  });
});

describe('a DocumentBudgetaire transmitted as a BF acte', () => {
  let p: TestPlatform;
  let cid: string;
  let api: Client;
  let dir: string;
  const sent: { fileName: string; bytes: Uint8Array }[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'paraphe-docbudg-'));
    p = await startTestPlatform();
    cid = await makeCollectivite(p, 'Commune Budgétaire');
    api = tokenClient(p, await makeToken(p, cid, [...TOKEN_PERMISSIONS]));
    await importClassification(p.deps, { userId: null, tokenId: null, label: 'test' }, cid, readFileSync(CLASSIFICATION));
    await setConnectorConfig(p.deps, { userId: null, tokenId: null, label: 'test' }, { type: 'collectivite', id: cid }, 'tdt-actes', {
      url: 'https://ctes.invalid/', clientCertPath: '/dev/null', clientKeyPath: '/dev/null', trigramme: 'PAR', adressesRetour: ['retour@budget.test'],
      imap: { host: '127.0.0.1', port: 1, secure: false, user: 'retour@budget.test', password: 'x' },
    });
    // The @CTES transport is replaced by a recorder: this test is about what would leave.
    setActesPorts(p.deps, { transport: () => ({ send: async (a) => (sent.push(a), { status: 'accepted', url: 'https://ctes.invalid/', usedRescue: false, httpStatus: 200, body: 'OK', attempts: [] }) }) });
  });

  after(async () => {
    await p?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const metadata = (numeroInterne: string, extra: Record<string, unknown> = {}) => ({
    nature: 'BF', classification: '7.1', numeroInterne, dateDecision: '2022-04-04', objet: 'Budget primitif 2022 du lotissement', documentPapier: false, typologieActe: '99_BU', typologieAnnexes: [], ...extra,
  });

  async function create(numeroInterne: string, extra: Record<string, unknown> = {}): Promise<{ idActe: string; dossier: { id: string } }> {
    const r = await api.request('POST', `/api/collectivites/${cid}/actes`, { metadata: metadata(numeroInterne, extra) });
    assert.equal(r.statusCode, 201, r.body);
    return r.json() as { idActe: string; dossier: { id: string } };
  }

  test('bad budget files are refused at upload with French messages, nothing stored', async () => {
    const a = await create('BUDGET_KO');
    for (const [name, bytes, pattern] of [
      ['totem_mauvais_siret.xml', readFileSync(SAMPLES.badSiret), /n’est pas conforme au schéma DocumentBudgetaire/],
      ['classification.xml', readFileSync(NOT_BUDGET), /n’est pas un document budgétaire/],
      ['piege.xml', withDoctype(readFileSync(SAMPLES.bp)), /DOCTYPE/],
    ] as const) {
      const up = await api.upload(`/api/collectivites/${cid}/actes/${a.dossier.id}/documents?role=principal`, name, Buffer.from(bytes));
      assert.equal(up.statusCode, 400, up.body);
      assert.match((up.json() as { message: string }).message, pattern);
    }
    const docs = await p.deps.db.selectFrom('document').select('id').where('dossier_id', '=', a.dossier.id).execute();
    assert.equal(docs.length, 0);
    // A budget document is only sent as a BF acte.
    const de = await create('DELIB_BU', { nature: 'DE', typologieActe: '99_DE' });
    const wrong = await api.upload(`/api/collectivites/${cid}/actes/${de.dossier.id}/documents?role=principal`, 'totem.xml', readFileSync(SAMPLES.bp));
    assert.equal(wrong.statusCode, 400, wrong.body);
    assert.match((wrong.json() as { message: string }).message, /se transmet comme document principal d’un acte de nature « Documents budgétaires et financiers » \(BF, type de pièce 99_BU\)/);
  });

  test('the budget primitif is sent as nature 5 with typologie 99_BU, the XML unchanged as principal document', async () => {
    const a = await create('BP_2022');
    assert.match(a.idActe, /-20220404-BP_2022-BF$/);
    const totem = readFileSync(SAMPLES.bp);
    const up = await api.upload(`/api/collectivites/${cid}/actes/${a.dossier.id}/documents?role=principal`, 'totem.xml', totem);
    assert.equal(up.statusCode, 201, up.body);
    const tr = await api.request('POST', `/api/collectivites/${cid}/dossiers/${a.dossier.id}/actions/transmettre`, {});
    assert.equal(tr.statusCode, 200, tr.body);
    await runDueJobs(p.deps.db, p.deps.clock, p.deps.jobHandlers);
    const state = await p.deps.db.selectFrom('dossier').select('state').where('id', '=', a.dossier.id).executeTakeFirstOrThrow();
    assert.equal(state.state, 'transmis');
    assert.equal(sent.length, 1);

    const entries = await extractTarGz(Buffer.from(sent[0]!.bytes));
    const doc = entries.find((e) => e.name.startsWith('99_BU-'));
    assert.ok(doc, entries.map((e) => e.name).join(', '));
    assert.match(doc.name, new RegExp(`^99_BU-${a.idActe}-1-1_1\\.xml$`));
    assert.ok(Buffer.from(doc.data).equals(totem), 'the budget XML travels byte for byte');
    const docFile = join(dir, doc.name);
    writeFileSync(docFile, doc.data);
    const docCheck = xmllintSchema(CONFORMANCE_DOCBUDG_XSD, docFile);
    assert.ok(docCheck.valid, docCheck.output);
    const msg = entries.find((e) => /-1-1_0\.xml$/.test(e.name))!;
    const msgCheck = xmllintSchema(CONFORMANCE_ACTES_XSD, msg.data);
    assert.ok(msgCheck.valid, msgCheck.output);
    const xml = Buffer.from(msg.data).toString('latin1');
    assert.match(xml, /actes:CodeNatureActe="5"/);
    // The typologie travels as the prefix of the document's name (PROTOCOLS A.5).
    assert.ok(xml.includes(`<actes:NomFichier>${doc.name}</actes:NomFichier>`), xml);
    const env = entries.find((e) => e.name.startsWith('EACT--'))!;
    assert.ok(xmllintSchema(CONFORMANCE_ACTES_XSD, env.data).valid);
  });
});
