# The two set-up commands are `make run` and `make test`; both create .venv themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app wsgi

.PHONY: install run test serve db demo clean

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

db: $(STAMP)
	$(FLASK) db upgrade

clean:
	rm -rf $(VENV) instance .pytest_cache
