# Portail Famille — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Reinstall when either requirements file changes.
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
DEV_ENV := DEBUG=1
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal

.PHONY: install run test lint services screenshots bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	@# psycopg2 (built from source) became psycopg2-binary: the same module, so drop the old copy first.
	$(PY) -m pip uninstall --quiet --yes psycopg2 2>/dev/null || true
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## make run: development server on http://127.0.0.1:8000 with SQLite and demo data.
run: install
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

## make test: lint and types (ruff, mypy), then the whole suite on PostgreSQL (Redis and Chromium where tests need them).
test: install services
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest $(PYTEST_ARGS)

## make lint: only ruff and mypy (configured in pyproject.toml); `ruff check --fix .` sorts imports.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

services:
	@bash .ci/ensure_services.sh

screenshots: install services
	DATABASE_URL=$(TEST_DATABASE_URL) SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(PY) -m pytest -m browser portal/tests/browser/test_screenshots.py

## make bench: print the speed and memory figures quoted in the README (each builds its own data).
bench: install services
	-DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.billing
	-DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.calendar_page
	-DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.batch

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .mypy_cache .ruff_cache
