# The commands CI, the README and developers all run. Each target installs what it needs, idempotently.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
# Every package of the repository is a folder with a pyproject.toml, at the top or under services/.
PYPROJECTS := $(wildcard */pyproject.toml services/*/pyproject.toml)

.PHONY: help setup up test lint format pytest synth lock bench faults clean documents
# The packages that need no CDK run their tests in a venv without it (.venv-services, issue 15);
# tests/test_architecture.py checks this list against docs/architecture.md and that venv.
VENV_SERVICES := .venv-services
CDK_FREE_TESTS := contract/tests services/runtime/tests services/api/tests services/ai/tests waf/tests templates/tests twin/tests
# Two workers (pytest-xdist), each test module whole on one of them (its module fixtures run once).
PYTEST_WORKERS ?= 2
PYTEST_XDIST = -n $(PYTEST_WORKERS) --dist loadfile

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock $(PYPROJECTS)
	@scripts/bootstrap-venv
	@touch $@

$(VENV_SERVICES)/.installed: $(VENV)/.installed requirements-services.lock $(PYPROJECTS)
	@scripts/bootstrap-venv $(VENV_SERVICES) requirements-services.lock
	@touch $@

node_modules/.installed: package.json package-lock.json
	@scripts/npm-install .
	@touch $@

# The web build runs relay-compiler first (npm run relay): it validates every operation against the
# api's committed schema and writes src/**/__generated__/ (left out here: each build rewrites them)
# and .relay/persisted-documents.json.
WEB_SOURCES = $(shell find services/web/src services/web/scripts -type f -not -path '*/__generated__/*' 2>/dev/null)
services/web/dist/index.html: services/web/node_modules/.installed $(WEB_SOURCES) services/web/index.html services/web/vite.config.ts services/web/relay.config.json services/api/schema.graphql
	@cd services/web && npm run --silent build
	@touch $@

services/web/node_modules/.installed: services/web/package.json services/web/package-lock.json
	@scripts/npm-install services/web
	@touch $@

setup: $(VENV)/.installed $(VENV_SERVICES)/.installed node_modules/.installed services/web/dist/index.html ## install everything (venv, CDK CLI, web build, Postgres)
	@scripts/ensure-system-packages
	@scripts/bootstrap-checkov

up: setup ## run the local twin (http://127.0.0.1:8080)
	$(VENV)/bin/foundry up

lint: $(VENV)/.installed ## ruff (lint + format check) and mypy
	@scripts/lint

format: $(VENV)/.installed ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# All Python tests: the CDK-free packages' in .venv-services, then the rest in .venv.
PYTEST_CDK_FREE = $(VENV_SERVICES)/bin/pytest $(PYTEST_XDIST) $(CDK_FREE_TESTS) $(PYTEST_ARGS)
PYTEST_REST = $(VENV)/bin/pytest $(PYTEST_XDIST) $(addprefix --ignore-glob=,$(addsuffix /*,$(CDK_FREE_TESTS))) $(PYTEST_ARGS)

pytest: setup ## all Python tests (PYTEST_ARGS=... passes options to both runs)
	$(PYTEST_CDK_FREE)
	$(PYTEST_REST)

# Lint (ruff, then mypy per package: about 2 minutes on one core from a cold cache) runs beside the
# tests, which leave a core idle much of the time; its report follows theirs and fails the run too.
test: setup ## everything CI runs: lint, type checks, web tests, all Python tests
	@mkdir -p test-results
	@echo "lint: running beside the tests; its report follows them (test-results/lint.log)"
	@scripts/lint > test-results/lint.log 2>&1 & lint=$$!; status=0; \
	  (cd services/web && npm run --silent test) \
	  && $(PYTEST_CDK_FREE) && $(PYTEST_REST) \
	  || status=$$?; \
	  wait $$lint; lint_status=$$?; echo "== lint (ruff, mypy)"; cat test-results/lint.log; \
	  [ $$lint_status -eq 0 ] || echo "make test: lint failed (above)"; \
	  [ $$status -eq 0 ] || echo "make test: tests failed (above the lint report)"; \
	  [ $$status -eq 0 ] && [ $$lint_status -eq 0 ]

bench: setup ## benchmark the api on its own local twin (wrk; a few minutes; JSON in bench/results/)
	$(PY) bench/run.py $(BENCH_ARGS)

faults: setup ## the long fault-injection and fuzzing suites (Postgres restart, SIGTERM, 500 examples per operation)
	$(VENV_SERVICES)/bin/pytest -m faults twin/tests/faults services/api/tests/abuse $(PYTEST_ARGS)

synth: setup ## synthesize every environment into cdk.out/
	for env in dev staging prod; do $(VENV)/bin/foundry synth --env $$env || exit 1; done

documents: setup ## merge the web's relay-compiler output into the api's trusted documents manifest (commit it)
	@cd services/web && npm run --silent relay
	@$(VENV_SERVICES)/bin/python -m foundry_api.documents sync

lock: ## re-pin requirements.lock (and each service's requirements.txt) from the pyprojects
	@scripts/lock

clean: ## remove generated files (keeps .foundry/ local data)
	rm -rf cdk.out .mypy_cache .pytest_cache .ruff_cache services/web/dist test-results
