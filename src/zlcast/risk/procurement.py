"""Procurement signals for a BUYER of soybean oil, and their causal backtest.

From the forecast of the price at horizon ``h`` (quantiles, US cents/lb) and the
spot close, :func:`signal` says ``BUY NOW``, ``WAIT`` or ``LADDER``:

* the forecast quantile function ``Q(u)`` is piecewise linear between the given
  levels and extended linearly in ``u`` to ``u = 0`` and ``u = 1`` with the slope
  of the outermost segment on each side (a bounded, uniform-density tail);
* ``expected_price = integral_0^1 Q(u) du`` (exact for that ``Q``);
* ``expected_saving = spot - expected_price`` (what waiting saves on average;
  negative = waiting is expected to cost), also in % of spot;
* ``p_lower = P(price_h < spot)`` from the same ``Q``;
* ``rise_p90, rise_p95 = Q(0.9) - spot, Q(0.95) - spot``: how much more the buyer
  could pay by waiting (the downside risk of waiting), ``rise_p95_pct`` in % of spot.

Rules (:class:`ProcurementThresholds`, evaluated in this order):

1. ``BUY NOW`` if ``p_lower < buy_now_p_lower`` or ``rise_p95_pct >
   risk_budget_pct(h) = risk_budget_20d_pct * sqrt(h / 20)``;
2. ``WAIT`` if ``p_lower > wait_p_lower`` and ``expected_saving_pct >=
   min_saving_pct``;
3. otherwise ``LADDER``: buy ``ladder_now_fraction`` now and the rest in
   ``ladder_slices`` equal slices spread over the horizon.

The call earns its place only where its causal backtest shows an edge
(:func:`backtest_signal`, :func:`edge_verdict`, :func:`causal_verdicts`): decisions
every ``h`` sessions, each buying one unit by day ``i + h``; ``extra_cost_pct`` of a
decision is what following the call paid above the fixed schedule (buying at the
decision day's spot), in % of that spot (negative = the call bought cheaper). The
backtest shows an **edge** only when, over the decisions whose outcome is known,

1. there are at least ``min_backtest_decisions`` (default 20) of them;
2. the mean saving is positive and not luck: ``t = mean_saving / (std / sqrt(n))``
   ``>= min_saving_t_stat`` (default 2, about a one-sided 2.5% test; decisions do not
   overlap, so their outcomes are close to independent);
3. the tail stays within the buyer's stated risk appetite: the 95th percentile of
   ``extra_cost_pct`` is at most the risk budget at that horizon,
   ``100 * risk_budget_pct(h)`` -- the same 95th-percentile extra cost of waiting that
   rule 1 above promises to respect, now measured on realised outcomes.

Otherwise the published signal is :data:`NO_EDGE` ("buy on schedule") with the
backtest's figures as its reason (:func:`publish_signal`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BACKTEST_COLUMNS",
    "BUY_NOW",
    "EDGE",
    "LADDER",
    "LEVELS",
    "NO_EDGE",
    "NO_EDGE_VERDICT",
    "VERDICT_COLUMNS",
    "WAIT",
    "ProcurementThresholds",
    "backtest_signal",
    "causal_verdicts",
    "cost_summary",
    "decision_outcomes",
    "edge_verdict",
    "publish_signal",
    "signal",
]

BUY_NOW, WAIT, LADDER = "BUY NOW", "WAIT", "LADDER"
#: The published signal where the backtest shows no edge.
NO_EDGE = "NO EDGE: BUY ON SCHEDULE"
#: Backtest verdicts.
EDGE, NO_EDGE_VERDICT = "edge", "no_edge"
#: Default quantile levels of the forecast.
LEVELS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


@dataclass(frozen=True)
class ProcurementThresholds:
    """Decision thresholds of :func:`signal` (fractions, not percent points).

    Attributes
    ----------
    buy_now_p_lower : float
        BUY NOW when ``P(price_h < spot)`` is strictly below this (default 0.40).
    risk_budget_20d_pct : float
        Tolerated 95th-percentile rise over 20 days as a fraction of spot (default
        0.15); scaled by ``sqrt(h / 20)`` for horizon ``h`` (7.5 % at 5 d, 26 % at 60 d).
        BUY NOW when the 95th-percentile rise strictly exceeds it. With roughly
        normal log returns the default binds once daily volatility exceeds about
        1.9 % (~30 % annualised), above ZL's usual 20-28 %: a high-volatility guard.
        Calibrate it (and the others) with :func:`backtest_signal`.
    wait_p_lower : float
        WAIT needs ``P(lower)`` strictly above this (default 0.60) ...
    min_saving_pct : float
        ... and an expected saving of at least this fraction of spot (default 0.005).
    ladder_now_fraction : float
        Share of the volume bought at once under LADDER (default 1/3).
    ladder_slices : int
        Equal slices of the remainder under LADDER, spread over the horizon (default 2).
    min_backtest_decisions : int
        The backtest shows an edge only with at least this many decisions of known outcome (default 20).
    min_saving_t_stat : float
        ... and a t-statistic of the mean saving of at least this (default 2.0).
    """

    buy_now_p_lower: float = 0.40
    risk_budget_20d_pct: float = 0.15
    wait_p_lower: float = 0.60
    min_saving_pct: float = 0.005
    ladder_now_fraction: float = 1.0 / 3.0
    ladder_slices: int = 2
    min_backtest_decisions: int = 20
    min_saving_t_stat: float = 2.0

    def risk_budget_pct(self, horizon_days: np.ndarray | int) -> np.ndarray:
        """Risk budget for the 95th-percentile rise at ``horizon_days`` (fraction of spot)."""
        return self.risk_budget_20d_pct * np.sqrt(np.asarray(horizon_days, dtype="float64") / 20.0)


def _quantile_grid(q: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quantile knots extended to u = 0 and u = 1: ``(u, Q)`` with shapes (K+2,) and (n, K+2)."""
    s_lo = (q[:, 1] - q[:, 0]) / (levels[1] - levels[0])
    s_hi = (q[:, -1] - q[:, -2]) / (levels[-1] - levels[-2])
    q0 = q[:, 0] - levels[0] * s_lo
    q1 = q[:, -1] + (1.0 - levels[-1]) * s_hi
    return np.concatenate([[0.0], levels, [1.0]]), np.column_stack([q0, q, q1])


def signal(
    spot: np.ndarray | float,
    price_quantiles: np.ndarray,
    horizon_days: np.ndarray | int,
    levels: Sequence[float] | np.ndarray = LEVELS,
    thresholds: ProcurementThresholds = ProcurementThresholds(),
) -> pd.DataFrame:
    """Buyer's signal per forecast row.

    Parameters
    ----------
    spot : float or numpy.ndarray
        Close at each ``as_of_date`` (US cents/lb), shape ``(n,)`` or scalar.
    price_quantiles : numpy.ndarray
        ``(n, K)`` (or ``(K,)``) price quantiles at the horizon (US cents/lb), e.g.
        ``spot * exp(log-return quantiles)``; sorted per row if they cross.
    horizon_days : int or numpy.ndarray
        Horizon of each row (scales the risk budget).
    levels : sequence of float
        Strictly increasing levels of the K quantiles; must include 0.95 and 0.9.
    thresholds : ProcurementThresholds

    Returns
    -------
    pandas.DataFrame
        One row per input row: ``signal, expected_price, expected_saving,
        expected_saving_pct, p_lower, rise_p90, rise_p95, rise_p95_pct,
        risk_budget_pct, reason`` (``*_pct`` in percent of spot).
    """
    lv = np.asarray(levels, dtype="float64")
    if lv.ndim != 1 or lv.size < 2 or np.any(np.diff(lv) <= 0) or not {0.9, 0.95} <= set(lv.tolist()):
        raise ValueError("levels must be strictly increasing and include 0.9 and 0.95")
    q = np.sort(np.atleast_2d(np.asarray(price_quantiles, dtype="float64")), axis=1)
    if q.shape[1] != lv.size:
        raise ValueError(f"price_quantiles has {q.shape[1]} columns for {lv.size} levels")
    n = q.shape[0]
    spot_a = np.broadcast_to(np.asarray(spot, dtype="float64"), (n,))
    h = np.broadcast_to(np.asarray(horizon_days, dtype="float64"), (n,))
    u, qq = _quantile_grid(q, lv)
    expected = np.sum(np.diff(u) * (qq[:, 1:] + qq[:, :-1]) / 2.0, axis=1)
    p_lower = np.array([np.interp(s, row, u) for s, row in zip(spot_a, qq)])
    rise90 = q[:, int(np.flatnonzero(lv == 0.9)[0])] - spot_a
    rise95 = q[:, int(np.flatnonzero(lv == 0.95)[0])] - spot_a
    saving = spot_a - expected
    t = thresholds
    budget = t.risk_budget_pct(h)
    labels, reasons = [], []
    for pl, r95, b, sv in zip(p_lower, rise95 / spot_a, budget, saving / spot_a):
        if pl < t.buy_now_p_lower or r95 > b:
            labels.append(BUY_NOW)
            reasons.append(
                f"P(lower)={pl:.2f} < {t.buy_now_p_lower:.2f}"
                if pl < t.buy_now_p_lower
                else f"95th-pct rise {r95:.1%} > risk budget {b:.1%}"
            )
        elif pl > t.wait_p_lower and sv >= t.min_saving_pct:
            labels.append(WAIT)
            reasons.append(
                f"P(lower)={pl:.2f} > {t.wait_p_lower:.2f} and expected saving {sv:.2%} >= {t.min_saving_pct:.2%}"
            )
        else:
            labels.append(LADDER)
            reasons.append(f"P(lower)={pl:.2f}, expected saving {sv:.2%}: no clear edge")
    return pd.DataFrame(
        {
            "signal": labels,
            "expected_price": expected,
            "expected_saving": saving,
            "expected_saving_pct": saving / spot_a * 100.0,
            "p_lower": p_lower,
            "rise_p90": rise90,
            "rise_p95": rise95,
            "rise_p95_pct": rise95 / spot_a * 100.0,
            "risk_budget_pct": budget * 100.0,
            "reason": reasons,
        }
    )


#: Columns of :func:`decision_outcomes`.
DECISION_COLUMNS: tuple[str, ...] = (
    "as_of_date",
    "outcome_date",
    "call",
    "price_schedule",
    "price_signal",
    "extra_cost_pct",
)
#: Columns of :func:`backtest_signal`.
BACKTEST_COLUMNS: tuple[str, ...] = (
    "horizon_days",
    "n_decisions",
    "n_buy_now",
    "n_wait",
    "n_ladder",
    "period_start",
    "period_end",
    "avg_price_signal",
    "avg_price_schedule",
    "saving",
    "saving_pct",
    "extra_cost_mean_pct",
    "extra_cost_std_pct",
    "extra_cost_p95_pct",
    "extra_cost_worst_pct",
    "share_cheaper",
    "share_dearer",
    "saving_t_stat",
    "risk_budget_pct",
    "verdict",
    "verdict_reason",
)
#: Columns of :func:`causal_verdicts`.
VERDICT_COLUMNS: tuple[str, ...] = (
    "as_of_date",
    "verdict",
    "verdict_reason",
    "n_decisions",
    "extra_cost_mean_pct",
    "extra_cost_p95_pct",
    "saving_t_stat",
)


def decision_outcomes(
    history: pd.DataFrame, horizon: int, thresholds: ProcurementThresholds = ProcurementThresholds()
) -> pd.DataFrame:
    """What following the call cost against the fixed schedule, per decision.

    Rule: ``history`` has one row per trading day (``as_of_date, spot, signal``,
    sorted by date; ``signal`` from :func:`signal` at horizon ``horizon``, i.e.
    using only the forecast made on that date). Decision dates are rows
    ``i = 0, h, 2h, ...`` with ``i + h`` inside the history; each needs one unit
    of volume bought by day ``i + h``:

    * benchmark (fixed schedule): the unit at ``spot[i]``;
    * ``BUY NOW``: the unit at ``spot[i]``;
    * ``WAIT``: the unit at ``spot[i + h]``;
    * ``LADDER``: ``ladder_now_fraction`` at ``spot[i]`` and the rest in
      ``ladder_slices`` equal slices at days ``i + ceil(h k / ladder_slices)``,
      ``k = 1..ladder_slices``.

    Parameters
    ----------
    history : pandas.DataFrame
        ``as_of_date, spot, signal``.
    horizon : int
        ``h`` in trading days (rows).
    thresholds : ProcurementThresholds
        Only the LADDER split is used here.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DECISION_COLUMNS`, one row per decision: its date, ``outcome_date`` (day ``i + h``, the
        last purchase: the outcome is known at its close), the call, the prices paid per unit (US cents/lb) and
        ``extra_cost_pct = (price_signal - price_schedule) / price_schedule * 100``.
    """
    h = int(horizon)
    if h < 1:
        raise ValueError("horizon must be >= 1")
    hist = history.sort_values("as_of_date").reset_index(drop=True)
    spot = hist["spot"].to_numpy(dtype="float64")
    decisions = np.arange(0, max(len(hist) - h, 0), h)
    labels = hist["signal"].iloc[decisions].to_numpy()
    unknown = set(labels.tolist()) - {BUY_NOW, WAIT, LADDER}
    if unknown:
        raise ValueError(f"unknown signals {sorted(unknown)}")
    f_now, k = thresholds.ladder_now_fraction, thresholds.ladder_slices
    slice_days = np.ceil(h * np.arange(1, k + 1) / k).astype(int)
    paid = np.array(
        [
            spot[i]
            if lab == BUY_NOW
            else spot[i + h]
            if lab == WAIT
            else f_now * spot[i] + (1.0 - f_now) * spot[i + slice_days].mean()
            for i, lab in zip(decisions, labels)
        ],
        dtype="float64",
    )
    schedule = spot[decisions]
    return pd.DataFrame(
        {
            "as_of_date": hist["as_of_date"].to_numpy()[decisions],
            "outcome_date": hist["as_of_date"].to_numpy()[decisions + h],
            "call": labels.astype(object),
            "price_schedule": schedule,
            "price_signal": paid,
            "extra_cost_pct": (paid - schedule) / schedule * 100.0,
        },
        columns=list(DECISION_COLUMNS),
    )


def cost_summary(extra_cost_pct: np.ndarray) -> dict[str, float]:
    """Mean, spread and tail of the extra cost of following the call, over decisions.

    Parameters
    ----------
    extra_cost_pct : numpy.ndarray
        Per decision, % of the schedule's price (positive = the call paid more).

    Returns
    -------
    dict
        ``n_decisions``; ``extra_cost_mean_pct``, ``extra_cost_std_pct`` (sample std, ddof 1),
        ``extra_cost_p95_pct`` (95th percentile, linear interpolation: how much more than the schedule in the
        bad cases), ``extra_cost_worst_pct`` (maximum); ``share_cheaper`` / ``share_dearer`` (fractions of
        decisions where the call paid less / more than the schedule); ``saving_t_stat`` = ``-mean / (std /
        sqrt(n))`` (NaN when ``n < 2`` or every decision cost the same). NaN statistics when empty.
    """
    x = np.asarray(extra_cost_pct, dtype="float64")
    n = x.size
    if n == 0:
        keys = ("mean", "std", "p95", "worst")
        nan = float("nan")
        return {
            "n_decisions": 0,
            **{f"extra_cost_{k}_pct": nan for k in keys},
            "share_cheaper": nan,
            "share_dearer": nan,
            "saving_t_stat": nan,
        }
    std = float(np.std(x, ddof=1)) if n > 1 else float("nan")
    mean = float(np.mean(x))
    return {
        "n_decisions": n,
        "extra_cost_mean_pct": mean,
        "extra_cost_std_pct": std,
        "extra_cost_p95_pct": float(np.quantile(x, 0.95)),
        "extra_cost_worst_pct": float(np.max(x)),
        "share_cheaper": float(np.mean(x < 0)),
        "share_dearer": float(np.mean(x > 0)),
        "saving_t_stat": -mean / (std / np.sqrt(n)) if n > 1 and std > 0 else float("nan"),
    }


def edge_verdict(
    summary: dict[str, float], horizon: int, thresholds: ProcurementThresholds = ProcurementThresholds()
) -> tuple[str, str]:
    """Whether a backtest summary shows an edge, and why (see the module docstring for the rule).

    Parameters
    ----------
    summary : dict
        From :func:`cost_summary`.
    horizon : int
        Sets the tail budget ``100 * risk_budget_pct(horizon)`` (% of price).
    thresholds : ProcurementThresholds

    Returns
    -------
    tuple of str
        (:data:`EDGE` or :data:`NO_EDGE_VERDICT`, a sentence with the figures).
    """
    t = thresholds
    n = int(summary["n_decisions"])
    mean, p95, worst = summary["extra_cost_mean_pct"], summary["extra_cost_p95_pct"], summary["extra_cost_worst_pct"]
    tstat = summary["saving_t_stat"]
    budget = float(t.risk_budget_pct(horizon)) * 100.0
    tail = f"p95 {p95:+.2f}%, worst {worst:+.2f}%"
    t_text = "n/a" if not np.isfinite(tstat) else f"{tstat:.1f}"
    if n < t.min_backtest_decisions:
        known = "no backtest decision" if n == 0 else f"only {n} backtest decision{'s' if n > 1 else ''}"
        return NO_EDGE_VERDICT, (
            f"{known} with a known outcome ({t.min_backtest_decisions} needed); no edge: buy on schedule"
        )
    if not mean < 0:
        return NO_EDGE_VERDICT, (
            f"following the model cost {mean:+.2f}% of the price on average over {n} decisions "
            f"(t = {t_text}; {tail}); no edge: buy on schedule"
        )
    if not (np.isfinite(tstat) and tstat >= t.min_saving_t_stat):
        return NO_EDGE_VERDICT, (
            f"following the model saved {-mean:.2f}% of the price on average over {n} decisions, not reliably "
            f"(t = {t_text} < {t.min_saving_t_stat:.1f}; {tail}); no edge: buy on schedule"
        )
    if p95 > budget:
        return NO_EDGE_VERDICT, (
            f"following the model saved {-mean:.2f}% of the price on average over {n} decisions "
            f"(t = {t_text}) but its {tail} exceeds the risk budget {budget:.1f}%; no edge: buy on schedule"
        )
    return EDGE, (
        f"backtest edge: following the model saved {-mean:.2f}% of the price on average over {n} decisions "
        f"(t = {t_text}; {tail}, within the risk budget {budget:.1f}%)"
    )


def backtest_signal(
    history: pd.DataFrame, horizon: int, thresholds: ProcurementThresholds = ProcurementThresholds()
) -> pd.DataFrame:
    """Causal backtest of following the signal versus buying on a fixed schedule, with its verdict.

    Decisions and prices as in :func:`decision_outcomes`; the verdict as in :func:`edge_verdict`.

    Parameters
    ----------
    history : pandas.DataFrame
        ``as_of_date, spot, signal``.
    horizon : int
        ``h`` in trading days (rows).
    thresholds : ProcurementThresholds

    Returns
    -------
    pandas.DataFrame
        One row, columns :data:`BACKTEST_COLUMNS`: ``horizon_days, n_decisions, n_buy_now, n_wait, n_ladder,
        period_start, period_end, avg_price_signal, avg_price_schedule`` (US cents/lb per unit), ``saving``
        (``schedule - signal``, positive = the signal bought cheaper), ``saving_pct`` (% of the schedule's average
        price), the per-decision distribution of :func:`cost_summary`, ``risk_budget_pct`` (the tail budget, % of
        price), ``verdict`` and ``verdict_reason``.
    """
    h = int(horizon)
    d = decision_outcomes(history, h, thresholds)
    n = len(d)
    labels = d["call"].to_numpy()
    avg_sig = float(d["price_signal"].mean()) if n else np.nan
    avg_sch = float(d["price_schedule"].mean()) if n else np.nan
    summary = cost_summary(d["extra_cost_pct"].to_numpy())
    verdict, reason = edge_verdict(summary, h, thresholds)
    hist = history.sort_values("as_of_date")
    row = {
        "horizon_days": h,
        "n_decisions": n,
        "n_buy_now": int(np.sum(labels == BUY_NOW)),
        "n_wait": int(np.sum(labels == WAIT)),
        "n_ladder": int(np.sum(labels == LADDER)),
        "period_start": hist["as_of_date"].iloc[0] if n else None,
        "period_end": d["outcome_date"].iloc[-1] if n else None,
        "avg_price_signal": avg_sig,
        "avg_price_schedule": avg_sch,
        "saving": avg_sch - avg_sig,
        "saving_pct": (avg_sch - avg_sig) / avg_sch * 100.0 if n else np.nan,
        **summary,
        "risk_budget_pct": float(thresholds.risk_budget_pct(h)) * 100.0,
        "verdict": verdict,
        "verdict_reason": reason,
    }
    return pd.DataFrame([row], columns=list(BACKTEST_COLUMNS))


def causal_verdicts(
    decisions: pd.DataFrame,
    dates: pd.Series | np.ndarray,
    horizon: int,
    thresholds: ProcurementThresholds = ProcurementThresholds(),
) -> pd.DataFrame:
    """The backtest verdict as it stood at each date: only decisions whose outcome was known before it.

    Parameters
    ----------
    decisions : pandas.DataFrame
        From :func:`decision_outcomes` (``outcome_date``, ``extra_cost_pct``).
    dates : pandas.Series or numpy.ndarray
        As-of dates to judge.
    horizon : int
    thresholds : ProcurementThresholds

    Returns
    -------
    pandas.DataFrame
        Columns :data:`VERDICT_COLUMNS`, one row per date (in the given order): the verdict and reason of
        :func:`edge_verdict` and the summary figures over the decisions with ``outcome_date < as_of_date``
        (strictly before: no decision completing on or after the date is used).
    """
    d = decisions.sort_values("outcome_date")
    ends = pd.to_datetime(d["outcome_date"]).to_numpy(dtype="datetime64[ns]")
    costs = d["extra_cost_pct"].to_numpy(dtype="float64")
    at = pd.to_datetime(pd.Series(dates)).to_numpy(dtype="datetime64[ns]")
    known = np.searchsorted(ends, at, side="left")
    cache: dict[int, dict[str, Any]] = {}
    rows = []
    for date, k in zip(at, known):
        if int(k) not in cache:
            summary = cost_summary(costs[: int(k)])
            verdict, reason = edge_verdict(summary, horizon, thresholds)
            cache[int(k)] = {**summary, "verdict": verdict, "verdict_reason": reason}
        rows.append({"as_of_date": date, **cache[int(k)]})
    return pd.DataFrame(rows, columns=list(VERDICT_COLUMNS))


def publish_signal(
    model_call: pd.Series, model_reason: pd.Series, verdict: pd.Series, verdict_reason: pd.Series
) -> pd.DataFrame:
    """The published signal: the model's call where its backtest shows an edge, :data:`NO_EDGE` otherwise.

    Parameters
    ----------
    model_call, model_reason : pandas.Series
        BUY NOW / WAIT / LADDER per row and the rule that fired (:func:`signal`).
    verdict, verdict_reason : pandas.Series
        Per row, from :func:`causal_verdicts` (or the whole backtest, for live rows).

    Returns
    -------
    pandas.DataFrame
        ``signal`` and ``reason`` aligned with ``model_call``: with an edge, the call and ``"<model_reason>;
        <verdict_reason>"``; without, :data:`NO_EDGE` and the verdict's sentence (the backtest's figures).
    """
    edge = verdict.to_numpy() == EDGE
    reasons = [
        f"{m}; {v}" if e else str(v) for e, m, v in zip(edge, model_reason.to_numpy(), verdict_reason.to_numpy())
    ]
    return pd.DataFrame(
        {"signal": np.where(edge, model_call.to_numpy(), NO_EDGE).astype(object), "reason": reasons},
        index=model_call.index,
    )
