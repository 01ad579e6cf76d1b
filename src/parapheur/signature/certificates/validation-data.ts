/**
 * The raw data behind a certificate check, to embed in a PDF's Document Security Store (PAdES B-LT): the
 * certificates of the path up to the trust anchor, and the CRLs and OCSP responses the check relied on. The
 * check is checkCertificate's own; this module only records what its CRL and OCSP sources handed it.
 */
import { createHash } from 'node:crypto';
import { checkCertificate, defaultCrlSource, defaultOcspSource, type CertificateCheckInput, type CertificateEvidence } from './verify-certificate.ts';

export interface ValidationData {
  /** The path, end entity first, trust anchor last (DER). */
  certificates: Uint8Array[];
  crls: Uint8Array[];
  ocspResponses: Uint8Array[];
}

const sha256Hex = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');

/** Runs checkCertificate and returns its evidence with the DER of the path and of the revocation data used. */
export async function collectValidationData(input: CertificateCheckInput): Promise<{ evidence: CertificateEvidence; data: ValidationData }> {
  const crlSource = input.crlSource ?? defaultCrlSource;
  const ocspSource = input.ocspSource ?? defaultOcspSource;
  const crls = new Map<string, Uint8Array>();
  const ocsps = new Map<string, Uint8Array[]>();
  const evidence = await checkCertificate({
    ...input,
    crlSource: {
      async fetchCrl(url) {
        const der = await crlSource.fetchCrl(url);
        crls.set(url, der);
        return der;
      },
    },
    ocspSource: {
      async query(url, request) {
        const der = await ocspSource.query(url, request);
        ocsps.set(url, [...(ocsps.get(url) ?? []), der]);
        return der;
      },
    },
  });
  const pool = new Map([input.certificate, ...(input.intermediates ?? []), ...input.trustAnchors].map((der) => [sha256Hex(der), der]));
  const certificates = [...new Set([evidence.certificate.sha256, ...evidence.chain.map((c) => c.sha256)])]
    .map((h) => pool.get(h))
    .filter((der): der is Uint8Array => !!der);
  // only the answers the verdict stands on: a CRL that failed its checks or an unavailable status is no evidence
  const used = evidence.revocation.filter((r) => r.status === 'good' || r.status === 'revoked-after-validation-time');
  const crlDers = used.filter((r) => r.source === 'crl' && r.url).map((r) => crls.get(r.url!));
  const ocspDers = used.filter((r) => r.source === 'ocsp' && r.url).flatMap((r) => ocsps.get(r.url!) ?? []);
  const unique = (list: (Uint8Array | undefined)[]): Uint8Array[] => [...new Map(list.filter((d): d is Uint8Array => !!d).map((d) => [sha256Hex(d), d])).values()];
  return { evidence, data: { certificates, crls: unique(crlDers), ocspResponses: unique(ocspDers) } };
}
