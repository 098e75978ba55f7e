"""h-day volatility of ZL log returns: a HAR model of range variance fitted walk-forward by QLIKE.

The scale every layer standardises by (``z = r_h / sigma_h``) is either the EWMA random walk's
``sigma_ewma * sqrt(h)`` or this forecast (project setting ``vol_scale``, :class:`VolScale`).

Model (research15, ``RWd:HAR+LRX``, selected on 2012-2019 only)
--------------------------------------------------------------
Inputs per valid ZL session ``d``: the log close (the targets' price series, roll gaps included) and the
daily Parkinson variance ``ln(H/L)^2 / (4 ln 2)`` with roll sessions excluded (NaN). With ``RV_w(d)`` the
mean range variance over the last ``w`` sessions known at ``d``'s close (``RV_1`` the latest one)::

    log V_h(d) = log h + log RV_22(d) + b0 + b1 log(RV_1/RV_22) + b2 log(RV_5/RV_22)
                 + b3 log(RV_66/RV_22) + b4 log(RV_all/RV_22) + log ratio(d)

* ``b`` is fitted to the **forward range variance** ``h * mean RV over d+1..d+h`` (a much less noisy proxy
  of the h-day variance than the squared return) by QLIKE -- the Gamma log-link quasi-likelihood
  ``mean(eta + y / exp(eta))`` -- with a ridge penalty on the standardised slopes, on the rows whose
  outcome was resolved strictly before ``d`` (``target_date < d``), refitted every ``refit_every``
  origins (a fit is only reused at later origins).
* ``RV_all`` is the expanding mean (the long-run level the variance reverts to).
* ``ratio(d) = mean(r^2) / mean(RV)`` of daily close-to-close returns (roll gaps included) over the last
  ``ratio_window`` sessions up to ``d`` maps range variance to squared returns (the ``sqrt(h)``
  assumption of the EWMA walk, as the daily level).
* Quantiles of the h-day log return: median 0, ``sigma_h * t_q`` with ``t_q`` the quantiles of a
  unit-variance Student-t with ``t_df`` (6) degrees of freedom (:func:`t_quantiles`).

On the real data it beats ``h * sigma_ewma^2`` on QLIKE and MSE at 5/20/60 days on 2012-2019 and on
2020-2025 (see the README, "Results on the real data", and ``ml_vol_evaluation``). Until enough outcomes
are resolved (``min_train`` rows, the 66-session window, 126 sessions of the long-run level and ratio) the
forecast is NaN; the product's scale then falls back to the EWMA walk (:func:`vol_forecast_table`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast

import numpy as np
import pandas as pd
from scipy import stats

from zlcast.forecast.baselines import RW_MODEL, ewma_sigma, ewma_sigma_values, normal_quantiles
from zlcast.forecast.frames import DatesLike, long_predictions
from zlcast.settings import EWMA_LAMBDA, VOL_SCALES

__all__ = [
    "HAR_MODEL",
    "SCORE_PERIODS",
    "SELECTED_SPEC",
    "VOL_COLUMNS",
    "VOL_SCALES",
    "HarSpec",
    "ScorePeriod",
    "VolScale",
    "fit_qlike",
    "forward_outcomes",
    "har_regressors",
    "har_sigma",
    "har_walk_quantiles",
    "log_range_ratio",
    "parkinson_variance",
    "qlike",
    "score_vol_forecast",
    "t_quantiles",
    "trailing_mean",
    "vol_forecast_table",
    "walk_forward_log_variance",
]

#: Model name of the random walk with the HAR scale and Student-t quantiles (a meta member; the reference member
#: when ``vol_scale`` is ``har``).
HAR_MODEL = "rw_har"
#: Columns of :func:`vol_forecast_table` (``ml_vol_forecast``).
VOL_COLUMNS: tuple[str, ...] = (
    "as_of_date",
    "horizon_days",
    "target_date",
    "sigma_h",
    "sigma_ewma_h",
    "scale_h",
    "scale_source",
    "range_ratio",
)
_FAR_FUTURE = np.datetime64("2262-01-01", "ns")


@dataclass(frozen=True)
class HarSpec:
    """Specification of the HAR variance model (defaults: the method selected on 2012-2019).

    Parameters
    ----------
    windows : tuple of int
        HAR components: mean range variance over the last ``w`` sessions (``1``: the latest session's, carried
        over at most 3 roll sessions), each entering as ``log(RV_w / RV_base)``.
    base_window : int
        Window of the base level ``RV_base``: ``log h + log RV_base`` is the offset, so the ridge shrinks the
        forecast toward a calibrated random walk of the base level.
    long_run : {"expanding", "rolling", "none"}
        Long-run level ``log(RV_lr / RV_base)``: the mean over all past sessions, over the last
        ``long_run_window`` sessions, or none.
    long_run_window : int
        Window of the ``rolling`` long-run level.
    ratio_window : int or None
        Sessions of the daily ``mean(r^2) / mean(RV)`` ratio (None: all past sessions).
    ridge : float
        Ridge penalty on the standardised slopes (the intercept is free).
    refit_every : int
        Origins between refits.
    min_train : int
        Resolved training rows needed for a forecast (fewer: NaN).
    t_df : float
        Degrees of freedom of the unit-variance Student-t quantiles.
    """

    windows: tuple[int, ...] = (1, 5, 66)
    base_window: int = 22
    long_run: Literal["expanding", "rolling", "none"] = "expanding"
    long_run_window: int = 252
    ratio_window: int | None = 504
    ridge: float = 0.3
    refit_every: int = 5
    min_train: int = 250
    t_df: float = 6.0

    def __post_init__(self) -> None:
        """Validate (raises ``ValueError``)."""
        if any(w < 1 for w in self.windows) or self.base_window in self.windows or self.base_window < 2:
            raise ValueError(f"windows must be >= 1 and differ from base_window, got {self.windows}")
        if self.long_run not in ("expanding", "rolling", "none"):
            raise ValueError(f"long_run must be expanding, rolling or none, got {self.long_run!r}")
        if self.ridge < 0 or self.refit_every < 1 or self.min_train < 1:
            raise ValueError("ridge must be >= 0, refit_every and min_train >= 1")
        if not self.t_df > 2:
            raise ValueError(f"t_df must be > 2 (finite variance), got {self.t_df}")


#: The selected method (research15 ``RWd:HAR+LRX``, Student-t(6) quantiles).
SELECTED_SPEC = HarSpec()
#: Minimum sessions of the long-run level and of the daily ratio.
_MIN_LEVEL_OBS = 126


# --------------------------------------------------------------------------- daily inputs
def parkinson_variance(
    high: np.ndarray | pd.Series, low: np.ndarray | pd.Series, exclude: np.ndarray | pd.Series | None = None
) -> np.ndarray:
    """Daily Parkinson variance of the log price, ``ln(H/L)^2 / (4 ln 2)``.

    The warehouse computes the same in SQL (``int_zl__daily_range.parkinson_variance``); this is for code and
    tests that start from prices.

    Parameters
    ----------
    high, low : array-like, shape (n,)
        Session high and low (positive).
    exclude : array-like of bool, shape (n,), optional
        Sessions set to NaN (roll sessions).

    Returns
    -------
    numpy.ndarray, shape (n,)
        NaN where excluded or where the prices are not positive and ordered.
    """
    h, lo = np.asarray(high, dtype="float64"), np.asarray(low, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.log(h / lo) ** 2 / (4.0 * np.log(2.0))
    v = np.where(np.isfinite(v) & (h >= lo) & (lo > 0), v, np.nan)
    if exclude is not None:
        v = np.where(np.asarray(exclude, dtype=bool), np.nan, v)
    return v


def trailing_mean(x: np.ndarray, window: int, min_obs: int) -> np.ndarray:
    """Mean of the finite values among the last ``window`` rows (inclusive).

    Parameters
    ----------
    x : numpy.ndarray, shape (n,)
    window : int
    min_obs : int
        Fewer finite values in the window: NaN.

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    return pd.Series(np.asarray(x, dtype="float64")).rolling(window, min_periods=min_obs).mean().to_numpy()


def _window_mean(rv: np.ndarray, window: int) -> np.ndarray:
    """HAR component: the latest value (carried over at most 3 excluded sessions) or a trailing mean."""
    if window == 1:
        return pd.Series(rv).ffill(limit=3).to_numpy()
    return trailing_mean(rv, window, max(1, int(0.6 * window)))


def har_regressors(range_var: np.ndarray, spec: HarSpec = SELECTED_SPEC) -> tuple[np.ndarray, np.ndarray]:
    """HAR regressors and the base level known at each session's close.

    Parameters
    ----------
    range_var : numpy.ndarray, shape (n,)
        Daily range variance in time order, NaN on excluded sessions.
    spec : HarSpec

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``X`` of shape (n, p): ``log(RV_w / RV_base)`` for each of ``spec.windows`` then the long-run level;
        ``log RV_base`` of shape (n,). NaN where the history is too short.
    """
    rv = np.asarray(range_var, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        log_base = np.log(trailing_mean(rv, spec.base_window, max(1, int(0.6 * spec.base_window))))
        cols = [np.log(_window_mean(rv, w)) - log_base for w in spec.windows]
        if spec.long_run == "expanding":
            level = pd.Series(rv).expanding(min_periods=_MIN_LEVEL_OBS).mean().to_numpy()
            cols.append(np.log(level) - log_base)
        elif spec.long_run == "rolling":
            cols.append(np.log(trailing_mean(rv, spec.long_run_window, spec.long_run_window // 2)) - log_base)
    return np.column_stack(cols) if cols else np.zeros((len(rv), 0)), log_base


def log_range_ratio(log_close: np.ndarray, range_var: np.ndarray, window: int | None = 504) -> np.ndarray:
    """``log(mean(r^2) / mean(RV))`` over the last ``window`` sessions up to each row.

    Parameters
    ----------
    log_close : numpy.ndarray, shape (n,)
        Log closes; ``r`` is their first difference (roll gaps included).
    range_var : numpy.ndarray, shape (n,)
        Daily range variance, NaN on excluded sessions.
    window : int or None
        None: every past session.

    Returns
    -------
    numpy.ndarray, shape (n,)
        NaN until 126 values of both are available.
    """
    r2 = pd.Series(np.asarray(log_close, dtype="float64")).diff() ** 2
    rv = pd.Series(np.asarray(range_var, dtype="float64"))
    if window is None:
        a, b = r2.expanding(min_periods=_MIN_LEVEL_OBS).mean(), rv.expanding(min_periods=_MIN_LEVEL_OBS).mean()
    else:
        a = r2.rolling(window, min_periods=_MIN_LEVEL_OBS).mean()
        b = rv.rolling(window, min_periods=_MIN_LEVEL_OBS).mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log((a / b).to_numpy())


def forward_outcomes(
    log_close: np.ndarray, dates: DatesLike, horizon: int, range_var: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcomes of each origin ``horizon`` sessions ahead (for fitting and scoring only).

    Parameters
    ----------
    log_close : numpy.ndarray, shape (n,)
    dates : array-like of datetime64, shape (n,)
        Session dates, ascending.
    horizon : int
    range_var : numpy.ndarray, shape (n,), optional
        Daily range variance (NaN on excluded sessions).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``y = log_close[i+h] - log_close[i]``, ``target_date = dates[i+h]`` (NaT for the last ``h`` rows) and
        ``h * mean(range_var[i+1..i+h])`` (at least ``h // 2`` finite values; NaN without ``range_var``).
    """
    lc = np.asarray(log_close, dtype="float64")
    td = pd.DatetimeIndex(dates).values.astype("datetime64[ns]")  # type: ignore[arg-type]  # DatesLike
    n, h = len(lc), int(horizon)
    y = np.full(n, np.nan)
    tdate = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if n > h:
        y[: n - h] = lc[h:] - lc[: n - h]
        tdate[: n - h] = td[h:]
    fwd = np.full(n, np.nan)
    if range_var is not None:
        mean = pd.Series(np.asarray(range_var, dtype="float64")).rolling(h, min_periods=max(1, h // 2)).mean()
        fwd = mean.shift(-h).to_numpy() * h
    return y, tdate, fwd


# --------------------------------------------------------------------------- fitting
def fit_qlike(
    X: np.ndarray,
    y: np.ndarray,
    offset: np.ndarray,
    ridge: float = 1e-3,
    beta0: np.ndarray | None = None,
    max_iter: int = 50,
    tol: float = 1e-9,
) -> np.ndarray:
    """Log-linear variance regression by QLIKE (Gamma log-link quasi-likelihood), damped Newton steps.

    Minimises ``mean(eta + y * exp(-eta)) + ridge / 2 * |b[1:]|^2`` with ``eta = offset + X b``.

    Parameters
    ----------
    X : numpy.ndarray, shape (m, p)
        Design with the intercept in column 0 (the other columns standardised).
    y : numpy.ndarray, shape (m,)
        Non-negative variance proxies.
    offset : numpy.ndarray, shape (m,)
        Known part of the log variance.
    ridge : float
        Penalty on the slopes.
    beta0 : numpy.ndarray, shape (p,), optional
        Warm start (default: intercept at the log mean ratio, slopes 0).
    max_iter : int
    tol : float
        Stop when the loss changes by less.

    Returns
    -------
    numpy.ndarray, shape (p,)
    """
    m, p = X.shape
    w = np.ones(m) / m
    pen = np.full(p, float(ridge))
    pen[0] = 0.0
    if beta0 is None:
        b = np.zeros(p)
        b[0] = np.log(max(np.sum(w * y * np.exp(-offset)), 1e-300))
    else:
        b = beta0.astype("float64").copy()

    def loss(bb: np.ndarray) -> float:
        eta = offset + X @ bb
        return float(np.sum(w * (eta + y * np.exp(-eta))) + 0.5 * np.sum(pen * bb**2))

    f = loss(b)
    for _ in range(max_iter):
        eta = offset + X @ b
        u = y * np.exp(-eta)
        grad = X.T @ (w * (1.0 - u)) + pen * b
        hess = (X * (w * u)[:, None]).T @ X + np.diag(pen) + 1e-12 * np.eye(p)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:
            b_new = b - t * step
            f_new = loss(b_new)
            if f_new <= f or t < 1e-4:
                break
            t *= 0.5
        done = abs(f - f_new) < tol
        b, f = b_new, f_new
        if done:
            break
    return b


def walk_forward_log_variance(
    X: np.ndarray,
    target: np.ndarray,
    offset: np.ndarray,
    origin_dates: DatesLike,
    target_dates: DatesLike,
    spec: HarSpec = SELECTED_SPEC,
) -> np.ndarray:
    """Walk-forward log-variance forecasts: the fit used at origin ``d`` saw only rows with ``target_date < d``.

    Parameters
    ----------
    X : numpy.ndarray, shape (n, p)
        Regressors without intercept (rows with a NaN get no forecast and never train).
    target : numpy.ndarray, shape (n,)
        Fitting target (NaN where unresolved).
    offset : numpy.ndarray, shape (n,)
        Known log offset.
    origin_dates, target_dates : array-like of datetime64, shape (n,)
        Ascending origins; the date each row's outcome is known (NaT: never).
    spec : HarSpec
        ``ridge``, ``refit_every``, ``min_train``.

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``offset + fitted`` per origin; NaN before ``min_train`` resolved rows or where a regressor is missing.
    """
    n = len(offset)
    org = pd.DatetimeIndex(origin_dates).values.astype("datetime64[ns]")  # type: ignore[arg-type]  # DatesLike
    tdt = pd.DatetimeIndex(target_dates).values.astype("datetime64[ns]")  # type: ignore[arg-type]  # DatesLike
    feat_ok = np.all(np.isfinite(X), axis=1) & np.isfinite(offset)
    tgt_ok = feat_ok & np.isfinite(target) & ~np.isnat(tdt)
    resolved_at = np.where(np.isnat(tdt), _FAR_FUTURE, tdt).astype("datetime64[ns]")
    out = np.full(n, np.nan)
    beta: np.ndarray | None = None
    current: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    last_fit = -(10**9)
    for i in range(n):
        if not feat_ok[i]:
            continue
        if current is None or i - last_fit >= spec.refit_every:
            idx = np.flatnonzero(tgt_ok & (resolved_at < org[i]))
            if len(idx) >= spec.min_train:
                Xt = X[idx]
                mu, sd = Xt.mean(axis=0), Xt.std(axis=0)
                sd = np.where(sd > 1e-12, sd, 1.0)
                Z = np.column_stack([np.ones(len(idx)), (Xt - mu) / sd])
                warm = beta if beta is not None and len(beta) == Z.shape[1] else None
                beta = fit_qlike(Z, target[idx], offset[idx], spec.ridge, warm)
                current = (beta.copy(), mu, sd)
                last_fit = i
            elif current is None:
                continue
        assert current is not None
        b, mu, sd = current
        out[i] = offset[i] + b[0] + ((X[i] - mu) / sd) @ b[1:]
    return out


def har_sigma(
    log_close: np.ndarray,
    range_var: np.ndarray,
    dates: DatesLike,
    horizon: int,
    spec: HarSpec = SELECTED_SPEC,
) -> np.ndarray:
    """Standard deviation of the h-day log return forecast at every session (walk-forward).

    Parameters
    ----------
    log_close : numpy.ndarray, shape (n,)
        Log closes of the valid sessions, ascending (roll gaps included).
    range_var : numpy.ndarray, shape (n,)
        Daily range variance, NaN on roll (excluded) sessions.
    dates : array-like of datetime64, shape (n,)
    horizon : int
        Sessions ahead.
    spec : HarSpec

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``sigma_h``; NaN while the history is too short.
    """
    rv = np.asarray(range_var, dtype="float64")
    X, log_base = har_regressors(rv, spec)
    _, tdate, fwd = forward_outcomes(log_close, dates, horizon, rv)
    offset = np.log(float(horizon)) + log_base
    lv = walk_forward_log_variance(X, fwd, offset, dates, tdate, spec)
    lv = lv + log_range_ratio(log_close, rv, spec.ratio_window)
    return np.sqrt(np.exp(lv))


def vol_forecast_table(
    sessions: pd.DataFrame,
    horizons: Sequence[int],
    lam: float = EWMA_LAMBDA,
    scale: str = "har",
    spec: HarSpec = SELECTED_SPEC,
) -> pd.DataFrame:
    """The volatility forecast of every origin and horizon, and the scale the product standardises by.

    Parameters
    ----------
    sessions : pandas.DataFrame
        One row per valid ZL session, ascending: ``trade_date``, ``log_close`` (as in the targets) and
        ``range_variance`` (daily Parkinson variance, NaN on roll sessions).
    horizons : sequence of int
    lam : float
        EWMA decay of the comparison (the random walk's scale).
    scale : {"har", "ewma"}
        The project's ``vol_scale``.
    spec : HarSpec

    Returns
    -------
    pandas.DataFrame
        Columns :data:`VOL_COLUMNS`, one row per (origin, horizon) with an EWMA value (every session but the
        first): ``sigma_h`` the HAR forecast (NaN while the history is too short), ``sigma_ewma_h`` =
        ``sigma_ewma * sqrt(h)``, ``scale_h`` the scale in use (``ewma``: ``sigma_ewma_h``; ``har``: ``sigma_h``,
        ``sigma_ewma_h`` where it is NaN), ``scale_source`` which of the two, ``range_ratio`` the daily
        ``mean(r^2) / mean(RV)``; ``target_date`` NaT where the outcome is not known yet.

    Raises
    ------
    ValueError
        On an unknown ``scale``.
    """
    if scale not in VOL_SCALES:
        raise ValueError(f"vol_scale must be one of {list(VOL_SCALES)}, got {scale!r}")
    s = sessions.sort_values("trade_date").reset_index(drop=True)
    dates = pd.DatetimeIndex(s["trade_date"]).values.astype("datetime64[ns]")
    lc = s["log_close"].to_numpy(dtype="float64")
    rv = s["range_variance"].to_numpy(dtype="float64")
    ewma = ewma_sigma_values(lc, lam)
    ratio = np.exp(log_range_ratio(lc, rv, spec.ratio_window))
    frames = []
    for h in horizons:
        sigma = har_sigma(lc, rv, dates, int(h), spec)
        sigma_ewma = ewma * np.sqrt(float(h))
        _, tdate, _ = forward_outcomes(lc, dates, int(h))
        use_har = (scale == "har") & np.isfinite(sigma)
        frame = pd.DataFrame(
            {
                "as_of_date": dates,
                "horizon_days": np.full(len(s), int(h), dtype="int64"),
                "target_date": tdate,
                "sigma_h": sigma,
                "sigma_ewma_h": sigma_ewma,
                "scale_h": np.where(use_har, sigma, sigma_ewma),
                "scale_source": np.where(use_har, "har", "ewma").astype(object),
                "range_ratio": ratio,
            }
        )
        frames.append(frame[np.isfinite(sigma_ewma)])
    if not frames:
        return pd.DataFrame(columns=list(VOL_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(VOL_COLUMNS)]


# --------------------------------------------------------------------------- quantiles and the scale
def t_quantiles(quantiles: Sequence[float], df: float = SELECTED_SPEC.t_df) -> np.ndarray:
    """Quantiles of a unit-variance Student-t (``t_q * sqrt((df - 2) / df)``).

    Parameters
    ----------
    quantiles : sequence of float in (0, 1)
    df : float
        Degrees of freedom (> 2).

    Returns
    -------
    numpy.ndarray
        The median is exactly 0 (no change).
    """
    q = np.asarray(quantiles, dtype="float64")
    x = np.asarray(stats.t.ppf(q, df), dtype="float64") * np.sqrt((df - 2.0) / df)
    return np.where(np.abs(q - 0.5) < 1e-12, 0.0, x)


def har_walk_quantiles(
    vol: pd.DataFrame,
    quantiles: Sequence[float],
    df: float = SELECTED_SPEC.t_df,
    model: str = HAR_MODEL,
) -> pd.DataFrame:
    """The random walk with the product's scale: median 0, quantiles ``scale_h * t_q`` (unit-variance t).

    Parameters
    ----------
    vol : pandas.DataFrame
        :func:`vol_forecast_table` (``ml_vol_forecast``).
    quantiles : sequence of float
    df : float
        Degrees of freedom of the Student-t.
    model : str
        Model name.

    Returns
    -------
    pandas.DataFrame
        Long prediction format: ``split='oof'`` where the target is known (its ``target_date``), ``'live'``
        otherwise (estimated target date); ``fold_id`` -1.
    """
    v = vol.assign(
        as_of_date=pd.to_datetime(vol["as_of_date"]).astype("datetime64[ns]"),
        target_date=pd.to_datetime(vol["target_date"]).astype("datetime64[ns]"),
    )
    tq = t_quantiles(quantiles, df)
    out = []
    for key, g in v.sort_values(["horizon_days", "as_of_date"]).groupby("horizon_days", sort=True):
        h = int(cast(int, key))
        g = g[np.isfinite(g["scale_h"].to_numpy(dtype="float64"))]
        values = np.outer(g["scale_h"].to_numpy(dtype="float64"), tq)
        oof = g["target_date"].notna().to_numpy()
        dates = g["as_of_date"]
        out.append(long_predictions(dates[oof], h, g["target_date"][oof], model, quantiles, values[oof], "oof", -1))
        out.append(long_predictions(dates[~oof], h, None, model, quantiles, values[~oof], "live", -1))
    if not out:
        return long_predictions([], 1, [], model, quantiles, np.empty((0, len(quantiles))), "oof", -1)
    return pd.concat(out, ignore_index=True)


@dataclass(frozen=True)
class VolScale:
    """The h-day scale every layer standardises by: ``z = value / scale(d, h)``.

    Parameters
    ----------
    kind : {"ewma", "har"}
        Which forecast (the project's ``vol_scale``).
    sigma_h : Mapping
        Horizon -> :class:`pandas.Series` of the h-day log-return standard deviation indexed by origin date.
    """

    kind: str
    sigma_h: Mapping[int, pd.Series] = field(compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        """Validate ``kind`` (raises ``ValueError``)."""
        if self.kind not in VOL_SCALES:
            raise ValueError(f"vol_scale must be one of {list(VOL_SCALES)}, got {self.kind!r}")

    @property
    def reference(self) -> str:
        """The meta model's reference (fallback) member: ``rw_ewma`` or ``rw_har``."""
        return RW_MODEL if self.kind == "ewma" else HAR_MODEL

    def series(self, horizon: int) -> pd.Series:
        """The scale of one horizon, indexed by origin date.

        Parameters
        ----------
        horizon : int

        Returns
        -------
        pandas.Series
        """
        return self.sigma_h[int(horizon)]

    def at(self, horizon: int, dates: DatesLike) -> np.ndarray:
        """The scale of one horizon at the given origins (NaN where unknown).

        Parameters
        ----------
        horizon : int
        dates : array-like of datetime64

        Returns
        -------
        numpy.ndarray
        """
        return self.series(horizon).reindex(pd.DatetimeIndex(dates)).to_numpy(dtype="float64")  # type: ignore[arg-type]

    @classmethod
    def ewma(cls, zl: pd.DataFrame, horizons: Sequence[int], lam: float = EWMA_LAMBDA) -> VolScale:
        """The EWMA random walk's scale ``sigma_ewma * sqrt(h)`` computed from the ZL series.

        Parameters
        ----------
        zl : pandas.DataFrame
            ``trade_date, log_close`` sorted by date.
        horizons : sequence of int
        lam : float

        Returns
        -------
        VolScale
        """
        sigma = ewma_sigma(zl, lam)
        return cls("ewma", {int(h): sigma * np.sqrt(float(h)) for h in horizons})

    @classmethod
    def from_table(cls, vol: pd.DataFrame, kind: str) -> VolScale:
        """The scale stored in ``ml_vol_forecast`` (its ``scale_h``, computed for ``kind``).

        Parameters
        ----------
        vol : pandas.DataFrame
            :func:`vol_forecast_table` output.
        kind : {"ewma", "har"}
            The project's ``vol_scale``; the table must have been built with it.

        Returns
        -------
        VolScale

        Raises
        ------
        ValueError
            When the table holds a scale of the other kind (built with another ``vol_scale``).
        """
        sources = set(vol["scale_source"].unique())
        if kind == "ewma" and sources - {"ewma"}:
            raise ValueError("ml_vol_forecast was built with vol_scale 'har' but the project's vol_scale is 'ewma'")
        if kind == "har" and len(vol) and "har" not in sources:
            raise ValueError("ml_vol_forecast holds no HAR scale but the project's vol_scale is 'har'")
        dates = pd.to_datetime(vol["as_of_date"]).astype("datetime64[ns]")
        out: dict[int, pd.Series] = {}
        for key, g in vol.assign(as_of_date=dates).groupby("horizon_days", sort=True):
            s = g.set_index("as_of_date")["scale_h"].astype("float64").sort_index()
            s.index = pd.DatetimeIndex(s.index, name="trade_date")
            out[int(cast(int, key))] = s.rename("sigma")
        return cls(kind, out)


# --------------------------------------------------------------------------- scoring
@dataclass(frozen=True)
class ScorePeriod:
    """A scoring period: origins from ``start`` before ``end``; ``resolved`` also needs ``target_date < end``.

    Parameters
    ----------
    label : str
    start : str
        First origin (inclusive).
    end : str or None
        Origins (or, with ``resolved``, outcomes) before this date; None: no end.
    resolved : bool
        Require the outcome before ``end`` (a selection sample that never sees a later price).
    """

    label: str
    start: str
    end: str | None = None
    resolved: bool = False


#: The periods of issue #15: selection on 2012-2019 (outcomes resolved before 2020), reported on 2020-2025.
SCORE_PERIODS: tuple[ScorePeriod, ...] = (
    ScorePeriod("2012-2015", "2012-01-01", "2016-01-01"),
    ScorePeriod("2016-2019", "2016-01-01", "2020-01-01", resolved=True),
    ScorePeriod("2012-2019", "2012-01-01", "2020-01-01", resolved=True),
    ScorePeriod("2020-2025", "2020-01-01"),
)


def qlike(y2: np.ndarray, variance: np.ndarray, floor: float = 1e-8) -> np.ndarray:
    """QLIKE loss per row, ``y2 / v - log(y2 / v) - 1`` (0 for a perfect forecast).

    Parameters
    ----------
    y2 : numpy.ndarray
        Realised squared returns (floored at ``floor``: a zero return has no log).
    variance : numpy.ndarray
        Forecast variances.
    floor : float

    Returns
    -------
    numpy.ndarray
    """
    r = np.maximum(np.asarray(y2, dtype="float64"), floor) / np.asarray(variance, dtype="float64")
    return r - np.log(r) - 1.0


def _pinball(y: np.ndarray, q: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Mean pinball over the levels per row (``q`` of shape (n, k))."""
    u = y[:, None] - q
    return np.mean(np.maximum(levels * u, (levels - 1.0) * u), axis=1)


def score_vol_forecast(
    vol: pd.DataFrame,
    targets: pd.DataFrame,
    periods: Sequence[ScorePeriod] = SCORE_PERIODS,
    df: float = SELECTED_SPEC.t_df,
) -> pd.DataFrame:
    """The HAR forecast against the EWMA walk's ``h * sigma_ewma^2`` on realised h-day squared log returns.

    Parameters
    ----------
    vol : pandas.DataFrame
        :func:`vol_forecast_table` (``ml_vol_forecast``).
    targets : pandas.DataFrame
        ``trade_date, horizon_days, target_date, fwd_log_return`` (``fct_zl_targets``).
    periods : sequence of ScorePeriod
    df : float
        Degrees of freedom of the walk's Student-t quantiles.

    Returns
    -------
    pandas.DataFrame
        One row per (horizon, period) on the origins where the HAR forecast exists: ``n``, ``first_origin``,
        ``last_origin``, ``qlike_har``, ``qlike_ewma``, ``qlike_ratio``, ``mse_har``, ``mse_ewma``, ``mse_ratio``
        (ratio < 1: the HAR forecast is better), and for the walks (quantiles 0.1/0.5/0.9, median 0) with the
        HAR scale and Student-t quantiles vs the EWMA scale and normal quantiles (``rw_ewma``):
        ``pinball_skill`` = 1 - pinball(HAR walk) / pinball(EWMA walk), ``coverage80_har``, ``coverage80_ewma``
        (share strictly inside [P10, P90]).
    """
    t = targets.assign(trade_date=pd.to_datetime(targets["trade_date"]).astype("datetime64[ns]"))
    v = vol.assign(as_of_date=pd.to_datetime(vol["as_of_date"]).astype("datetime64[ns]"))
    v = v.drop(columns="target_date").merge(
        t.rename(columns={"trade_date": "as_of_date"})[["as_of_date", "horizon_days", "target_date", "fwd_log_return"]],
        on=["as_of_date", "horizon_days"],
        how="inner",
    )
    v = v[np.isfinite(v["sigma_h"].to_numpy(dtype="float64"))]
    band = (0.1, 0.5, 0.9)
    levels = np.array(band)
    t_band, n_band = t_quantiles(band, df), normal_quantiles(band)
    rows = []
    for key, g in v.groupby("horizon_days", sort=True):
        origin = g["as_of_date"].to_numpy()
        resolved = pd.to_datetime(g["target_date"]).to_numpy()
        for p in periods:
            m = origin >= np.datetime64(p.start)
            if p.end is not None:
                m &= (resolved if p.resolved else origin) < np.datetime64(p.end)
            if not m.any():
                continue
            y = g["fwd_log_return"].to_numpy(dtype="float64")[m]
            sh, se = g["sigma_h"].to_numpy(dtype="float64")[m], g["sigma_ewma_h"].to_numpy(dtype="float64")[m]
            y2, vh, ve = y**2, sh**2, se**2
            qh, qe = np.outer(sh, t_band), np.outer(se, n_band)
            rows.append(
                {
                    "horizon_days": int(cast(int, key)),
                    "period": p.label,
                    "n": int(m.sum()),
                    "first_origin": pd.Timestamp(origin[m].min()),
                    "last_origin": pd.Timestamp(origin[m].max()),
                    "qlike_har": float(qlike(y2, vh).mean()),
                    "qlike_ewma": float(qlike(y2, ve).mean()),
                    "mse_har": float(np.mean((y2 - vh) ** 2)),
                    "mse_ewma": float(np.mean((y2 - ve) ** 2)),
                    "pinball_har": float(_pinball(y, qh, levels).mean()),
                    "pinball_ewma": float(_pinball(y, qe, levels).mean()),
                    "coverage80_har": float(np.mean((y > qh[:, 0]) & (y < qh[:, 2]))),
                    "coverage80_ewma": float(np.mean((y > qe[:, 0]) & (y < qe[:, 2]))),
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["qlike_ratio"] = out["qlike_har"] / out["qlike_ewma"]
    out["mse_ratio"] = out["mse_har"] / out["mse_ewma"]
    out["pinball_skill"] = 1.0 - out["pinball_har"] / out["pinball_ewma"]
    cols = ["horizon_days", "period", "n", "first_origin", "last_origin", "qlike_har", "qlike_ewma", "qlike_ratio"]
    cols += ["mse_har", "mse_ewma", "mse_ratio", "pinball_har", "pinball_ewma", "pinball_skill"]
    return out[[*cols, "coverage80_har", "coverage80_ewma"]]
