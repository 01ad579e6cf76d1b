/**
 * ACTES (contrôle de légalité): the préfecture's classification per collectivité, one row per acte
 * transmitted (its IDActe, unique among the live ones), every message exchanged with the préfecture, and
 * every mail read from the return mailbox (idempotency key + raw evidence).
 */
export const statements = [
  `create table actes_classification (
     collectivite_id uuid primary key references collectivite(id),
     date_classification text not null,
     content jsonb not null,
     source text not null,
     raw_sha256 char(64) references blob(sha256),
     updated_at timestamptz not null default now())`,
  `create table actes_acte (
     dossier_id uuid primary key references dossier(id),
     collectivite_id uuid not null references collectivite(id),
     id_acte text not null,
     live boolean not null default true,
     classification_date text not null,
     sent_at timestamptz,
     enveloppe_name text,
     archive_name text,
     archive_sha256 char(64) references blob(sha256),
     date_reception text,
     date_publication text,
     created_at timestamptz not null default now())`,
  `create unique index actes_acte_live_idx on actes_acte (id_acte) where live`,
  `create index actes_acte_id_idx on actes_acte (id_acte, created_at desc)`,
  `create index actes_acte_collectivite_idx on actes_acte (collectivite_id, date_publication)`,
  `create table actes_message (
     id uuid primary key default gen_random_uuid(),
     collectivite_id uuid references collectivite(id),
     dossier_id uuid references dossier(id),
     direction text not null check (direction in ('entrant', 'sortant')),
     kind text not null,
     code text,
     id_acte text,
     date_courrier_pref text,
     status text not null,
     content jsonb not null default '{}',
     reply_to uuid references actes_message(id),
     mail_key text,
     archive_sha256 char(64) references blob(sha256),
     created_at timestamptz not null default now(),
     updated_at timestamptz not null default now())`,
  `create index actes_message_dossier_idx on actes_message (collectivite_id, dossier_id, created_at)`,
  `create table actes_mail (
     key text primary key,
     status text not null check (status in ('traite', 'rejete')),
     reason text,
     raw_sha256 char(64) references blob(sha256),
     received_at timestamptz not null default now())`,
  `create table actes_counter (
     siren char(9) not null,
     day text not null,
     n integer not null,
     primary key (siren, day))`,
];
