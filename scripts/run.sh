#!/usr/bin/env bash
# Set up what is missing, then run the local stack on the embedded defaults until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/referral dev "$@"
