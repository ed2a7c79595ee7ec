#!/usr/bin/env bash
# Refresh the console screenshots in docs/ (README): run the browser tests with REFRESH_DOCS=1, which
# writes them to build/screenshots/ as every run does, and copies them over docs/. Needs Debian's
# chromium and chromium-driver (a missing browser is a failure here, not a skip). Commit docs/ after.
set -euo pipefail
cd "$(dirname "$0")/.."
REFRESH_DOCS=1 .venv/bin/python -m pytest -p no:cacheprovider tests/console/test_browser.py \
    tests/console/test_browser_work.py "$@"
git status --short -- docs/
