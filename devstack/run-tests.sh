#!/usr/bin/env bash
# `make test`: start the operator stack on the test ports, run every suite, always stop
# the stack, exit with pytest's status.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
started=0
if ! $PY devstack/stack.py status --profile test >/dev/null 2>&1; then
  $PY devstack/stack.py start --profile test || { $PY devstack/stack.py stop --profile test; exit 1; }
  started=1
fi
cleanup() { [[ $started == 1 ]] && $PY devstack/stack.py stop --profile test >/dev/null; }
trap cleanup EXIT
mkdir -p test-artifacts
$PY -m pytest "$@"
status=$?
# pytest exits 5 when it collected nothing: that is a failure here, never a pass.
exit $status
