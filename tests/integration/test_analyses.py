"""The BI starter queries in analyses/: each compiles with dbt and runs against a built warehouse.

An analysis whose marts are not in the warehouse yet (zl_forecast, zl_var_backtest, ...) is skipped with a
reason naming them, and runs as soon as the warehouse has them. Independently, every analysis also runs on stub
tables with the planned schemas, so the SQL of the planned marts is checked today.

Warehouse: the session's demo build (`sql_warehouse` fixture of tests/integration/conftest.py), copied so compiling
cannot touch it; `ZL_ANALYSES_WAREHOUSE=path/to/zl.duckdb` uses any built warehouse (e.g. state/zl.duckdb after
`make build`).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from dbt_helpers import REPO, read_table, run_dbt

pytestmark = pytest.mark.dbt

ANALYSES = sorted(p.stem for p in (REPO / "analyses").glob("*.sql"))
EXPECTED = {"latest_forecast", "backtest_accuracy_by_horizon", "var_table", "feature_fill_rates"}
BUCKETS = {"core", "crush", "china", "fx", "fed", "tariff", "biofuel", "energy", "volatility"}
_RELATION = re.compile(r'"([^"]+)"\."([^"]+)"\."([^"]+)"')


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def warehouse(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of a built warehouse (see the module docstring for which one)."""
    work = tmp_path_factory.mktemp("analyses")
    source = (
        Path(os.environ["ZL_ANALYSES_WAREHOUSE"])
        if os.environ.get("ZL_ANALYSES_WAREHOUSE")
        else Path(request.getfixturevalue("sql_warehouse"))
    )
    db = work / "wh" / source.name
    db.parent.mkdir()
    shutil.copy2(source, db)
    if source.with_name(source.name + ".wal").exists():
        shutil.copy2(source.with_name(source.name + ".wal"), db.with_name(db.name + ".wal"))
    return db


@pytest.fixture(scope="module")
def compiled(warehouse: Path, demo_dir: Path) -> dict[str, str]:
    """`dbt compile --select path:analyses`: compiled SQL per analysis name."""
    run_dbt(["compile", "--select", "path:analyses"], warehouse, demo_dir)
    out = warehouse.parent / "target" / "compiled" / "zl_forecast" / "analyses"
    return {p.stem: p.read_text() for p in out.glob("*.sql")}


# ----------------------------------------------------------------------------------------------- helpers


def _missing_relations(db: Path, sql: str) -> list[str]:
    """Fully qualified relations the compiled SQL reads that the warehouse does not have (table names)."""
    present = set(
        map(
            tuple,
            read_table(db, "select table_catalog, table_schema, table_name from information_schema.tables").itertuples(
                index=False
            ),
        )
    )
    wanted = dict.fromkeys(_RELATION.findall(sql))
    return [name for (catalog, schema, name) in wanted if (catalog, schema, name) not in present]


def _check_feature_fill_rates(df: pd.DataFrame, db: Path) -> None:
    """One row per feature column of the matrix, every bucket, shares in [0, 1]."""
    columns = read_table(db, "select * from fct_zl_features limit 0").columns
    assert sorted(df["feature"]) == sorted(c for c in columns if "__" in c)
    assert set(df["bucket"]) == BUCKETS
    for col in ("fill_rate", "fill_rate_last_252", "fill_rate_valid_origins"):
        assert df[col].between(0, 1).all(), col
    assert (df["first_filled_date"] <= df["last_filled_date"]).all()


def _check_latest_forecast(df: pd.DataFrame, db: Path) -> None:
    """One row per horizon of the newest origin."""
    assert df["as_of_date"].nunique() == 1 and df["horizon_days"].is_unique


def _check_var_table(df: pd.DataFrame, db: Path) -> None:
    """Non-negative VaRs."""
    assert (df["var_long_cents"].dropna() >= 0).all() and (df["var_short_cents"].dropna() >= 0).all()


def _check_backtest_accuracy(df: pd.DataFrame, db: Path) -> None:
    """One row per horizon, coverages in [0, 1]."""
    assert df["horizon_days"].is_unique
    assert df["coverage80"].between(0, 1).all() and df["coverage90"].between(0, 1).all()


CHECKS: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    "feature_fill_rates": _check_feature_fill_rates,
    "latest_forecast": _check_latest_forecast,
    "var_table": _check_var_table,
    "backtest_accuracy_by_horizon": _check_backtest_accuracy,
}


# ---------------------------------------------------------------------------------------- planned stubs


def _stub_forecast(n_origins: int = 30) -> pd.DataFrame:
    """zl_forecast_backtest-shaped rows: lognormal fans around a random-walk spot, with realised closes."""
    rng = np.random.default_rng(7)
    origins = pd.bdate_range("2025-01-02", periods=n_origins)
    spot = 45 * np.exp(np.cumsum(rng.normal(0, 0.015, n_origins)))
    z = {"p05": -1.645, "p10": -1.2816, "p25": -0.6745, "p50": 0.0, "p75": 0.6745, "p90": 1.2816, "p95": 1.645}
    rows = []
    for i, day in enumerate(origins):
        for h in (5, 20, 60):
            sigma = 0.015 * np.sqrt(h)
            row = {"as_of_date": day.date(), "horizon_days": h, "target_date": (day + pd.offsets.BDay(h)).date()}
            row |= {k: spot[i] * np.exp(0.0005 * h + q * sigma) for k, q in z.items()}
            row |= {
                "spot_close": spot[i],
                "expected_return": 0.0005 * h,
                "prob_up": 0.55,
                "model_version": "stub-1",
                "realized_close": spot[i] * np.exp(rng.normal(0, sigma)),
            }
            rows.append(row)
    return pd.DataFrame(rows)


def _stub_tables() -> dict[str, pd.DataFrame]:
    """The planned marts (and fct_model_evaluation) with their planned schemas."""
    backtest = _stub_forecast()
    forecast = backtest.drop(columns="realized_close")
    var = pd.DataFrame(
        [
            {
                "horizon_days": h,
                "level": lv,
                "sample": sample,
                "n_obs": 250,
                "n_exceed": 14,
                "expected": 250 * (1 - lv),
                "exceed_rate": 14 / 250,
                "kupiec_p": 0.4,
                "christoffersen_p": 0.6,
                "traffic_light": "green",
            }
            for h in (5, 20, 60)
            for lv in (0.95, 0.99)
            for sample in ("all_origins", "non_overlapping")
        ]
    )
    evaluation = pd.DataFrame(
        [
            {
                "model": m,
                "horizon_days": h,
                "pinball": p * np.sqrt(h),
                "coverage80": 0.8,
                "mape_pct": 3.0,
                "skill_vs_rw": 0.0,
                "hit_rate": 0.5,
                "n_origins": 100,
                "period_start": pd.Timestamp("2023-01-02"),
                "period_end": pd.Timestamp("2024-12-31"),
            }
            for h in (5, 20, 60)
            for m, p in (("rw_ewma_normal", 0.01), ("lightgbm_zl", 0.009), ("core_ts", 0.0095))
        ]
    )
    return {
        "zl_forecast": forecast,
        "zl_forecast_backtest": backtest,
        "zl_var_backtest": var,
        "fct_model_evaluation": evaluation,
    }


def _stub_connection(catalog: str, schema: str, path: Path) -> duckdb.DuckDBPyConnection:
    """A database named like the compiled relations, holding the stub marts."""
    con = duckdb.connect()
    con.execute(f"attach '{path}' as \"{catalog}\"")
    con.execute(f'create schema if not exists "{catalog}"."{schema}"')
    for name, frame in _stub_tables().items():
        con.register("stub_frame", frame)
        con.execute(f'create table "{catalog}"."{schema}"."{name}" as select * from stub_frame')
        con.unregister("stub_frame")
    return con


# ------------------------------------------------------------------------------------------------- tests


def test_every_planned_starter_query_is_in_analyses() -> None:
    assert set(ANALYSES) >= EXPECTED


@pytest.mark.parametrize("analysis", ANALYSES)
def test_analysis_compiles_and_runs_on_the_warehouse(analysis: str, compiled: dict[str, str], warehouse: Path) -> None:
    assert analysis in compiled, f"dbt compile produced no SQL for analyses/{analysis}.sql"
    sql = compiled[analysis]
    assert "{{" not in sql and "{%" not in sql
    missing = _missing_relations(warehouse, sql)
    if missing:
        pytest.skip(f"analyses/{analysis}.sql needs model(s) {', '.join(missing)}, not built in this warehouse yet")
    df = read_table(warehouse, sql)
    assert len(df) > 0, f"{analysis} returned no rows"
    CHECKS.get(analysis, lambda *_: None)(df, warehouse)


def test_planned_mart_queries_give_the_expected_numbers_on_stub_tables(
    compiled: dict[str, str], tmp_path: Path
) -> None:
    sql = compiled["latest_forecast"]
    catalog, schema, _ = _RELATION.search(sql).groups()  # type: ignore[union-attr]
    con = _stub_connection(catalog, schema, tmp_path / f"{catalog}.duckdb")
    stubs = _stub_tables()
    last = stubs["zl_forecast"][stubs["zl_forecast"]["as_of_date"] == stubs["zl_forecast"]["as_of_date"].max()]

    latest = con.execute(sql).df()
    assert list(latest["horizon_days"]) == [5, 20, 60]
    assert (latest["as_of_date"].dt.date == last["as_of_date"].iloc[0]).all()
    np.testing.assert_allclose(latest["p50_change_pct"], (100 * (last["p50"] / last["spot_close"] - 1)).round(2))

    var = con.execute(compiled["var_table"]).df()
    assert len(var) == 6 + 6 + 3  # 0.95 x 2 samples joined, 0.99 backtest only, 0.90 forecast only (x 3 horizons)
    v95 = var[var["level"] == 0.95]
    assert (v95["traffic_light"] == "green").all() and set(v95["sample"]) == {"all_origins", "non_overlapping"}
    expected = (last.set_index("horizon_days")["spot_close"] - last.set_index("horizon_days")["p05"]).round(3)
    np.testing.assert_allclose(v95["var_long_cents"], expected.loc[v95["horizon_days"]].to_numpy())
    np.testing.assert_allclose(v95["var_long_usd_per_contract"], np.round(600 * v95["var_long_cents"], 0), atol=1)
    assert var[var["level"] == 0.99]["var_long_cents"].isna().all()
    assert var[var["level"] == 0.90]["traffic_light"].isna().all()

    accuracy = con.execute(compiled["backtest_accuracy_by_horizon"]).df()
    assert list(accuracy["horizon_days"]) == [5, 20, 60]
    assert (accuracy["n_origins"] == 30).all() and (accuracy["best_l0_model"] == "lightgbm_zl").all()
    assert accuracy["coverage80"].between(0.5, 1).all() and (accuracy["pinball"] > 0).all()
    con.close()
