/**
 * How many times the acte's (identical, stored) archive was posted to @CTES. A retry after a crash may post
 * it again; the préfecture then answers the copy with an anomaly "already transmitted", which must not undo
 * the acknowledgement of the first copy (src/actes/use-cases/receive-actes-mail.ts).
 */
export const statements = [`alter table actes_acte add column send_count integer not null default 0`];
