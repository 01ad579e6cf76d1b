/**
 * The platform key that seals stored secrets (secret-box.ts). Taken from `PARAPHE_SECRET_KEY` (32 bytes,
 * base64 or hex) when set, which is what a deployment with several servers or a managed database uses;
 * otherwise read from `<data dir>/secret.key`, created on first start with mode 0600. Losing it makes the
 * stored secrets unreadable (they must then be entered again), so it belongs in the backups, apart from
 * the database.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function platformKey(dataDir: string, fromEnv: string | undefined = process.env.PARAPHE_SECRET_KEY): Buffer {
  if (fromEnv) return decodeKey(fromEnv.trim(), 'PARAPHE_SECRET_KEY');
  const path = join(dataDir, 'secret.key');
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(path, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (e) {
      // Another process of the same platform created it first: use theirs.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  chmodSync(path, 0o600);
  return decodeKey(readFileSync(path, 'utf8').trim(), path);
}

function decodeKey(text: string, origin: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error(`${origin} must hold a 32-byte key (base64 or 64 hex digits); generate one with: openssl rand -base64 32`);
  return key;
}
