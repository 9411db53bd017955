# Errata: `make run` to try it, `make test` to test it. Both set everything up first.
.DEFAULT_GOAL := run
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
# The whole suite runs twice: embedded (SQLite, filesystem broker, no Redis) and production-like
# (PostgreSQL, Redis). Override these to point at other servers.
TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432
TEST_REDIS_URL ?= redis://127.0.0.1:6379/14
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
PYTEST_WORKERS ?= 2
# Each run gets its own databases and files, so several runs on one machine never collide.
RUN_ID := $(shell date +%s%N | tail -c 10)

.PHONY: setup run test lint test-sqlite test-postgres test-deps bench clean

# Installs exactly what uv.lock pins. uv itself is installed into the virtualenv from PyPI.
$(VENV)/.synced: pyproject.toml uv.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(VENV)/bin/uv || { $(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip -q; \
		$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION); }
	@UV_PROJECT_ENVIRONMENT=$(VENV) $(VENV)/bin/uv sync --frozen --inexact --quiet
	@touch $@

setup: $(VENV)/.synced

run: setup
	@$(PY) manage.py migrate --noinput -v0
	@$(PY) manage.py collectstatic --noinput -v0
	@$(PY) manage.py bootstrap
	@exec $(PY) manage.py run

# What the tests need beyond Python: Debian's Chromium for the browser tests (no browser
# download: Playwright drives this one) and the Node SDK for the SDK tests.
test-deps: setup tests/node/node_modules/.installed
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

tests/node/node_modules/.installed: tests/node/package-lock.json
	@cd tests/node && npm ci --no-audit --no-fund --silent
	@touch $@

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy grouping ingest
	$(PY) manage.py makemigrations --check --dry-run -v0

test-sqlite: test-deps
	@dir=$(CURDIR)/var/test-$(RUN_ID); trap 'rm -rf '$$dir EXIT; \
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL ERRATA_VAR_DIR=$$dir \
		$(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider $(PYTEST_ARGS)

test-postgres: test-deps
	@dir=$(CURDIR)/var/test-$(RUN_ID); trap 'rm -rf '$$dir EXIT; \
	DATABASE_URL=$(TEST_POSTGRES)/errata_$(RUN_ID) REDIS_URL=$(TEST_REDIS_URL) \
		CELERY_BROKER_URL=$(TEST_BROKER_URL) ERRATA_VAR_DIR=$$dir \
		$(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider $(PYTEST_ARGS)

test: lint test-sqlite test-postgres

clean:
	rm -rf $(VENV) var
