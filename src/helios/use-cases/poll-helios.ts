/**
 * Reads the gateway's /sortie/ for every FTP account in use (collectivités that sent a PES) and handles each
 * response exactly once: the response's key (its file name, per account) is recorded in `helios_response`
 * in the same transaction as its effect, and `isProcessed` answers from that table, so a file delivered
 * again after a crash is only removed.
 * - PES_ACQUIT: matched to its PES_Aller by IdColl + NomFic, kept as an evidence document of the dossier,
 *   which moves from `transmis` to `acquitte` (every element accepted) or `refuse` (errors per bordereau,
 *   pièce, ligne kept with the dossier).
 * - PES_Retour: kept and listed per collectivité (matched by the SIREN of its IdColl), and linked to the
 *   PES_Aller flux it answers: a PES_Retour has its own NomFic, so each of its bordereaux (domain, Exer,
 *   IdBord) is looked up among the bordereaux of the flux sent for the same SIRET (IdColl) and budget
 *   (CodBud); a bordereau found in several flux (one refused, then sent again) goes to the last one sent.
 * A response that matches nothing or cannot be read is recorded (and journaled) but not lost.
 */
import { HELIOS_TYPE } from '../dossier-type.ts';
import { changeDossierState } from '../../dossiers/change-state.ts';
import type { Deps } from '../../app/deps.ts';
import type { Db } from '../../platform/db/database.ts';
import { appendJournal } from '../../journal/append-journal.ts';
import { systemActor } from '../../identity/principal.ts';
import { AppError } from '../../shared/errors.ts';
import { parsePesAcquit, parsePesRetour, retourSummaryFr, type PesAcquit, type PesRetour } from '../pes/index.ts';
import type { FetchReport, HeliosResponse } from '../transport/index.ts';
import type { HeliosPorts } from '../ports.ts';
import { endpointOf, type TdtHeliosConfig } from '../tdt-connector.ts';
import { attachDocument, blobRow, heliosConfig, putBytes, readBlob, type StoredBlob } from './support.ts';
import { readPesView, type PesConfig } from '../pes/index.ts';

export interface HeliosPollReport {
  endpoints: Array<{ endpoint: string; report?: FetchReport; erreur?: string }>;
}

async function record(trx: Db, endpoint: string, r: HeliosResponse, values: { collectiviteId: string | null; dossierId: string | null; status: 'rattache' | 'non_rattache' | 'illisible'; blob: StoredBlob; nomFic: string | null; details: Record<string, unknown> }): Promise<boolean> {
  await blobRow(trx, values.blob, 'application/xml');
  const inserted = await trx
    .insertInto('helios_response')
    .values({ endpoint, key: r.key, kind: r.kind, collectivite_id: values.collectiviteId, dossier_id: values.dossierId, nom_fic: values.nomFic, status: values.status, sha256: values.blob.sha256, details: JSON.stringify(values.details) })
    .onConflict((oc) => oc.columns(['endpoint', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  return inserted !== undefined;
}

async function handleAcquit(deps: Deps, endpoint: string, r: HeliosResponse, blob: StoredBlob, acquit: PesAcquit): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('helios_pes').innerJoin('dossier', 'dossier.id', 'helios_pes.dossier_id').select(['helios_pes.dossier_id', 'helios_pes.collectivite_id', 'dossier.state', 'dossier.version']).where('helios_pes.nom_fic', '=', acquit.nomFic ?? '');
    if (acquit.entete.idColl) q = q.where('helios_pes.id_coll', '=', acquit.entete.idColl);
    const targets = await q.forUpdate().execute();
    const t = targets.length === 1 ? targets[0]! : undefined;
    const summary = { nomFic: acquit.nomFic ?? null, statut: acquit.statut, nombreErreurs: acquit.nombreErreurs, fichier: r.name };
    if (!t) {
      if (await record(trx, endpoint, r, { collectiviteId: null, dossierId: null, status: 'non_rattache', blob, nomFic: acquit.nomFic ?? null, details: summary })) {
        await appendJournal(trx, deps.clock, systemActor, { collectiviteId: null, action: 'helios.acquit.non_rattache', objectType: 'helios_response', objectId: r.key, details: { ...summary, idColl: acquit.entete.idColl ?? null }, documentHashes: [blob.sha256] });
      }
      return;
    }
    if (!(await record(trx, endpoint, r, { collectiviteId: t.collectivite_id, dossierId: t.dossier_id, status: 'rattache', blob, nomFic: acquit.nomFic ?? null, details: summary }))) return;
    await attachDocument(trx, t.collectivite_id, t.dossier_id, blob, 'evidence', r.name, 'application/xml', null);
    await trx.updateTable('helios_pes').set({ acquit_sha256: blob.sha256, acquit: JSON.stringify(acquit) }).where('dossier_id', '=', t.dossier_id).execute();
    const to = acquit.statut === 'OK' ? 'acquitte' : 'refuse';
    const moves = t.state === 'transmis';
    if (moves) await changeDossierState(trx, deps, { id: t.dossier_id, collectivite_id: t.collectivite_id, type: HELIOS_TYPE, state: t.state }, to);
    await appendJournal(trx, deps.clock, systemActor, {
      collectiviteId: t.collectivite_id,
      action: acquit.statut === 'OK' ? 'helios.acquit.accepte' : 'helios.acquit.refuse',
      objectType: 'dossier',
      objectId: t.dossier_id,
      details: { ...summary, from: t.state, to: moves ? to : t.state },
      documentHashes: [blob.sha256],
    });
  });
}

/**
 * Flux sent for this SIRET whose bordereaux' keys were never recorded (deposited before migration 0012): their
 * stored PES is read once and the keys written, so a PES_Retour finds them too.
 */
async function backfillBordereauKeys(deps: Deps, idColl: string, pes: Partial<PesConfig>): Promise<void> {
  const missing = await deps.db
    .selectFrom('helios_pes as p')
    .select(['p.dossier_id', 'p.collectivite_id', 'p.pes_sha256', 'p.signed_sha256', 'p.id_coll'])
    .where('p.id_coll', '=', idColl)
    .where('p.sent_at', 'is not', null)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('helios_pes_bordereau as b').select('b.dossier_id').whereRef('b.dossier_id', '=', 'p.dossier_id'))))
    .execute();
  for (const m of missing) {
    try {
      const view = await readPesView(await readBlob(deps, m.signed_sha256 ?? m.pes_sha256), pes, { maxPieces: 0 });
      const keys = [...new Map(view.bordereaux.map((b) => [`${b.type}:${b.exercice ?? ''}:${b.numero ?? ''}`, b])).values()];
      for (let i = 0; i < keys.length; i += 1000) {
        await deps.db
          .insertInto('helios_pes_bordereau')
          .values(keys.slice(i, i + 1000).map((b) => ({ dossier_id: m.dossier_id, collectivite_id: m.collectivite_id, id_coll: m.id_coll, cod_bud: view.collectivite.codBud ?? '', domaine: b.type === 'mandat' ? ('depense' as const) : ('recette' as const), exercice: b.exercice ?? '', id_bord: b.numero ?? '' })))
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    } catch {
      // An unreadable stored PES cannot be matched; the retour is still kept and listed.
    }
  }
}

async function handleRetour(deps: Deps, ports: HeliosPorts, endpoint: string, r: HeliosResponse, blob: StoredBlob, retour: PesRetour): Promise<void> {
  const siren = (retour.entete.idColl ?? '').slice(0, 9);
  if (retour.entete.idColl) await backfillBordereauKeys(deps, retour.entete.idColl, ports.pes);
  await deps.db.transaction().execute(async (trx) => {
    const c = siren ? await trx.selectFrom('collectivite').select('id').where('siren', '=', siren).executeTakeFirst() : undefined;
    const details = {
      fichier: r.name, nomFic: retour.nomFic ?? null, idColl: retour.entete.idColl ?? null, libelleColBud: retour.entete.libelleColBud ?? null, domaines: retour.domaines,
      // Readable summary kept with the file (per bordereau: pièces by state), shown in the HELIOS page.
      resume: retourSummaryFr(retour), bordereaux: retour.bordereaux,
    };
    const flux = c ? await matchFlux(trx, c.id, retour) : [];
    if (!(await record(trx, endpoint, r, { collectiviteId: c?.id ?? null, dossierId: flux[0]?.dossierId ?? null, status: c ? 'rattache' : 'non_rattache', blob, nomFic: retour.nomFic ?? null, details }))) return;
    if (c && flux.length > 0) {
      await trx.insertInto('helios_retour_flux').values(flux.map((f) => ({ endpoint, key: r.key, dossier_id: f.dossierId, collectivite_id: c.id, bordereaux: f.bordereaux }))).execute();
    }
    const fluxDetails = flux.map((f) => ({ dossierId: f.dossierId, nomFic: f.nomFic, bordereaux: f.bordereaux }));
    await appendJournal(trx, deps.clock, systemActor, { collectiviteId: c?.id ?? null, action: c ? 'helios.retour.recu' : 'helios.retour.non_rattache', objectType: 'helios_response', objectId: r.key, details: { ...details, flux: fluxDetails }, documentHashes: [blob.sha256] });
    for (const f of flux) {
      await appendJournal(trx, deps.clock, systemActor, { collectiviteId: c!.id, action: 'helios.retour.rattache', objectType: 'dossier', objectId: f.dossierId, details: { fichier: r.name, nomFic: retour.nomFic ?? null, bordereaux: f.bordereaux }, documentHashes: [blob.sha256] });
    }
  });
}

const DOMAINE_RETOUR: Record<string, 'depense' | 'recette'> = { PES_DepenseRetour: 'depense', PES_RecetteRetour: 'recette' };

/**
 * The sent flux whose bordereaux the PES_Retour reports on, the one with most bordereaux first. Each
 * bordereau of the retour counts for the flux sent last among those holding it (same SIRET, budget,
 * domain, exercice and number).
 */
export async function matchFlux(trx: Db, collectiviteId: string, retour: PesRetour): Promise<{ dossierId: string; nomFic: string; bordereaux: number }[]> {
  const idColl = retour.entete.idColl;
  const wanted = retour.bordereaux.flatMap((b) => {
    const domaine = DOMAINE_RETOUR[b.domaine];
    return domaine && b.exercice && b.numero ? [{ domaine, exercice: b.exercice, idBord: b.numero }] : [];
  });
  if (!idColl || wanted.length === 0) return [];
  let q = trx
    .selectFrom('helios_pes_bordereau as b')
    .innerJoin('helios_pes as p', 'p.dossier_id', 'b.dossier_id')
    .select(['b.dossier_id', 'b.domaine', 'b.exercice', 'b.id_bord', 'p.nom_fic', 'p.sent_at'])
    .where('b.collectivite_id', '=', collectiviteId)
    .where('b.id_coll', '=', idColl)
    .where('p.sent_at', 'is not', null)
    .where((eb) => eb.or(wanted.map((w) => eb.and([eb('b.domaine', '=', w.domaine), eb('b.exercice', '=', w.exercice), eb('b.id_bord', '=', w.idBord)]))));
  if (retour.entete.codBud) q = q.where('b.cod_bud', 'in', [retour.entete.codBud, '']);
  const rows = await q.execute();
  const latest = new Map<string, (typeof rows)[number]>();
  for (const row of rows) {
    const k = `${row.domaine}:${row.exercice}:${row.id_bord}`;
    const seen = latest.get(k);
    if (!seen || new Date(row.sent_at!).getTime() > new Date(seen.sent_at!).getTime() || (new Date(row.sent_at!).getTime() === new Date(seen.sent_at!).getTime() && row.dossier_id > seen.dossier_id)) latest.set(k, row);
  }
  const byFlux = new Map<string, { dossierId: string; nomFic: string; bordereaux: number }>();
  for (const row of latest.values()) {
    const f = byFlux.get(row.dossier_id) ?? { dossierId: row.dossier_id, nomFic: row.nom_fic, bordereaux: 0 };
    f.bordereaux++;
    byFlux.set(row.dossier_id, f);
  }
  return [...byFlux.values()].sort((a, b) => b.bordereaux - a.bordereaux || a.nomFic.localeCompare(b.nomFic));
}

async function handle(deps: Deps, ports: HeliosPorts, endpoint: string, r: HeliosResponse): Promise<void> {
  const blob = await putBytes(deps, r.bytes);
  let parsed: { acquit: PesAcquit } | { retour: PesRetour };
  try {
    parsed = r.kind === 'PES_ACQUIT' ? { acquit: await parsePesAcquit(r.bytes, ports.pes) } : { retour: await parsePesRetour(r.bytes, ports.pes) };
  } catch (e) {
    // Unreadable response: kept as evidence and journaled, never blocks the following ones.
    const erreur = e instanceof AppError ? e.messageFr : (e as Error).message;
    await deps.db.transaction().execute(async (trx) => {
      if (await record(trx, endpoint, r, { collectiviteId: null, dossierId: null, status: 'illisible', blob, nomFic: r.nomFic ?? null, details: { fichier: r.name, erreur } })) {
        await appendJournal(trx, deps.clock, systemActor, { collectiviteId: null, action: 'helios.reponse.illisible', objectType: 'helios_response', objectId: r.key, details: { fichier: r.name, erreur }, documentHashes: [blob.sha256] });
      }
    });
    return;
  }
  if ('acquit' in parsed) await handleAcquit(deps, endpoint, r, blob, parsed.acquit);
  else await handleRetour(deps, ports, endpoint, r, blob, parsed.retour);
}

export async function pollHelios(deps: Deps, ports: HeliosPorts): Promise<HeliosPollReport> {
  const rows = await deps.db.selectFrom('helios_pes').select('collectivite_id').distinct().where('sent_at', 'is not', null).execute();
  const accounts = new Map<string, TdtHeliosConfig>();
  for (const { collectivite_id } of rows) {
    try {
      const config = await heliosConfig(deps, collectivite_id);
      if (!accounts.has(endpointOf(config))) accounts.set(endpointOf(config), config);
    } catch {
      // A collectivité whose connector is no longer configured: nothing to read for it.
    }
  }
  const out: HeliosPollReport = { endpoints: [] };
  for (const [endpoint, config] of accounts) {
    try {
      const report = await ports.transport(config).fetchResponses((r) => handle(deps, ports, endpoint, r), {
        isProcessed: async (key) => (await deps.db.selectFrom('helios_response').select('key').where('endpoint', '=', endpoint).where('key', '=', key).executeTakeFirst()) !== undefined,
      });
      out.endpoints.push({ endpoint, report });
    } catch (e) {
      out.endpoints.push({ endpoint, erreur: (e as Error).message });
    }
  }
  return out;
}
