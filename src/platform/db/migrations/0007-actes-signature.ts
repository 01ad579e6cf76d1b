/**
 * ACTES × parapheur: an acte submitted for signature gets a child `document-a-signer` dossier that runs
 * the typologie's circuit. One row per child (a refused or withdrawn circuit can be followed by another
 * one); `current` marks the child whose outcome moves the acte. The link carries the collectivité so that
 * it is only ever read through its scope.
 */
export const statements = [
  `create table actes_signature (
     child_dossier_id uuid primary key references dossier(id),
     acte_dossier_id uuid not null references dossier(id),
     collectivite_id uuid not null references collectivite(id),
     transmettre_apres_signature boolean not null,
     current boolean not null default true,
     outcome text,
     motif text,
     last_event_version integer not null default 0,
     created_at timestamptz not null default now())`,
  `create unique index actes_signature_current_idx on actes_signature (acte_dossier_id) where current`,
  `create index actes_signature_acte_idx on actes_signature (collectivite_id, acte_dossier_id, created_at)`,
];
