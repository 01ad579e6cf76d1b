#!/usr/bin/env bash
# The whole test suite: system tools, dependencies, lint, typecheck, then every test on the embedded
# database (PGlite), and every test that touches the database again on a throw-away PostgreSQL cluster. Ends with the plain line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh || exit 1
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund || exit 1
fi

# The programs the tests start as processes run from the bundle, as after `npm ci` (fresh: sources may have changed).
node scripts/build-bundle.mjs || exit 1

mkdir -p test-artifacts
counts=test-artifacts/counts.jsonl
: > "$counts"
check() { # name, command...: lint and typecheck count as one test each
  local name=$1; shift
  if "$@"; then echo "{\"label\":\"$name\",\"passed\":1,\"failed\":0,\"failures\":[]}" >> "$counts"
  else echo "{\"label\":\"$name\",\"passed\":0,\"failed\":1,\"failures\":[\"$name\"]}" >> "$counts"; fi
}
check lint npx eslint .
check typecheck npx tsc -p tsconfig.json --noEmit
check typecheck-web npx tsc -p web/tsconfig.json --noEmit

node scripts/run-tests.mjs --label pglite --counts "$counts" "$@"

pgdir=$(mktemp -d /tmp/paraphe-pg.XXXXXX)
pgport=${PARAPHE_TEST_PG_PORT:-55432}
if bash scripts/pg-cluster.sh start "$pgdir" "$pgport"; then
  DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/postgres" node scripts/run-tests.mjs --label postgres --counts "$counts" --db-only "$@"
  bash scripts/pg-cluster.sh stop "$pgdir"
else
  echo '{"label":"postgres-cluster","passed":0,"failed":1,"failures":["could not start PostgreSQL"]}' >> "$counts"
fi
rm -rf "$pgdir"

node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
let p = 0, f = 0;
for (const l of lines) { p += l.passed; f += l.failed; for (const x of l.failures) console.log(`FAILED [${l.label}] ${x}`); }
console.log(`${p} passed, ${f} failed`);
process.exit(f > 0 ? 1 : 0);
' "$counts"
