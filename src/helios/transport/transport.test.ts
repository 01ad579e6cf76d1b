import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import { repoRoot } from '../../shared/paths.ts';
import { spawnHeliosSim, testPesAller, KNOWN_SIRET, type RunningSim } from '../../simulators/helios/testing.ts';
import { FtpHeliosTransport, pesTransportMeta, pesUploadName, responseKind, siteCommands, type HeliosResponse } from './index.ts';

test('the upload name is PESALR2_<SIRET>_<yyMMdd>_<nnn>.xml', () => {
  assert.equal(pesUploadName('21060088800015', new Date('2026-11-23T10:00:00Z'), 7), 'PESALR2_21060088800015_261123_007.xml');
  assert.throws(() => pesUploadName('2106', new Date(), 1), AppError);
  assert.throws(() => pesUploadName('21060088800015', new Date(), 0), AppError);
});

test('names containing ACK are acquits, names starting PES2R are retours, others are ignored', () => {
  assert.equal(responseKind('006111_190130123456-ACK-A3020100_A0000SEN_KO.xml'), 'PES_ACQUIT');
  assert.equal(responseKind('PES2R_21060088800015_261123101010_0000001.xml'), 'PES_Retour');
  assert.equal(responseKind('OCRE_123.xml'), undefined);
});

test('the SITE commands follow Stela (P_DEST, P_APPLI, P_MSG TypFic#CodCol#IdPost#CodBud) and refuse command injection', () => {
  const meta = pesTransportMeta(testPesAller({ nomFic: 'N1' }));
  assert.deepEqual(meta, { typFic: 'PESALR2', nomFic: 'N1', codCol: '123', idPost: '034000', codBud: '12', idColl: KNOWN_SIRET });
  assert.deepEqual(siteCommands('VHPCE11', 'GHELPES2', meta), ['SITE P_DEST VHPCE11', 'SITE P_APPLI GHELPES2', 'SITE P_MSG PESALR2#123#034000#12']);
  assert.throws(() => siteCommands('VHPCE11\r\nDELE x', 'GHELPES2', meta), AppError);
  assert.throws(() => siteCommands('VHPCE11', 'GHELPES2', { ...meta, codBud: '1#2' }), AppError);
});

let sim: RunningSim;
let transport: FtpHeliosTransport;
let seq = 0;
before(async () => {
  sim = await spawnHeliosSim();
  transport = new FtpHeliosTransport({ host: '127.0.0.1', port: sim.port, user: 'paraphe', password: 'paraphe', serverCode: 'VHPCE11' });
});
after(async () => {
  await sim.stop();
});

const sortie = () => readdirSync(join(sim.root, 'ftp/sortie'));

async function depositUnsigned(nomFic: string): Promise<void> {
  const bytes = testPesAller({ nomFic, idBords: [100 + seq] });
  const meta = pesTransportMeta(bytes);
  await transport.send({ name: pesUploadName(meta.idColl, new Date(), ++seq), bytes }, meta);
}

test('the transport refuses a file name with a directory and reports a refused login as an external failure', async () => {
  const meta = pesTransportMeta(testPesAller({ nomFic: 'N2' }));
  await assert.rejects(transport.send({ name: '../x.xml', bytes: Buffer.from('x') }, meta), (e: unknown) => e instanceof AppError && e.code === 'BAD_INPUT');
  const wrong = new FtpHeliosTransport({ host: '127.0.0.1', port: sim.port, user: 'paraphe', password: 'faux', serverCode: 'VHPCE11' });
  await assert.rejects(wrong.fetchResponses(async () => undefined), (e: unknown) => e instanceof AppError && e.code === 'EXTERNAL_FAILURE');
});

test('a response whose handler throws stays in /sortie/ and is delivered again, with the same key, on the next poll', async () => {
  await depositUnsigned('CRASH-1');
  assert.equal(sortie().length, 1, 'the simulator answered in /sortie/');
  const name = sortie()[0]!;

  const failed = await transport.fetchResponses(async () => {
    throw new Error('database down');
  });
  assert.deepEqual(failed.failed, [{ key: name, stage: 'handler', error: 'database down' }]);
  assert.deepEqual(failed.handled, []);
  assert.deepEqual(sortie(), [name], 'kept after the failed handler');

  const seen: HeliosResponse[] = [];
  const ok = await transport.fetchResponses(async (r) => {
    seen.push(r);
  });
  assert.deepEqual(ok.handled, [name]);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.key, name);
  assert.equal(seen[0]!.kind, 'PES_ACQUIT');
  assert.equal(seen[0]!.nomFic, 'CRASH-1');
  assert.deepEqual(sortie(), [], 'removed once handled');

  const again = await transport.fetchResponses(async (r) => {
    seen.push(r);
  });
  assert.deepEqual(again.handled, []);
  assert.equal(seen.length, 1, 'never handled twice');
});

test('a response already recorded by the use case (crash after handling, before removal) is removed without calling the handler', async () => {
  await depositUnsigned('CRASH-2');
  const name = sortie()[0]!;
  const recorded = new Set([name]);
  let calls = 0;
  const report = await transport.fetchResponses(
    async () => {
      calls++;
    },
    { isProcessed: async (key) => recorded.has(key) },
  );
  assert.equal(calls, 0);
  assert.deepEqual(report.alreadyProcessed, [name]);
  assert.deepEqual(sortie(), []);
});

test('handled responses can be moved to an archive directory instead of removed', async () => {
  await depositUnsigned('MOVE-1');
  const name = sortie()[0]!;
  const archiving = new FtpHeliosTransport({ host: '127.0.0.1', port: sim.port, user: 'paraphe', password: 'paraphe', serverCode: 'VHPCE11', handledDir: '/entree' });
  const report = await archiving.fetchResponses(async () => undefined);
  assert.deepEqual(report.handled, [name]);
  assert.deepEqual(sortie(), []);
  assert.ok(readdirSync(join(sim.root, 'ftp/entree')).includes(name));
});

test('a poller killed in the middle of its handler loses nothing: the response is handled by the next poll', async () => {
  await depositUnsigned('KILL-1');
  const name = sortie()[0]!;
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/helios/transport/crash-poller.fixture.ts'), String(sim.port)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`IN-HANDLER ${name}`)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`poller exited early (${code}): ${out}`)));
  });
  child.kill('SIGKILL');
  await exited;
  assert.deepEqual(sortie(), [name], 'still there after the crash');
  const keys: string[] = [];
  const report = await transport.fetchResponses(async (r) => {
    keys.push(r.key);
  });
  assert.deepEqual(keys, [name]);
  assert.deepEqual(report.handled, [name]);
  assert.deepEqual(sortie(), []);
});
