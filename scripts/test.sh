#!/usr/bin/env bash
# The whole test suite, from a fresh clone: venv, install, lint, type-check, layering, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# -W: setuptools warns about every flat-layout editable install; pip -q does not hide backend warnings
.venv/bin/python -W 'ignore:Editable installation' -m pip install -q -e '.[test]'
# the dev stack (API test server, OpenBao/moto launchers, demo) is its own distribution, not the product
.venv/bin/python -m pip install -q -e ./devstack
# a key source in a distribution of its own: the tests prove a plugin needs no change to secretsops
.venv/bin/python -m pip install -q -e ./tests/filewrap_plugin
# The field's real tools (kube-apiserver, etcd, kubectl, kustomize, helm, kubeseal), pinned in
# scripts/tools.lock and built from their Go modules into ~/.cache/secretsops/tools: minutes the first
# time (progress below), a no-op after. The pinned ones come first on PATH.
echo "== tools (scripts/tools.lock)"
tools_bin="$(bash scripts/install-tools.sh)"
export PATH="$tools_bin:$PWD/.venv/bin:$PATH" AWS_EC2_METADATA_DISABLED=true
echo "== ruff";        ruff check secretsops devstack tests benchmarks
echo "== mypy";        mypy
echo "== import-linter"; lint-imports
echo "== pytest"
set +e
pytest -n 2 --dist loadfile -q "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$rc"
