export * from './classification.ts';
