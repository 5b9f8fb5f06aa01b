#!/usr/bin/env bash
# Create .venv with Python 3.11 or newer and install the given requirements
# file into it. Reinstalls only when the requirements changed.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=${1:-requirements.txt}
python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Cite needs Python 3.11 or newer; $python is $("$python" --version 2>&1)." >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=.venv/.installed-$(basename "$requirements")
if [ ! -f "$stamp" ] || ! cmp -s <(cat requirements*.txt) "$stamp"; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cat requirements*.txt > "$stamp"
fi
