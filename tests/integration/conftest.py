"""Integration fixtures: one `dbt build` of the whole project on the demo data, shared by every test that reads it."""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt_helpers import ci_vars, run_dbt

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> dict[str, Path]:
    """`dbt build` of the whole project (seeds, models, data and unit tests) on the demo data, like `make build` with
    the small CI settings. Tests only read it (copy the file before writing)."""
    work = tmp_path_factory.mktemp("wh")
    db, artifacts = work / "zl.duckdb", work / "predictors"
    run_dbt(["build", "--vars", ci_vars(artifacts)], db, demo_dir, extra_env={"ZL_PREIMPORT_AUTOGLUON": "true"})
    return {"db": db, "artifacts": artifacts, "work": work, "target": work / "target"}


@pytest.fixture(scope="session")
def sql_warehouse(demo_build: dict[str, Path]) -> Path:
    """The DuckDB file of the demo build (SQL side and forecasts)."""
    return demo_build["db"]
