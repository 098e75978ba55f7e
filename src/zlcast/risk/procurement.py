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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["BUY_NOW", "LADDER", "LEVELS", "WAIT", "ProcurementThresholds", "backtest_signal", "signal"]

BUY_NOW, WAIT, LADDER = "BUY NOW", "WAIT", "LADDER"
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
    """

    buy_now_p_lower: float = 0.40
    risk_budget_20d_pct: float = 0.15
    wait_p_lower: float = 0.60
    min_saving_pct: float = 0.005
    ladder_now_fraction: float = 1.0 / 3.0
    ladder_slices: int = 2

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


def backtest_signal(
    history: pd.DataFrame, horizon: int, thresholds: ProcurementThresholds = ProcurementThresholds()
) -> pd.DataFrame:
    """Causal backtest of following the signal versus buying on a fixed schedule.

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
        One row: ``horizon_days, n_decisions, n_buy_now, n_wait, n_ladder, start, end,
        avg_price_signal, avg_price_schedule`` (US cents/lb per unit), ``saving``
        (``schedule - signal``, positive = the signal bought cheaper) and
        ``saving_pct`` (% of the schedule's average price).
    """
    h = int(horizon)
    if h < 1:
        raise ValueError("horizon must be >= 1")
    hist = history.sort_values("as_of_date").reset_index(drop=True)
    spot = hist["spot"].to_numpy(dtype="float64")
    decisions = np.arange(0, len(hist) - h, h)
    unknown = set(hist["signal"].iloc[decisions]) - {BUY_NOW, WAIT, LADDER}
    if unknown:
        raise ValueError(f"unknown signals {sorted(unknown)}")
    f_now, k = thresholds.ladder_now_fraction, thresholds.ladder_slices
    slice_days = np.ceil(h * np.arange(1, k + 1) / k).astype(int)
    cost_signal = cost_schedule = 0.0
    labels = hist["signal"].iloc[decisions].to_numpy()
    for i, lab in zip(decisions, labels):
        cost_schedule += spot[i]
        if lab == BUY_NOW:
            cost_signal += spot[i]
        elif lab == WAIT:
            cost_signal += spot[i + h]
        else:
            cost_signal += f_now * spot[i] + (1.0 - f_now) * spot[i + slice_days].mean()
    n = decisions.size
    avg_sig = cost_signal / n if n else np.nan
    avg_sch = cost_schedule / n if n else np.nan
    return pd.DataFrame(
        [
            {
                "horizon_days": h,
                "n_decisions": n,
                "n_buy_now": int(np.sum(labels == BUY_NOW)),
                "n_wait": int(np.sum(labels == WAIT)),
                "n_ladder": int(np.sum(labels == LADDER)),
                "start": hist["as_of_date"].iloc[0] if n else None,
                "end": hist["as_of_date"].iloc[decisions[-1] + h] if n else None,
                "avg_price_signal": avg_sig,
                "avg_price_schedule": avg_sch,
                "saving": avg_sch - avg_sig,
                "saving_pct": (avg_sch - avg_sig) / avg_sch * 100.0 if n else np.nan,
            }
        ]
    )
