#!/usr/bin/env bash
# Set up, then lint, type-check and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy  # strict on engine/, mypy's defaults on the rest (pyproject.toml [tool.mypy])
# Spread over the cores (pytest-xdist): each worker is a session with its own database, keys and queue.
.venv/bin/python -m pytest --numprocesses auto --maxprocesses 4 "$@"
