#!/usr/bin/env bash
# Create .venv (if missing) and install the project with its test tools, from the hashed lock
# (requirements/test.lock: every package pinned, every file checked). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# The venv's bundled setuptools (65.x) has published advisories (pip-audit, scripts/audit.sh).
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip 'setuptools>=78.1.1' 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/test.lock 2>&1 \
  | grep -v "^WARNING: Location" || true
# The project itself, editable; its dependencies came from the lock above.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e . 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import engine, durable_rules_engine, re2, yaml" 
