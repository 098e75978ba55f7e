"""Scores: pinball, coverage, MAPE, skill against the random walk, reference value."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from forecast_synth import synthetic_targets, synthetic_zl

from zlcast.forecast.baselines import rw_ewma_quantiles
from zlcast.forecast.evaluation import METRIC_COLUMNS, coverage, evaluate, hit_rate, mape_pct, pinball_loss
from zlcast.forecast.frames import long_predictions


def _shared_data() -> Path:
    env = os.environ.get("ZL_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[3].parent / "shared" / "data"


def test_pinball_loss_by_hand() -> None:
    actual = np.array([0.0, 1.0])
    qhat = np.array([[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]])
    # row 0: 0.1*1, 0, 0.1*1 ; row 1: 0.1*2, 0.5*1, 0
    assert pinball_loss(actual, qhat) == pytest.approx((0.1 + 0.1 + 0.2 + 0.5) / 6)


def test_coverage_mape_and_hit_rate() -> None:
    a = np.array([0.0, 0.2, -0.1, 0.05])
    assert coverage(a, np.full(4, -0.05), np.full(4, 0.1)) == 0.5
    assert mape_pct(np.log([1.1]), np.zeros(1)) == pytest.approx(10.0)
    assert hit_rate(a, np.array([0.1, 0.1, 0.1, -0.1])) == pytest.approx(1 / 3)
    assert np.isnan(hit_rate(a, np.zeros(4)))


def test_random_walk_has_zero_skill_against_itself() -> None:
    zl = synthetic_zl(300)
    targets = synthetic_targets(zl)
    rw = rw_ewma_quantiles(zl, (5, 20, 60), (0.1, 0.5, 0.9))
    ev = evaluate(rw, targets, rw)
    assert list(ev.columns) == list(METRIC_COLUMNS)
    assert (ev["skill_vs_rw"] == 0).all()
    assert ev["hit_rate"].isna().all()
    assert ev.set_index("horizon_days")["n_origins"].to_dict() == {5: 294, 20: 279, 60: 239}


def test_skill_is_measured_on_the_models_origins_only() -> None:
    zl = synthetic_zl(300)
    targets = synthetic_targets(zl, (20,))
    rw = rw_ewma_quantiles(zl, (20,), (0.1, 0.5, 0.9))
    sub = rw[(rw["split"] == "oof") & (rw["as_of_date"] >= zl["trade_date"].iloc[200])].copy()
    wide = sub.assign(value=sub["value"] * 1.5, model="wider")
    ev = evaluate(pd.concat([rw, wide]), targets, rw).set_index("model")
    n = int(ev.loc["wider", "n_origins"])
    assert n == 300 - 200 - 20
    ev_rw_sub = evaluate(sub, targets, rw)
    expected = 1 - ev.loc["wider", "pinball"] / ev_rw_sub["pinball"].iloc[0]
    assert ev.loc["wider", "skill_vs_rw"] == pytest.approx(expected)
    assert ev.loc["wider", "period_start"] == zl["trade_date"].iloc[200]


def test_live_rows_are_not_scored() -> None:
    zl = synthetic_zl(100)
    targets = synthetic_targets(zl, (5,))
    rw = rw_ewma_quantiles(zl, (5,), (0.1, 0.5, 0.9))
    live = long_predictions(zl["trade_date"].iloc[10:20], 5, None, "m", [0.1, 0.5, 0.9], np.zeros((10, 3)), "live", -1)
    assert evaluate(live, targets, rw).empty


def test_duplicate_oof_predictions_are_an_error() -> None:
    zl = synthetic_zl(100)
    rw = rw_ewma_quantiles(zl, (5,), (0.1, 0.5, 0.9))
    with pytest.raises(ValueError, match="duplicate OOF rows"):
        evaluate(pd.concat([rw, rw]), synthetic_targets(zl, (5,)), rw)


@pytest.mark.realdata
def test_rw_ewma_20_day_pinball_matches_the_reference_on_real_data() -> None:
    path = _shared_data() / "futures_daily.parquet"
    if not path.exists():
        pytest.skip(f"real data not found at {path}")
    d = pd.read_parquet(path, columns=["root", "trade_date", "close", "low_volume"])
    z = d[(d["root"] == "ZL") & (~d["low_volume"])].sort_values("trade_date")
    zl = pd.DataFrame(
        {
            "trade_date": pd.to_datetime(z["trade_date"]).to_numpy().astype("datetime64[ns]"),
            "log_close": np.log(z["close"].to_numpy()),
        }
    )
    targets = synthetic_targets(zl, (5, 20, 60))
    rw = rw_ewma_quantiles(zl, (5, 20, 60), (0.1, 0.5, 0.9))
    ev = evaluate(rw, targets, rw, "2020-01-01", "2025-06-30").set_index("horizon_days")
    assert ev.loc[20, "pinball"] == pytest.approx(0.02275, abs=5e-5)
    assert ev.loc[20, "coverage80"] == pytest.approx(0.7248, abs=1e-3)
    assert ev.loc[20, "mape_pct"] == pytest.approx(7.2655, abs=1e-3)
    assert ev.loc[20, "n_origins"] == 1359
