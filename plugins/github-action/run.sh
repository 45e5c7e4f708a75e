#!/usr/bin/env bash
# Runs `secretsops check` for the composite action: SARIF to a file, the text report to the log,
# and the exit code to $GITHUB_OUTPUT so SARIF is uploaded before the job fails.
set -uo pipefail
read -r -a paths <<< "${INPUT_PATHS:-}"
read -r -a extra <<< "${INPUT_ARGS:-}"
# the GitOps rule group is on unless the `gitops` input says false
[ "${INPUT_GITOPS:-true}" = "false" ] || extra=(--gitops "${extra[@]}")
secretsops check --no-progress --format sarif --output "${INPUT_SARIF_FILE:-secretsops.sarif}" \
  "${extra[@]}" "${paths[@]}"
code=$?
echo "exit-code=$code" >> "${GITHUB_OUTPUT:-/dev/null}"
exit 0
