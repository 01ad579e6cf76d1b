/**
 * Circuits and typologies edited in place: a `version` per row for optimistic concurrency (an edit names the
 * version it started from; a stale one is refused) and `updated_at`. A dossier already sent keeps what it
 * started with: its steps were always a copy (`parapheur_step`), and now the typologie's signature format and
 * visible mark are copied too, at envoi, into `parapheur_dossier` (back-filled here from the typologie).
 * A step can also be `stopped`: its dossier's parent (acte, PES flow) was abandoned while it ran.
 */
export const statements = [
  `alter table parapheur_circuit add column version integer not null default 1`,
  `alter table parapheur_circuit add column updated_at timestamptz not null default now()`,
  `alter table parapheur_typologie add column version integer not null default 1`,
  `alter table parapheur_typologie add column updated_at timestamptz not null default now()`,
  `alter table parapheur_dossier add column format text`,
  `alter table parapheur_dossier add column mark jsonb`,
  `alter table parapheur_step drop constraint parapheur_step_state_check`,
  `alter table parapheur_step add constraint parapheur_step_state_check check (state in ('waiting', 'active', 'done', 'stopped'))`,
  `update parapheur_dossier set format = t.format, mark = t.mark from parapheur_typologie t where t.id = parapheur_dossier.typologie_id`,
];
