/**
 * CAdES co-signature, as i-Parapheur makes it: each new signer adds a SignerInfo to the same detached
 * SignedData (RFC 5652 §5.1), so one .p7s carries every signer of the file. The earlier SignerInfos (and their
 * timestamps) are copied byte for byte (addSignerToCms in ../pades/cms.ts).
 *
 * Before a signer is added, the existing .p7s must be a readable detached SignedData whose every signer
 * covers this very content (message-digest) with a signature value that verifies: a co-signature never joins
 * a signature over another file, an attached one, or garbage. Same two-phase flow as sign-cades.ts: the
 * prepared object names the .p7s it joins (SHA-256), checked again at assembly.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../../../shared/errors.ts';
import { HASH_BY_OID, OID, toArrayBuffer, type pkijs } from '../certificates/x509.ts';
import { addSignerToCms, parseCms } from '../pades/cms.ts';
import type { PadesKeySource } from '../pades/key-source.ts';
import { assembleCadesSignature, prepareCadesSignature, type AssembleCadesOptions, type CadesSignOptions, type CadesSignResult, type PreparedCadesSignature } from './sign-cades.ts';

const refused = (fr: string, en: string): AppError => new AppError('UNPROCESSABLE', `Co-signature impossible : ${fr}`, `co-signature refused: ${en}`);
const sha256Hex = (d: Uint8Array): string => createHash('sha256').update(d).digest('hex');

/** Throws (French message) unless `p7s` is a detached SignedData whose every signer validly signs `content`. */
export async function assertCosignable(p7s: Uint8Array, content: Uint8Array): Promise<void> {
  let sd: pkijs.SignedData;
  try {
    sd = parseCms(p7s);
  } catch (err) {
    throw refused('la signature existante n’est pas une signature CMS lisible.', (err as Error).message);
  }
  if (sd.encapContentInfo.eContent) throw refused('la signature existante contient elle-même le document (signature attachée) ; seule une signature détachée peut être co-signée.', 'attached content');
  if (sd.encapContentInfo.eContentType !== OID.data) throw refused('la signature existante ne porte pas sur un fichier (type de contenu inattendu).', `eContentType ${sd.encapContentInfo.eContentType}`);
  if (sd.signerInfos.length === 0) throw refused('la signature existante n’a aucun signataire.', 'no SignerInfo');
  for (let i = 0; i < sd.signerInfos.length; i++) {
    const si = sd.signerInfos[i]!;
    const hash = HASH_BY_OID[si.digestAlgorithm.algorithmId];
    const md = si.signedAttrs?.attributes.find((a) => a.type === OID.messageDigest)?.values[0] as { valueBlock?: { valueHexView?: Uint8Array } } | undefined;
    if (!hash || !md?.valueBlock?.valueHexView) throw refused('un signataire existant n’a pas d’empreinte du document lisible.', `signer ${i}: no message-digest or unknown digest algorithm`);
    const digest = createHash(hash.replace('-', '').toLowerCase()).update(content).digest();
    if (!digest.equals(Buffer.from(md.valueBlock.valueHexView))) throw refused('la signature existante porte sur un autre document.', `signer ${i}: message-digest differs from the content`);
    let verified = false;
    try {
      verified = (await sd.verify({ signer: i, data: toArrayBuffer(content), checkChain: false })) === true;
    } catch {
      verified = false;
    }
    if (!verified) throw refused('une signature existante n’est pas valide.', `signer ${i}: signature value does not verify`);
  }
}

/** Phase 1: checks the existing .p7s, then prepares the new signer as for a first signature. */
export async function prepareCadesCosignature(existingP7s: Uint8Array, content: Uint8Array, certificateChain: Uint8Array[], options: CadesSignOptions): Promise<PreparedCadesSignature> {
  await assertCosignable(existingP7s, content);
  return { ...(await prepareCadesSignature(content, certificateChain, options)), cosignedSha256: sha256Hex(existingP7s) };
}

/** Phase 2: the new signer's CMS (sign-cades.ts), then its SignerInfo joined to the .p7s named at preparation. */
export async function assembleCadesCosignature(prepared: PreparedCadesSignature, existingP7s: Uint8Array, content: Uint8Array, signatureValue: Uint8Array, options: AssembleCadesOptions = {}): Promise<CadesSignResult> {
  if (prepared.cosignedSha256 !== sha256Hex(existingP7s)) throw new AppError('CONFLICT', 'La signature à co-signer a changé depuis la préparation : préparez à nouveau la signature.', 'co-signed p7s differs from the prepared one');
  await assertCosignable(existingP7s, content);
  const single = await assembleCadesSignature(prepared, content, signatureValue, options);
  return { ...single, p7s: addSignerToCms(existingP7s, single.p7s) };
}

/** One-step co-signature with a key source: the server seal and `paraphe cades sign --cosign`. */
export async function cosignCades(existingP7s: Uint8Array, content: Uint8Array, keySource: PadesKeySource, options: CadesSignOptions): Promise<CadesSignResult> {
  const prepared = await prepareCadesCosignature(existingP7s, content, await keySource.getCertificateChain(), options);
  const value = await keySource.sign({ data: prepared.signedAttributesDer, digest: prepared.signedAttributesDigest, digestAlgorithm: 'SHA-256' });
  return assembleCadesCosignature(prepared, existingP7s, content, value, options.timestampClient ? { timestampClient: options.timestampClient } : {});
}
