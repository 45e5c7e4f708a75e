#!/usr/bin/env bash
# The whole test suite, from a fresh clone: venv, install, lint, type-check, layering, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
export PATH="$PWD/.venv/bin:$PATH" AWS_EC2_METADATA_DISABLED=true
echo "== ruff";        ruff check secretsops tests benchmarks
echo "== mypy";        mypy
echo "== import-linter"; lint-imports
echo "== pytest"
set +e
pytest -n 2 --dist loadgroup -q "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$rc"
