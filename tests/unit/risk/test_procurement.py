"""Buyer's procurement signal: threshold boundaries and the causal backtest arithmetic."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from zlcast.risk.procurement import (
    BUY_NOW,
    LADDER,
    LEVELS,
    WAIT,
    ProcurementThresholds,
    backtest_signal,
    signal,
)

SPOT = 50.0
Z = np.array([-1.645, -1.2816, -0.6745, 0.0, 0.6745, 1.2816, 1.645])  # normal quantiles at LEVELS


def _q(median: float, spread: float) -> np.ndarray:
    return median + spread * Z


def _one(median: float, spread: float, h: int = 20, t: ProcurementThresholds | None = None) -> pd.Series:
    return signal(SPOT, _q(median, spread), h, LEVELS, t or ProcurementThresholds()).iloc[0]


def test_symmetric_forecast_centred_on_spot_has_even_odds_and_no_saving() -> None:
    row = _one(SPOT, 1.0)
    assert row["p_lower"] == pytest.approx(0.5)
    assert row["expected_price"] == pytest.approx(SPOT)  # symmetric tails -> mean = median
    assert row["expected_saving"] == pytest.approx(0.0)
    assert row["signal"] == LADDER


def test_expected_price_integrates_the_piecewise_linear_quantile_function() -> None:
    levels = (0.1, 0.5, 0.9, 0.95)
    q = np.array([40.0, 50.0, 60.0, 70.0])
    # Q extended: Q(0)=40-0.1*25=37.5, Q(1)=70+0.05*200=80
    expected = (0.1 * (37.5 + 40) + 0.4 * (40 + 50) + 0.4 * (50 + 60) + 0.05 * (60 + 70) + 0.05 * (70 + 80)) / 2
    row = signal(SPOT, q, 20, levels).iloc[0]
    assert row["expected_price"] == pytest.approx(expected)
    assert row["rise_p90"] == pytest.approx(10.0) and row["rise_p95"] == pytest.approx(20.0)


def test_each_label_is_produced() -> None:
    assert _one(52.0, 0.5)["signal"] == BUY_NOW  # price expected up: P(lower) tiny
    assert _one(48.0, 0.5)["signal"] == WAIT  # price expected down, narrow
    assert _one(SPOT, 0.5)["signal"] == LADDER
    wide = _one(48.0, 6.5)  # expected down, but the 95th-pct rise (17 % of spot) breaks the 15 % budget
    assert wide["p_lower"] > 0.6 and wide["signal"] == BUY_NOW
    assert "risk budget" in wide["reason"]


def test_buy_now_probability_threshold_is_strict() -> None:
    p = _one(50.3, 1.0)["p_lower"]
    at = ProcurementThresholds(buy_now_p_lower=p)
    assert _one(50.3, 1.0, t=at)["signal"] == LADDER
    above = dataclasses.replace(at, buy_now_p_lower=float(np.nextafter(p, 1.0)))
    assert _one(50.3, 1.0, t=above)["signal"] == BUY_NOW


def test_risk_budget_boundary_at_twenty_days() -> None:
    row = _one(48.0, 2.0)
    budget = row["rise_p95"] / SPOT  # h = 20: budget = risk_budget_20d_pct exactly
    at = ProcurementThresholds(risk_budget_20d_pct=budget)
    assert _one(48.0, 2.0, t=at)["signal"] == WAIT
    below = ProcurementThresholds(risk_budget_20d_pct=float(np.nextafter(budget, 0.0)))
    assert _one(48.0, 2.0, t=below)["signal"] == BUY_NOW


def test_risk_budget_scales_with_square_root_of_horizon() -> None:
    t = ProcurementThresholds()
    assert t.risk_budget_pct(80) == pytest.approx(2 * t.risk_budget_20d_pct)
    # 95th-pct rise = 48 + 1.645 * 4 - 50 = 4.58 cents/lb = 9.2 % of spot: inside 15 % (20 d), above 7.5 % (5 d)
    assert _one(48.0, 4.0, h=20)["signal"] == WAIT
    assert _one(48.0, 4.0, h=5)["signal"] == BUY_NOW


def test_wait_needs_probability_strictly_above_and_saving_at_least_minimum() -> None:
    row = _one(49.0, 1.0)
    p, saving = row["p_lower"], row["expected_saving"] / SPOT
    assert row["signal"] == WAIT
    assert _one(49.0, 1.0, t=ProcurementThresholds(wait_p_lower=p))["signal"] == LADDER
    assert _one(49.0, 1.0, t=ProcurementThresholds(min_saving_pct=saving))["signal"] == WAIT
    higher = float(np.nextafter(saving, 1.0))
    assert _one(49.0, 1.0, t=ProcurementThresholds(min_saving_pct=higher))["signal"] == LADDER


def test_signal_is_vectorised_over_rows() -> None:
    q = np.vstack([_q(52.0, 0.5), _q(48.0, 0.5), _q(SPOT, 0.5)])
    out = signal(np.full(3, SPOT), q, np.array([20, 20, 20]))
    assert out["signal"].tolist() == [BUY_NOW, WAIT, LADDER]
    assert list(out.columns[:2]) == ["signal", "expected_price"]


def _history(signals: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "as_of_date": pd.bdate_range("2024-01-01", periods=6),
            "spot": [100.0, 90.0, 95.0, 105.0, 110.0, 100.0],
            "signal": signals,
        }
    )


def test_backtest_arithmetic_on_six_days_with_daily_decisions() -> None:
    hist = _history([BUY_NOW, WAIT, LADDER, BUY_NOW, WAIT, LADDER])
    out = backtest_signal(hist, horizon=1).iloc[0]
    # decisions on rows 0..4: 100 | 95 (waited to row 2) | 95/3 + 2*105/3 | 105 | 100 (row 5)
    signal_avg = (100 + 95 + (95 / 3 + 2 * 105 / 3) + 105 + 100) / 5
    schedule_avg = (100 + 90 + 95 + 105 + 110) / 5
    assert out["n_decisions"] == 5 and (out["n_buy_now"], out["n_wait"], out["n_ladder"]) == (2, 2, 1)
    assert out["avg_price_signal"] == pytest.approx(signal_avg)
    assert out["avg_price_schedule"] == pytest.approx(schedule_avg)
    assert out["saving"] == pytest.approx(schedule_avg - signal_avg)  # -1/3 cents/lb: the signal paid more
    assert out["saving_pct"] == pytest.approx((schedule_avg - signal_avg) / schedule_avg * 100)


def test_backtest_ladder_spreads_the_rest_over_the_horizon() -> None:
    hist = _history([WAIT, BUY_NOW, LADDER, BUY_NOW, BUY_NOW, BUY_NOW])
    out = backtest_signal(hist, horizon=2).iloc[0]
    # decisions on rows 0 and 2: WAIT -> 95 (row 2); LADDER -> 95/3 + 2/3 * mean(105, 110)
    assert out["n_decisions"] == 2
    assert out["avg_price_signal"] == pytest.approx((95 + 95 / 3 + 2 / 3 * 107.5) / 2)
    assert out["avg_price_schedule"] == pytest.approx(97.5)
    assert out["saving"] == pytest.approx(97.5 - 99.1666667)


def test_backtest_ignores_signals_of_non_decision_days() -> None:
    a = backtest_signal(_history([WAIT, BUY_NOW, LADDER, BUY_NOW, BUY_NOW, BUY_NOW]), horizon=2)
    b = backtest_signal(_history([WAIT, WAIT, LADDER, WAIT, LADDER, WAIT]), horizon=2)
    assert a["avg_price_signal"].iloc[0] == b["avg_price_signal"].iloc[0]


def test_backtest_rejects_unknown_signal() -> None:
    with pytest.raises(ValueError, match="unknown"):
        backtest_signal(_history(["HOLD"] * 6), horizon=1)
