/**
 * XSD validation with libxml2 compiled to WebAssembly (the same engine as xmllint, no native build).
 * Schemas are loaded once per entry file (multi-file sets resolve their imports through file:// URLs).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { XmlDocument, XsdValidator, XmlValidateError, XmlParseError, ParseOption } from 'libxml2-wasm';
import { xmlRegisterFsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs';
import { assertNoDoctype, declaredEncoding } from './safe-xml.ts';
import iconv from 'iconv-lite';
import { AppError } from '../errors.ts';

let providersRegistered = false;
const validators = new Map<string, XsdValidator>();

export interface XsdIssue {
  line: number | undefined;
  message: string;
}

export interface XsdResult {
  valid: boolean;
  errors: XsdIssue[];
}

function validatorFor(schemaPath: string): XsdValidator {
  let v = validators.get(schemaPath);
  if (v) return v;
  if (!providersRegistered) {
    xmlRegisterFsInputProviders();
    providersRegistered = true;
  }
  const schemaDoc = XmlDocument.fromBuffer(readFileSync(schemaPath), { url: pathToFileURL(schemaPath).href });
  try {
    v = XsdValidator.fromDoc(schemaDoc);
  } finally {
    schemaDoc.dispose();
  }
  validators.set(schemaPath, v);
  return v;
}

/** Validates XML bytes against an XSD file. A DOCTYPE is refused before parsing. */
export function validateAgainstXsd(bytes: Uint8Array, schemaPath: string): XsdResult {
  const head = iconv.decode(Buffer.from(bytes.subarray(0, 64 * 1024)), declaredEncoding(bytes));
  assertNoDoctype(head);
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromBuffer(bytes, { option: ParseOption.XML_PARSE_NONET });
  } catch (e) {
    if (e instanceof XmlParseError) {
      return { valid: false, errors: e.details.map((d) => ({ line: d.line, message: d.message.trim() })) };
    }
    throw new AppError('BAD_INPUT', 'Le fichier n’est pas un XML lisible.', `XML parse failure: ${(e as Error).message}`);
  }
  try {
    validatorFor(schemaPath).validate(doc);
    return { valid: true, errors: [] };
  } catch (e) {
    if (e instanceof XmlValidateError) {
      return { valid: false, errors: e.details.map((d) => ({ line: d.line, message: d.message.trim() })) };
    }
    throw e;
  } finally {
    doc.dispose();
  }
}
