# Two set-up commands for a fresh machine (see README):
#   make build   create .venv, install pinned packages, run `dbt build` (demo data unless ZL_DATA_DIR is set),
#                then publish the marts read-only for BI (state/published/current)
#   make test    create .venv if needed, run every test (pytest, which also runs dbt build/tests on demo data)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: build test env dbt-build docs benchmark-sql clean

env: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/dbt build && $(BIN)/zlcast publish

test: $(STAMP)
	$(BIN)/python -m pytest

docs: $(STAMP)
	$(BIN)/python scripts/check_docs.py

benchmark-sql: $(STAMP)
	$(BIN)/python scripts/benchmark_sql.py

clean:
	$(BIN)/dbt clean
