#!/usr/bin/env bash
# The main job on a fresh machine: set up, then ingest the bundled samples, train small models and serve.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/tessera.js demo "$@"
