#!/usr/bin/env bash
# Long differential run: engine path vs reference evaluator over many generated packs.
# Runs in chunks, each in its own process with its own seed, because durable-rules keeps
# ~0.3 MB per deleted ruleset that evaluated anything (docs/engine.md), and in parallel
# on every core. Usage: bash scripts/long_differential.sh [TOTAL_EXAMPLES] [CHUNK] [FIRST_CHUNK]
# FIRST_CHUNK resumes a run (chunk n uses hypothesis seed n); run a whole run on one commit,
# from a clone if the work tree changes meanwhile (PYTHONPATH=<clone>, its .venv a link to this one).
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-100000}
chunk=${2:-5000}
jobs=$(nproc)
chunks=$(( (total + chunk - 1) / chunk ))
first=${3:-1}
echo "differential: $total examples in $chunks chunks of $chunk, $jobs at a time"
seq "$first" "$chunks" | xargs -P "$jobs" -I{} sh -c \
  "HYPOTHESIS_PROFILE=fresh DIFFERENTIAL_EXAMPLES=$chunk .venv/bin/python -m pytest tests/engine/test_differential.py -q -p no:cacheprovider \
     --hypothesis-seed={} > /tmp/differential-{}.log 2>&1 && echo 'chunk {} passed' || { echo 'chunk {} FAILED: /tmp/differential-{}.log'; exit 255; }"
echo "differential: chunks $first to $chunks passed ($(( (chunks - first + 1) * chunk )) examples)"
