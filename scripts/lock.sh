#!/usr/bin/env bash
# Regenerate the hashed locks from pyproject.toml: a deliberate, reviewed change (commit the diff).
# requirements/runtime.lock is what the image installs; requirements/test.lock adds the test tools
# (scripts/setup.sh installs it). Universal: one lock for every platform Python 3.11 runs on.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools/venv"
"$tools/venv/bin/pip" install --quiet --disable-pip-version-check uv
common=(pyproject.toml --generate-hashes --universal --python-version 3.11 --quiet)
"$tools/venv/bin/uv" pip compile "${common[@]}" --extra test -o requirements/test.lock "$@"
# The image runs exactly the versions the tests ran: the runtime lock is constrained by the test lock.
"$tools/venv/bin/uv" pip compile "${common[@]}" --constraint requirements/test.lock -o requirements/runtime.lock "$@"
