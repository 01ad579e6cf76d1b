export { prepareXadesSignature, prepareXadesSignatureAsync, assembleXadesSignature, assembleXadesSignatureParts, signPes, signPesParts, PreparedXades } from './sign.ts';
export type { Signer, XadesSignOptions, PreparedBordereau } from './sign.ts';
export { KeySigner, pkcs12Signer } from './signer.ts';
export { verifyPesSignatures } from './verify.ts';
export type { PesVerification, SignatureReport, VerifyIssue, VerifyOptions } from './verify.ts';
export { resolveSignatureScope, type SignatureScope } from './global.ts';
export { HELIOS_POLICY_1_7, type SignaturePolicy } from './constants.ts';
