export * from './build.ts';
export * from './names.ts';
export * from './tar.ts';
export { serializeLatin1, escapeXml, ACTES_NS, INSEE_NS } from './xml-writer.ts';
