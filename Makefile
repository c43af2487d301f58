# mssante-web: two commands for a newcomer, `make demo` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
export DJANGO_SETTINGS_MODULE := mssante_web.settings

.PHONY: install messages demo test conformance bench lint stack-start stack-stop docker-deps-check clean

install:
	@bash devstack/install.sh

# Compiled catalogues are build output (git-ignored): compile them wherever the site runs.
messages: install
	@DJANGO_DEBUG=1 $(PY) manage.py compilemessages -v 0 --ignore=.venv

demo: install messages
	@$(PY) devstack/demo.py

# ARGS narrows the run, e.g. make test ARGS="tests/unit -k redact"
test: install messages
	@bash devstack/run-tests.sh $(ARGS)

# Every suite, recording which requirement each test proves, then docs/conformance.md:
# fails when a mandatory requirement of the référentiel has no passing test.
conformance: install messages
	@bash devstack/run-tests.sh
	@DJANGO_DEBUG=1 $(PY) manage.py conformance

bench: install messages
	@bash devstack/run-bench.sh

lint: install
	@$(PY) -m ruff check .
	@DJANGO_DEBUG=1 $(PY) -m mypy
	@.venv/bin/lint-imports --no-cache

stack-start: install
	@$(PY) devstack/stack.py start --profile demo

stack-stop:
	@$(PY) devstack/stack.py stop --profile demo
	@$(PY) devstack/stack.py stop --profile test

clean: stack-stop
	rm -rf .devstack var test-artifacts static_collected
	@$(PY) -c 'from devstack import stack; import shutil; [shutil.rmtree(stack.runtime_dir(p), ignore_errors=True) for p in stack.PROFILES]'
