#!/usr/bin/env bash
# `make bench`: start the test-profile stack, run every script in bench/, stop the stack.
# Each script prints its figures as one JSON object on its last line.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY devstack/stack.py start --profile test || exit 1
trap '$PY devstack/stack.py stop --profile test >/dev/null' EXIT
eval "$($PY devstack/stack.py env --profile test)"
status=0
for script in bench/*.py; do
  echo "== $script"
  sync  # the previous script's writes flushed: no writeback competing with the timings
  $PY "$script" || status=1
done
exit $status
