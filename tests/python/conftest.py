"""Session fixtures: the demo data set and an SQL-side warehouse built from it with dbt."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbt_helpers import REPO, run_dbt
from zlcast.demo_data import write_demo_data

SQL_SIDE = ["+fct_zl_features", "+fct_zl_targets"]


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The deterministic demo data set, written to a temporary folder."""
    return write_demo_data(tmp_path_factory.mktemp("demo") / "data")


@pytest.fixture(scope="session")
def sql_warehouse(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Path:
    """A DuckDB file with the SQL side (staging -> features and targets) built and tested on demo data."""
    db = tmp_path_factory.mktemp("wh") / "zl.duckdb"
    run_dbt(["build", "--select", *SQL_SIDE], db, demo_dir)
    return db
