#!/usr/bin/env bash
# Set up and run every check CI runs: lint, format, types, unit specs, medium and e2e suites.
set -euo pipefail
cd "$(dirname "$0")/.."
TESSERA_SETUP_TEST_SERVICES=1 bash scripts/setup.sh

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
report_dir=$(mktemp -d)

say "lint"
npx eslint .
say "format"
npx prettier --check . >/dev/null || { npx prettier --check . ; exit 1; }
say "typecheck"
npx tsc -p tsconfig.json --noEmit

status=0
say "unit specs"
npx vitest run --reporter=default --reporter=json --outputFile.json="$report_dir/unit.json" || status=1
say "medium and e2e suites"
npx vitest run --config test/vitest.config.mts --reporter=default --reporter=json --outputFile.json="$report_dir/e2e.json" || status=1

# one closing line in the plain 'N passed, N failed, N skipped' form
node -e '
  const fs = require("node:fs");
  let p = 0, f = 0, s = 0;
  for (const file of process.argv.slice(1)) {
    if (!fs.existsSync(file)) { f += 1; continue; }
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    p += r.numPassedTests; f += r.numFailedTests; s += r.numPendingTests + (r.numTodoTests ?? 0);
  }
  console.log(`tests: ${p} passed, ${f} failed, ${s} skipped`);
' "$report_dir/unit.json" "$report_dir/e2e.json"
exit $status
