/**
 * The parapheur's rules through the API: délégation ("pour le compte de"), overlapping and circular
 * délégations refused, rejection with a motif, annotations public/private, avis and transfer without moving
 * the step, reprendre before anyone acted; bad input (encrypted/corrupt PDF, wrong signature value,
 * expired/revoked/untrusted/no-nonRepudiation certificates, out of turn, outside the bureau) refused with
 * a French message and the dossier exactly as it was; another collectivité's ids are not found.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pkcs12KeySource } from './signature/pades/key-source.ts';
import { makeTestPdf } from './signature/pades/test-pdf.ts';
import type { TestIdentity } from '../../test/support/pki.ts';
import { createWorld, parapheurPath as P, type Caller, type World } from './test-fixture.ts';

let w: World;
const day = 24 * 3600 * 1000;

before(async () => {
  w = await createWorld();
});
after(async () => {
  await w?.close();
});

async function sentDossier(): Promise<string> {
  const id = await w.createDossier(w.people.secretaire!);
  const res = await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {});
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return id;
}

async function atSignature(): Promise<string> {
  const id = await sentDossier();
  const res = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {});
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return id;
}

/** Everything a refused action must leave untouched. */
async function snapshot(id: string): Promise<unknown> {
  const db = w.deps.db;
  return {
    dossier: await db.selectFrom('dossier').select(['state', 'version']).where('id', '=', id).executeTakeFirst(),
    documents: await db.selectFrom('document').select(['id', 'sha256']).where('dossier_id', '=', id).orderBy('id').execute(),
    steps: await db.selectFrom('parapheur_step').select(['position', 'state', 'bureau_ids', 'pending_bureau_ids']).where('dossier_id', '=', id).orderBy('position').execute(),
    acts: await db.selectFrom('parapheur_act').select('id').where('dossier_id', '=', id).orderBy('id').execute(),
  };
}

async function prepare(who: Caller, id: string, identity: TestIdentity) {
  const key = await Pkcs12KeySource.fromFile(identity.p12Path, identity.p12Password);
  const chain = await key.getCertificateChain();
  const res = await w.request(who, 'POST', `${P(w.cid)}/dossiers/${id}/signature/prepare`, { certificateChain: chain.map((c) => Buffer.from(c).toString('base64')) });
  return { res, key };
}

async function sign(who: Caller, id: string, identity: TestIdentity) {
  const { res, key } = await prepare(who, id, identity);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  const items = res.json.items as { dataToSign: string; digest: string }[];
  const values = await Promise.all(items.map((i) => key.sign({ data: Buffer.from(i.dataToSign, 'base64'), digest: Buffer.from(i.digest, 'base64'), digestAlgorithm: 'SHA-256' })));
  return w.request(who, 'POST', `${P(w.cid)}/dossiers/${id}/signature/complete`, { sessionId: res.json.sessionId, signatureValues: values.map((v) => Buffer.from(v).toString('base64')) });
}

describe('délégation', () => {
  it('the adjoint signs for the maire: "pour le compte de", in the mark, the act and the délégués inbox', async () => {
    const now = Date.now();
    const created = await w.request(w.people.maire!, 'POST', `${P(w.cid)}/delegations`, { fromBureauId: w.bureaux.maire, toBureauId: w.bureaux.adjoint, startsAt: new Date(now - day).toISOString(), endsAt: new Date(now + day).toISOString(), typologieIds: [w.typologieId] });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const id = await atSignature();
    const delegues = await w.request(w.people.adjoint!, 'GET', `${P(w.cid)}/bureaux/${w.bureaux.adjoint}/dossiers?vue=delegues`);
    assert.ok((delegues.json.items as { id: string }[]).some((d) => d.id === id));
    const done = await sign(w.people.adjoint!, id, w.pki.agents[1]);
    assert.equal(done.status, 200, JSON.stringify(done.json));
    const act = (done.json.acts as { action: string; bureau: string; pourLeCompteDe: string | null; actor: string }[]).find((a) => a.action === 'signer')!;
    assert.equal(act.bureau, 'Premier adjoint');
    assert.equal(act.pourLeCompteDe, 'Maire');
    assert.match(act.actor, /Bruno Lefèvre/);
    const signed = (done.json.dossier as { documents: { id: string; role: string }[] }).documents.find((d) => d.role === 'signed')!;
    const pdf = await w.request(w.people.adjoint!, 'GET', `/api/collectivites/${w.cid}/documents/${signed.id}/content`);
    const path = join(w.dir, 'delegated.pdf');
    writeFileSync(path, pdf.raw);
    const text = execFileSync('pdftotext', [path, '-'], { encoding: 'utf8' }).replace(/#\w+#/g, '').replace(/\s+/g, ' ');
    assert.match(text, /Signé par Bruno Lefèvre pour le compte de Maire le/);
    const bordereau = await w.request(w.people.secretaire!, 'GET', `${P(w.cid)}/dossiers/${id}/bordereau`);
    writeFileSync(join(w.dir, 'b.pdf'), bordereau.raw);
    assert.match(execFileSync('pdftotext', [join(w.dir, 'b.pdf'), '-'], { encoding: 'utf8' }), /Pour le compte du bureau : Maire/);
    // revoke: the maire's own bureau acts again afterwards
    const revoke = await w.request(w.people.maire!, 'DELETE', `${P(w.cid)}/delegations/${created.json.id}`);
    assert.equal(revoke.status, 204);
  });

  it('refuses overlapping and circular délégations, and a délégation by someone who does not hold the bureau', async () => {
    const now = Date.now();
    const range = { startsAt: new Date(now + 10 * day).toISOString(), endsAt: new Date(now + 20 * day).toISOString() };
    const first = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/delegations`, { fromBureauId: w.bureaux.dgs, toBureauId: w.bureaux.urbanisme, ...range });
    assert.equal(first.status, 201, JSON.stringify(first.json));
    const overlap = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/delegations`, { fromBureauId: w.bureaux.dgs, toBureauId: w.bureaux.secretariat, startsAt: new Date(now + 15 * day).toISOString(), endsAt: new Date(now + 25 * day).toISOString() });
    assert.equal(overlap.status, 409);
    assert.match(String(overlap.json.message), /chevaucher/);
    const circular = await w.request(w.people.urbanisme!, 'POST', `${P(w.cid)}/delegations`, { fromBureauId: w.bureaux.urbanisme, toBureauId: w.bureaux.dgs, ...range });
    assert.equal(circular.status, 409);
    assert.match(String(circular.json.message), /boucle/);
    const notHolder = await w.request(w.people.intrus!, 'POST', `${P(w.cid)}/delegations`, { fromBureauId: w.bureaux.maire, toBureauId: w.bureaux.urbanisme, ...range });
    assert.equal(notHolder.status, 403);
    // after the first one ends, the same bureau may delegate again
    const later = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/delegations`, { fromBureauId: w.bureaux.dgs, toBureauId: w.bureaux.secretariat, startsAt: range.endsAt, endsAt: new Date(now + 30 * day).toISOString() });
    assert.equal(later.status, 201, JSON.stringify(later.json));
  });
});

describe('rejet, annotations, avis, transfert, reprise', () => {
  it('rejeter requires a motif, then returns the dossier to its author as rejected', async () => {
    const id = await sentDossier();
    const before = await snapshot(id);
    const noMotif = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/rejeter`, {});
    assert.equal(noMotif.status, 400);
    assert.equal(noMotif.json.message, 'Le motif du rejet est obligatoire.');
    assert.deepEqual(await snapshot(id), before);
    const rejected = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/rejeter`, { motif: 'Montant de la subvention à corriger.' });
    assert.equal(rejected.status, 200);
    assert.equal((rejected.json.dossier as { state: string }).state, 'rejete');
    const inbox = await w.request(w.people.secretaire!, 'GET', `${P(w.cid)}/bureaux/${w.bureaux.secretariat}/dossiers?vue=rejetes`);
    assert.ok((inbox.json.items as { id: string }[]).some((d) => d.id === id));
    const act = (rejected.json.acts as { action: string; comment: string }[]).find((a) => a.action === 'rejeter')!;
    assert.equal(act.comment, 'Montant de la subvention à corriger.');
  });

  it('annotations: public for all, private only for the author’s bureau; the step does not move', async () => {
    const id = await sentDossier();
    const pub = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/annoter`, { text: 'Vérifier l’annexe financière.', visibility: 'public' });
    assert.equal(pub.status, 200, JSON.stringify(pub.json));
    const priv = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/annoter`, { text: 'Note interne DGS.', visibility: 'private' });
    assert.equal(priv.status, 200);
    const dgsView = await w.request(w.people.dgs!, 'GET', `${P(w.cid)}/dossiers/${id}`);
    assert.deepEqual((dgsView.json.annotations as { text: string }[]).map((a) => a.text), ['Vérifier l’annexe financière.', 'Note interne DGS.']);
    const maireView = await w.request(w.people.maire!, 'GET', `${P(w.cid)}/dossiers/${id}`);
    assert.deepEqual((maireView.json.annotations as { text: string }[]).map((a) => a.text), ['Vérifier l’annexe financière.']);
    assert.deepEqual((maireView.json.steps as { state: string }[]).map((s) => s.state), ['active', 'waiting', 'waiting']);
  });

  it('demander un avis: the consulted bureau answers, the step stays with the DGS', async () => {
    const id = await sentDossier();
    const asked = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/avis`, { toBureauId: w.bureaux.urbanisme, question: 'Conforme au PLU ?' });
    assert.equal(asked.status, 200, JSON.stringify(asked.json));
    const avis = (asked.json.avis as { id: string }[])[0]!;
    const intrus = await w.request(w.people.intrus!, 'POST', `${P(w.cid)}/dossiers/${id}/avis/${avis.id}/reponse`, { answer: 'Oui' });
    assert.equal(intrus.status, 403);
    const answered = await w.request(w.people.urbanisme!, 'POST', `${P(w.cid)}/dossiers/${id}/avis/${avis.id}/reponse`, { answer: 'Conforme.' });
    assert.equal(answered.status, 200, JSON.stringify(answered.json));
    assert.equal((answered.json.avis as { answer: string }[])[0]!.answer, 'Conforme.');
    assert.deepEqual((answered.json.steps as { state: string; bureaux: { name: string; pending: boolean }[] }[])[0], { position: 1, kind: 'visa', mode: 'any', state: 'active', bureaux: [{ id: w.bureaux.dgs, name: 'DGS', pending: true }] });
    const urbanismeVisa = await w.request(w.people.urbanisme!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {});
    assert.equal(urbanismeVisa.status, 403, 'giving an avis does not give the turn');
  });

  it('transférer: the urbanisme bureau takes the DGS’s place at the same step and acts', async () => {
    const id = await sentDossier();
    const moved = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/transferer`, { toBureauId: w.bureaux.urbanisme });
    assert.equal(moved.status, 200, JSON.stringify(moved.json));
    assert.equal((moved.json.dossier as { state: string }).state, 'en_cours');
    const dgsAgain = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {});
    assert.equal(dgsAgain.status, 403);
    const visa = await w.request(w.people.urbanisme!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {});
    assert.equal(visa.status, 200, JSON.stringify(visa.json));
    assert.deepEqual((visa.json.steps as { state: string }[]).map((s) => s.state), ['done', 'active', 'waiting']);
  });

  it('reprendre: possible before anyone acted, refused afterwards', async () => {
    const id = await sentDossier();
    const back = await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/reprendre`, {});
    assert.equal(back.status, 200, JSON.stringify(back.json));
    assert.equal((back.json.dossier as { state: string }).state, 'brouillon');
    assert.deepEqual(back.json.steps, []);
    const again = await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {});
    assert.equal(again.status, 200);
    const offered = await w.request(w.people.secretaire!, 'GET', `${P(w.cid)}/dossiers/${id}`);
    assert.ok((offered.json.parapheurActions as { name: string }[]).some((a) => a.name === 'reprendre'));
    await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {});
    const notOffered = await w.request(w.people.secretaire!, 'GET', `${P(w.cid)}/dossiers/${id}`);
    assert.ok(!(notOffered.json.parapheurActions as { name: string }[]).some((a) => a.name === 'reprendre'));
    const before = await snapshot(id);
    const late = await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/reprendre`, {});
    assert.equal(late.status, 409);
    assert.equal(late.json.message, 'Le dossier ne peut plus être repris : un bureau a déjà agi.');
    assert.deepEqual(await snapshot(id), before);
  });

  it('the generic dossier action endpoint cannot bypass the bureau rules', async () => {
    const id = await sentDossier();
    const before = await snapshot(id);
    const res = await w.request(w.people.intrus!, 'POST', `/api/collectivites/${w.cid}/dossiers/${id}/actions/viser`, {});
    assert.equal(res.status, 409);
    assert.match(String(res.json.message), /se fait depuis le parapheur/);
    assert.deepEqual(await snapshot(id), before);
  });
});

describe('bad input leaves the dossier exactly as it was', () => {
  it('refuses an encrypted PDF and a corrupt PDF at envoi', async () => {
    const plain = join(w.dir, 'plain.pdf');
    writeFileSync(plain, await makeTestPdf());
    const enc = join(w.dir, 'enc.pdf');
    execFileSync('qpdf', ['--encrypt', 'user', 'owner', '256', '--', plain, enc]);
    for (const [bytes, message] of [
      [new Uint8Array(readFileSync(enc)), 'Le PDF est chiffré ou protégé par mot de passe : il ne peut pas être signé'],
      [new Uint8Array(Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ngarbage garbage\n%%EOF\n')), 'Le fichier PDF est corrompu ou illisible'],
    ] as const) {
      const id = await w.createDossier(w.people.secretaire!, bytes);
      const before = await snapshot(id);
      const res = await w.request(w.people.secretaire!, 'POST', `${P(w.cid)}/dossiers/${id}/envoyer`, {});
      assert.equal(res.status, 400, JSON.stringify(res.json));
      assert.equal(res.json.message, message);
      assert.deepEqual(await snapshot(id), before);
    }
  });

  it('refuses out-of-turn and outside-the-bureau actions', async () => {
    const id = await sentDossier();
    const before = await snapshot(id);
    const outOfTurn = await w.request(w.people.maire!, 'POST', `${P(w.cid)}/dossiers/${id}/viser`, {});
    assert.equal(outOfTurn.status, 403);
    assert.equal(outOfTurn.json.message, 'Ce dossier n’attend pas l’action d’un de vos bureaux à cette étape.');
    const { res: earlySign } = await prepare(w.people.maire!, id, w.pki.agents[2]);
    assert.equal(earlySign.status, 403);
    const outsider = await w.request(w.people.intrus!, 'POST', `${P(w.cid)}/dossiers/${id}/rejeter`, { motif: 'non' });
    assert.equal(outsider.status, 403);
    const wrongKind = await w.request(w.people.dgs!, 'POST', `${P(w.cid)}/dossiers/${id}/signature/prepare`, { certificateChain: [w.pki.agents[0].certPem] });
    assert.equal(wrongKind.status, 409);
    assert.equal(wrongKind.json.message, 'L’étape en cours est un visa, pas une signature.');
    assert.deepEqual(await snapshot(id), before);
  });

  it('refuses expired, revoked, untrusted and non-nonRepudiation certificates with a French reason', async () => {
    const id = await atSignature();
    const before = await snapshot(id);
    const cases: [TestIdentity, string][] = [
      [w.pki.expired, 'Certificat expiré'],
      [w.pki.revoked, 'Certificat révoqué'],
      [w.pki.untrusted, 'Autorité de certification non reconnue'],
      [w.pki.noNonRepudiation, 'Le certificat ne permet pas la signature (non-répudiation absente)'],
    ];
    for (const [identity, message] of cases) {
      const { res } = await prepare(w.people.maire!, id, identity);
      assert.equal(res.status, 422, `${identity.name}: ${JSON.stringify(res.json)}`);
      assert.equal(res.json.message, message);
    }
    assert.deepEqual(await snapshot(id), before);
  });

  it('refuses a signature value that does not match the prepared data', async () => {
    const id = await atSignature();
    const { res, key } = await prepare(w.people.maire!, id, w.pki.agents[2]);
    assert.equal(res.status, 200);
    const before = await snapshot(id);
    const other = await key.sign({ data: Buffer.from('autre chose'), digest: new Uint8Array(32), digestAlgorithm: 'SHA-256' });
    const bad = await w.request(w.people.maire!, 'POST', `${P(w.cid)}/dossiers/${id}/signature/complete`, { sessionId: res.json.sessionId, signatureValues: [Buffer.from(other).toString('base64')] });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.message, 'La valeur de signature ne correspond pas au document préparé ou au certificat du signataire');
    assert.deepEqual(await snapshot(id), before);
    // someone else cannot use the maire's preparation
    const good = await key.sign({ data: Buffer.from((res.json.items as { dataToSign: string }[])[0]!.dataToSign, 'base64'), digest: new Uint8Array(32), digestAlgorithm: 'SHA-256' });
    const stolen = await w.request(w.people.adjoint!, 'POST', `${P(w.cid)}/dossiers/${id}/signature/complete`, { sessionId: res.json.sessionId, signatureValues: [Buffer.from(good).toString('base64')] });
    assert.equal(stolen.status, 404);
    assert.deepEqual(await snapshot(id), before);
    const ok = await w.request(w.people.maire!, 'POST', `${P(w.cid)}/dossiers/${id}/signature/complete`, { sessionId: res.json.sessionId, signatureValues: [Buffer.from(good).toString('base64')] });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    const replay = await w.request(w.people.maire!, 'POST', `${P(w.cid)}/dossiers/${id}/signature/complete`, { sessionId: res.json.sessionId, signatureValues: [Buffer.from(good).toString('base64')] });
    assert.equal(replay.status, 409);
  });

  it('refuses an expired preparation', async () => {
    const id = await atSignature();
    const { res, key } = await prepare(w.people.maire!, id, w.pki.agents[2]);
    assert.equal(res.status, 200);
    await w.deps.db.updateTable('parapheur_signature_session').set({ created_at: new Date(Date.now() - 2 * 3600_000) }).where('id', '=', String(res.json.sessionId)).execute();
    const before = await snapshot(id);
    const value = await key.sign({ data: Buffer.from((res.json.items as { dataToSign: string }[])[0]!.dataToSign, 'base64'), digest: new Uint8Array(32), digestAlgorithm: 'SHA-256' });
    const late = await w.request(w.people.maire!, 'POST', `${P(w.cid)}/dossiers/${id}/signature/complete`, { sessionId: res.json.sessionId, signatureValues: [Buffer.from(value).toString('base64')] });
    assert.equal(late.status, 409);
    assert.equal(late.json.message, 'Cette préparation de signature a expiré : préparez à nouveau la signature.');
    assert.deepEqual(await snapshot(id), before);
  });
});

describe('tenant isolation', () => {
  it('another collectivité’s member gets 404 on every parapheur route of this collectivité', async () => {
    const id = await sentDossier();
    const routes = w.app.registeredRoutes.filter((r) => r.url.includes('/parapheur'));
    assert.ok(routes.length >= 20, `parapheur routes: ${routes.length}`);
    const ids: Record<string, string> = { collectiviteId: w.cid, dossierId: id, bureauId: w.bureaux.dgs!, circuitId: w.circuitId, typologieId: w.typologieId, delegationId: id, avisId: id };
    // valid bodies, so the refusal comes from the tenant check and not from validation
    const t = new Date().toISOString();
    const bodies: [RegExp, unknown][] = [
      [/\/bureaux$/, { name: 'Bureau pirate' }],
      [/\/titulaires$/, { userIds: [] }],
      [/\/circuits$/, { name: 'C', steps: [{ kind: 'visa', actors: { type: 'bureaux', bureauIds: [w.bureaux.dgs], mode: 'any' } }] }],
      [/\/typologies$/, { type: 'A', sousType: 'B', circuitId: w.circuitId }],
      [/\/circuits\/:circuitId$/, { name: 'C', steps: [{ kind: 'visa', actors: { type: 'bureaux', bureauIds: [w.bureaux.dgs], mode: 'any' } }], version: 1 }],
      [/\/typologies\/:typologieId$/, { type: 'A', sousType: 'B', circuitId: w.circuitId, version: 1 }],
      [/\/delegations$/, { fromBureauId: w.bureaux.dgs, toBureauId: w.bureaux.maire, startsAt: t, endsAt: new Date(Date.now() + day).toISOString() }],
      [/\/annoter$/, { text: 'x' }],
      [/\/avis$/, { toBureauId: w.bureaux.maire, question: 'q' }],
      [/\/transferer$/, { toBureauId: w.bureaux.maire }],
      [/\/reponse$/, { answer: 'a' }],
      [/\/prepare$/, { certificateChain: [w.pki.agents[0].certPem] }],
      [/\/complete$/, { sessionId: id, signatureValues: ['AAAA'] }],
    ];
    for (const r of routes) {
      const url = r.url.replace(/:(\w+)/g, (_, name: string) => ids[name] ?? id);
      const body = r.method === 'GET' || r.method === 'DELETE' ? undefined : (bodies.find(([re]) => re.test(r.url))?.[1] ?? {});
      const res = await w.request(w.people.ailleurs!, r.method, url, body);
      assert.equal(res.status, 404, `${r.method} ${r.url}: ${res.status} ${JSON.stringify(res.json)}`);
    }
  });

  it('this collectivité’s ids are not found from another collectivité’s URL', async () => {
    const id = await sentDossier();
    const base = P(w.otherCid);
    for (const url of [`${base}/dossiers/${id}`, `${base}/bureaux/${w.bureaux.dgs}/dossiers`, `${base}/dossiers/${id}/bordereau`]) {
      const res = await w.request(w.people.ailleurs!, 'GET', url);
      assert.equal(res.status, 404, url);
    }
    const del = await w.request(w.people.ailleurs!, 'DELETE', `${base}/circuits/${w.circuitId}`);
    assert.equal(del.status, 404);
    const circuit = await w.request(w.people.ailleurs!, 'POST', `${base}/circuits`, { name: 'Emprunt', steps: [{ kind: 'visa', actors: { type: 'bureaux', bureauIds: [w.bureaux.dgs], mode: 'any' } }] });
    assert.equal(circuit.status, 422, 'a bureau of another collectivité is unknown here');
  });
});
