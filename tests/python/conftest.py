"""Session fixtures: the demo data set and a warehouse built from it with `dbt build` (like `make build`, with the
small CI settings for the forecast models)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbt_helpers import run_dbt
from zlcast.demo_data import write_demo_data


def ci_vars(artifact_dir: Path) -> str:
    """dbt --vars for tests: the fast preset with a late OOF start and short AutoGluon time limits."""
    return json.dumps({"forecast_oof_start": "2023-01-01", "forecast_time_limit_s": 10,
                       "forecast_artifact_dir": str(artifact_dir)})


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The deterministic demo data set, written to a temporary folder."""
    return write_demo_data(tmp_path_factory.mktemp("demo") / "data")


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> dict[str, Path]:
    """`dbt build` of the whole project (seeds, models, data and unit tests) on the demo data."""
    work = tmp_path_factory.mktemp("wh")
    db, artifacts = work / "zl.duckdb", work / "predictors"
    run_dbt(["build", "--vars", ci_vars(artifacts)], db, demo_dir, extra_env={"ZL_PREIMPORT_AUTOGLUON": "true"})
    return {"db": db, "artifacts": artifacts, "work": work}


@pytest.fixture(scope="session")
def sql_warehouse(demo_build: dict[str, Path]) -> Path:
    """The DuckDB file of the demo build (SQL side and forecasts)."""
    return demo_build["db"]
