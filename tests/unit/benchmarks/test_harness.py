"""The one-command benchmark (benchmarks/harness.py, benchmarks/run_benchmark.py) on a tiny synthetic series."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import duckdb
import numpy as np
import pandas as pd
import pytest
from forecast_synth import synthetic_zl

from benchmarks.harness import (
    PEERS,
    REFERENCE_RW20,
    REFERENCE_TOL,
    REFERENCE_WINDOW,
    RW_MODEL,
    SCORE_COLUMNS,
    AutoGluonPeerSettings,
    BenchmarkConfig,
    BuildTiming,
    diebold_mariano,
    load_zl_series,
    origin_targets,
    per_origin_pinball,
    run_benchmark,
    rw_empirical_peer,
    rw_ewma_peer,
    score_models,
    stage_of,
    stage_table,
)
from zlcast.risk.var import var_backtest

REPO = Path(__file__).resolve().parents[3]
SHARED = Path(os.environ.get("ZL_SHARED_DATA", Path(__file__).resolve().parents[3].parent / "shared" / "data"))
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


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Synthetic ZL series (420 business days from 2017), its data directory and a fake warehouse."""
    root = tmp_path_factory.mktemp("bench")
    zl = synthetic_zl(420, seed=5)
    return {
        "zl": zl,
        "data": _write_data_dir(root / "data", zl),
        "wh": _write_warehouse(root / "wh.duckdb", zl),
        "root": root,
    }


# ---------------------------------------------------------------------------------------------------- units


def test_series_drops_low_volume_and_other_roots(synth) -> None:
    s = load_zl_series(synth["data"])
    zl = synth["zl"]
    assert len(s) == len(zl)
    np.testing.assert_allclose(s["log_close"].to_numpy(), zl["log_close"].to_numpy(), rtol=1e-12)


def test_origins_need_a_realised_target(synth) -> None:
    zl = synth["zl"]
    o = origin_targets(zl, (5, 60), START, pd.Timestamp("2030-01-01"))
    for h, g in o.groupby("horizon_days"):
        assert g["position"].max() == len(zl) - 1 - h
        v = zl["log_close"].to_numpy()
        np.testing.assert_allclose(g["fwd_log_return"], v[g["position"] + h] - v[g["position"]])


def test_rw_empirical_equals_the_reference_loop(synth) -> None:
    zl = synth["zl"]
    o = origin_targets(zl, (5, 20), START, END)
    w = rw_empirical_peer(zl, o, window=100)
    v = zl["log_close"].to_numpy()
    for h in (5, 20):
        for i in o.loc[o["horizon_days"] == h, "position"].to_numpy()[[0, 7, -1]]:
            past = v[: i + 1]
            r = past[h:] - past[:-h]
            rq = np.quantile(r[-100:], [0.1, 0.5, 0.9])
            row = w[(w["horizon_days"] == h) & (w["as_of_date"] == zl["trade_date"].iloc[i])]
            np.testing.assert_allclose(row[["q10", "q50", "q90"]].to_numpy()[0], rq - rq[1], rtol=1e-12)


def test_diebold_mariano_matches_statsmodels_hac() -> None:
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(1)
    e = rng.standard_normal(400)
    d = 0.1 + np.convolve(e, np.ones(5), mode="same")  # MA-type dependence
    stat, p = diebold_mariano(d, h=5)
    fit = sm.OLS(d, np.ones_like(d)).fit(cov_type="HAC", cov_kwds={"maxlags": 4, "use_correction": False})
    assert stat == pytest.approx(float(fit.tvalues[0]), rel=1e-9)
    assert p == pytest.approx(float(fit.pvalues[0]), rel=1e-6)
    assert diebold_mariano(np.zeros(10), 5) == (0.0, 1.0)


def test_per_origin_pinball_averages_quantiles() -> None:
    loss = per_origin_pinball(np.array([0.0, 1.0]), np.array([[-1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(loss, [(0.1 + 0 + 0.1) / 3, (0.1 + 0.5 + 0.9) / 3])


def test_score_models_uses_the_same_origins_for_skill(synth) -> None:
    zl = synth["zl"]
    o = origin_targets(zl, (20,), START, END)
    rw = rw_ewma_peer(zl, o)
    partial = rw.iloc[::2].assign(model="half", q10=lambda d: d["q10"] * 2, q90=lambda d: d["q90"] * 2)
    s = score_models(pd.concat([rw, partial]), o, {RW_MODEL: "yardstick"}).set_index("model")
    assert bool(s.loc[RW_MODEL, "complete"]) and not bool(s.loc["half", "complete"])
    assert s.loc["half", "n_origins"] == (len(o) + 1) // 2
    sub = o.merge(rw.iloc[::2], on=["as_of_date", "horizon_days"])
    rw_sub = per_origin_pinball(sub["fwd_log_return"].to_numpy(), sub[["q10", "q50", "q90"]].to_numpy()).mean()
    assert s.loc["half", "skill_vs_rw"] == pytest.approx(1 - s.loc["half", "pinball"] / rw_sub)


def test_stages_group_nodes_and_compare_with_autogluon() -> None:
    assert stage_of("model.zl_forecast.stg_fred__observations") == "staging"
    assert stage_of("seed.zl_forecast.futures_roots") == "staging"
    assert stage_of("model.zl_forecast.int_big8__fx") == "features"
    assert stage_of("model.zl_forecast.fct_zl_targets") == "features"
    assert stage_of("model.zl_forecast.ml_specialist__crush") == "L0 specialist__crush"
    assert stage_of("model.zl_forecast.ml_baseline_lightgbm") == "L0 baseline_lightgbm"
    assert stage_of("model.zl_forecast.ml_meta_weights") == "meta"
    assert stage_of("model.zl_forecast.ml_ensemble") == "ensemble"
    assert stage_of("model.zl_forecast.zl_risk_paths") == "Monte Carlo / risk marts"
    assert stage_of("test.zl_forecast.not_null_x.abc123") == "dbt tests"
    results = [
        {"unique_id": "model.zl_forecast.int_big8__fx", "execution_time": 2.0},
        {"unique_id": "model.zl_forecast.int_big8__fed", "execution_time": 1.0},
        {"unique_id": "model.zl_forecast.ml_specialist__fx", "execution_time": 6.0},
    ]
    b = BuildTiming(
        "full",
        10.0,
        300.0,
        {"model.zl_forecast.int_big8__fx": 120.0, "model.zl_forecast.ml_specialist__fx": 280.0},
        results,
        1,
    )
    t = stage_table([b], reference_s=2.0).set_index("stage")
    assert t.loc["features", "wall_s"] == 3.0 and t.loc["features", "n_nodes"] == 2
    assert t.loc["features", "peak_rss_mib"] == 120.0
    assert t.loc["L0 specialist__fx", "x_autogluon"] == 3.0
    assert t.loc["dbt start-up/parse/other", "wall_s"] == pytest.approx(1.0)
    assert t.loc["total", "wall_s"] == 10.0 and t.loc["total", "peak_rss_mib"] == 300.0


# ---------------------------------------------------------------------------------------------------- end to end


def test_benchmark_end_to_end_on_synthetic_data(synth, tmp_path: Path) -> None:
    out = tmp_path / "out"
    cfg = BenchmarkConfig(
        data_dir=synth["data"],
        start=START,
        end=END,
        out_dir=out,
        warehouse=synth["wh"],
        peers=tuple(PEERS),
        n_best_l0=2,
        autogluon=AutoGluonPeerSettings(models=("Naive", "ETS"), time_limit_s=20, context_length=128),
        ets_windows=5,
        work_dir=tmp_path / "work",
    )
    lines: list[str] = []
    res = run_benchmark(cfg, progress=lambda stage, msg: lines.append(f"{stage}: {msg}"))
    s = res.scores
    assert list(s.columns) == list(SCORE_COLUMNS)
    best_l0 = set(s.loc[s["role"] == "product L0", "model"])
    assert len(best_l0) == 2 and best_l0 <= {"specialist_a", "specialist_b", "core_ts"}  # lightgbm_zl is a peer
    models = {"zl_ensemble", *best_l0, RW_MODEL, *PEERS.values()}
    assert set(s["model"]) == models, res.notes
    assert len(s) == len(models) * 3
    assert s["complete"].all() and s["dm_pvalue"].between(0, 1).all()
    rw = s[s["model"] == RW_MODEL]
    assert (rw["skill_vs_rw"] == 0).all() and (rw["dm_pvalue"] == 1).all()
    assert set(s.loc[s["model"] == "zl_ensemble", "role"]) == {"product"}
    assert {"scores", "report", "chart", "var_backtest"} <= set(res.files)
    assert all(p.is_file() and p.stat().st_size > 0 for p in res.files.values())
    assert pd.read_csv(out / "scores.csv").shape == s.shape
    report = (out / "benchmark.md").read_text()
    assert "## 20 trading days" in report and "VaR backtest" in report and str(tmp_path) not in report
    assert any(line.startswith("autogluon: 2018") for line in lines)
    assert res.peer_seconds["autogluon_ts fit+predict"] > 0


def test_script_runs_peers_only(synth, tmp_path: Path) -> None:
    out = tmp_path / "o"
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "run_benchmark.py"),
            "--data-dir",
            str(synth["data"]),
            "--start",
            str(START.date()),
            "--end",
            str(END.date()),
            "--out",
            str(out),
            "--no-product",
            "--peers",
            "rw_empirical",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| rw_empirical_500d | peer |" in proc.stdout and "series: ZL" in proc.stdout
    assert len(pd.read_csv(out / "scores.csv")) == 6


# ---------------------------------------------------------------------------------------------------- real data


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


@pytest.mark.realdata
@pytest.mark.skipif(not (SHARED / "futures_daily.parquet").is_file(), reason="../shared/data is absent")
def test_rw_ewma_reproduces_the_reference_pinball_on_real_data(tmp_path: Path) -> None:
    start, end = REFERENCE_WINDOW
    res = run_benchmark(
        BenchmarkConfig(
            data_dir=SHARED,
            start=start,
            end=end,
            out_dir=tmp_path,
            product=False,
            peers=("rw_empirical",),
            rw_check=REFERENCE_RW20,
        ),
        progress=lambda s, m: None,
    )
    s = res.scores.set_index(["model", "horizon_days"])
    assert abs(s.loc[(RW_MODEL, 20), "pinball"] - REFERENCE_RW20) <= REFERENCE_TOL
    assert res.rw_check is not None and res.rw_check["passed"]
    assert s.loc[(RW_MODEL, 20), "n_origins"] == 1359
    ref = _reference_module()
    if ref is not None:  # the empirical random walk equals the reference script's
        y = ref.zl_series(SHARED / "futures_daily.parquet")
        pl, cov, _, _n = ref.evaluate(y, start, end, 20, "rw_empirical_500d")
        assert s.loc[("rw_empirical_500d", 20), "pinball"] == pytest.approx(pl, rel=1e-10)
        assert s.loc[("rw_empirical_500d", 20), "coverage80"] == pytest.approx(cov)
