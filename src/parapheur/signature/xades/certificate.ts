/** What the signature needs from the signer's certificate: DER, public key, issuer DN (RFC 4514) and serial. */
import 'reflect-metadata';
import { X509Certificate as NodeX509, createHash, type KeyObject } from 'node:crypto';
import { X509Certificate, Name } from '@peculiar/x509';
import { AppError } from '../../../shared/errors.ts';

export interface CertificateInfo {
  der: Buffer;
  publicKey: KeyObject;
  /** RFC 4514 string, most specific RDN first (what X509IssuerName carries) */
  issuerName: string;
  subjectName: string;
  /** decimal, as X509SerialNumber carries it */
  serialDecimal: string;
  notBefore: Date;
  notAfter: Date;
}

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU',
  '2.5.4.9': 'STREET', '0.9.2342.19200300.100.1.25': 'DC', '0.9.2342.19200300.100.1.1': 'UID',
};

function escapeRdnValue(v: string): string {
  let s = v.replace(/([\\,+"<>;=])/g, '\\$1');
  if (s.startsWith('#') || s.startsWith(' ')) s = '\\' + s;
  if (s.endsWith(' ')) s = s.slice(0, -1) + '\\ ';
  return s;
}

/** RFC 4514 form of a DER-encoded Name (RDNs reversed, comma-separated). */
export function rfc4514(name: Name): string {
  const rdns = name.toJSON();
  return rdns
    .slice()
    .reverse()
    .map((rdn) =>
      Object.entries(rdn)
        .flatMap(([type, values]) => values.map((v) => `${SHORT_NAMES[type] ?? type}=${escapeRdnValue(v)}`))
        .join('+'),
    )
    .join(',');
}

export function certificateInfo(input: Uint8Array | string): CertificateInfo {
  let cert: X509Certificate;
  let node: NodeX509;
  try {
    cert = new X509Certificate(typeof input === 'string' ? input : Buffer.from(input));
    node = new NodeX509(Buffer.from(cert.rawData));
  } catch (e) {
    throw new AppError('BAD_INPUT', 'Le certificat du signataire est illisible.', `unreadable certificate: ${(e as Error).message}`);
  }
  return {
    der: Buffer.from(cert.rawData),
    publicKey: node.publicKey,
    issuerName: rfc4514(new Name(cert.issuerName.toArrayBuffer())),
    subjectName: rfc4514(new Name(cert.subjectName.toArrayBuffer())),
    serialDecimal: BigInt('0x' + (cert.serialNumber || '0')).toString(10),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}

export function certDigestBase64(der: Uint8Array, algorithm = 'sha256'): string {
  return createHash(algorithm).update(der).digest('base64');
}
