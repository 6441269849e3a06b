# SIPAS portal. `make demo` serves a populated portal (embedded PostgreSQL under var/, Celery eager); `make test`
# runs the whole suite (embedded PostgreSQL and a throwaway Redis unless DATABASE_URL and REDIS_URL are set).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROVINCE ?= 20
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt constraints.txt | sha1sum | cut -c1-12)

.PHONY: demo test install messages lint bench worker beat serve

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo "Could not create a virtualenv: install python3-venv (Debian: apt-get install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

messages: install
	$(BIN)/pybabel compile --use-fuzzy -d locale -D django >/dev/null

demo: messages
	@mkdir -p var
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py seed_demo --province $(PROVINCE)
	@echo "Serving the SIPAS portal at http://127.0.0.1:8000 (Ctrl+C to stop)"
	DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:8000

test: messages
	@.ci/system-packages
	@mkdir -p var
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

bench: messages
	$(BIN)/python bench/run.py

# Production-style processes (set DATABASE_URL and REDIS_URL first).
worker: install
	$(BIN)/celery -A sipas worker -l info

beat: install
	$(BIN)/celery -A sipas beat -l info --schedule var/celerybeat-schedule
