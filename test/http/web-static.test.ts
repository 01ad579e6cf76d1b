import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { installErrorHandler } from '../../src/http/error-handler.ts';
import { registerWebApp } from '../../src/http/web-static.ts';

async function appWith(root: string) {
  const app = Fastify();
  installErrorHandler(app);
  await registerWebApp(app, root);
  return app;
}

test('serves the built app: files as they are, index.html for client routes, JSON 404 under /api', async () => {
  const root = mkdtempSync(join(tmpdir(), 'paraphe-web-')) + '/';
  try {
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Paraphe</title>');
    writeFileSync(join(root, 'assets', 'app-abc123.js'), 'console.log(1)');
    const app = await appWith(root);
    const home = await app.inject('/');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /<title>Paraphe/);
    const route = await app.inject('/c/0d5e/dossiers/nouveau?x=1');
    assert.equal(route.statusCode, 200);
    assert.match(route.headers['content-type'] as string, /text\/html/);
    assert.equal(route.headers['cache-control'], 'no-cache');
    const asset = await app.inject('/assets/app-abc123.js');
    assert.equal(asset.statusCode, 200);
    assert.match(asset.headers['cache-control'] as string, /immutable/);
    assert.equal((await app.inject('/assets/missing.js')).statusCode, 404);
    const api = await app.inject('/api/nothing-here');
    assert.equal(api.statusCode, 404);
    assert.equal(api.json().message, 'Ressource introuvable.');
    for (const url of ['/../package.json', '/..%2f..%2fpackage.json', '/assets/..%2f..%2findex.html']) {
      const r = await app.inject(url);
      assert.ok(r.statusCode === 404 || (r.statusCode === 200 && /<title>Paraphe/.test(r.body)), `${url} → ${r.statusCode}`);
      assert.doesNotMatch(r.body, /"name": "paraphe"/);
    }
    await app.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('without a build, pages answer 503 in French and the API is untouched', async () => {
  const root = mkdtempSync(join(tmpdir(), 'paraphe-web-empty-')) + '/';
  try {
    const app = await appWith(root);
    const r = await app.inject('/');
    assert.equal(r.statusCode, 503);
    assert.match(r.body, /npm run build:web/);
    assert.equal((await app.inject('/api/x')).statusCode, 404);
    await app.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
