#!/bin/sh
# Install datalife into a Python environment exactly as the image does (the Dockerfile
# runs this script; tests/test_image_install.py runs it into a fresh virtualenv):
#   1. the fully pinned lock with uv, never resolved (--no-deps);
#   2. tfx and ml-pipelines-sdk 1.16 without dependencies (their metadata says
#      Python < 3.11 although they run on 3.11; the lock holds all their dependencies);
#   3. the project itself, not editable: the image holds the datalife package only.
# Usage, from the repository root:  sh docker/install.sh [PYTHON]
# FIND_LINKS: a folder with the torch CPU wheel the lock pins (uv does not read pip's
# configuration); empty when torch comes from the index.
set -eu
PY="${1:-python3}"
PIP="$PY -m pip --disable-pip-version-check"
$PIP install -q uv==0.13.9
# shellcheck disable=SC2086
$PY -m uv pip install --python "$PY" --no-deps ${FIND_LINKS:+--find-links "$FIND_LINKS"} -r requirements.lock
$PIP install -q --no-deps --ignore-requires-python -r requirements/nodeps.txt
$PIP install -q --no-deps --no-build-isolation .
