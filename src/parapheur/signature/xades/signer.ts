/**
 * Key sources behind the Signer interface: a private key held in memory (PEM or KeyObject) and a PKCS#12
 * file, read with pkijs (PBES2/AES, as written by OpenSSL 3 by default; legacy RC2/3DES files are refused
 * with a message telling how to convert them).
 */
import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AppError } from '../../../shared/errors.ts';
import { certificateInfo } from './certificate.ts';
import type { Signer } from './sign.ts';

export class KeySigner implements Signer {
  readonly certificate: Uint8Array;
  readonly #key: KeyObject;

  constructor(certificate: Uint8Array | string, key: KeyObject | string) {
    const cert = certificateInfo(certificate);
    this.certificate = cert.der;
    this.#key = typeof key === 'string' ? createPrivateKey(key) : key;
    // The key must belong to the certificate: a mismatch would only show at assembly time.
    const probe = Buffer.from('paraphe-key-check');
    const sig = cryptoSign('sha256', probe, this.#key);
    if (!cryptoVerify('sha256', probe, cert.publicKey, sig)) {
      throw new AppError('BAD_INPUT', 'La clé privée ne correspond pas au certificat.', 'private key does not match the certificate');
    }
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    return cryptoSign('sha256', data, this.#key);
  }
}

const OID_CERT_BAG = '1.2.840.113549.1.12.10.1.3';
const OID_SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';
const OID_KEY_BAG = '1.2.840.113549.1.12.10.1.1';
const OID_X509_CERT = '1.2.840.113549.1.9.22.1';

function p12Error(en: string): AppError {
  return new AppError(
    'BAD_INPUT',
    'Fichier PKCS#12 illisible : mot de passe incorrect ou format non pris en charge (un ancien format RC2/3DES peut être converti avec « openssl pkcs12 -legacy » puis réexporté).',
    `PKCS#12 unreadable: ${en}`,
  );
}

/** Loads a PKCS#12 (.p12/.pfx) and returns a signer for the key whose certificate it holds. */
export async function pkcs12Signer(p12: Uint8Array, password: string): Promise<KeySigner> {
  const pwd = new TextEncoder().encode(password);
  const keys: Buffer[] = [];
  const certs: Buffer[] = [];
  try {
    const asn1 = asn1js.fromBER(Uint8Array.from(p12).buffer);
    if (asn1.offset === -1) throw new Error('not DER');
    const pfx = new pkijs.PFX({ schema: asn1.result });
    await pfx.parseInternalValues({ password: pwd.buffer, checkIntegrity: true });
    const safe = pfx.parsedValue?.authenticatedSafe;
    if (!safe) throw new Error('no authenticated safe');
    await safe.parseInternalValues({ safeContents: safe.safeContents.map(() => ({ password: pwd.buffer })) });
    for (const content of safe.parsedValue?.safeContents ?? []) {
      for (const bag of content.value.safeBags) {
        if (bag.bagId === OID_SHROUDED_KEY_BAG) {
          const v = bag.bagValue as pkijs.PKCS8ShroudedKeyBag;
          // Declared protected in pkijs' typings, but it is the documented way to decrypt a shrouded key bag.
          await (v as unknown as { parseInternalValues(p: { password: ArrayBuffer }): Promise<void> }).parseInternalValues({ password: pwd.buffer });
          if (v.parsedValue) keys.push(Buffer.from(v.parsedValue.toSchema().toBER(false)));
        } else if (bag.bagId === OID_KEY_BAG) {
          keys.push(Buffer.from((bag.bagValue as pkijs.PrivateKeyInfo).toSchema().toBER(false)));
        } else if (bag.bagId === OID_CERT_BAG) {
          const cb = bag.bagValue as pkijs.CertBag;
          if (cb.certId === OID_X509_CERT && cb.parsedValue instanceof pkijs.Certificate) {
            certs.push(Buffer.from(cb.parsedValue.toSchema().toBER(false)));
          }
        }
      }
    }
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw p12Error((e as Error).message ?? String(e));
  }
  if (keys.length === 0) throw p12Error('no private key found');
  const key = createPrivateKey({ key: keys[0]!, format: 'der', type: 'pkcs8' });
  const pub = createPublicKey(key).export({ format: 'der', type: 'spki' });
  for (const der of certs) {
    const info = certificateInfo(der);
    if (Buffer.from(info.publicKey.export({ format: 'der', type: 'spki' })).equals(Buffer.from(pub))) {
      return new KeySigner(der, key);
    }
  }
  throw p12Error('no certificate matches the private key');
}
