"""Scores of the whole distribution: known answers for pinball/CRPS, interval scores, PIT, coverage by group."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from zlcast.forecast.baselines import normal_quantiles
from zlcast.forecast.calibration import (
    CALIBRATION_COLUMNS,
    calibration_scores,
    half_year_labels,
    interval_score,
    pinball_by_origin,
    pit_histogram,
    pit_values,
    tercile_cut_points,
    tercile_labels,
)
from zlcast.forecast.evaluation import pinball_loss

LEVELS = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
QCOLS = ["q05", "q10", "q25", "q50", "q75", "q90", "q95"]


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF."""
    return 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x]))


def _crps_normal(y: np.ndarray, sigma: float) -> np.ndarray:
    """Closed-form CRPS of N(0, sigma^2) at y (Gneiting & Raftery 2007)."""
    z = y / sigma
    pdf = np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)
    return sigma * (z * (2 * _normal_cdf(z) - 1) + 2 * pdf - 1 / math.sqrt(math.pi))


def _normal_forecasts(n: int, sigma_true: float, sigma_fcst: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes ~ N(0, sigma_true^2) and N(0, sigma_fcst^2) quantiles at LEVELS."""
    rng = np.random.default_rng(seed)
    y = rng.normal(0.0, sigma_true, n)
    return y, np.tile(sigma_fcst * normal_quantiles(LEVELS), (n, 1))


def test_pinball_over_many_levels_approaches_the_normal_crps() -> None:
    k = 999
    levels = (np.arange(k) + 0.5) / k
    y = np.array([-2.0, -0.3, 0.0, 0.7, 1.5])
    q = np.tile(normal_quantiles(levels), (y.size, 1))
    np.testing.assert_allclose(2 * pinball_by_origin(y, q, levels), _crps_normal(y, 1.0), rtol=2e-3)


def test_pinball_by_origin_averages_to_the_headline_pinball() -> None:
    y, q = _normal_forecasts(50, 1.0, 1.0)
    cols = [1, 3, 5]
    assert np.mean(pinball_by_origin(y, q[:, cols], (0.1, 0.5, 0.9))) == pytest.approx(pinball_loss(y, q[:, cols]))


def test_interval_score_by_hand() -> None:
    lo, hi = np.full(3, -1.0), np.full(3, 1.0)
    # inside: the width; above by 1: width + 2/0.2 * 1; below by 0.5: width + 10 * 0.5
    np.testing.assert_allclose(interval_score(np.array([0.0, 2.0, -1.5]), lo, hi, 0.2), [2.0, 12.0, 7.0])
    assert interval_score(np.array([-1.0]), lo[:1], hi[:1], 0.1)[0] == pytest.approx(2.0)  # a bound is inside


def test_interval_score_is_the_scaled_pinball_of_its_two_bounds() -> None:
    y, q = _normal_forecasts(200, 1.3, 1.0, seed=3)
    winkler = interval_score(y, q[:, 1], q[:, 5], 0.2)
    pinball_pair = 2 * pinball_by_origin(y, q[:, [1, 5]], (0.1, 0.9))  # sum of the two losses
    np.testing.assert_allclose(winkler, 2 / 0.2 * pinball_pair)


def test_interval_score_rejects_alpha_outside_zero_one() -> None:
    with pytest.raises(ValueError, match="alpha"):
        interval_score(np.zeros(1), np.zeros(1), np.ones(1), 1.0)


def test_pit_is_the_level_at_each_quantile_and_linear_between() -> None:
    q = np.array([[-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]])
    assert pit_values(np.array([-1.0]), q, LEVELS)[0] == pytest.approx(0.25)
    assert pit_values(np.array([0.5]), q, LEVELS)[0] == pytest.approx(0.625)
    assert pit_values(np.array([2.5]), q, LEVELS)[0] == pytest.approx(0.925)


def test_pit_tails_extend_the_outer_segments_linearly_then_clip() -> None:
    q = np.array([[-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]])
    # upper segment slope: (3 - 2) / 0.05 = 20 per unit of u, so Q(1) = 3 + 0.05 * 20 = 4
    assert pit_values(np.array([3.5]), q, LEVELS)[0] == pytest.approx(0.975)
    assert pit_values(np.array([9.0]), q, LEVELS)[0] == 1.0
    assert pit_values(np.array([-9.0]), q, LEVELS)[0] == 0.0


def test_calibrated_forecast_has_uniform_pit_and_nominal_coverage() -> None:
    y, q = _normal_forecasts(40_000, 0.02, 0.02, seed=1)
    shares = pit_histogram(pit_values(y, q, LEVELS))
    np.testing.assert_allclose(shares, 0.1, atol=0.012)
    # exactly: bin k holds P(Q_lin(k/10) <= y < Q_lin((k+1)/10)) for the piecewise-linear Q_lin through the
    # quantiles (interior bins are off by up to 0.01 because a normal's quantile function is not linear there)
    z = normal_quantiles(LEVELS)
    grid = np.array([0.0, *LEVELS, 1.0])
    knots = np.array([2 * z[0] - z[1], *z, 2 * z[-1] - z[-2]])  # outer segments extended to u = 0 and 1
    cdf = _normal_cdf(np.interp(np.linspace(0.1, 0.9, 9), grid, knots))
    exact = np.diff(np.concatenate([[0.0], cdf, [1.0]]))
    np.testing.assert_allclose(shares, exact, atol=0.005)
    assert np.mean((y >= q[:, 1]) & (y <= q[:, 5])) == pytest.approx(0.8, abs=0.01)
    assert np.mean((y >= q[:, 0]) & (y <= q[:, 6])) == pytest.approx(0.9, abs=0.01)


def test_too_narrow_forecast_has_a_u_shaped_pit() -> None:
    y, q = _normal_forecasts(20_000, 1.5, 1.0, seed=2)
    shares = pit_histogram(pit_values(y, q, LEVELS))
    assert shares[0] > 0.15 and shares[-1] > 0.15 and shares[4] < 0.08


def test_pit_histogram_bins_include_one_in_the_last_bin() -> None:
    np.testing.assert_allclose(pit_histogram(np.array([0.0, 0.1, 0.95, 1.0]), 10), [0.25, 0.25, *[0] * 7, 0.5])
    assert np.isnan(pit_histogram(np.array([]))).all()


def test_half_years_and_terciles() -> None:
    dates = pd.Series(pd.to_datetime(["2020-01-02", "2020-06-30", "2020-07-01", "2021-12-31"]))
    assert half_year_labels(dates).tolist() == ["2020H1", "2020H1", "2020H2", "2021H2"]
    v = np.arange(1.0, 10.0)
    cuts = tercile_cut_points(v)
    assert cuts == pytest.approx((11 / 3, 19 / 3))
    assert tercile_labels(v, cuts).tolist() == ["low"] * 3 + ["mid"] * 3 + ["high"] * 3


def _scored(n: int = 600, seed: int = 4) -> pd.DataFrame:
    """Two models on the same origins: the truth's quantiles (``good``) and a band 30% too narrow (``rw_ewma``)."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=n)
    vol = 0.01 + 0.01 * rng.random(n)
    frames = []
    for h in (5, 20):
        y = rng.normal(0.0, vol * np.sqrt(h))
        for model, scale in (("good", 1.0), ("rw_ewma", 0.7)):
            q = scale * (vol * np.sqrt(h))[:, None] * normal_quantiles(LEVELS)[None, :]
            f = pd.DataFrame(q, columns=QCOLS)
            f.insert(0, "model", model)
            f.insert(1, "as_of_date", dates)
            f.insert(2, "horizon_days", h)
            frames.append(f.assign(actual=y, vol=vol))
    return pd.concat(frames, ignore_index=True)


def test_calibration_scores_layout_and_group_partitions() -> None:
    out = calibration_scores(_scored(), LEVELS)
    assert list(out.columns) == list(CALIBRATION_COLUMNS)
    assert set(out["group_kind"]) == {"overall", "half_year", "vol_tercile", "pit_bin"}
    for (_, _), g in out.groupby(["model", "horizon_days"]):
        n = int(g.loc[g["group_kind"] == "overall", "n_origins"].iloc[0])
        assert n == 600
        for kind in ("half_year", "vol_tercile", "pit_bin"):
            assert g.loc[g["group_kind"] == kind, "n_origins"].sum() == n, kind
        assert g.loc[g["group_kind"] == "pit_bin", "pit_share"].sum() == pytest.approx(1.0)
        assert g.loc[g["group_kind"] == "vol_tercile", "group_label"].tolist() == ["low", "mid", "high"]
        assert g.loc[g["group_kind"] == "vol_tercile", "n_origins"].tolist() == [200, 200, 200]
        assert g.loc[g["group_kind"] == "half_year", "group_label"].tolist() == [
            "2020H1",
            "2020H2",
            "2021H1",
            "2021H2",
            "2022H1",
        ]
    pit = out[out["group_kind"] == "pit_bin"]
    assert pit[["pinball", "coverage80", "winkler80"]].isna().all().all()


def test_calibration_scores_rank_the_calibrated_model_first() -> None:
    out = calibration_scores(_scored(), LEVELS).set_index(["model", "horizon_days", "group_kind", "group_label"])
    good, rw = out.loc[("good", 20, "overall", "all")], out.loc[("rw_ewma", 20, "overall", "all")]
    assert rw["skill_vs_rw"] == 0.0 and rw["skill_vs_rw_10_50_90"] == 0.0
    assert good["skill_vs_rw"] > 0 and good["skill_vs_rw_10_50_90"] > 0
    assert good["coverage80"] == pytest.approx(0.8, abs=0.05) and rw["coverage80"] < 0.7
    assert good["winkler80"] < rw["winkler80"] and good["winkler90"] < rw["winkler90"]
    assert good["crps_approx"] == pytest.approx(2 * good["pinball"])
    assert out.loc[("rw_ewma", 20, "pit_bin", "0.0-0.1"), "pit_share"] > 0.12  # too narrow: heavy outer bins


def test_calibration_headline_pinball_equals_the_evaluation_score() -> None:
    s = _scored()
    out = calibration_scores(s, LEVELS).set_index(["model", "horizon_days", "group_kind", "group_label"])
    g = s[(s["model"] == "good") & (s["horizon_days"] == 5)]
    expected = pinball_loss(g["actual"].to_numpy(), g[["q10", "q50", "q90"]].to_numpy())
    assert out.loc[("good", 5, "overall", "all"), "pinball_10_50_90"] == pytest.approx(expected)


def test_calibration_scores_only_origins_every_model_has() -> None:
    s = _scored()
    s = s.drop(s.index[(s["model"] == "good") & (s["horizon_days"] == 5)][:100])
    out = calibration_scores(s, LEVELS)
    overall = out[(out["group_kind"] == "overall") & (out["horizon_days"] == 5)]
    assert overall["n_origins"].tolist() == [500, 500]


def test_calibration_scores_need_the_reference_and_the_band_levels() -> None:
    s = _scored()
    with pytest.raises(ValueError, match="reference"):
        calibration_scores(s[s["model"] == "good"], LEVELS)
    with pytest.raises(ValueError, match=r"0\.05"):
        calibration_scores(s.drop(columns=["q05", "q95"]), (0.1, 0.25, 0.5, 0.75, 0.9))
