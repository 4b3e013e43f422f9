#!/usr/bin/env bash
# Set up what is missing, then run lint, types and the whole test suite (slow suites included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/mypy referral flows activities workers review
exec .venv/bin/pytest -q -rs "$@"
