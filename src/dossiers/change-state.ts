/**
 * The one place a dossier changes state. Besides the row, it tells the subscribers (webhooks, a parent
 * dossier waiting for its parapheur circuit...) in the same transaction, so an event is never lost nor
 * emitted for a change that rolled back. Subscribers must only write rows or enqueue jobs: anything slow
 * or external happens in their jobs.
 */
import type { Db } from '../platform/db/database.ts';
import type { Clock } from '../platform/clock/clock.ts';

export interface DossierStateChanged {
  collectiviteId: string;
  dossierId: string;
  type: string;
  from: string;
  to: string;
  /** Dossier version after the change: with the id, a unique and ordered event key. */
  version: number;
  at: Date;
}

export type DossierEventSubscriber = (trx: Db, event: DossierStateChanged) => Promise<void>;

export class DossierEvents {
  private readonly subscribers: { name: string; fn: DossierEventSubscriber }[] = [];

  subscribe(name: string, fn: DossierEventSubscriber): void {
    if (this.subscribers.some((s) => s.name === name)) throw new Error(`dossier event subscriber ${name} already registered`);
    this.subscribers.push({ name, fn });
  }

  async emit(trx: Db, event: DossierStateChanged): Promise<void> {
    for (const s of this.subscribers) await s.fn(trx, event);
  }
}

interface StateChangeDeps {
  clock: Clock;
  dossierEvents: DossierEvents;
}

/** Moves the dossier to `to` (version + 1) and emits the event when the state actually changed. */
export async function changeDossierState(
  trx: Db,
  deps: StateChangeDeps,
  dossier: { id: string; collectivite_id: string; type: string; state: string },
  to: string,
): Promise<{ version: number }> {
  const at = deps.clock.now();
  const row = await trx
    .updateTable('dossier')
    .set((eb) => ({ state: to, updated_at: at, version: eb('version', '+', 1) }))
    .where('id', '=', dossier.id)
    .returning('version')
    .executeTakeFirstOrThrow();
  if (to !== dossier.state) {
    await deps.dossierEvents.emit(trx, { collectiviteId: dossier.collectivite_id, dossierId: dossier.id, type: dossier.type, from: dossier.state, to, version: row.version, at });
  }
  return { version: row.version };
}
