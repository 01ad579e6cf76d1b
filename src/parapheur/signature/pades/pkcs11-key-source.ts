/**
 * A key on a PKCS#11 token (smart card, HSM; SoftHSM2 in the tests), behind the same small interface as
 * the PKCS#12 source: the private key never leaves the token, which signs with CKM_SHA256_RSA_PKCS. The
 * certificate chain comes from a PEM file (tokens often hold only the key, or only the leaf certificate).
 * The module is loaded and initialised once per process.
 */
import { createRequire } from 'node:module';
import { verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type * as Pkcs11Api from 'pkcs11js';
import { AppError } from '../../../shared/errors.ts';
import { decodeCertificates } from '../certificates/x509.ts';
import type { PadesKeySource, SignRequest } from './key-source.ts';

type Pkcs11Module = typeof Pkcs11Api;
type Pkcs11 = InstanceType<Pkcs11Module['PKCS11']>;

export interface Pkcs11Settings {
  /** Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so */
  module: string;
  tokenLabel: string;
  pin: string;
  /** CKA_LABEL of the private key */
  keyLabel: string;
  /** PEM file: the key's certificate first, then its chain */
  chainPath: string;
}

const loaded = new Map<string, Pkcs11>();
const failure = (fr: string, en: string) => new AppError('UNPROCESSABLE', fr, en);

function moduleFor(path: string): { lib: Pkcs11; api: Pkcs11Module } {
  const api = createRequire(import.meta.url)('pkcs11js') as Pkcs11Module;
  let lib = loaded.get(path);
  if (!lib) {
    lib = new api.PKCS11();
    try {
      lib.load(path);
      lib.C_Initialize();
    } catch (err) {
      throw failure('Module PKCS#11 introuvable ou inutilisable', `cannot load PKCS#11 module ${path}: ${(err as Error).message}`);
    }
    loaded.set(path, lib);
  }
  return { lib, api };
}

export class Pkcs11KeySource implements PadesKeySource {
  private constructor(private readonly settings: Pkcs11Settings, private readonly chain: Uint8Array[]) {}

  static async open(settings: Pkcs11Settings): Promise<Pkcs11KeySource> {
    let pem: Uint8Array;
    try {
      pem = new Uint8Array(await readFile(settings.chainPath));
    } catch (err) {
      throw new AppError('BAD_INPUT', 'Fichier de certificats du jeton PKCS#11 introuvable', `cannot read ${settings.chainPath}: ${(err as Error).message}`);
    }
    const chain = decodeCertificates(pem);
    if (chain.length === 0) throw new AppError('BAD_INPUT', 'Aucun certificat dans le fichier de certificats du jeton PKCS#11', 'empty chain file');
    const source = new Pkcs11KeySource(settings, chain);
    // Check now that the token, the PIN and the key are there, and that the key matches the certificate.
    const probe = new Uint8Array(32);
    const sig = await source.sign({ data: probe, digest: probe, digestAlgorithm: 'SHA-256' });
    const cert = new X509Certificate(Buffer.from(chain[0]!));
    if (!cryptoVerify('sha256', probe, cert.publicKey, sig)) {
      throw failure('La clé du jeton PKCS#11 ne correspond pas au certificat', `key ${settings.keyLabel} does not match ${cert.subject}`);
    }
    return source;
  }

  getCertificateChain(): Promise<Uint8Array[]> {
    return Promise.resolve(this.chain);
  }

  sign(request: SignRequest): Promise<Uint8Array> {
    const { lib, api } = moduleFor(this.settings.module);
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === this.settings.tokenLabel);
    if (slot === undefined) throw failure(`Jeton PKCS#11 « ${this.settings.tokenLabel} » absent`, `token ${this.settings.tokenLabel} not found`);
    const session = lib.C_OpenSession(slot, api.CKF_SERIAL_SESSION | api.CKF_RW_SESSION);
    try {
      try {
        lib.C_Login(session, api.CKU_USER, this.settings.pin);
      } catch (err) {
        if (!/CKR_USER_ALREADY_LOGGED_IN/.test((err as Error).message)) throw failure('Code PIN du jeton PKCS#11 refusé', `C_Login failed: ${(err as Error).message}`);
      }
      lib.C_FindObjectsInit(session, [
        { type: api.CKA_CLASS, value: api.CKO_PRIVATE_KEY },
        { type: api.CKA_LABEL, value: this.settings.keyLabel },
      ]);
      const [key] = lib.C_FindObjects(session, 1);
      lib.C_FindObjectsFinal(session);
      if (!key) throw failure(`Clé « ${this.settings.keyLabel} » absente du jeton PKCS#11`, `private key ${this.settings.keyLabel} not found`);
      lib.C_SignInit(session, { mechanism: api.CKM_SHA256_RSA_PKCS }, key);
      const out = lib.C_Sign(session, Buffer.from(request.data), Buffer.alloc(1024));
      return Promise.resolve(new Uint8Array(out));
    } finally {
      lib.C_CloseSession(session);
    }
  }
}
