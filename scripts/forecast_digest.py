"""Print a sha256 per table of a built warehouse (rows in a fixed order, every value in full precision).

A refactor keeps behaviour: the same data and seed must give the same digests before and after it::

    .venv/bin/python scripts/forecast_digest.py state/zl.duckdb            # zl_forecast, zl_forecast_backtest
    .venv/bin/python scripts/forecast_digest.py state/zl.duckdb --tables zl_forecast ml_meta

Columns that record the build itself (``model_version`` carries the package version) are part of the digest;
nothing is left out.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb

DEFAULT_TABLES = ("zl_forecast", "zl_forecast_backtest")


def table_digest(con: duckdb.DuckDBPyConnection, table: str) -> tuple[str, int]:
    """sha256 of the CSV export of ``table`` ordered by every column, and its row count."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "t.csv"
        con.execute(f"copy (select * from \"{table}\" order by all) to '{out}' (header, delimiter ',')")
        data = out.read_bytes()
    rows = con.execute(f'select count(*) from "{table}"').fetchone()
    return hashlib.sha256(data).hexdigest(), int(rows[0]) if rows else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Print ``table rows sha256`` for each table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("warehouse", type=Path)
    p.add_argument("--tables", nargs="+", default=list(DEFAULT_TABLES))
    args = p.parse_args(argv)
    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        for t in args.tables:
            digest, n = table_digest(con, t)
            print(f"{t:32s} {n:8d} {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
