"""The benchmark's dbt stage timings on a real dbt build of the demo data."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import duckdb
import numpy as np
import pandas as pd
import pytest

from benchmarks.harness import (
    origin_targets,
    run_dbt_build,
    rw_ewma_peer,
    stage_table,
)
from zlcast.risk.var import var_backtest

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("ZL_SHARED_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data"))
START, END = pd.Timestamp("2018-01-01"), pd.Timestamp("2018-10-31")


# ---------------------------------------------------------------------------------------------------- fixtures


def _write_data_dir(path: Path, zl: pd.DataFrame) -> Path:
    """A data directory whose futures file holds the synthetic ZL series, one low-volume row and another root."""
    path.mkdir(parents=True, exist_ok=True)
    close = np.exp(zl["log_close"].to_numpy())
    zl_rows = pd.DataFrame({"root": "ZL", "trade_date": zl["trade_date"].dt.date, "close": close, "low_volume": False})
    extra = zl_rows.iloc[[100]].assign(trade_date=pd.Timestamp("2017-06-03").date(), close=1e6, low_volume=True)
    other = zl_rows.assign(root="ZS", close=close * 25)
    pd.concat([zl_rows, extra, other]).to_parquet(path / "futures_daily.parquet", index=False)
    return path


def _long_from_wide(w: pd.DataFrame, model: str, zl: pd.DataFrame) -> pd.DataFrame:
    """Long OOF rows (warehouse layout) from wide quantiles, with realised target dates."""
    rows = w.melt(id_vars=["as_of_date", "horizon_days"], value_vars=["q10", "q50", "q90"], value_name="value")
    rows["quantile"] = rows["variable"].map({"q10": 0.1, "q50": 0.5, "q90": 0.9})
    rows["target_date"] = rows["as_of_date"] + pd.Timedelta(days=1)
    return rows.assign(model=model, split="oof", fold_id=0)[
        ["as_of_date", "horizon_days", "target_date", "model", "quantile", "value", "split", "fold_id"]
    ]


def _write_warehouse(path: Path, zl: pd.DataFrame) -> Path:
    """A DuckDB file with the tables the benchmark reads; the product = scaled random walks."""
    origins = origin_targets(zl, (5, 20, 60), START, END)
    rw = rw_ewma_peer(zl, origins)
    rng = np.random.default_rng(0)

    def scaled(k: float, shift: float = 0.0) -> pd.DataFrame:
        w = rw.copy()
        for c in ("q10", "q50", "q90"):
            w[c] = w[c] * k + shift * rng.standard_normal(len(w)) * 0.001
        return w

    ens = _long_from_wide(scaled(1.1), "zl_ensemble", zl)
    l0 = pd.concat(
        [
            _long_from_wide(scaled(k, s), m, zl)
            for m, k, s in [
                ("lightgbm_zl", 0.6, 1.0),
                ("specialist_a", 0.9, 0.5),
                ("specialist_b", 1.3, 0.5),
                ("core_ts", 1.0, 0.2),
            ]
        ]
    )
    targets = origins.rename(columns={"as_of_date": "trade_date"})[
        ["trade_date", "horizon_days", "target_date", "fwd_log_return"]
    ]
    sig = rw.set_index(["as_of_date", "horizon_days"])["q90"] / 1.2816
    frame = (
        origins.set_index(["as_of_date", "horizon_days"])
        .assign(var95_loss=sig * 1.645 * 40, var99_loss=sig * 2.326 * 40)
        .reset_index()
    )
    frame["realized_loss"] = -frame["fwd_log_return"] * 40
    var_bt = var_backtest(frame)
    with duckdb.connect(str(path)) as con:
        for name, df in [
            ("ml_ensemble", ens),
            ("fct_l0_predictions", l0),
            ("fct_zl_targets", targets),
            ("zl_var_backtest", var_bt),
        ]:
            con.register("df", df)
            con.execute(f"create table {name} as select * from df")
            con.unregister("df")
    return path


def _reference_module() -> ModuleType | None:
    """shared/reference/rw_baseline.py, when present."""
    path = SHARED.parent / "reference" / "rw_baseline.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("rw_baseline_reference", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.dbt
def test_dbt_build_is_timed_per_stage(demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZL_PREIMPORT_AUTOGLUON", "false")
    lines: list[str] = []
    b = run_dbt_build(
        REPO,
        demo_dir,
        tmp_path / "x.duckdb",
        tmp_path,
        "full",
        select=("+fct_zl_features", "+fct_zl_targets"),
        progress=lambda stage, msg: lines.append(msg),
    )
    models = [r["unique_id"] for r in b.results if r["unique_id"].startswith("model.")]
    assert models and all(b.node_peak_mib.get(u, 0) > 0 for u in models)  # every model sampled while running
    t = stage_table([b], reference_s=None).set_index("stage")
    assert {"staging", "features", "dbt tests", "total"} <= set(t.index)
    assert t.loc["features", "wall_s"] > 0 and t.loc["total", "peak_rss_mib"] >= t.loc["features", "peak_rss_mib"]
    assert any("OK created sql table model main.fct_zl_features" in m for m in lines)
