#!/usr/bin/env bash
# Creates (or updates) the golden-data virtualenv at .cache/golden-venv and
# installs the pinned oracle stack.  Safe to run repeatedly.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.cache/golden-venv"
REQ="$ROOT/scripts/golden/requirements.txt"
PY="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
  mkdir -p "$ROOT/.cache"
  "$PY" -m venv "$VENV"
fi

STAMP="$VENV/.requirements.sha256"
WANT="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  echo "golden-venv is up to date ($VENV)"
  exit 0
fi

"$VENV/bin/python" -m pip install --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --disable-pip-version-check -r "$REQ"
echo "$WANT" > "$STAMP"
echo "golden-venv ready ($VENV)"
