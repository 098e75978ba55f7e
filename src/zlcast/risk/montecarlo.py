"""Monte Carlo price paths whose marginals match the final quantile forecast.

1. **Dynamics.** Daily log returns follow a constant-mean GARCH(1,1) fitted with
   :mod:`arch` (Student-t likelihood, :func:`fit_dynamics`). Innovations are
   bootstrapped standardized residuals of the fit (``method="fhs"``, filtered
   historical simulation) or standardized Student-t draws (``"garch_t"``). The
   starting variance is filtered by :mod:`arch` through the history ending at
   the ``as_of_date``, so one fit serves many dates.
2. **Marginal matching.** With ``c_t`` the simulated median of the cumulative
   log return ``S_t`` at day ``t`` and ``d_t(l)`` its quantile at level ``l``
   minus ``c_t``, an anchor ``h`` defines a median shift ``s_h = c*_h - c_h`` and
   spread ratios ``r_h(l) = d*_h(l) / d_h(l)`` (``*`` = input forecast). Day ``t``
   uses ``s_t, r_t(l)`` interpolated linearly in time between anchors, from the
   identity (``s = 0, r = 1``) at day 0, held after the last anchor. ``S_t`` is
   mapped piecewise-linearly from its simulated knots ``c_t + d_t(l)`` to
   ``y_t(l) = c_t + s_t + r_t(l) d_t(l)`` (made non-decreasing), and beyond the
   outermost levels linearly with slope ``r_t(l_min)`` / ``r_t(l_max)``: the
   simulated tail beyond the 5 %/95 % quantile keeps its shape, rescaled like the
   adjacent half-spread. Relative (not absolute) maps keep the simulated
   volatility term structure between anchors; each day's map is monotone, so
   ranks and the dependence across days are preserved and paths move smoothly
   through anchor days. At anchors the empirical quantiles equal the input up to
   ``numpy.quantile``'s interpolation between order statistics. Crossing input
   quantiles are sorted first; anchors beyond ``horizon`` are still simulated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from arch import arch_model

from zlcast.risk.var import var_cvar

__all__ = [
    "METHODS",
    "Dynamics",
    "fit_dynamics",
    "path_prices",
    "path_sample",
    "sample_path_ids",
    "scenario_summary",
    "simulate_paths",
]

#: Innovation schemes of :func:`simulate_paths`.
METHODS: tuple[str, ...] = ("fhs", "garch_t")

_SCALE = 100.0  # arch is fitted on percent returns; Dynamics holds decimal units
_MIN_HISTORY = 100


@dataclass(frozen=True, eq=False)
class Dynamics:
    """Fitted GARCH(1,1)-t dynamics of daily log returns, in decimal units.

    Attributes
    ----------
    mu, omega, alpha, beta : float
        ``r_t = mu + e_t``, ``sigma2_t = omega + alpha e_{t-1}^2 + beta sigma2_{t-1}``.
    nu : float
        Student-t degrees of freedom of the innovations.
    std_resid : numpy.ndarray
        Standardized residuals of the fit, recentred to mean 0 and variance 1 (FHS pool).
    sigma2_next : float
        Conditional variance of the day after the fitted history.
    """

    mu: float
    omega: float
    alpha: float
    beta: float
    nu: float
    std_resid: np.ndarray
    sigma2_next: float


def _clean_returns(daily_returns: np.ndarray) -> np.ndarray:
    r: np.ndarray = np.asarray(daily_returns, dtype="float64").ravel()
    r = r[np.isfinite(r)]
    if r.size < _MIN_HISTORY:
        raise ValueError(f"need at least {_MIN_HISTORY} finite daily returns, got {r.size}")
    return r


def fit_dynamics(daily_returns: np.ndarray) -> Dynamics:
    """Fit a constant-mean GARCH(1,1) with Student-t errors using :mod:`arch`.

    Parameters
    ----------
    daily_returns : numpy.ndarray
        Daily log returns in decimal units, oldest first (non-finite values dropped;
        at least 100 needed).

    Returns
    -------
    Dynamics
    """
    r = _clean_returns(daily_returns)
    res = arch_model(_SCALE * r, mean="Constant", vol="GARCH", p=1, q=1, dist="t").fit(disp="off")
    p = res.params
    z = np.asarray(res.std_resid, dtype="float64")
    z = z[np.isfinite(z)]
    z = (z - z.mean()) / z.std()
    s2 = float(res.forecast(horizon=1, reindex=False).variance.to_numpy()[-1, 0])
    return Dynamics(
        mu=float(p["mu"]) / _SCALE,
        omega=float(p["omega"]) / _SCALE**2,
        alpha=float(p["alpha[1]"]),
        beta=float(p["beta[1]"]),
        nu=float(p["nu"]),
        std_resid=z,
        sigma2_next=s2 / _SCALE**2,
    )


def _next_variance(dyn: Dynamics, daily_returns: np.ndarray) -> float:
    """Next-day conditional variance of ``daily_returns`` under fixed parameters (arch ``fix``)."""
    r = _clean_returns(daily_returns)
    params = [dyn.mu * _SCALE, dyn.omega * _SCALE**2, dyn.alpha, dyn.beta, dyn.nu]
    res = arch_model(_SCALE * r, mean="Constant", vol="GARCH", p=1, q=1, dist="t").fix(params)
    return float(res.forecast(horizon=1, reindex=False).variance.to_numpy()[-1, 0]) / _SCALE**2


def _simulate_cumulative(
    dyn: Dynamics, sigma2: float, n_paths: int, horizon: int, rng: np.random.Generator, method: str
) -> np.ndarray:
    """Cumulative log returns, shape ``(horizon, n_paths)`` (day-major for speed)."""
    if method == "fhs":
        z = dyn.std_resid[rng.integers(0, dyn.std_resid.size, size=(horizon, n_paths))]
    else:
        z = rng.standard_t(dyn.nu, size=(horizon, n_paths)) * np.sqrt((dyn.nu - 2.0) / dyn.nu)
    s2 = np.full(n_paths, sigma2)
    for t in range(horizon):
        eps = np.sqrt(s2) * z[t]
        z[t] = dyn.mu + eps
        s2 = dyn.omega + dyn.alpha * eps * eps + dyn.beta * s2
    return np.cumsum(z, axis=0, out=z)


def simulate_paths(
    anchor_quantiles: Mapping[int, np.ndarray],
    levels: Sequence[float] | np.ndarray,
    daily_returns: np.ndarray | None,
    n_paths: int = 10_000,
    horizon: int = 60,
    *,
    rng: np.random.Generator,
    method: str = "fhs",
    dynamics: Dynamics | None = None,
) -> np.ndarray:
    """Simulate cumulative log-return paths matched to the forecast quantiles.

    Parameters
    ----------
    anchor_quantiles : mapping of int to numpy.ndarray
        Anchor horizon in trading days (e.g. 5, 20, 60) -> quantiles of the h-day log
        return at ``levels``.
    levels : sequence of float
        Strictly increasing quantile levels in (0, 1), including 0.5.
    daily_returns : numpy.ndarray or None
        Daily log returns up to and including the ``as_of_date``. Fitted when
        ``dynamics`` is None, else only filtered to get the starting variance
        (None then uses ``dynamics.sigma2_next``).
    n_paths, horizon : int
        Number of paths and of simulated days returned.
    rng : numpy.random.Generator
        The only source of randomness.
    method : {"fhs", "garch_t"}
        Bootstrap of standardized residuals, or standardized Student-t innovations.
    dynamics : Dynamics, optional
        Pre-fitted parameters from :func:`fit_dynamics` (reuse across dates).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_paths, horizon)``; column ``j`` is the cumulative log return to day ``j + 1``.
    """
    lv = np.asarray(levels, dtype="float64")
    if lv.ndim != 1 or np.any(np.diff(lv) <= 0) or lv[0] <= 0 or lv[-1] >= 1 or not np.any(lv == 0.5):
        raise ValueError("levels must be strictly increasing in (0, 1) and include 0.5")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if n_paths < 2 or horizon < 1 or not anchor_quantiles:
        raise ValueError("need n_paths >= 2, horizon >= 1 and at least one anchor")
    targets = {int(h): np.sort(np.asarray(q, dtype="float64")) for h, q in anchor_quantiles.items()}
    if min(targets) < 1 or any(q.shape != lv.shape or not np.all(np.isfinite(q)) for q in targets.values()):
        raise ValueError("anchor horizons must be >= 1, each with one finite quantile per level")
    if dynamics is None:
        if daily_returns is None:
            raise ValueError("daily_returns is required when dynamics is None")
        dynamics = fit_dynamics(daily_returns)
        sigma2 = dynamics.sigma2_next
    else:
        sigma2 = dynamics.sigma2_next if daily_returns is None else _next_variance(dynamics, daily_returns)

    s = _simulate_cumulative(dynamics, sigma2, n_paths, max(horizon, max(targets)), rng, method)
    return _match_marginals(s, lv, targets, horizon)


def _match_marginals(s: np.ndarray, lv: np.ndarray, targets: dict[int, np.ndarray], horizon: int) -> np.ndarray:
    """Apply the time-interpolated monotone maps (module docstring) to day-major paths ``s``."""
    knots = np.quantile(s, lv, axis=1)  # (K, n_days): simulated quantiles per day
    mid = int(np.flatnonzero(lv == 0.5)[0])
    dev = knots - knots[mid]
    days, shift, ratio = [0.0], [0.0], [np.ones_like(lv)]  # identity at day 0
    for h, q in sorted(targets.items()):
        d = dev[:, h - 1]
        ok = np.abs(d) > 1e-14  # the median level (and degenerate simulations) keep ratio 1
        ratio.append(np.where(ok, (q - q[mid]) / np.where(ok, d, 1.0), 1.0))
        shift.append(q[mid] - knots[mid, h - 1])
        days.append(float(h))
    grid = np.arange(1.0, horizon + 1.0)
    shift_t = np.interp(grid, days, shift)  # held constant after the last anchor
    ratio_t = np.array([np.interp(grid, days, r) for r in np.array(ratio).T])  # (K, horizon)
    out = np.empty((s.shape[1], horizon))
    for t in range(horizon):
        x, r_t, st = knots[:, t], ratio_t[:, t], s[t]
        y = np.maximum.accumulate(knots[mid, t] + shift_t[t] + r_t * dev[:, t])
        col = np.interp(st, x, y)
        lo, hi = st < x[0], st > x[-1]
        col[lo] = y[0] + r_t[0] * (st[lo] - x[0])
        col[hi] = y[-1] + r_t[-1] * (st[hi] - x[-1])
        out[:, t] = col
    return out


def scenario_summary(paths: np.ndarray, spot: float, horizons: Sequence[int] = (5, 20, 60)) -> pd.DataFrame:
    """Risk scenarios per horizon from cumulative log-return paths.

    Parameters
    ----------
    paths : numpy.ndarray
        ``(n_paths, n_days)`` cumulative log returns (from :func:`simulate_paths`).
    spot : float
        Close at the ``as_of_date`` (US cents/lb).
    horizons : sequence of int
        Horizons in days; those beyond ``n_days`` are skipped.

    Returns
    -------
    pandas.DataFrame
        One row per horizon: ``mean_price, median_price``; ``long_var95/cvar95/var99/cvar99``
        (losses in US cents/lb of a long position, loss when the price falls) and
        ``buyer_*`` (a short position / a buyer who has not bought yet, loss when the
        price rises), see :func:`zlcast.risk.var_cvar`; ``p_down_5pct, p_up_5pct,
        p_move_5pct`` (and ``10pct``): probability that the simple return to the
        horizon is below -5 %, above +5 %, either; ``max_dd_mean_pct, max_dd_p95_pct``:
        mean and 95th percentile of the maximum drawdown (% of the running peak,
        spot included) over days 0..h.
    """
    p = np.asarray(paths, dtype="float64")
    running_peak = np.maximum(np.maximum.accumulate(p, axis=1), 0.0)
    worst_dd = np.minimum.accumulate(p - running_peak, axis=1)  # log drawdown, <= 0
    rows = []
    for h in (int(x) for x in horizons):
        if not 1 <= h <= p.shape[1]:
            continue
        price = spot * np.exp(p[:, h - 1])
        move = price / spot - 1.0
        row: dict[str, float] = {
            "horizon_days": h,
            "spot": float(spot),
            "mean_price": float(price.mean()),
            "median_price": float(np.median(price)),
        }
        for side, pnl in (("long", price - spot), ("buyer", spot - price)):
            for a in (0.95, 0.99):
                v, c = var_cvar(pnl, a)
                row[f"{side}_var{round(a * 100)}"], row[f"{side}_cvar{round(a * 100)}"] = v, c
        for b in (5, 10):
            down, up = float(np.mean(move < -b / 100)), float(np.mean(move > b / 100))
            row.update({f"p_down_{b}pct": down, f"p_up_{b}pct": up, f"p_move_{b}pct": down + up})
        mdd = -np.expm1(worst_dd[:, h - 1]) * 100.0
        row["max_dd_mean_pct"], row["max_dd_p95_pct"] = float(mdd.mean()), float(np.quantile(mdd, 0.95))
        rows.append(row)
    return pd.DataFrame(rows).astype({"horizon_days": "int64"}) if rows else pd.DataFrame()


def sample_path_ids(n_paths: int, n: int = 50, *, rng: np.random.Generator) -> np.ndarray:
    """Rows of a path array drawn for charts (without replacement, sorted).

    Parameters
    ----------
    n_paths : int
        Rows of the path array.
    n : int
        Paths to draw (capped at ``n_paths``).
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray of int64
    """
    return np.sort(rng.choice(int(n_paths), size=min(int(n), int(n_paths)), replace=False)).astype("int64")


def path_prices(paths: np.ndarray, spot: float, path_ids: np.ndarray) -> pd.DataFrame:
    """Price paths of the chosen rows as a long table for charts.

    Parameters
    ----------
    paths : numpy.ndarray
        ``(n_paths, n_days)`` cumulative log returns.
    spot : float
        Close at the ``as_of_date`` (US cents/lb), shown as day 0.
    path_ids : numpy.ndarray
        Rows of ``paths`` (e.g. from :func:`sample_path_ids`).

    Returns
    -------
    pandas.DataFrame
        ``path_id`` (row of ``paths``), ``day`` (0..n_days), ``price`` (US cents/lb).
    """
    p = np.asarray(paths, dtype="float64")
    idx = np.asarray(path_ids, dtype="int64")
    prices = spot * np.exp(np.hstack([np.zeros((idx.size, 1)), p[idx]]))
    n_days = prices.shape[1]
    return pd.DataFrame(
        {
            "path_id": np.repeat(idx, n_days).astype("int64"),
            "day": np.tile(np.arange(n_days), idx.size).astype("int64"),
            "price": prices.ravel(),
        }
    )


def path_sample(paths: np.ndarray, spot: float, n: int = 50, *, rng: np.random.Generator) -> pd.DataFrame:
    """A random sample of price paths as a long table for charts (:func:`sample_path_ids` + :func:`path_prices`).

    Parameters
    ----------
    paths, spot
        See :func:`path_prices`.
    n : int
        Paths to draw without replacement (capped at ``n_paths``).
    rng : numpy.random.Generator

    Returns
    -------
    pandas.DataFrame
        ``path_id`` (row of ``paths``), ``day`` (0..n_days), ``price`` (US cents/lb).
    """
    p = np.asarray(paths, dtype="float64")
    return path_prices(p, spot, sample_path_ids(p.shape[0], n, rng=rng))
