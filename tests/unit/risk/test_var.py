"""VaR/CVaR conventions and VaR backtests (Kupiec, Christoffersen, Basel traffic light)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from zlcast.risk.var import (
    BACKTEST_COLUMNS,
    basel_zone,
    christoffersen_independence,
    exceedances,
    kupiec_pof,
    var_backtest,
    var_cvar,
)


def test_var_cvar_of_losses_one_to_hundred_match_hand_computed_values() -> None:
    pnl = -np.arange(1.0, 101.0)  # losses 1..100
    # quantile_0.05 of -100..-1 (linear): position 0.05*99 = 4.95 -> -96 + 0.95 = -95.05
    var95, cvar95 = var_cvar(pnl, 0.95)
    assert var95 == pytest.approx(95.05)
    assert cvar95 == pytest.approx(98.0)  # mean of losses 96..100
    var99, cvar99 = var_cvar(pnl, 0.99)
    assert var99 == pytest.approx(99.01)
    assert cvar99 == pytest.approx(100.0)


def test_var_is_negative_when_every_outcome_is_a_gain() -> None:
    var, cvar = var_cvar(np.arange(1.0, 11.0), 0.9)
    assert var == pytest.approx(-1.9) and cvar == pytest.approx(-1.0)  # still CVaR >= VaR


def test_var_cvar_drops_nan_and_rejects_bad_alpha() -> None:
    assert var_cvar(np.array([np.nan, -1.0, -2.0]), 0.5) == var_cvar(np.array([-1.0, -2.0]), 0.5)
    with pytest.raises(ValueError):
        var_cvar(np.ones(3), 1.0)


def test_exceedance_is_a_loss_strictly_above_var() -> None:
    hits = exceedances(np.array([1.0, 2.0, 3.0, np.nan]), np.array([2.0, 2.0, 2.0, 2.0]))
    assert hits.tolist() == [False, False, True, False]


def test_kupiec_matches_hand_computed_likelihood_ratio() -> None:
    # 5 exceedances in 250 at p = 0.01
    ll0 = 245 * math.log(0.99) + 5 * math.log(0.01)
    ll1 = 245 * math.log(0.98) + 5 * math.log(0.02)
    lr, p = kupiec_pof(5, 250, 0.01)
    assert lr == pytest.approx(-2 * (ll0 - ll1))
    assert lr == pytest.approx(1.95681, abs=1e-5)
    assert p == pytest.approx(chi2.sf(lr, 1))


def test_kupiec_is_zero_at_expected_rate_and_handles_no_exceedance() -> None:
    assert kupiec_pof(5, 500, 0.01) == pytest.approx((0.0, 1.0))
    lr, _ = kupiec_pof(0, 250, 0.01)
    assert lr == pytest.approx(-2 * 250 * math.log(0.99))


def test_christoffersen_rejects_clustered_but_not_spread_out_exceedances() -> None:
    clustered = np.zeros(500, dtype=bool)
    clustered[100:105] = clustered[300:305] = True
    spread = np.zeros(500, dtype=bool)
    spread[::50] = True  # same count (10), never consecutive
    _, p_clustered = christoffersen_independence(clustered)
    _, p_spread = christoffersen_independence(spread)
    assert p_clustered < 0.001
    assert p_spread > 0.3


def test_christoffersen_matches_hand_computed_transition_counts() -> None:
    hits = np.array([0, 1, 1, 0, 0, 0, 1, 0], dtype=bool)
    # transitions: n00=2, n01=2, n10=2, n11=1
    n00, n01, n10, n11 = 2, 2, 2, 1
    pi01, pi11, pi = n01 / 4, n11 / 3, 3 / 7
    ll1 = n00 * math.log(1 - pi01) + n01 * math.log(pi01) + n10 * math.log(1 - pi11) + n11 * math.log(pi11)
    ll0 = 4 * math.log(1 - pi) + 3 * math.log(pi)
    lr, _ = christoffersen_independence(hits)
    assert lr == pytest.approx(-2 * (ll0 - ll1))


@pytest.mark.parametrize("hits", [np.zeros(250, dtype=bool), np.ones(250, dtype=bool), np.array([True])])
def test_christoffersen_degenerate_sequences_are_uninformative(hits: np.ndarray) -> None:
    assert christoffersen_independence(hits) == (0.0, 1.0)


def test_christoffersen_handles_single_exceedance_on_last_day() -> None:
    hits = np.zeros(100, dtype=bool)
    hits[-1] = True
    lr, p = christoffersen_independence(hits)
    assert np.isfinite(lr) and 0.0 <= p <= 1.0


@pytest.mark.parametrize(
    ("n_exceed", "zone"), [(0, "green"), (4, "green"), (5, "yellow"), (9, "yellow"), (10, "red"), (15, "red")]
)
def test_basel_traffic_light_boundaries_at_250_observations(n_exceed: int, zone: str) -> None:
    assert basel_zone(n_exceed, 250) == zone


def test_basel_traffic_light_scales_with_observations_by_binomial_probability() -> None:
    # n = 500, p = 1 %: P(X <= 8) = 0.933, P(X <= 9) = 0.969, P(X <= 14) = 0.99979, P(X <= 15) = 0.99994
    assert [basel_zone(x, 500) for x in (8, 9, 14, 15)] == ["green", "yellow", "yellow", "red"]


def _backtest_frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2020-01-01", periods=300)
    rows = []
    for h in (1, 5):
        realized = rng.normal(0.0, 1.0, size=dates.size) * np.sqrt(h)
        frame = pd.DataFrame(
            {
                "as_of_date": dates,
                "horizon_days": h,
                "var95_loss": 1.645 * np.sqrt(h),
                "var99_loss": 2.326 * np.sqrt(h),
                "realized_loss": realized,
            }
        )
        frame.loc[frame.index[-h:], "realized_loss"] = np.nan  # not realised yet
        rows.append(frame)
    return pd.concat(rows, ignore_index=True).sample(frac=1.0, random_state=0)


def test_var_backtest_reports_both_samples_for_multi_day_horizons_only() -> None:
    out = var_backtest(_backtest_frame())
    assert list(out.columns) == list(BACKTEST_COLUMNS)
    assert set(out.loc[out["horizon_days"] == 1, "sample"]) == {"all_origins"}
    assert set(out.loc[out["horizon_days"] == 5, "sample"]) == {"all_origins", "non_overlapping"}
    h5 = out[(out["horizon_days"] == 5) & (out["level"] == 0.99)].set_index("sample")
    assert h5.loc["all_origins", "n_obs"] == 295
    assert h5.loc["non_overlapping", "n_obs"] == 59  # rows 0, 5, ..., 290 (295 is not realised)
    assert h5.loc["all_origins", "expected"] == pytest.approx(2.95)


def test_var_backtest_counts_match_exceedances() -> None:
    frame = _backtest_frame()
    out = var_backtest(frame).set_index(["horizon_days", "level", "sample"])
    g = frame[frame["horizon_days"] == 1].dropna()
    n_exceed = int((g["realized_loss"] > g["var95_loss"]).sum())
    row = out.loc[(1, 0.95, "all_origins")]
    assert row["n_exceed"] == n_exceed
    assert row["exceed_rate"] == pytest.approx(n_exceed / 299)
    assert row["traffic_light"] == basel_zone(n_exceed, 299, 0.05)
    assert row["kupiec_p"] == pytest.approx(kupiec_pof(n_exceed, 299, 0.05)[1])


def test_var_backtest_rejects_missing_columns() -> None:
    with pytest.raises(ValueError, match="realized_loss"):
        var_backtest(pd.DataFrame({"as_of_date": [], "horizon_days": [], "var95_loss": [], "var99_loss": []}))
