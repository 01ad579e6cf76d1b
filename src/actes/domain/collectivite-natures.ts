/**
 * Nature of the collectivité, attribute `IDCL/@actes:Nature` (2 digits) of the enveloppe (PROTOCOLS A.4,
 * S²LOW's `authority_types`).
 */
export const COLLECTIVITE_NATURES = [
  { code: '11', label: 'Conseil régional' },
  { code: '12', label: 'Établissement public local d’enseignement (EPLE)' },
  { code: '14', label: 'Société d’économie mixte (SEM)' },
  { code: '21', label: 'Conseil départemental' },
  { code: '22', label: 'Établissement de santé' },
  { code: '23', label: 'Établissement public local d’enseignement (EPLE)' },
  { code: '24', label: 'Autre établissement public' },
  { code: '25', label: 'Société d’économie mixte (SEM)' },
  { code: '31', label: 'Commune' },
  { code: '32', label: 'Établissement de santé' },
  { code: '33', label: 'Autre établissement public' },
  { code: '34', label: 'Société d’économie mixte (SEM)' },
  { code: '41', label: 'Syndicat de communes ou syndicat mixte « fermé »' },
  { code: '42', label: 'Syndicat mixte ouvert' },
  { code: '43', label: 'Syndicat d’agglomération nouvelle (SAN)' },
  { code: '44', label: 'Communauté de communes' },
  { code: '45', label: 'Communauté urbaine' },
  { code: '46', label: 'Communauté d’agglomération' },
  { code: '47', label: 'Société d’économie mixte (SEM)' },
  { code: '51', label: 'Service départemental d’incendie et de secours (SDIS)' },
  { code: '52', label: 'Entente' },
  { code: '53', label: 'Entente' },
  { code: '54', label: 'Autre société d’économie mixte' },
  { code: '55', label: 'Autre' },
  { code: '61', label: 'Association syndicale autorisée (ASA)' },
  { code: '62', label: 'Association foncière urbaine autorisée (AFUA)' },
  { code: '63', label: 'Association foncière de remembrement' },
  { code: '71', label: 'Autre' },
  { code: '72', label: 'Société publique locale (SPL / SPLA)' },
  { code: '73', label: 'Société d’économie mixte (SEM)' },
  { code: '74', label: 'Commission syndicale' },
] as const;

export type CollectiviteNatureCode = (typeof COLLECTIVITE_NATURES)[number]['code'];

export function isCollectiviteNature(code: string): code is CollectiviteNatureCode {
  return COLLECTIVITE_NATURES.some((n) => n.code === code);
}

export function collectiviteNatureLabel(code: string): string | undefined {
  return COLLECTIVITE_NATURES.find((n) => n.code === code)?.label;
}
