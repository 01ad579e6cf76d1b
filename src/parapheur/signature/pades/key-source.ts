/**
 * Key sources behind one small interface: they give the certificate chain and sign the DER of the CMS signed
 * attributes. `digest` (its SHA-256) is passed too, for sources that sign a pre-computed hash (PKCS#11
 * CKM_RSA_PKCS over a DigestInfo, remote signing services); local keys sign `data` directly.
 *
 * Implementations: PKCS#12 file (read with pkijs, key handed to node:crypto). The "external" source is the
 * two-phase flow of sign-pdf.ts (prepare, sign elsewhere, assemble). PKCS#11 can implement the same interface.
 */
import { createHash, createPrivateKey, createPublicKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AppError } from '../../../shared/errors.ts';
import { certDer, pkijs, toArrayBuffer, x509 } from '../certificates/x509.ts';

export interface SignRequest {
  /** DER of the signed attributes (SET OF Attribute), the bytes the signature covers. */
  data: Uint8Array;
  /** SHA-256 of `data`. */
  digest: Uint8Array;
  digestAlgorithm: 'SHA-256';
}

export interface PadesKeySource {
  /** Signer certificate first, then intermediates if known (DER). */
  getCertificateChain(): Promise<Uint8Array[]>;
  /** Returns the raw signature value: PKCS#1 v1.5 for RSA, DER-encoded ECDSA for EC keys. */
  sign(request: SignRequest): Promise<Uint8Array>;
}

const BAG_KEY = '1.2.840.113549.1.12.10.1.1';
const BAG_SHROUDED_KEY = '1.2.840.113549.1.12.10.1.2';
const BAG_CERT = '1.2.840.113549.1.12.10.1.3';

const badP12 = (en: string): AppError =>
  new AppError('BAD_INPUT', 'Fichier PKCS#12 illisible ou mot de passe incorrect', `PKCS#12 rejected: ${en}`);

async function readP12(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new AppError('BAD_INPUT', 'Fichier PKCS#12 introuvable', `cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Key sources opened by openFile, by SHA-256 of (file bytes, password). */
const opened = new Map<string, Promise<Pkcs12KeySource>>();
const MAX_OPENED = 32;

/** A PKCS#12 (.p12/.pfx) file: PBES2 encryption (OpenSSL 3 default, and most current exports). */
export class Pkcs12KeySource implements PadesKeySource {
  private constructor(private readonly privateKey: KeyObject, private readonly chain: Uint8Array[]) {}

  static async fromFile(path: string, password: string): Promise<Pkcs12KeySource> {
    return Pkcs12KeySource.fromBytes(await readP12(path), password);
  }

  /**
   * Same as fromFile, but reuses the key source opened earlier from the same bytes with the same password
   * (a server seal signing one document per job): decrypting a PKCS#12 (PBKDF2, then the key bag) costs
   * several times a signature. The file is read every time, so a replaced file is opened again.
   */
  static async openFile(path: string, password: string): Promise<Pkcs12KeySource> {
    return Pkcs12KeySource.openBytes(await readP12(path), password);
  }

  /** Same as openFile, for a PKCS#12 held in the settings (uploaded by the collectivité, stored sealed). */
  static async openBytes(bytes: Uint8Array, password: string): Promise<Pkcs12KeySource> {
    const key = createHash('sha256').update(bytes).update('\0').update(password).digest('hex');
    let source = opened.get(key);
    if (!source) {
      source = Pkcs12KeySource.fromBytes(bytes, password);
      source.catch(() => opened.delete(key));
      if (opened.size >= MAX_OPENED) opened.delete(opened.keys().next().value!);
      opened.set(key, source);
    }
    return source;
  }

  static async fromBytes(bytes: Uint8Array, password: string): Promise<Pkcs12KeySource> {
    const pwd = toArrayBuffer(new TextEncoder().encode(password));
    let pfx: pkijs.PFX;
    try {
      pfx = pkijs.PFX.fromBER(toArrayBuffer(bytes));
    } catch (err) {
      throw badP12(`not a PKCS#12 structure (${(err as Error).message})`);
    }
    const keys: Uint8Array[] = [];
    const certs: Uint8Array[] = [];
    try {
      await pfx.parseInternalValues({ password: pwd, checkIntegrity: true });
      const safe = pfx.parsedValue?.authenticatedSafe;
      if (!safe) throw new Error('no authenticated safe');
      await safe.parseInternalValues({ safeContents: safe.safeContents.map(() => ({ password: pwd })) });
      for (const entry of safe.parsedValue?.safeContents ?? []) {
        for (const bag of entry.value.safeBags) {
          if (bag.bagId === BAG_SHROUDED_KEY) {
            const shrouded = bag.bagValue as pkijs.PKCS8ShroudedKeyBag;
            // protected in the typings, but the documented way to decrypt a shrouded key bag
            await (shrouded as unknown as { parseInternalValues(p: { password: ArrayBuffer }): Promise<void> }).parseInternalValues({ password: pwd });
            if (shrouded.parsedValue) keys.push(new Uint8Array(shrouded.parsedValue.toSchema().toBER(false)));
          } else if (bag.bagId === BAG_KEY) {
            keys.push(new Uint8Array((bag.bagValue as pkijs.PrivateKeyInfo).toSchema().toBER(false)));
          } else if (bag.bagId === BAG_CERT) {
            const parsed = (bag.bagValue as pkijs.CertBag).parsedValue;
            if (parsed instanceof pkijs.Certificate) certs.push(certDer(parsed));
          }
        }
      }
    } catch (err) {
      throw badP12((err as Error).message);
    }
    if (keys.length !== 1) throw badP12(`expected one private key, found ${keys.length}`);
    const privateKey = createPrivateKey({ key: Buffer.from(keys[0]!), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    const leafIndex = certs.findIndex((c) => Buffer.from(new x509.X509Certificate(toArrayBuffer(c)).publicKey.rawData).equals(spki));
    if (leafIndex < 0) throw badP12('no certificate matches the private key');
    const leaf = certs[leafIndex]!;
    return new Pkcs12KeySource(privateKey, [leaf, ...orderChain(leaf, certs.filter((_, i) => i !== leafIndex))]);
  }

  getCertificateChain(): Promise<Uint8Array[]> {
    return Promise.resolve(this.chain);
  }

  sign(request: SignRequest): Promise<Uint8Array> {
    const dsaEncoding = this.privateKey.asymmetricKeyType === 'ec' ? 'der' : undefined;
    return Promise.resolve(new Uint8Array(cryptoSign('sha256', request.data, { key: this.privateKey, ...(dsaEncoding ? { dsaEncoding } : {}) })));
  }
}

/** Orders extra certificates issuer after issuer from the leaf; unrelated ones are dropped. */
function orderChain(leaf: Uint8Array, others: Uint8Array[]): Uint8Array[] {
  const parsed = others.map((der) => ({ der, cert: new x509.X509Certificate(toArrayBuffer(der)) }));
  const out: Uint8Array[] = [];
  let current = new x509.X509Certificate(toArrayBuffer(leaf));
  for (let i = 0; i < others.length; i++) {
    if (current.subject === current.issuer) break;
    const next = parsed.find((p) => p.cert.subject === current.issuer && !out.includes(p.der));
    if (!next) break;
    out.push(next.der);
    current = next.cert;
  }
  return out;
}
