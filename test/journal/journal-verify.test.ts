/**
 * The evidence journal against someone with write access to the database: an edited, a deleted (middle or
 * last) or a reordered entry is reported by `verifyJournal` and by the `paraphe journal verify` command.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestPlatform, makeCollectivite, type TestPlatform } from '../support/test-app.ts';
import { appendJournal } from '../../src/journal/append-journal.ts';
import { verifyJournal } from '../../src/journal/verify-journal.ts';
import { repoRoot } from '../../src/shared/paths.ts';

const run = promisify(execFile);
let p: TestPlatform;
let chain: string;
const actor = { userId: null, tokenId: null, label: 'test' };

before(async () => {
  p = await startTestPlatform();
  chain = await makeCollectivite(p, 'Commune journalisée');
  for (let i = 0; i < 5; i++) {
    await p.deps.db.transaction().execute((trx) => appendJournal(trx, p.deps.clock, actor, { collectiviteId: chain, action: 'test.event', objectType: 'dossier', objectId: String(i), details: { i } }));
  }
});
after(() => p.close());

async function problemsAfter(tamper: () => Promise<void>): Promise<string[]> {
  const saved = await p.deps.db.selectFrom('journal_entry').selectAll().where('chain', '=', chain).execute();
  await tamper();
  const res = await verifyJournal(p.deps.db, { chain });
  // Put the chain back as it was for the next case.
  await p.deps.db.deleteFrom('journal_entry').where('chain', '=', chain).execute();
  for (const r of saved) await p.deps.db.insertInto('journal_entry').values({ ...r, details: JSON.stringify(r.details), document_hashes: JSON.stringify(r.document_hashes) }).execute();
  return res.problems.map((x) => x.kind);
}

test('an intact chain verifies clean', async () => {
  const res = await verifyJournal(p.deps.db);
  assert.deepEqual(res.problems, []);
  assert.ok(res.entries >= 6);
});

test('an edited entry is caught', async () => {
  const kinds = await problemsAfter(async () => {
    await p.deps.db.updateTable('journal_entry').set({ details: JSON.stringify({ i: 42 }) }).where('chain', '=', chain).where('seq', '=', 3).execute();
  });
  assert.deepEqual(kinds, ['edited']);
});

test('a deleted entry is caught, in the middle and at the end', async () => {
  const middle = await problemsAfter(async () => {
    await p.deps.db.deleteFrom('journal_entry').where('chain', '=', chain).where('seq', '=', 3).execute();
  });
  assert.ok(middle.includes('missing') && middle.includes('broken-link'), middle.join());
  const last = await problemsAfter(async () => {
    await p.deps.db.deleteFrom('journal_entry').where('chain', '=', chain).where('seq', '=', 6).execute();
  });
  assert.deepEqual(last, ['head-mismatch']);
});

test('reordered entries are caught', async () => {
  const kinds = await problemsAfter(async () => {
    await p.deps.db.transaction().execute(async (trx) => {
      await trx.updateTable('journal_entry').set({ seq: -1 }).where('chain', '=', chain).where('seq', '=', 2).execute();
      await trx.updateTable('journal_entry').set({ seq: 2 }).where('chain', '=', chain).where('seq', '=', 4).execute();
      await trx.updateTable('journal_entry').set({ seq: 4 }).where('chain', '=', chain).where('seq', '=', -1).execute();
    });
  });
  assert.ok(kinds.includes('broken-link'), kinds.join());
});

test('`paraphe journal verify` reports a clean demo and catches an edit', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paraphe-cli-'));
  const target = await freshTarget(dataDir);
  const env: NodeJS.ProcessEnv = { ...process.env, PARAPHE_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  if (target.url) env.DATABASE_URL = target.url;
  else delete env.DATABASE_URL;
  const bin = join(repoRoot, 'bin/paraphe.mjs');
  try {
    await run(process.execPath, [bin, 'demo'], { env });
    const clean = await run(process.execPath, [bin, 'journal', 'verify'], { env });
    assert.match(clean.stdout, /Journal intègre : \d+ entrées/);
    // Edit one entry directly in the database, as an intruder would.
    await target.exec(`update journal_entry set actor_label = 'quelqu''un d''autre' where seq = 2 and chain <> 'operator'`);
    const tampered = await run(process.execPath, [bin, 'journal', 'verify'], { env }).then(
      () => assert.fail('verify should exit non-zero'),
      (e: { code: number; stdout: string }) => e,
    );
    assert.equal(tampered.code, 1);
    assert.match(tampered.stdout, /son contenu a été modifié/);
    assert.match(tampered.stdout, /Journal ALTÉRÉ/);
  } finally {
    await target.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** An empty database for the CLI: a new one on the PostgreSQL server, or PGlite in the data dir. */
async function freshTarget(dataDir: string): Promise<{ url: string | null; exec(sqlText: string): Promise<void>; drop(): Promise<void> }> {
  const server = process.env.DATABASE_URL;
  if (!server) {
    return {
      url: null,
      async exec(sqlText) {
        const { PGlite } = await import('@electric-sql/pglite');
        const lite = await PGlite.create(join(dataDir, 'pglite'));
        await lite.query(sqlText);
        await lite.close();
      },
      async drop() {},
    };
  }
  const pg = (await import('pg')).default;
  const name = `paraphe_cli_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(server);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async exec(sqlText) {
      const c = new pg.Client({ connectionString: u.toString() });
      await c.connect();
      await c.query(sqlText);
      await c.end();
    },
    async drop() {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
