"""Median signals checked against the random walk: is there any drift to forecast?

The final forecast's pinball loss is half median, so a skill of several percent
over the EWMA random walk has to come from a median that departs from "no
change". This module measures, without any model fitting beyond least squares,
whether the Big 8 features (or the futures curve's roll carry) carry such a
drift, with the walk-forward discipline of the product:

* :func:`expanding_zscore` standardises a feature with its own past (mean and
  standard deviation of the rows up to and including each date);
* :func:`univariate_tilts` predicts each origin's h-day log return from one
  feature at a time, ``b * z``, with ``b`` the least-squares slope fitted at the
  first origin of each calendar month on the rows whose target date lies before
  that origin (the intercept, a constant drift, is left out on purpose: the walk
  has none and a trailing mean return is a momentum bet of its own);
* :func:`combination_tilt` averages the univariate forecasts, the combination
  of Rapach, Strauss and Zhou (2010, *Review of Financial Studies* 23(2)), which
  is robust where single predictors are unstable;
* :func:`roll_carry_tilt` extrapolates the trailing roll gaps of the front-month
  series (the calendar spread paid or earned at each roll) over the horizon;
* :func:`tilt_skill` scores a tilt added to the walk's quantiles by period.

``scripts/check_median_signals.py`` runs these on a built warehouse; the README
reports the figures. Nothing here feeds the product's forecast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from zlcast.forecast.evaluation import EVAL_QUANTILES, pinball_loss

__all__ = [
    "combination_tilt",
    "expanding_zscore",
    "roll_carry_tilt",
    "tilt_skill",
    "univariate_tilts",
]


def expanding_zscore(x: pd.Series, min_periods: int = 250, clip: float = 3.0) -> pd.Series:
    """Standardise a series by its expanding mean and standard deviation.

    Parameters
    ----------
    x : pandas.Series
        Values in date order.
    min_periods : int
        Rows needed before a z-score is produced (NaN before).
    clip : float
        z-scores are clipped to ``[-clip, clip]``.

    Returns
    -------
    pandas.Series
        ``(x_t - mean(x_1..x_t)) / std(x_1..x_t)``, same index as ``x``; NaN where
        ``x`` is NaN, the history is too short or the history is constant.
    """
    v = x.astype("float64")
    mean = v.expanding(min_periods).mean()
    std = v.expanding(min_periods).std()
    z = (v - mean) / std.where(std > 0)
    return z.clip(-clip, clip)


def _month_starts(dates: pd.DatetimeIndex) -> np.ndarray:
    """Boolean mask of the first date of each calendar month in sorted ``dates``."""
    period = dates.to_period("M")
    first = np.ones(len(dates), dtype=bool)
    first[1:] = period[1:] != period[:-1]
    return first


def univariate_tilts(
    features: pd.DataFrame,
    targets: pd.DataFrame,
    horizon: int,
    columns: Sequence[str],
    min_rows: int = 500,
    min_periods: int = 250,
) -> pd.DataFrame:
    """Walk-forward one-feature forecasts of the h-day log return.

    Parameters
    ----------
    features : pandas.DataFrame
        ``trade_date`` plus the feature columns, one row per origin, known at
        each origin's close.
    targets : pandas.DataFrame
        ``trade_date, horizon_days, target_date, fwd_log_return``.
    horizon : int
        Horizon in sessions.
    columns : sequence of str
        Feature columns to use.
    min_rows : int
        Resolved training rows needed before a slope is fitted (NaN forecast before).
    min_periods : int
        History needed by :func:`expanding_zscore`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``trade_date`` (the origins of ``features``), one column per
        feature: ``b_m * z_t`` where ``b_m`` is the slope of ``fwd_log_return`` on
        ``z`` over the rows whose ``target_date`` precedes the first origin of
        ``t``'s month. Only information available at that origin enters.

    Raises
    ------
    ValueError
        If a column is missing or the origins are not sorted and unique.
    """
    missing = [c for c in (*columns, "trade_date") if c not in features.columns]
    if missing:
        raise ValueError(f"features frame is missing column(s) {missing}")
    f = features.set_index(pd.DatetimeIndex(pd.to_datetime(features["trade_date"]), name="trade_date"))
    if not (f.index.is_monotonic_increasing and f.index.is_unique):
        raise ValueError("features must have sorted, unique trade_date values")
    t = targets[targets["horizon_days"] == horizon]
    t = t.set_index(pd.DatetimeIndex(pd.to_datetime(t["trade_date"])))
    y = t["fwd_log_return"].reindex(f.index).to_numpy(dtype="float64")
    resolved_by = pd.to_datetime(t["target_date"]).reindex(f.index).to_numpy(dtype="datetime64[ns]")
    dates = f.index.to_numpy(dtype="datetime64[ns]")
    starts = np.flatnonzero(_month_starts(pd.DatetimeIndex(f.index)))
    block_of = np.searchsorted(starts, np.arange(len(dates)), side="right") - 1
    out: dict[str, np.ndarray] = {}
    for col in columns:
        z = expanding_zscore(f[col], min_periods=min_periods).to_numpy()
        slope = np.full(len(starts), np.nan)
        usable = np.isfinite(z) & np.isfinite(y)
        for k, s in enumerate(starts):
            m = usable & (resolved_by < dates[s])
            if m.sum() >= min_rows:
                zz, yy = z[m], y[m]
                var = np.var(zz)
                slope[k] = np.cov(zz, yy, bias=True)[0, 1] / var if var > 0 else np.nan
        out[col] = slope[block_of] * z
    return pd.DataFrame(out, index=f.index)


def combination_tilt(tilts: pd.DataFrame) -> pd.Series:
    """Equal-weight mean of univariate forecasts (missing ones left out; none: 0).

    Parameters
    ----------
    tilts : pandas.DataFrame
        Output of :func:`univariate_tilts`.

    Returns
    -------
    pandas.Series
        The combined forecast of the h-day log return per origin.
    """
    return tilts.mean(axis=1, skipna=True).fillna(0.0)


def roll_carry_tilt(bars: pd.DataFrame, horizon: int, window: int = 250) -> pd.Series:
    """Trailing roll yield extrapolated over the horizon.

    Parameters
    ----------
    bars : pandas.DataFrame
        ``trade_date, close_price, is_roll`` of the valid front-month sessions,
        sorted by date. On a roll session the close-to-close log change mixes
        the day's move with the spread between the old and the new contract.
    horizon : int
        Horizon in sessions.
    window : int
        Trailing sessions summed.

    Returns
    -------
    pandas.Series
        ``horizon * sum(roll-session log changes over the last window sessions) / window``
        indexed by ``trade_date``; NaN until ``window`` sessions exist.
    """
    lc = np.log(bars["close_price"].to_numpy(dtype="float64"))
    change = np.diff(lc, prepend=np.nan)
    gap = np.where(bars["is_roll"].to_numpy(dtype=bool), change, 0.0)
    gap[0] = 0.0
    s = pd.Series(gap, index=pd.DatetimeIndex(pd.to_datetime(bars["trade_date"]), name="trade_date"))
    return horizon * s.rolling(window).sum() / window


def tilt_skill(
    rw_quantiles: pd.DataFrame,
    actual: pd.Series,
    tilt: pd.Series,
    periods: Mapping[str, tuple[str, str]],
    quantiles: Sequence[float] = EVAL_QUANTILES,
) -> dict[str, float]:
    """Skill of the walk shifted by a tilt, against the walk, per period.

    Parameters
    ----------
    rw_quantiles : pandas.DataFrame
        The walk's h-day log-return quantiles indexed by origin, one column per
        level of ``quantiles`` in that order (e.g. the ``q10, q50, q90`` columns of
        :func:`zlcast.evaluation.wide_quantiles`).
    actual : pandas.Series
        Realised h-day log returns by origin.
    tilt : pandas.Series
        Shift added to every quantile (NaN: no shift).
    periods : mapping of str to (start, end)
        Inclusive date bounds of each scored period.
    quantiles : sequence of float

    Returns
    -------
    dict of str to float
        ``1 - pinball(walk + tilt) / pinball(walk)`` per period, on the origins
        where the walk and the actual exist (NaN for an empty period).
    """
    idx = rw_quantiles.index.intersection(actual.dropna().index)
    if rw_quantiles.shape[1] != len(quantiles):
        raise ValueError(f"rw_quantiles has {rw_quantiles.shape[1]} columns for {len(quantiles)} quantile levels")
    q = rw_quantiles.loc[idx].to_numpy(dtype="float64")
    y = actual.loc[idx].to_numpy(dtype="float64")
    mu = tilt.reindex(idx).fillna(0.0).to_numpy(dtype="float64")
    out: dict[str, float] = {}
    for name, (start, end) in periods.items():
        sel = (idx >= pd.Timestamp(start)) & (idx <= pd.Timestamp(end))
        if not sel.any():
            out[name] = float("nan")
            continue
        base = pinball_loss(y[sel], q[sel], quantiles)
        out[name] = 1.0 - pinball_loss(y[sel], q[sel] + mu[sel, None], quantiles) / base
    return out
