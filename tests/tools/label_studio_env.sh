#!/usr/bin/env bash
# Create (once) the virtualenv that runs a real Label Studio server for the round-trip
# test (tests/test_label_studio_server.py). Label Studio's own pins clash with
# requirements.lock, so it lives in its own env, outside our lock:
#   tests/tools/label_studio_env.sh          -> .venv-labelstudio/bin/label-studio
# Idempotent: a stamp file records the installed version; a second call is a no-op.
# Needs the project's .venv (its uv) and network access to PyPI on first use.
set -euo pipefail
cd "$(dirname "$0")/../.."
LS_VERSION="1.23.2"
ENV_DIR="${LABEL_STUDIO_ENV:-.venv-labelstudio}"
PY="${PY:-python3.11}"
UV="${UV:-.venv/bin/uv}"
STAMP="$ENV_DIR/.label-studio-$LS_VERSION"

if [ -f "$STAMP" ] && [ -x "$ENV_DIR/bin/label-studio" ]; then
  exit 0
fi
if [ ! -x "$UV" ]; then
  echo "label_studio_env: $UV not found (run 'make venv' first)" >&2
  exit 2
fi
rm -rf "$ENV_DIR"
"$UV" venv -q --python "$PY" "$ENV_DIR"
"$UV" pip install -q --python "$ENV_DIR/bin/python" "label-studio==$LS_VERSION"
touch "$STAMP"
echo "label_studio_env: label-studio $LS_VERSION installed in $ENV_DIR"
