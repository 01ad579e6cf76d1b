/**
 * A global signature covers the whole PES_Aller: checking it the usual way (verify.ts cuts the signature's
 * parent out of the file and gives it to xml-crypto as a DOM) would load a 50 MB PES as an xmldom tree, several
 * GB. Above a size, the signature element alone is given to xml-crypto (SignedInfo, SignatureValue, the
 * SignedProperties reference, KeyInfo: all inside it), and the one reference to PES_Aller is checked here
 * instead: its transforms must be enveloped-signature then exclusive c14n, and its digest is computed by
 * libxml2's exclusive c14n (c14n.ts) over the PES_Aller text with this signature element cut out, which is
 * what the enveloped-signature transform gives.
 */
import type { SignedXml } from 'xml-crypto';
import { ALG_ENVELOPED, ALG_EXC_C14N, DIGEST_NODE_NAMES } from './constants.ts';
import { excC14nDigest } from './c14n.ts';
import type { ElementSpan } from './scan.ts';

/** PES_Aller larger than this (characters) have their global signature checked without a DOM of the file. */
export const STREAMED_GLOBAL_ABOVE = 4_000_000;

interface XmlCryptoReference {
  uri?: string;
  transforms?: string[];
  digestAlgorithm?: string;
  digestValue?: unknown;
  validationError?: Error;
}

/**
 * Makes `sx` (loaded with the signature element, checked against the signature element's own text) check
 * the reference to `#<root Id>` over the whole file's text.
 */
export function checkRootReferenceByC14n(sx: SignedXml, text: string, root: ElementSpan, sigSpan: ElementSpan): void {
  const target = `#${root.attributes.Id ?? ''}`;
  const patched = sx as unknown as { validateReference(ref: XmlCryptoReference, doc: unknown): string | undefined };
  const original = patched.validateReference.bind(sx);
  patched.validateReference = (ref, doc) => {
    if (ref.uri !== target) return original(ref, doc);
    const transforms = ref.transforms ?? [];
    const alg = DIGEST_NODE_NAMES[ref.digestAlgorithm ?? ''];
    if (transforms.length !== 2 || transforms[0] !== ALG_ENVELOPED || transforms[1] !== ALG_EXC_C14N || !alg || root.attributes.Id === undefined) {
      ref.validationError = new Error(`unsupported transforms or digest for the PES_Aller reference: ${transforms.join(', ')} ${ref.digestAlgorithm ?? ''}`);
      return undefined;
    }
    const without = text.slice(root.start, sigSpan.start) + text.slice(sigSpan.end, root.end);
    const digest = excC14nDigest(without, alg).toString('base64');
    if (digest !== String(ref.digestValue ?? '').replace(/\s+/g, '')) {
      ref.validationError = new Error(`invalid digest for the PES_Aller reference ${target}`);
      return undefined;
    }
    return `(PES_Aller ${target}, ${without.length} characters, exclusive c14n by libxml2)`;
  };
}
