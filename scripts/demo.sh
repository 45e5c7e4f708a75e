#!/usr/bin/env bash
# The main job on an embedded default: installs into .venv, then runs `secretsops demo`, which starts a
# local stack itself (OpenBao dev server, moto, the Kubernetes API test server, a git repo from examples/).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
export PATH="$PWD/.venv/bin:$PATH" AWS_EC2_METADATA_DISABLED=true
exec secretsops demo "$@"
