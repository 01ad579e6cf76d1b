// node:test reporter that writes the leaf test counts as JSON, so scripts/run-tests.mjs can print the plain
// "N passed, N failed" line even when several runs (PGlite, PostgreSQL) are added up.
export default async function* countReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data;
    if (data.details?.type === 'suite') continue;
    if (data.skip || data.todo) { skipped++; continue; }
    if (event.type === 'test:pass') passed++;
    else { failed++; failures.push(`${data.file ?? ''} :: ${data.name}`); }
  }
  yield JSON.stringify({ passed, failed, skipped, failures }) + '\n';
}
