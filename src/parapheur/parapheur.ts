/** Wires the parapheur into the platform: its dossier type, connectors and the seal job queue. */
import type { z } from 'zod';
import type { Deps } from '../app/deps.ts';
import { documentASignerType } from './document-a-signer-type.ts';
import { pesASignerType } from './pes-a-signer-type.ts';
import { CONNECTOR_SEAL, CONNECTOR_TRUST, CONNECTOR_TSA, sealConfig, trustConfig, tsaConfig } from './signing-config.ts';
import { CACHET_QUEUE } from './workflow/circuit-progress.ts';
import { sealJobHandler } from './workflow/apply-seal.ts';

export { parapheurRoutes } from './http/parapheur-routes.ts';

export function registerParapheur(deps: Deps): void {
  deps.dossierTypes.register(documentASignerType());
  deps.dossierTypes.register(pesASignerType());
  const schema = <T extends z.ZodType>(s: T) => s as unknown as z.ZodType<Record<string, unknown>>;
  deps.connectors.register({ name: CONNECTOR_TRUST, label: 'Parapheur : autorités de certification de confiance', schema: schema(trustConfig) });
  deps.connectors.register({ name: CONNECTOR_SEAL, label: 'Parapheur : cachet serveur (PKCS#12)', schema: schema(sealConfig) });
  deps.connectors.register({ name: CONNECTOR_TSA, label: 'Horodatage (RFC 3161)', schema: schema(tsaConfig) });
  deps.jobHandlers.set(CACHET_QUEUE, sealJobHandler(() => deps));
}
