/**
 * PES_Retour linked to the PES_Aller it answers. A PES_Retour carries its own NomFic (not the PES_Aller's),
 * so the link goes through what both files share (PROTOCOLS.md B.2/B.4, PES_Retour.xsd): the SIRET (IdColl),
 * the budget (CodBud) and, per domain, each bordereau's exercice (Exer) and number (IdBord), unique per
 * exercice and domain. `helios_pes_bordereau` keeps those keys for every PES_Aller deposited;
 * `helios_retour_flux` links a received PES_Retour (helios_response) to each flux whose bordereaux it
 * reports on (usually one), with the number of bordereaux matched. Flux deposited before this migration get
 * their keys from their stored file when a PES_Retour for their SIRET arrives (poll-helios.ts).
 */
export const statements = [
  `create table helios_pes_bordereau (
     dossier_id uuid not null references dossier(id),
     collectivite_id uuid not null references collectivite(id),
     id_coll text not null,
     cod_bud text not null default '',
     domaine text not null check (domaine in ('depense', 'recette')),
     exercice text not null,
     id_bord text not null,
     primary key (dossier_id, domaine, exercice, id_bord))`,
  `create index helios_pes_bordereau_key_idx on helios_pes_bordereau (id_coll, domaine, exercice, id_bord)`,
  `create table helios_retour_flux (
     endpoint text not null,
     key text not null,
     dossier_id uuid not null references dossier(id),
     collectivite_id uuid not null references collectivite(id),
     bordereaux integer not null,
     primary key (endpoint, key, dossier_id),
     foreign key (endpoint, key) references helios_response(endpoint, key))`,
  `create index helios_retour_flux_dossier_idx on helios_retour_flux (collectivite_id, dossier_id)`,
];
