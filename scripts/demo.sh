#!/usr/bin/env bash
# One command on a fresh machine: install what is needed, seed the demo festival, serve it on :8080.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/vrstore demo "$@"
