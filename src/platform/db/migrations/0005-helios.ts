/**
 * HELIOS (télétransmission PES): one row per PES_Aller deposited (its NomFic, unique per SIRET, the file
 * sent and its acquit), the daily upload counter per SIRET (PESALR2_<SIRET>_<yyMMdd>_<nnn>.xml), and every
 * response read from the gateway's /sortie/ (idempotency key per FTP account + raw evidence).
 */
export const statements = [
  `create table helios_pes (
     dossier_id uuid primary key references dossier(id),
     collectivite_id uuid not null references collectivite(id),
     id_coll text not null,
     nom_fic text not null,
     schema_version text not null,
     pes_sha256 char(64) not null references blob(sha256),
     upload_name text,
     sent_at timestamptz,
     acquit_sha256 char(64) references blob(sha256),
     acquit jsonb,
     created_at timestamptz not null default now())`,
  `create unique index helios_pes_nom_fic_idx on helios_pes (id_coll, nom_fic)`,
  `create table helios_counter (
     siret text not null,
     day text not null,
     n integer not null,
     primary key (siret, day))`,
  `create table helios_response (
     endpoint text not null,
     key text not null,
     kind text not null,
     collectivite_id uuid references collectivite(id),
     dossier_id uuid references dossier(id),
     nom_fic text,
     status text not null,
     sha256 char(64) references blob(sha256),
     details jsonb not null default '{}',
     received_at timestamptz not null default now(),
     primary key (endpoint, key))`,
  `create index helios_response_collectivite_idx on helios_response (collectivite_id, kind, received_at)`,
];
