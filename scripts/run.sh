#!/usr/bin/env bash
# Set up, load the seed data (the agencies' rule packs and demo keys) and run the service on
# embedded defaults: a SQLite file under instance/ and an in-process cache. Settings come
# from the environment (README, "Configuration"); e.g. PORT=9090 bash scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/targeting rules validate rules/ > /dev/null
.venv/bin/targeting seed
echo
echo "try:  curl -s http://${HOST:-127.0.0.1}:${PORT:-8080}/readyz"
echo "      curl -s -X POST http://${HOST:-127.0.0.1}:${PORT:-8080}/v1/evaluations -H 'X-API-Key: tgt_kcussystem_demo-cusmod' \\"
echo "           -H 'Content-Type: application/json' -d \"{\\\"passenger\\\": \$(head -1 seeds/passengers.jsonl)}\""
echo "      the README walk-through; the API is described at /docs"
echo
exec .venv/bin/targeting serve
