# Two set-up commands for a fresh machine (see README):
#   make build   create .venv, install pinned packages, run `dbt build` (demo data unless ZL_DATA_DIR is set),
#                then publish the marts read-only for BI (state/published/current)
#   make test    create .venv if needed, run every test (pytest, which also runs dbt build/tests on demo data)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: build test test-fast lint env dbt-build docs bi-clients benchmark benchmark-sql benchmark-forecast signals clean

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

# The daily service (README "Daily service"): fetch the day's data, validate, dbt build, publish, report.
# Keys from the environment (DATABENTO_API_KEY, FRED_API_KEY); DAILY_ARGS e.g. "--data-dir /srv/zl/data".
DAILY_ARGS ?=
daily: $(STAMP)
	$(BIN)/zlcast refresh $(DAILY_ARGS)

# The same, offline: the demo data set one session short, refreshed from recorded provider responses.
DEMO_DAILY := state/daily_demo
daily-demo: $(STAMP)
	rm -rf $(DEMO_DAILY)/data $(DEMO_DAILY)/data.versions
	$(BIN)/zlcast demo-data --out $(DEMO_DAILY)/yesterday --recording $(DEMO_DAILY)/recording
	$(BIN)/zlcast refresh --state $(DEMO_DAILY) --data-dir $(DEMO_DAILY)/data --seed-from $(DEMO_DAILY)/yesterday \
		--replay $(DEMO_DAILY)/recording --today $$(cat $(DEMO_DAILY)/recording/run_date) $(DAILY_ARGS)

# Unit tests only (no dbt, no AutoGluon fit): about a minute.
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit

# ruff (lint + format), mypy on the package, sqlfluff on models, macros and tests/dbt.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/sqlfluff lint models macros python_models tests/dbt analyses --processes 2

docs: $(STAMP)
	$(BIN)/python scripts/check_docs.py

# DuckDB CLI 1.5.x and SQLAlchemy + duckdb-engine + DuckDB 1.x, OUTSIDE .venv (state/bi_clients): the clients of the
# README's BI recipes and of tests/integration/test_bi_clients.py (which installs them itself when missing).
bi-clients:
	PYTHON=$(PYTHON) bash .ci/install_bi_clients.sh state/bi_clients

# Not part of CI. Skill vs peers and the random walk, VaR backtest, dbt stage timings (see README "Benchmarks").
BENCH_DATA ?= $(if $(ZL_DATA_DIR),$(ZL_DATA_DIR),../shared/data)
BENCH_START ?= 2020-01-02
BENCH_END ?= 2025-06-30
BENCH_OUT ?= benchmark_out
benchmark: $(STAMP)
	$(BIN)/python benchmarks/run_benchmark.py --data-dir $(BENCH_DATA) --start $(BENCH_START) --end $(BENCH_END) \
		--out $(BENCH_OUT) --timings $(BENCH_ARGS)

benchmark-forecast: $(STAMP)
	$(BIN)/python benchmarks/benchmark_forecast.py $(BENCH_DATA)

# The daily path on the real data: one new session to a new published version, per stage (README "Daily service").
DAILY_WORK ?= benchmark_out/daily
benchmark-daily: $(STAMP)
	$(BIN)/python benchmarks/benchmark_daily.py $(BENCH_DATA) --work $(DAILY_WORK)

benchmark-sql: $(STAMP)
	$(BIN)/python benchmarks/benchmark_sql.py

# Median signals of the features and the roll carry, scored against the walk on a built warehouse (README "Results").
signals: $(STAMP)
	$(BIN)/python scripts/check_median_signals.py $(if $(SIGNALS_WAREHOUSE),--warehouse $(SIGNALS_WAREHOUSE))

clean:
	$(BIN)/dbt clean
