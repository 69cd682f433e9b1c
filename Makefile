# The commands CI, the README and developers all run. Each target installs what it needs, idempotently.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
# Every package of the repository is a folder with a pyproject.toml, at the top or under services/.
PYPROJECTS := $(wildcard */pyproject.toml services/*/pyproject.toml)

.PHONY: help setup up test lint format pytest synth lock bench faults clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock $(PYPROJECTS)
	@scripts/bootstrap-venv
	@touch $@

node_modules/.installed: package.json package-lock.json
	@scripts/npm-install .
	@touch $@

services/web/dist/index.html: services/web/node_modules/.installed $(shell find services/web/src services/web/index.html services/web/vite.config.ts -type f 2>/dev/null)
	@cd services/web && npm run --silent build
	@touch $@

services/web/node_modules/.installed: services/web/package.json services/web/package-lock.json
	@scripts/npm-install services/web
	@touch $@

setup: $(VENV)/.installed node_modules/.installed services/web/dist/index.html ## install everything (venv, CDK CLI, web build, Postgres)
	@scripts/ensure-system-packages
	@scripts/bootstrap-checkov

up: setup ## run the local twin (http://127.0.0.1:8080)
	$(VENV)/bin/foundry up

lint: $(VENV)/.installed ## ruff (lint + format check) and mypy
	@scripts/lint

format: $(VENV)/.installed ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

pytest: setup
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: setup lint ## everything CI runs: lint, type checks, web tests, all Python tests
	cd services/web && npm run --silent test
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: setup ## benchmark the api on its own local twin (wrk; a few minutes; JSON in bench/results/)
	$(PY) bench/run.py $(BENCH_ARGS)

faults: setup ## the long fault-injection and fuzzing suites (Postgres restart, SIGTERM, 500 examples per operation)
	$(VENV)/bin/pytest -m faults twin/tests/faults services/api/tests/abuse $(PYTEST_ARGS)

synth: setup ## synthesize every environment into cdk.out/
	for env in dev staging prod; do $(VENV)/bin/foundry synth --env $$env || exit 1; done

lock: ## re-pin requirements.lock (and each service's requirements.txt) from the pyprojects
	@scripts/lock

clean: ## remove generated files (keeps .foundry/ local data)
	rm -rf cdk.out .mypy_cache .pytest_cache .ruff_cache services/web/dist test-results
