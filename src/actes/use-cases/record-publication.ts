/** Records the publication date of an acquitted acte (publication électronique): the stamp shows it from now on. */
import type { Deps } from '../../app/deps.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import type { Actor } from '../../identity/principal.ts';
import { AppError } from '../../shared/errors.ts';
import { loadDossier } from '../../dossiers/load-dossier.ts';
import { checkIsoDate } from '../domain/rules.ts';
import { ACTES_TYPE } from '../dossier-type.ts';

export async function recordPublication(deps: Deps, actor: Actor, collectiviteId: string, dossierId: string, datePublication: string): Promise<void> {
  const err = checkIsoDate(datePublication, 'La date de publication');
  if (err) throw new AppError('VALIDATION', err, 'bad publication date');
  await deps.db.transaction().execute(async (trx) => {
    const { dossier } = await loadDossier(trx, collectiviteId, dossierId, { forUpdate: true });
    if (dossier.type !== ACTES_TYPE) throw new AppError('NOT_FOUND', 'Acte introuvable.', 'not an acte');
    if (dossier.state !== 'acquitte') throw new AppError('INVALID_STATE', 'Seul un acte acquitté par la préfecture peut être publié.', `publication in state ${dossier.state}`);
    const acte = await trx.selectFrom('actes_acte').select(['date_reception', 'date_publication', 'id_acte']).where('dossier_id', '=', dossierId).executeTakeFirstOrThrow();
    await trx.updateTable('actes_acte').set({ date_publication: datePublication }).where('dossier_id', '=', dossierId).execute();
    await trx.updateTable('dossier').set((eb) => ({ updated_at: deps.clock.now(), version: eb('version', '+', 1) })).where('id', '=', dossierId).execute();
    await appendJournal(trx, deps.clock, actor, { collectiviteId, action: 'actes.publication', objectType: 'dossier', objectId: dossierId, details: { idActe: acte.id_acte, datePublication, precedente: acte.date_publication } });
  });
}
