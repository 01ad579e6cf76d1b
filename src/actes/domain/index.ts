export * from './natures.ts';
export * from './departement.ts';
export * from './rules.ts';
export * from './id-acte.ts';
export * from './metadata.ts';
export * from './collectivite-natures.ts';
export * from './collectivite.ts';
export * from './s2low-status.ts';
