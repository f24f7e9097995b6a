# Portail Famille — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Reinstall when either requirements file changes.
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
PORT ?= 8000
# make run is the demo on SQLite whatever the shell exports (a developer's DATABASE_URL points at tests).
RUN_ENV := DEBUG=1 DATABASE_URL= CELERY_BROKER_URL= SITE_URL=http://127.0.0.1:$(PORT)
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal

.PHONY: install run test lint services screenshots bench clean

# Debian's python3 needs python3-venv for `-m venv`: installed here when running as root.
$(PY):
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing python3-venv with apt-get."; apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null \
	    && $(PYTHON) -m venv $(VENV); \
	  else echo "$(PYTHON) -m venv failed: install Python 3.11 with venv (Debian, as root: apt-get install python3-venv)."; exit 1; fi; }

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	@# psycopg2 (built from source) became psycopg2-binary: the same module, so drop the old copy first.
	$(PY) -m pip uninstall --quiet --yes psycopg2 2>/dev/null || true
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## make run [PORT=8000]: development server on http://127.0.0.1:$(PORT) with SQLite and demo data.
run: install
	@$(PY) .ci/port_free.py $(PORT)
	@PYTHON_BIN=$(PY) bash .ci/ensure_services.sh run
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

## make test: lint and types (ruff, mypy), then the whole suite on PostgreSQL (Redis and Chromium where tests need them).
test: install services
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest $(PYTEST_ARGS)

## make lint: only ruff and mypy (configured in pyproject.toml); `ruff check --fix .` sorts imports.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

## make services: install (as root) and start what the tests need; .ci/ensure_services.sh says what it does.
services: install
	@PYTHON_BIN=$(PY) TEST_DATABASE_URL=$(TEST_DATABASE_URL) bash .ci/ensure_services.sh test

screenshots: install services
	DATABASE_URL=$(TEST_DATABASE_URL) SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(PY) -m pytest -m browser portal/tests/browser/test_screenshots.py

## make bench: print the speed and memory figures quoted in the README (each builds its own data).
bench: install services
	-DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.billing
	-DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.calendar_page
	-DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.batch --workers 1,2 --memory
	-DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.batch --history 50
	-DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.attendance
	-DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.invoicing
	-DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.rush
	@# The round trip puts nginx in front of each side, as in production (bench/nginx.py).
	-@command -v nginx >/dev/null || [ "$$(id -u)" != 0 ] || { apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null; }
	-DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.roundtrip

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .mypy_cache .ruff_cache
