"""`zlcast refresh` for real: one new demo session from recorded provider responses, built, published, reported.

Yesterday is the session's demo build (`demo_build`): its warehouse and predictor store are copied, and the managed
data directory starts as the demo data set. The recording (zlcast.data.demo_recording) continues the demo paths by
one session. The refresh's dbt build is incremental (ml_meta_weights, ml_var_forecasts keep their stored rows); a
`--full-refresh` build of the same data must give the same tables.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from dbt_helpers import REPO, ci_vars, copy_warehouse, read_table, run_dbt

from zlcast.data.demo_recording import write_demo_recording
from zlcast.data.refresh import DataDirectory, ExitCode, RefreshConfig, refresh
from zlcast.data.sources import default_sources, replay_session
from zlcast.serve.publish import read_manifest

pytestmark = pytest.mark.dbt

TABLES = (
    "ml_meta_weights",
    "ml_var_forecasts",
    "ml_meta",
    "ml_ensemble",
    "zl_forecast",
    "zl_forecast_backtest",
    "zl_var_backtest",
    "zl_risk_scenarios",
    "zl_procurement_signal",
    "zl_driver_attribution",
)


@pytest.fixture(scope="module")
def daily(tmp_path_factory: pytest.TempPathFactory, demo_build: dict[str, Path], demo_dir: Path) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("daily")
    state = work / "state"
    copy_warehouse(demo_build["db"], state)
    store = work / "predictors"
    shutil.copytree(demo_build["artifacts"], store)
    recording = write_demo_recording(work / "recording", REPO / "seeds" / "macro_series.csv")
    data = DataDirectory(state / "data")
    data.seed(demo_dir, "yesterday")
    config = RefreshConfig.in_state(
        state, data.path, recording.run_date, project_dir=REPO, dbt_args=("--vars", ci_vars(store))
    )
    before = read_table(state / "zl.duckdb", "select max(as_of_date) as d from zl_forecast")["d"].iloc[0]
    record = refresh(
        config, default_sources({"ZL_SEEDS_DIR": str(REPO / "seeds")}, session=replay_session(recording.folder))
    )
    return {
        "config": config,
        "record": record,
        "recording": recording,
        "data": data,
        "store": store,
        "work": work,
        "before": pd.Timestamp(before),
    }


def test_the_new_session_is_built_published_and_recorded(daily: dict[str, Any]) -> None:
    record, config = daily["record"], daily["config"]
    assert record.exit_code == ExitCode.PUBLISHED, (record.reason, record.warnings, record.build)
    new_day = daily["recording"].run_date
    forecast = read_table(config.warehouse, "select * from zl_forecast")
    assert pd.Timestamp(forecast["as_of_date"].max()).date() == new_day > daily["before"].date()
    manifest = read_manifest(config.published / "current")
    assert manifest["version"] == record.published_version
    published = read_table(
        config.published / "current" / "catalog.duckdb", "select max(as_of_date) as d from zl_forecast"
    )
    assert pd.Timestamp(published["d"].iloc[0]).date() == new_day
    assert daily["data"].current().name == record.data_version_after
    assert record.rows_added["futures_daily.parquet"] == 12  # one session of the 12 demo roots
    saved = json.loads((config.runs_dir / f"{record.stamp}.json").read_text())
    assert {s["name"]: s["status"] for s in saved["sources"]} == {
        "databento": "ok",
        "fred": "ok",
        "fred-optional": "ok",
        "cftc": "ok",
        "epa_rin": "ok",
    }
    assert saved["build"]["status"] == "success" and (config.report_dir / "report.html").is_file()


def test_an_incremental_build_equals_a_full_rebuild(daily: dict[str, Any]) -> None:
    config = daily["config"]
    full = daily["work"] / "full" / "zl.duckdb"
    full.parent.mkdir()
    run_dbt(
        ["build", "--full-refresh", "--vars", ci_vars(daily["store"])],
        full,
        daily["data"].current(),
        extra_env={"ZL_PREIMPORT_AUTOGLUON": "true"},
    )
    for table in TABLES:
        a = read_table(config.warehouse, f"select * from {table} order by all")
        b = read_table(full, f"select * from {table} order by all")
        assert list(a.columns) == list(b.columns) and len(a) == len(b), table
        for col in a.columns:
            if pd.api.types.is_float_dtype(a[col]):
                np.testing.assert_allclose(a[col], b[col], rtol=1e-12, atol=1e-15, equal_nan=True, err_msg=table)
            else:
                assert a[col].equals(b[col]), (table, col)
