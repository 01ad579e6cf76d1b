/**
 * Worker thread of the PES XSD validation (see xsd-pool.ts): validates complete XML texts (the batches of
 * xsd-stream.ts) against an XSD set with libxml2-wasm, one at a time, and answers with libxml2's issues.
 *
 * Plain JavaScript on purpose: the worker is started without tsx (`execArgv: []`). Under tsx's loader,
 * importing libxml2-wasm costs about 170 MB of resident memory (tsx rewrites its 1 MB JavaScript file,
 * which holds the WebAssembly binary, because it contains a dynamic import(), and builds a source map
 * for it); imported by Node itself it costs about 15 MB.
 *
 * Message in:  { id, schemaPath, text }
 * Message out: { id, issues: [{ line, message, fatal }] } or { id, error }
 */
import { parentPort } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { XmlDocument, XmlParseError, XmlValidateError, XsdValidator, ParseOption } from 'libxml2-wasm';
import { xmlRegisterFsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs';

const PARSE_OPTIONS =
  ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_BIG_LINES | ParseOption.XML_PARSE_HUGE | ParseOption.XML_PARSE_NO_XXE;

let providersRegistered = false;
const validators = new Map();

function validatorFor(schemaPath) {
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

/** Same as the former in-process validateText; the text is handed to libxml2 as UTF-8 bytes (native encoding). */
function validateText(text, validator) {
  let doc;
  try {
    doc = XmlDocument.fromBuffer(Buffer.from(text, 'utf8'), { option: PARSE_OPTIONS });
  } catch (e) {
    if (e instanceof XmlParseError) return e.details.map((d) => ({ line: d.line, message: d.message.trim(), fatal: true }));
    throw e;
  }
  try {
    validator.validate(doc);
    return [];
  } catch (e) {
    if (e instanceof XmlValidateError) return e.details.map((d) => ({ line: d.line, message: d.message.trim(), fatal: false }));
    throw e;
  } finally {
    doc.dispose();
  }
}

parentPort.on('message', (msg) => {
  try {
    parentPort.postMessage({ id: msg.id, issues: validateText(msg.text, validatorFor(msg.schemaPath)) });
  } catch (e) {
    parentPort.postMessage({ id: msg.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
});
