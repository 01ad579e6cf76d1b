/**
 * Trust anchors: a folder of CA certificates (PEM or DER, *.pem / *.crt / *.cer), or a single file that may
 * hold several PEM certificates.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../../shared/errors.ts';
import { decodeCertificates, parsePkijsCertificate } from './x509.ts';

export function loadTrustAnchors(path: string): Uint8Array[] {
  let files: string[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path).filter((f) => /\.(pem|crt|cer|der)$/i.test(f)).sort().map((f) => join(path, f))
      : [path];
  } catch (err) {
    throw new AppError('BAD_INPUT', 'Dossier des autorités de confiance introuvable', `trust anchors not readable at ${path}: ${(err as Error).message}`);
  }
  const out: Uint8Array[] = [];
  for (const file of files) {
    for (const der of decodeCertificates(new Uint8Array(readFileSync(file)))) {
      try {
        parsePkijsCertificate(der);
      } catch {
        throw new AppError('BAD_INPUT', 'Certificat d’autorité illisible', `trust anchor ${file} is not a certificate`);
      }
      out.push(der);
    }
  }
  if (out.length === 0) throw new AppError('BAD_INPUT', 'Aucune autorité de confiance configurée', `no certificate found in ${path}`);
  return out;
}
