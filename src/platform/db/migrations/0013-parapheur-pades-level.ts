/**
 * PAdES level per typologie (B-B, B-T, B-LT, B-LTA), copied to the dossier at envoi like the format and the
 * mark. Null means the default, as before this migration: B-T when the collectivité has a TSA, else B-B; so
 * existing typologies and dossiers need no back-fill beyond the null they get.
 */
export const statements = [
  `alter table parapheur_typologie add column niveau_pades text check (niveau_pades in ('B-B', 'B-T', 'B-LT', 'B-LTA'))`,
  `alter table parapheur_dossier add column niveau_pades text check (niveau_pades in ('B-B', 'B-T', 'B-LT', 'B-LTA'))`,
];
