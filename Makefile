# Portail Famille — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
DEV_ENV := DEBUG=1
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal

.PHONY: install run test services screenshots bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## make run: development server on http://127.0.0.1:8000 with SQLite and demo data.
run: install
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

## make test: the whole suite on PostgreSQL (Redis and Chromium where tests need them).
test: install services
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest $(PYTEST_ARGS)

services:
	@bash .ci/ensure_services.sh

screenshots: install services
	DATABASE_URL=$(TEST_DATABASE_URL) SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(PY) -m pytest -m browser portal/tests/browser/test_screenshots.py

## make bench: print the speed and memory figures quoted in the README (each builds its own data).
bench: install services
	-DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/billing.py
	-DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/calendar.py
	-DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/batch.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
