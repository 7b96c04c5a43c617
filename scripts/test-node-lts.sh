#!/usr/bin/env bash
# Run the build and the test suites again on the current Node LTS (from the npm registry's `node`
# package), in a copy of the tracked tree so native addons compile for that Node's ABI.
set -euo pipefail
cd "$(dirname "$0")/.."
export TESSERA_SHARED_DATA=${TESSERA_SHARED_DATA:-$(cd .. && pwd)/shared/data}
major=${TESSERA_LTS_NODE:-26}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '\033[1m==> Node %s LTS: fetching the runtime\033[0m\n' "$major" >&2
npm install --prefix "$work/runtime" --no-save --no-audit --no-fund --loglevel=error "node@$major" >/dev/null
platform_pkg=$(ls -d "$work"/runtime/node_modules/node/node_modules/node-linux-* | head -1)
export PATH="$platform_pkg/bin:$PATH"
export npm_config_nodedir="$platform_pkg"   # node-gyp builds against these headers, offline
node --version

git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$work" --one-top-level=repo
cd "$work/repo"
printf '\033[1m==> Node %s: npm ci, build\033[0m\n' "$(node --version)" >&2
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
printf '\033[1m==> Node %s: unit specs, medium and e2e suites\033[0m\n' "$(node --version)" >&2
npx vitest run
npx vitest run --config test/vitest.config.mts
