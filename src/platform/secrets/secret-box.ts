/**
 * Secrets the platform must be able to use again (webhook signing secrets, PKCS#12 passwords, token PINs,
 * TdT passwords) are stored sealed with AES-256-GCM under the platform key, never in clear: a database dump
 * or backup alone does not give them away. The purpose is bound as additional data, so a sealed value
 * copied into another column does not open there.
 *
 * Stored form: `enc:v1:<base64url(iv ‖ tag ‖ ciphertext)>`. A value without the prefix is a secret stored
 * before sealing existed: `open` returns it as it is, and `sealLegacySecrets` seals it at start-up.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../../shared/errors.ts';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error(`the platform key must be 32 bytes, got ${key.length}`);
    this.#key = key;
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  seal(plain: string, purpose: string): string {
    if (SecretBox.isSealed(plain)) return plain;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(purpose, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  open(stored: string, purpose: string): string {
    if (!SecretBox.isSealed(stored)) return stored;
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64url');
    try {
      if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('sealed value too short');
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(purpose, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (e) {
      throw new AppError(
        'INTERNAL',
        'Un secret enregistré ne peut pas être déchiffré : la clé de la plateforme (PARAPHE_SECRET_KEY ou le fichier secret.key du dossier de données) n’est plus celle qui l’a chiffré. Ressaisissez le secret ou rétablissez la clé.',
        `cannot open sealed secret (${purpose}): ${(e as Error).message}`,
      );
    }
  }
}
