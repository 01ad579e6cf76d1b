/** RFC 3161 timestamps of journal chain heads: each proves the chain up to `seq` existed at `stamped_at`. */
export const statements = [
  `create table journal_timestamp (
     id uuid primary key default gen_random_uuid(),
     chain text not null,
     seq integer not null,
     hash char(64) not null,
     token bytea not null,
     stamped_at timestamptz not null,
     unique (chain, seq))`,
];
