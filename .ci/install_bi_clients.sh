#!/usr/bin/env bash
# Clients the product does not use itself, for the BI client tests (tests/integration/test_bi_clients.py) and for
# trying the README's "Reading the forecasts from BI tools" recipes: installed OUTSIDE the product's .venv, into
# DEST (default state/bi_clients, git-ignored), each in its own small virtual environment:
#   DEST/duckdb-cli/bin/duckdb   the DuckDB CLI 1.5.x from PyPI (package duckdb-cli), a DuckDB 1.x reader
#   DEST/sqlalchemy/bin/python   SQLAlchemy + duckdb-engine + DuckDB 1.x (how Superset-style Python BI tools
#                                connect; their duckdb extras pin DuckDB < 2)
# Idempotent and quiet: a stamp file records the pinned versions, so a second run returns at once.
# Needs Python 3.11 (PYTHON, default python3.11) and the package index (PyPI); exits non-zero otherwise.
set -euo pipefail

DEST="${1:-state/bi_clients}"
PYTHON="${PYTHON:-python3.11}"

DUCKDB_CLI_PINS=("duckdb-cli==1.5.6")
SQLALCHEMY_PINS=("duckdb==1.5.6" "duckdb-engine==0.17.0" "sqlalchemy>=2.0,<2.2")

stamp="$DEST/.installed"
want="duckdb-cli: ${DUCKDB_CLI_PINS[*]}; sqlalchemy: ${SQLALCHEMY_PINS[*]}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
  && [ -x "$DEST/duckdb-cli/bin/duckdb" ] && [ -x "$DEST/sqlalchemy/bin/python" ]; then
  exit 0
fi

mkdir -p "$DEST"
rm -f "$stamp"

install_venv() {
  # install_venv NAME PIN...: a fresh virtual environment DEST/NAME holding the pinned packages.
  local name="$1"
  shift
  rm -rf "${DEST:?}/$name"
  "$PYTHON" -m venv "$DEST/$name"
  # PYTHONPATH would put the product's package (and its DuckDB) in front of the client's.
  env -u PYTHONPATH "$DEST/$name/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}

install_venv duckdb-cli "${DUCKDB_CLI_PINS[@]}"
install_venv sqlalchemy "${SQLALCHEMY_PINS[@]}"

"$DEST/duckdb-cli/bin/duckdb" --version >/dev/null
env -u PYTHONPATH "$DEST/sqlalchemy/bin/python" -c "import duckdb, duckdb_engine, sqlalchemy" >/dev/null
echo "$want" >"$stamp"
echo "install_bi_clients: $("$DEST/duckdb-cli/bin/duckdb" --version) in $DEST/duckdb-cli;" \
  "$(env -u PYTHONPATH "$DEST/sqlalchemy/bin/python" -c 'import duckdb, duckdb_engine, sqlalchemy; print(f"duckdb {duckdb.__version__}, duckdb-engine {duckdb_engine.__version__}, sqlalchemy {sqlalchemy.__version__}")') in $DEST/sqlalchemy"
