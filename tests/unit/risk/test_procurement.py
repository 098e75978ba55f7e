"""Buyer's procurement signal: threshold boundaries, the causal backtest arithmetic and its edge verdict."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from zlcast.risk.procurement import (
    BACKTEST_COLUMNS,
    BUY_NOW,
    EDGE,
    LADDER,
    LEVELS,
    NO_EDGE,
    NO_EDGE_VERDICT,
    WAIT,
    ProcurementThresholds,
    backtest_signal,
    causal_verdicts,
    cost_summary,
    decision_outcomes,
    edge_verdict,
    publish_signal,
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


def test_decision_outcomes_price_each_decision_against_the_schedule() -> None:
    d = decision_outcomes(_history([BUY_NOW, WAIT, LADDER, BUY_NOW, WAIT, LADDER]), horizon=1)
    assert d["call"].tolist() == [BUY_NOW, WAIT, LADDER, BUY_NOW, WAIT]
    np.testing.assert_allclose(d["price_signal"], [100, 95, 95 / 3 + 2 * 105 / 3, 105, 100])
    np.testing.assert_allclose(
        d["extra_cost_pct"], [0.0, 500 / 90, (95 / 3 + 70 - 95) / 95 * 100, 0.0, (100 - 110) / 110 * 100]
    )
    assert (d["outcome_date"] == d["as_of_date"] + pd.offsets.BDay(1)).all()


def test_backtest_reports_the_distribution_of_the_extra_cost_and_a_verdict() -> None:
    hist = _history([BUY_NOW, WAIT, LADDER, BUY_NOW, WAIT, LADDER])
    out = backtest_signal(hist, horizon=1).iloc[0]
    assert list(out.index) == list(BACKTEST_COLUMNS)
    x = decision_outcomes(hist, 1)["extra_cost_pct"].to_numpy()
    assert out["extra_cost_mean_pct"] == pytest.approx(x.mean())
    assert out["extra_cost_worst_pct"] == pytest.approx(x.max())
    assert (out["share_cheaper"], out["share_dearer"]) == (pytest.approx(1 / 5), pytest.approx(2 / 5))
    assert out["risk_budget_pct"] == pytest.approx(15 * np.sqrt(1 / 20))
    assert out["verdict"] == NO_EDGE_VERDICT and "only 5 backtest decisions" in out["verdict_reason"]


def test_cost_summary_by_hand() -> None:
    x = np.array([-1.0, 0.0, 2.0, 3.0])
    s = cost_summary(x)
    std = np.sqrt(((x - 1.0) ** 2).sum() / 3)
    assert s["n_decisions"] == 4 and s["extra_cost_mean_pct"] == pytest.approx(1.0)
    assert s["extra_cost_std_pct"] == pytest.approx(std)
    assert s["extra_cost_p95_pct"] == pytest.approx(2.0 + 0.85 * 1.0)  # position 0.95 * 3 = 2.85
    assert s["extra_cost_worst_pct"] == 3.0
    assert (s["share_cheaper"], s["share_dearer"]) == (0.25, 0.5)
    assert s["saving_t_stat"] == pytest.approx(-1.0 / (std / 2.0))
    assert np.isnan(cost_summary(np.zeros(30))["saving_t_stat"])  # all BUY NOW: no spread
    assert cost_summary(np.array([]))["n_decisions"] == 0


def _verdict(x: np.ndarray, h: int = 20) -> tuple[str, str]:
    return edge_verdict(cost_summary(x), h)


def test_edge_needs_a_reliable_mean_saving() -> None:
    rng = np.random.default_rng(0)
    saves = -0.5 + 0.2 * rng.standard_normal(30)
    verdict, reason = _verdict(saves)
    assert verdict == EDGE and reason.startswith("backtest edge: following the model saved 0.")
    verdict, reason = _verdict(-saves)
    assert verdict == NO_EDGE_VERDICT and "cost +0." in reason and reason.endswith("no edge: buy on schedule")
    noisy = 3.0 * rng.standard_normal(30)
    noisy = noisy - noisy.mean() - 0.1  # a mean saving of 0.1% with a 3% spread: t about 0.2
    verdict, reason = _verdict(noisy)
    assert verdict == NO_EDGE_VERDICT and "not reliably" in reason


def test_edge_needs_the_tail_inside_the_risk_budget() -> None:
    # a reliable mean saving of 1.7% whose bad decisions cost 10% more than the schedule: beyond 7.5% at 5 days
    x = np.array([-3.0] * 90 + [10.0] * 10)
    verdict, reason = _verdict(x, h=5)
    assert cost_summary(x)["saving_t_stat"] > 2
    assert verdict == NO_EDGE_VERDICT and "exceeds the risk budget 7.5%" in reason
    assert _verdict(x, h=60)[0] == EDGE  # 10% is inside the 60-day budget (26%)


def test_edge_needs_enough_decisions() -> None:
    verdict, reason = _verdict(np.full(19, -1.0) + np.linspace(-0.1, 0.1, 19))
    assert verdict == NO_EDGE_VERDICT and reason.startswith("only 19 backtest decisions")
    assert _verdict(np.array([]))[1].startswith("no backtest decision with a known outcome")
    t = ProcurementThresholds(min_backtest_decisions=10)
    assert edge_verdict(cost_summary(np.full(19, -1.0) + np.linspace(-0.1, 0.1, 19)), 20, t)[0] == EDGE


def _saving_history(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Daily history where WAIT is always right for the first half (prices fall), then a flat market."""
    rng = np.random.default_rng(seed)
    steps = np.where(np.arange(n) < n // 2, -0.002, 0.0) + 0.0005 * rng.standard_normal(n)
    return pd.DataFrame(
        {
            "as_of_date": pd.bdate_range("2021-01-01", periods=n),
            "spot": 50 * np.exp(np.cumsum(steps)),
            "signal": WAIT,
        }
    )


def test_causal_verdicts_use_only_decisions_completed_before_each_date() -> None:
    hist = _saving_history()
    d = decision_outcomes(hist, 2)
    v = causal_verdicts(d, hist["as_of_date"], 2)
    known = v["n_decisions"].to_numpy()
    assert known[0] == 0 and np.all(np.diff(known) >= 0)
    # strictly before: a decision completing on a date is not known on that date, only from the next one
    first_end = d["outcome_date"].iloc[0]
    assert v.loc[hist["as_of_date"] == first_end, "n_decisions"].iloc[0] == 0
    assert v.loc[hist["as_of_date"] > first_end, "n_decisions"].iloc[0] == 1
    # the verdict turns to an edge once 20 falling-market decisions are known
    assert v["verdict"].iloc[0] == NO_EDGE_VERDICT
    assert (v.loc[known >= 20, "verdict"] == EDGE).any()
    # after the last outcome, the verdict is the whole backtest's
    whole = backtest_signal(hist, 2).iloc[0]
    later = causal_verdicts(d, pd.Series([hist["as_of_date"].iloc[-1] + pd.offsets.BDay(1)]), 2).iloc[0]
    assert later["n_decisions"] == whole["n_decisions"] and later["verdict"] == whole["verdict"]
    assert later["extra_cost_mean_pct"] == pytest.approx(whole["extra_cost_mean_pct"])


def test_causal_verdicts_do_not_move_when_later_prices_change() -> None:
    hist = _saving_history()
    cut = hist["as_of_date"].iloc[120]
    other = hist.copy()
    other.loc[other["as_of_date"] > cut, "spot"] *= 1.5
    a = causal_verdicts(decision_outcomes(hist, 2), hist["as_of_date"], 2)
    b = causal_verdicts(decision_outcomes(other, 2), hist["as_of_date"], 2)
    upto = (hist["as_of_date"] <= cut).to_numpy()
    pd.testing.assert_frame_equal(a[upto], b[upto])
    assert not a[~upto].equals(b[~upto])


def test_published_signal_is_the_call_only_with_an_edge() -> None:
    out = publish_signal(
        pd.Series([WAIT, LADDER]),
        pd.Series(["P(lower)=0.70 > 0.60", "no clear edge"]),
        pd.Series([EDGE, NO_EDGE_VERDICT]),
        pd.Series(["backtest edge: ...", "following the model cost +0.22% ...; no edge: buy on schedule"]),
    )
    assert out["signal"].tolist() == [WAIT, NO_EDGE]
    assert out["reason"].tolist() == [
        "P(lower)=0.70 > 0.60; backtest edge: ...",
        "following the model cost +0.22% ...; no edge: buy on schedule",
    ]
