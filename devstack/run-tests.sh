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
# Each pytest process records how the tests naming a requirement ended (manage.py conformance).
export MSSANTE_CONFORMANCE_DIR=test-artifacts/conformance
rm -rf "$MSSANTE_CONFORMANCE_DIR"
$PY -m pytest "$@"
status=$?
# Production runs on PostgreSQL: the integration suite (raw SQL of the sync engine and of
# the directory import included) runs a second time against it. Skipped when ARGS narrow
# the run to something else.
if [[ $status == 0 && ( $# == 0 || " $* " == *" tests/integration"* ) ]]; then
  echo "== integration tests again, on PostgreSQL"
  DATABASE_URL=$($PY -c 'from devstack import stack; print(stack.env_vars("test")["MSSANTE_DEVSTACK_POSTGRES_URL"])') \
    $PY -m pytest tests/integration -m "not browser" -p no:cacheprovider \
      --ignore tests/integration/test_container_build.py --ignore tests/integration/test_psc_simulator.py \
      --ignore tests/integration/test_imap_auth.py --ignore tests/integration/test_smtp_submission.py
  status=$?
fi
# The référentiel's page from this run (test-artifacts/conformance.md): said, not enforced
# here; `make conformance` fails when a mandatory requirement has no passing test.
if [[ $status == 0 && $# == 0 ]]; then
  DJANGO_DEBUG=1 $PY manage.py conformance --out test-artifacts/conformance.md \
    || echo "conformance: see test-artifacts/conformance.md"
fi
# pytest exits 5 when it collected nothing: that is a failure here, never a pass.
exit $status
