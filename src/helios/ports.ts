/**
 * Side effects and settings of the HELIOS module behind an interface: the gateway transport (FTP by
 * default) and the PES validation settings (schema set, size limit). A test or a deployment passes its own.
 */
import type { PesConfig } from './pes/index.ts';
import { FtpHeliosTransport, type HeliosTransport } from './transport/index.ts';
import type { TdtHeliosConfig } from './tdt-connector.ts';

export interface HeliosPorts {
  transport(config: TdtHeliosConfig): HeliosTransport;
  pes: Partial<PesConfig>;
}

export function ftpTransport(c: TdtHeliosConfig): HeliosTransport {
  return new FtpHeliosTransport({ host: c.host, port: c.port, user: c.user, password: c.password, secure: c.secure, serverCode: c.pDest, appli: c.pAppli });
}

export function defaultHeliosPorts(): HeliosPorts {
  return { transport: ftpTransport, pes: {} };
}
