export * from './parse.ts';
export * from './read-archive.ts';
export { parseActesFileName, type ActesFileName } from '../archive/names.ts';
