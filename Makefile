# The two set-up commands are `make run` and `make test`; both create .venv themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app wsgi

PG_URL ?= postgresql://postgres@127.0.0.1:5432/marketplace

.PHONY: install run test serve-postgres bench db clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Serve the API on 127.0.0.1:$${PORT:-8000} with the embedded SQLite database and demo data.
run: $(STAMP)
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(FLASK) serve

## Run the whole test suite (SQLite, and PostgreSQL where one answers).
test: $(STAMP)
	$(BIN)/python -m pytest

## Production mode on a local PostgreSQL (PG_URL=...): 4 gunicorn workers, a projection worker
## woken by LISTEN/NOTIFY, JSON logs. Creates and migrates the database, loads the demo once.
serve-postgres: $(STAMP)
	MARKETPLACE_DATABASE_URL=$(PG_URL) $(FLASK) db create
	MARKETPLACE_DATABASE_URL=$(PG_URL) $(FLASK) db upgrade
	MARKETPLACE_DATABASE_URL=$(PG_URL) $(FLASK) demo load
	MARKETPLACE_DATABASE_URL=$(PG_URL) MARKETPLACE_LOG_FORMAT=json $(FLASK) serve --workers 4

## Every benchmark (about 15 minutes on 2 cores); each prints its figures as JSON on its last line.
bench: $(STAMP)
	$(BIN)/python -m bench.run_all

db: $(STAMP)
	$(FLASK) db upgrade

clean:
	rm -rf $(VENV) instance .pytest_cache
