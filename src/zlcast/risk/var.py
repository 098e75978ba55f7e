"""Value at risk, expected shortfall and VaR backtests (Kupiec, Christoffersen, Basel).

Conventions
-----------
* P&L is positive for a gain. Losses, VaR and CVaR are **positive numbers**
  (a loss of 3 US cents/lb is ``3.0``).
* ``VaR_alpha = -quantile_{1-alpha}(pnl)`` with :func:`numpy.quantile`'s default
  linear interpolation between order statistics; ``CVaR_alpha`` is the mean of
  the losses ``-pnl`` that are ``>= VaR_alpha`` (the empirical tail mean).
* An exceedance is a realized loss **strictly** greater than the VaR.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import xlogy
from scipy.stats import binom, chi2

__all__ = [
    "BACKTEST_COLUMNS",
    "basel_zone",
    "christoffersen_independence",
    "exceedances",
    "kupiec_pof",
    "var_backtest",
    "var_cvar",
]

#: Columns of :func:`var_backtest`'s result.
BACKTEST_COLUMNS: tuple[str, ...] = (
    "horizon_days",
    "level",
    "sample",
    "n_obs",
    "n_exceed",
    "expected",
    "exceed_rate",
    "kupiec_lr",
    "kupiec_p",
    "christoffersen_lr",
    "christoffersen_p",
    "traffic_light",
)


def var_cvar(pnl: np.ndarray, alpha: float) -> tuple[float, float]:
    """Empirical VaR and CVaR (expected shortfall) of a P&L sample.

    Parameters
    ----------
    pnl : numpy.ndarray
        P&L outcomes, gains positive (non-finite values are dropped).
    alpha : float
        Confidence level in (0, 1), e.g. 0.95 or 0.99.

    Returns
    -------
    tuple of float
        ``(VaR, CVaR)`` as positive losses: ``VaR = -quantile_{1-alpha}(pnl)`` and
        ``CVaR = mean(loss | loss >= VaR)`` with ``loss = -pnl``. NaNs for an empty sample.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    x = np.asarray(pnl, dtype="float64").ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan")
    var = -float(np.quantile(x, 1.0 - alpha))
    loss = -x
    return var, float(loss[loss >= var].mean())


def exceedances(realized: np.ndarray, var_threshold: np.ndarray) -> np.ndarray:
    """Hit sequence: realized loss strictly above the VaR.

    Parameters
    ----------
    realized, var_threshold : numpy.ndarray
        Realized losses and VaR forecasts, both positive-is-loss, same shape.

    Returns
    -------
    numpy.ndarray
        Boolean hits (False where either value is NaN; drop such rows beforehand).
    """
    return np.asarray(realized, dtype="float64") > np.asarray(var_threshold, dtype="float64")


def kupiec_pof(n_exceed: int, n_obs: int, p: float) -> tuple[float, float]:
    """Kupiec proportion-of-failures likelihood-ratio test.

    ``LR = -2 [ (n-x) ln(1-p) + x ln p - (n-x) ln(1-x/n) - x ln(x/n) ]`` with
    ``0 ln 0 = 0``, asymptotically chi-square(1) under ``P(hit) = p``.

    Parameters
    ----------
    n_exceed, n_obs : int
        Exceedances ``x`` and observations ``n`` (``0 <= x <= n``, ``n >= 1``).
    p : float
        Expected exceedance probability (``1 - alpha``).

    Returns
    -------
    tuple of float
        ``(LR, p_value)``.
    """
    n, x = int(n_obs), int(n_exceed)
    if n < 1 or not 0 <= x <= n or not 0.0 < p < 1.0:
        raise ValueError(f"need n_obs >= 1, 0 <= n_exceed <= n_obs and p in (0, 1); got {x}, {n}, {p}")
    phat = x / n
    ll0 = xlogy(n - x, 1.0 - p) + xlogy(x, p)
    ll1 = xlogy(n - x, 1.0 - phat) + xlogy(x, phat)
    lr = max(float(-2.0 * (ll0 - ll1)), 0.0)
    return lr, float(chi2.sf(lr, 1))


def christoffersen_independence(hits: np.ndarray) -> tuple[float, float]:
    """Christoffersen (1998) Markov test of independence of exceedances.

    Compares a first-order Markov chain (``pi01 = P(hit | no hit yesterday)``,
    ``pi11 = P(hit | hit yesterday)``) with independence (one ``pi``); LR is
    asymptotically chi-square(1).

    Parameters
    ----------
    hits : numpy.ndarray
        Boolean (or 0/1) hit sequence in time order.

    Returns
    -------
    tuple of float
        ``(LR, p_value)``. Degenerate cases return ``(0.0, 1.0)`` (no evidence of
        clustering can be found): fewer than 2 observations, no exceedance at all,
        or exceedances only. Frequency is tested separately by :func:`kupiec_pof`.
        A transition row without observations (e.g. the only hit is the last
        observation) contributes 0 to the log-likelihood (``0 ln 0 = 0``).
    """
    h = np.asarray(hits).astype(bool).ravel()
    if h.size < 2 or not h.any() or h.all():
        return 0.0, 1.0
    prev, cur = h[:-1], h[1:]
    n00, n01 = int(np.sum(~prev & ~cur)), int(np.sum(~prev & cur))
    n10, n11 = int(np.sum(prev & ~cur)), int(np.sum(prev & cur))
    pi01 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / (n00 + n01 + n10 + n11)
    ll0 = xlogy(n00 + n10, 1.0 - pi) + xlogy(n01 + n11, pi)
    ll1 = xlogy(n00, 1.0 - pi01) + xlogy(n01, pi01) + xlogy(n10, 1.0 - pi11) + xlogy(n11, pi11)
    lr = max(float(-2.0 * (ll0 - ll1)), 0.0)
    return lr, float(chi2.sf(lr, 1))


def basel_zone(n_exceed_99: int, n_obs: int = 250, p: float = 0.01) -> str:
    """Basel traffic light of a VaR backtest.

    With ``F`` the binomial(``n_obs``, ``p``) CDF: ``'green'`` if ``F(x) < 0.95``,
    ``'red'`` if ``F(x) >= 0.9999``, else ``'yellow'``. For 250 observations at
    99 % this is the Basel table: 0-4 green, 5-9 yellow, >= 10 red. Other
    ``n_obs`` (and, as an extension beyond Basel, other ``p`` such as 0.05 for a
    95 % VaR) use the same cumulative-probability thresholds.

    Parameters
    ----------
    n_exceed_99 : int
        Number of exceedances.
    n_obs : int
        Number of observations.
    p : float
        Expected exceedance probability (0.01 for a 99 % VaR).

    Returns
    -------
    str
        ``'green'``, ``'yellow'`` or ``'red'``.
    """
    if n_obs < 1 or n_exceed_99 < 0:
        raise ValueError("need n_obs >= 1 and n_exceed_99 >= 0")
    cdf = float(binom.cdf(int(n_exceed_99), int(n_obs), p))
    if cdf < 0.95:
        return "green"
    return "red" if cdf >= 0.9999 else "yellow"


def _row(h: int, level: float, sample: str, hits: np.ndarray) -> dict[str, object]:
    n, x, p = int(hits.size), int(hits.sum()), 1.0 - level
    k_lr, k_p = kupiec_pof(x, n, p) if n else (np.nan, np.nan)
    c_lr, c_p = christoffersen_independence(hits) if n else (np.nan, np.nan)
    return {
        "horizon_days": h,
        "level": level,
        "sample": sample,
        "n_obs": n,
        "n_exceed": x,
        "expected": n * p,
        "exceed_rate": x / n if n else np.nan,
        "kupiec_lr": k_lr,
        "kupiec_p": k_p,
        "christoffersen_lr": c_lr,
        "christoffersen_p": c_p,
        "traffic_light": basel_zone(x, n, p) if n else None,
    }


def var_backtest(frame: pd.DataFrame) -> pd.DataFrame:
    """Backtest VaR forecasts against realized losses, per horizon and level.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per origin: ``as_of_date, horizon_days, var95_loss, var99_loss,
        realized_loss`` (all losses positive). Rows with a NaN VaR or realized
        loss (horizon not elapsed) are dropped.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BACKTEST_COLUMNS`. ``sample`` is ``'all_origins'`` (every
        origin; for ``h > 1`` consecutive h-day windows overlap, so hits are
        autocorrelated by construction and both tests' p-values are too small:
        read them as descriptive) or ``'non_overlapping'`` (every h-th origin in
        date order, from the first, before dropping NaNs; assumes one origin per trading day; rows only
        for ``h > 1``, where it is the sample the chi-square tests are valid on).
        ``traffic_light`` uses :func:`basel_zone` with ``p = 1 - level``.
    """
    need = ["as_of_date", "horizon_days", "var95_loss", "var99_loss", "realized_loss"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ValueError(f"var_backtest: missing columns {missing}")
    rows: list[dict[str, object]] = []
    for key, g in frame[need].sort_values(["horizon_days", "as_of_date"]).groupby("horizon_days", sort=True):
        h = int(key)  # type: ignore[arg-type]  # group keys of an integer column
        for level, col in ((0.95, "var95_loss"), (0.99, "var99_loss")):
            for sample, sub in (("all_origins", g), ("non_overlapping", g.iloc[::h])):
                if sample == "non_overlapping" and h == 1:
                    continue
                ok = sub.dropna(subset=[col, "realized_loss"])
                rows.append(_row(h, level, sample, exceedances(ok["realized_loss"].to_numpy(), ok[col].to_numpy())))
    return pd.DataFrame(rows, columns=list(BACKTEST_COLUMNS))
