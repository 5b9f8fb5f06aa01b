#!/usr/bin/env bash
# Set up a virtual environment with the pinned dependencies, then check the
# formatting and lint rules and run the whole test suite with branch coverage,
# one pytest worker per CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements-dev.txt
export TZ=UTC NO_PROXY=127.0.0.1,localhost,::1 no_proxy=127.0.0.1,localhost,::1
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/python -m pytest -n auto --cov --cov-report=term "$@"
