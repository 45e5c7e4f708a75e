#!/usr/bin/env bash
# The main job on an embedded default: installs secretsops and its dev stack (devstack/) into .venv, then
# runs `secretsops-demo`, which starts a local stack itself (OpenBao dev server, moto, the Kubernetes API
# test server, a git repo from examples/).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# -W: setuptools warns about every flat-layout editable install; pip -q does not hide backend warnings
.venv/bin/python -W 'ignore:Editable installation' -m pip install -q -e '.[test]'
# the dev stack (API test server, OpenBao/moto launchers, demo) is its own distribution, not the product
.venv/bin/python -m pip install -q -e ./devstack
# the engine renders kustomizations with the pinned standalone kustomize (built once, ~1 min, then cached)
tools_bin="$(bash scripts/install-tools.sh kustomize)"
export PATH="$tools_bin:$PWD/.venv/bin:$PATH" AWS_EC2_METADATA_DISABLED=true
exec secretsops-demo "$@"
