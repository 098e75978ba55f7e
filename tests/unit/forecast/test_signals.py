"""Median signals: walk-forward univariate tilts, their combination, roll carry, scored against the walk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_synth import synthetic_targets, synthetic_zl

from zlcast.forecast.baselines import rw_ewma_quantiles
from zlcast.forecast.evaluation import EVAL_QUANTILES, wide_quantiles
from zlcast.forecast.signals import combination_tilt, expanding_zscore, roll_carry_tilt, tilt_skill, univariate_tilts

H = 20
ALL = {"all": ("2000-01-01", "2100-01-01")}


def _frames(n: int = 1500, seed: int = 0, n_noise: int = 5) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """zl, targets and features: ``fx__signal`` knows 40% of the 20-day return's variance, the rest is noise."""
    zl = synthetic_zl(n, seed=seed)
    targets = synthetic_targets(zl, horizons=(H,))
    rng = np.random.default_rng(seed + 1)
    fwd = targets.set_index("trade_date")["fwd_log_return"].reindex(zl["trade_date"]).to_numpy()
    signal = np.where(np.isfinite(fwd), fwd, 0.0) / np.nanstd(fwd) + rng.normal(0.0, 1.2, n)
    features = pd.DataFrame({"trade_date": zl["trade_date"], "fx__signal": signal})
    for k in range(n_noise):
        features[f"crush__noise_{k}"] = rng.normal(size=n)
    return zl, targets, features


def _rw(zl: pd.DataFrame, targets: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    w = wide_quantiles(rw_ewma_quantiles(zl, (H,), EVAL_QUANTILES))
    q = w.set_index(pd.DatetimeIndex(w["as_of_date"])).drop(columns=["model", "as_of_date", "horizon_days"])
    actual = pd.Series(targets["fwd_log_return"].to_numpy(), index=pd.DatetimeIndex(targets["trade_date"]))
    return q, actual


def test_expanding_zscore_uses_only_the_past() -> None:
    x = pd.Series(np.arange(10, dtype="float64"))
    z = expanding_zscore(x, min_periods=3)
    assert z.iloc[:2].isna().all()
    assert z.iloc[2] == pytest.approx((2 - 1) / np.std([0, 1, 2], ddof=1))
    changed = x.copy()
    changed.iloc[6:] = 1000.0
    pd.testing.assert_series_equal(expanding_zscore(changed, min_periods=3).iloc[:6], z.iloc[:6])


def test_expanding_zscore_is_clipped() -> None:
    x = pd.Series([0.0, 0.0, 0.1, -0.1, 0.0, 50.0])
    z = expanding_zscore(x, min_periods=3, clip=1.5)
    assert z.iloc[-1] == 1.5  # unclipped: 2.04 (the date itself is in its own history)
    assert z.abs().max() == 1.5


def test_a_planted_signal_beats_the_walk_and_noise_does_not() -> None:
    zl, targets, features = _frames()
    tilts = univariate_tilts(features, targets, H, ["fx__signal", "crush__noise_0"], min_rows=250)
    q, actual = _rw(zl, targets)
    signal = tilt_skill(q, actual, tilts["fx__signal"], ALL)["all"]
    noise = tilt_skill(q, actual, tilts["crush__noise_0"], ALL)["all"]
    assert signal > 0.05
    assert abs(noise) < 0.02


def test_the_combination_keeps_a_diluted_signal() -> None:
    zl, targets, features = _frames()
    cols = [c for c in features.columns if c != "trade_date"]
    tilts = univariate_tilts(features, targets, H, cols, min_rows=250)
    q, actual = _rw(zl, targets)
    combined = combination_tilt(tilts)
    assert 0.0 < tilt_skill(q, actual, combined, ALL)["all"] < tilt_skill(q, actual, tilts["fx__signal"], ALL)["all"]
    assert combined.notna().all()


def test_tilts_are_unchanged_by_outcomes_and_features_after_the_origin() -> None:
    zl, targets, features = _frames()
    cols = ["fx__signal", "crush__noise_1"]
    cut = pd.Timestamp(zl["trade_date"].iloc[1100])
    base = univariate_tilts(features, targets, H, cols, min_rows=250)
    late = targets.copy()
    late.loc[pd.to_datetime(late["target_date"]) >= cut, "fwd_log_return"] *= -3.0
    feats = features.copy()
    feats.loc[pd.to_datetime(feats["trade_date"]) > cut, cols] = 7.0
    moved = univariate_tilts(feats, late, H, cols, min_rows=250)
    pd.testing.assert_frame_equal(moved.loc[:cut], base.loc[:cut])
    assert not np.allclose(moved.loc[cut:].iloc[30:].to_numpy(), base.loc[cut:].iloc[30:].to_numpy(), equal_nan=True)


def test_no_slope_before_enough_outcomes_are_resolved() -> None:
    _zl, targets, features = _frames(n=800)
    tilts = univariate_tilts(features, targets, H, ["fx__signal"], min_rows=500, min_periods=50)
    first = tilts["fx__signal"].first_valid_index()
    resolved = (pd.to_datetime(targets["target_date"]) < first).sum()
    assert resolved >= 500
    before = tilts.loc[: first - pd.Timedelta(days=1), "fx__signal"]
    assert before.isna().all()


def test_missing_feature_column_is_named() -> None:
    _zl, targets, features = _frames(n=300)
    with pytest.raises(ValueError, match="fx__absent"):
        univariate_tilts(features, targets, H, ["fx__absent"])


def test_roll_carry_sums_the_roll_gaps_of_the_window() -> None:
    close = np.array([50.0, 50.5, 52.0, 52.0, 51.0, 51.0])
    bars = pd.DataFrame(
        {
            "trade_date": pd.bdate_range("2024-01-01", periods=6),
            "close_price": close,
            "is_roll": [False, False, True, False, True, False],
        }
    )
    carry = roll_carry_tilt(bars, horizon=10, window=4)
    gaps = np.log(52.0 / 50.5) + np.log(51.0 / 52.0)
    assert carry.iloc[:3].isna().all()
    assert carry.iloc[4] == pytest.approx(10 * gaps / 4)
    assert carry.iloc[5] == pytest.approx(10 * gaps / 4)


def test_tilt_skill_is_zero_without_a_tilt_and_nan_for_an_empty_period() -> None:
    zl, targets, _ = _frames(n=400)
    q, actual = _rw(zl, targets)
    out = tilt_skill(
        q, actual, pd.Series(0.0, index=q.index), {"all": ALL["all"], "none": ("1990-01-01", "1990-12-31")}
    )
    assert out["all"] == pytest.approx(0.0)
    assert np.isnan(out["none"])
    with pytest.raises(ValueError, match="2 columns for 3 quantile levels"):
        tilt_skill(q.iloc[:, :2], actual, pd.Series(0.0, index=q.index), ALL)
