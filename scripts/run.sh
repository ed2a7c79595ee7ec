#!/usr/bin/env bash
# Set up, validate the agencies' rule packs and evaluate the seed passengers against them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/targeting rules validate rules/
.venv/bin/targeting evaluate --rules rules/ --at "${AT:-2026-12-01T00:00:00Z}" seeds/passengers.jsonl
