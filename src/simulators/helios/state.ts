/**
 * What the simulated Hélios remembers between files and restarts (one JSON file under --root): the
 * NomFic already received per collectivité, the bordereaux and PJ IdUnique already integrated (for the
 * ERREUR_DOUBLON_* checks across files), the received files and the sequence used in response names.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ReceivedFile {
  seq: number;
  uploadName: string;
  /** Path of the stored copy, relative to the simulator root. */
  storedAs: string;
  receivedAt: string;
  site: SiteParams;
  nomFic?: string;
  idColl?: string;
  acquit: string;
  accepted: boolean;
  /** Ids (Bordereau/@Id or domaine:exer:idBord) of the bordereaux integrated from this file. */
  acceptedBordereaux: string[];
}

export interface SiteParams {
  dest?: string;
  appli?: string;
  msg?: string;
}

export interface SimState {
  seq: number;
  /** `${idColl}|${nomFic}` → upload name */
  nomFics: Record<string, string>;
  /** `${idColl}|${codCol}|${codBud}|${domaine}|${exer}|${idBord}` → NomFic that brought it */
  bordereaux: Record<string, string>;
  /** IdUnique → NomFic that brought it */
  idUniques: Record<string, string>;
  received: ReceivedFile[];
  retours: Array<{ name: string; nomFic: string; at: string }>;
}

export class StateStore {
  readonly #path: string;
  state: SimState;

  constructor(root: string) {
    this.#path = join(root, 'state.json');
    this.state = existsSync(this.#path)
      ? (JSON.parse(readFileSync(this.#path, 'utf8')) as SimState)
      : { seq: 0, nomFics: {}, bordereaux: {}, idUniques: {}, received: [], retours: [] };
  }

  nextSeq(): number {
    this.state.seq += 1;
    return this.state.seq;
  }

  /** Written through a temporary file and a rename: a crash never leaves half a state. */
  save(): void {
    writeFileSync(`${this.#path}.tmp`, JSON.stringify(this.state, null, 1));
    renameSync(`${this.#path}.tmp`, this.#path);
  }
}
