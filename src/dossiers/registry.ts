import { AppError } from '../shared/errors.ts';
import { assertCoherent, type DossierTypeDef } from './dossier-type.ts';

export class DossierTypeRegistry {
  readonly #types = new Map<string, DossierTypeDef>();

  register(def: DossierTypeDef): void {
    assertCoherent(def);
    if (this.#types.has(def.type)) throw new Error(`dossier type ${def.type} registered twice`);
    this.#types.set(def.type, def);
  }

  get(type: string): DossierTypeDef {
    const def = this.#types.get(type);
    if (!def) throw new AppError('BAD_INPUT', `Type de dossier inconnu : « ${type} ».`, `unknown dossier type ${type}`);
    return def;
  }

  all(): DossierTypeDef[] {
    return [...this.#types.values()];
  }
}
