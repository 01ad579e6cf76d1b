/**
 * HELIOS × parapheur: a PES flow submitted for signature gets a child `pes-a-signer` dossier that runs the
 * typologie's circuit (XAdES per bordereau). One row per child, like `actes_signature`; `current` marks the
 * child whose outcome moves the flow; the link carries the collectivité so that it is only read through its
 * scope. `helios_pes.signed_sha256` is the PES signed in the circuit: the file transmitted, when present.
 */
export const statements = [
  `create table helios_signature (
     child_dossier_id uuid primary key references dossier(id),
     helios_dossier_id uuid not null references dossier(id),
     collectivite_id uuid not null references collectivite(id),
     transmettre_apres_signature boolean not null,
     current boolean not null default true,
     outcome text,
     motif text,
     last_event_version integer not null default 0,
     created_at timestamptz not null default now())`,
  `create unique index helios_signature_current_idx on helios_signature (helios_dossier_id) where current`,
  `create index helios_signature_flux_idx on helios_signature (collectivite_id, helios_dossier_id, created_at)`,
  `alter table helios_pes add column signed_sha256 text`,
];
