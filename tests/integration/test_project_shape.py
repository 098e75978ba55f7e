"""Changing the product's shape is one edit: `--vars` with other horizons and one bucket fewer builds end to end.

The dbt vars `horizons` and `buckets` are read by the SQL (targets, feature matrix, L0 union, enabled models, YAML
tests) and, through `+meta.forecast`, by every Python model (zlcast.settings.ProjectSettings). A build of the whole
project with horizons (5, 20) and without the volatility bucket must carry those choices from the targets to the
published marts, with every dbt test passing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt_helpers import ci_vars, read_table, run_dbt

from zlcast.data.demo_data import write_demo_data

pytestmark = pytest.mark.dbt

HORIZONS = [5, 20]
BUCKETS = ["crush", "china", "fx", "fed", "tariff", "biofuel", "energy"]


@pytest.fixture(scope="module")
def shaped_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`dbt build` (models, seeds and tests) on a shorter demo set with two horizons and seven buckets."""
    work = tmp_path_factory.mktemp("shape")
    data = write_demo_data(work / "data", start="2019-01-02", end="2024-12-31")
    db = work / "zl.duckdb"
    run_dbt(["build", "--vars", ci_vars(work / "predictors", horizons=HORIZONS, buckets=BUCKETS)], db, data)
    return db


def test_targets_folds_and_forecasts_use_the_chosen_horizons(shaped_build: Path) -> None:
    for table in (
        "fct_zl_targets",
        "ml_cv_folds",
        "ml_vol_forecast",
        "ml_vol_evaluation",
        "fct_l0_predictions",
        "ml_meta",
        "zl_forecast",
        "zl_forecast_backtest",
        "zl_risk_scenarios",
        "zl_var_backtest",
        "fct_model_evaluation",
    ):
        got = sorted(read_table(shaped_build, f"select distinct horizon_days as h from {table}")["h"])
        assert got == HORIZONS, table


def test_a_dropped_bucket_has_no_features_no_specialist_and_no_meta_member(shaped_build: Path) -> None:
    columns = read_table(shaped_build, "select * from fct_zl_features limit 0").columns
    assert not [c for c in columns if c.startswith("volatility__")]
    assert {c.split("__")[0] for c in columns if "__" in c} == {"core", *BUCKETS}
    relations = set(read_table(shaped_build, "select table_name from duckdb_tables()")["table_name"])
    assert "ml_specialist__volatility" not in relations and "int_big8__volatility" not in relations
    models = set(read_table(shaped_build, "select distinct model from fct_l0_predictions")["model"])
    assert models == {"lightgbm_zl", "core_ts"} | {f"specialist_{b}" for b in BUCKETS}
    members = set(read_table(shaped_build, "select distinct member from ml_meta_weights")["member"])
    assert "specialist_volatility" not in members and "specialist_crush" in members
