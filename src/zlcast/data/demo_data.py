"""Deterministic synthetic demo data set in the layout of the real data directory.

:func:`write_demo_data` writes::

    futures_daily.parquet       12 roots (ZL ZS ZM ZC CL QM HO RB HG 6L ZQ ES), one row per session
    macro/<series_id>.csv       every series of seeds/macro_series.csv at its real frequency
    macro/fx_monthly_brl_cny.csv  BRL_PER_USD_MONTHLY and CNY_PER_USD_MONTHLY (like the real file)
    trade_policy_events.csv     22 synthetic US-China trade-policy events
    cftc_cot.csv                weekly soybean-oil managed-money positions (the optional CFTC file)
    README.md                   says that the data are synthetic and where the quirks are

The simulation runs :data:`DEMO_SPARE_DAYS` calendar days past ``end`` and the files stop at ``end``: the sessions
after it are what :mod:`zlcast.data.demo_recording` serves as the providers' next responses, so that a daily
refresh of the demo set continues the same paths.

The numbers are synthetic. Levels follow hand-set anchor points loosely shaped like
2015-2025 market history (so that units, ranges and relationships such as the soybean
board crush are realistic) with random paths in between: correlated fat-tailed GARCH(1,1)
log-returns tied to the anchors by a Brownian-bridge correction. The file reproduces the
quirks of the real data: exchange-holiday calendars, short sessions, volume-ranked contract
rolls with calendar-spread jumps and temporary roll-backs, illiquid low-volume days with an
outlier price, and the negative e-mini WTI close of 2020-04-20.

All randomness comes from ``numpy.random.default_rng(seed)`` (split into independent child
generators per component); the output is byte-identical for identical arguments.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "COT_FILE",
    "DEMO_MARKER",
    "DEMO_ROOTS",
    "DEMO_SPARE_DAYS",
    "DemoTables",
    "RootSpec",
    "build_demo_tables",
    "simulate_demo_tables",
    "us_holidays",
    "write_demo_data",
]

#: First line of the demo README; marks a directory that write_demo_data may replace.
DEMO_MARKER = "# Synthetic demo data set (zlcast.data.demo_data)"

Anchors = Sequence[tuple[str, float]]

# --------------------------------------------------------------------------------------
# calendars
# --------------------------------------------------------------------------------------


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """Return the n-th ``weekday`` (Mon=0) of a month; ``n=-1`` is the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _easter(year: int) -> date:
    """Return Western Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def _observed(day: date, saturday_to_friday: bool = True) -> date | None:
    """Move a fixed-date holiday off the weekend (Sat -> Fri, Sun -> Mon)."""
    if day.weekday() == 6:
        return day + timedelta(days=1)
    if day.weekday() == 5:
        return day - timedelta(days=1) if saturday_to_friday else None
    return day


def us_holidays(year: int, kind: str = "exchange") -> dict[str, date]:
    """Return a simple US holiday rule set for one year.

    Parameters
    ----------
    year : int
        Calendar year.
    kind : {"exchange", "federal"}
        ``exchange``: CME/NYSE closures (New Year, MLK, Presidents, Good Friday, Memorial,
        Juneteenth from 2022, Independence Day, Labor, Thanksgiving, Christmas).
        ``federal``: Federal Reserve holidays (no Good Friday; Juneteenth from 2021; Columbus
        and Veterans Day added).

    Returns
    -------
    dict[str, date]
        Holiday name -> observed date (holidays falling on a Saturday that are not observed
        are left out, e.g. New Year on a Saturday).
    """
    days: dict[str, date | None] = {
        "new_year": _observed(date(year, 1, 1), saturday_to_friday=False),
        "mlk": _nth_weekday(year, 1, 0, 3),
        "presidents": _nth_weekday(year, 2, 0, 3),
        "memorial": _nth_weekday(year, 5, 0, -1),
        "independence": _observed(date(year, 7, 4)),
        "labor": _nth_weekday(year, 9, 0, 1),
        "thanksgiving": _nth_weekday(year, 11, 3, 4),
        "christmas": _observed(date(year, 12, 25)),
    }
    if kind == "exchange":
        days["good_friday"] = _easter(year) - timedelta(days=2)
        if year >= 2022:
            days["juneteenth"] = _observed(date(year, 6, 19))
    elif kind == "federal":
        if year >= 2021:
            days["juneteenth"] = _observed(date(year, 6, 19), saturday_to_friday=year > 2021)
        days["columbus"] = _nth_weekday(year, 10, 0, 2)
        days["veterans"] = _observed(date(year, 11, 11), saturday_to_friday=False)
    else:
        raise ValueError(f"unknown holiday kind {kind!r}")
    return {name: d for name, d in days.items() if d is not None}


def _holiday_array(first: date, last: date, kind: str, names: Sequence[str] | None = None) -> np.ndarray:
    """Return sorted ``datetime64[D]`` holidays between two dates (optionally only ``names``)."""
    out = [
        d
        for year in range(first.year, last.year + 1)
        for name, d in us_holidays(year, kind).items()
        if (names is None or name in names) and first <= d <= last
    ]
    return np.array(sorted(set(out)), dtype="datetime64[D]")


def _weekdays(first: date, last: date) -> np.ndarray:
    """Return all Monday-Friday dates between two dates as ``datetime64[D]``."""
    days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
    return days[np.is_busday(days)]


def _first_after(sessions: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Return, for each day, the first session strictly after it (only those inside the range)."""
    idx = np.searchsorted(sessions, days, side="right")
    return np.unique(sessions[idx[idx < len(sessions)]])


# --------------------------------------------------------------------------------------
# random paths
# --------------------------------------------------------------------------------------


def _anchor_arrays(anchors: Anchors) -> tuple[np.ndarray, np.ndarray]:
    """Return (day numbers, values) of anchor points."""
    days = np.array([np.datetime64(d, "D").astype(np.int64) for d, _ in anchors], dtype=float)
    return days, np.array([v for _, v in anchors], dtype=float)


def _bridge(
    grid: np.ndarray,
    increments: np.ndarray,
    anchors: Anchors,
    rng: np.random.Generator,
    jitter_sd: float,
    log: bool,
    knot_every: int = 42,
) -> np.ndarray:
    """Tie a random walk to anchor points with a Brownian-bridge correction.

    Parameters
    ----------
    grid : numpy.ndarray
        ``datetime64[D]`` dates of the path.
    increments : numpy.ndarray
        Per-step shocks (log returns when ``log``), same length as ``grid``.
    anchors : sequence of (ISO date, value)
        Target levels; interpolated linearly (in log space when ``log``), flat outside.
    rng : numpy.random.Generator
        Draws the jitter of the knot targets.
    jitter_sd : float
        Standard deviation of the knot jitter (log units when ``log``).
    log : bool
        Work in log space (prices) or levels (rates, indices).
    knot_every : int, optional
        Extra knots every this many steps between anchors (keeps the path near the anchors).

    Returns
    -------
    numpy.ndarray
        The path: equals the jittered target at the knots, random walk (bridge) in between.
    """
    a_days, a_vals = _anchor_arrays(anchors)
    x = grid.astype(np.int64).astype(float)
    target = np.interp(x, a_days, np.log(a_vals) if log else a_vals)
    inside = np.searchsorted(x, a_days[(a_days > x[0]) & (a_days < x[-1])])
    knots = np.unique(np.concatenate([[0], inside, np.arange(0, len(x), knot_every), [len(x) - 1]]))
    knot_target = target[knots] + rng.normal(0.0, jitter_sd, len(knots))
    cum = np.cumsum(increments)
    path = cum - np.interp(np.arange(len(x)), knots, cum[knots] - knot_target)
    return np.exp(path) if log else path


def _soft_bounds(values: np.ndarray, lo: float, hi: float, band: float = 0.08) -> np.ndarray:
    """Keep positive values inside (lo, hi), compressing smoothly (tanh) within ``band`` of a bound (log)."""
    x = np.log(values)
    top, bottom = np.log(hi) - band, np.log(lo) + band
    x = np.where(x > top, top + band * np.tanh((x - top) / band), x)
    x = np.where(x < bottom, bottom - band * np.tanh((bottom - x) / band), x)
    return np.exp(x)


def _ou_around(
    grid: np.ndarray, anchors: Anchors, rng: np.random.Generator, phi: float, sd: float, log: bool
) -> np.ndarray:
    """Return an AR(1) deviation (coefficient ``phi``, shock ``sd``) around an anchored target."""
    a_days, a_vals = _anchor_arrays(anchors)
    target = np.interp(grid.astype(np.int64).astype(float), a_days, np.log(a_vals) if log else a_vals)
    shocks = rng.normal(0.0, sd, len(grid))
    dev = np.empty(len(grid))
    level = shocks[0] / np.sqrt(1.0 - phi**2)
    for i, shock in enumerate(shocks):
        level = phi * level + shock if i else level
        dev[i] = level
    return np.exp(target + dev) if log else target + dev


def _garch_shocks(
    rng: np.random.Generator,
    n: int,
    annual_vol: np.ndarray,
    corr: np.ndarray,
    alpha: float = 0.07,
    beta: float = 0.91,
    df: float = 5.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate correlated GARCH(1,1) log-returns with Student-t innovations.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n : int
        Number of steps.
    annual_vol : numpy.ndarray
        Long-run annualised volatility per series (252 steps a year).
    corr : numpy.ndarray
        Correlation matrix of the innovations.
    alpha, beta : float
        GARCH(1,1) coefficients (volatility clustering).
    df : float
        Degrees of freedom of the (unit-variance) Student-t innovations.

    Returns
    -------
    returns : numpy.ndarray
        ``(n, k)`` log-returns.
    sigma : numpy.ndarray
        ``(n, k)`` conditional daily volatility.
    """
    k = len(annual_vol)
    z = rng.standard_t(df, size=(n, k)) / np.sqrt(df / (df - 2.0))
    z = z @ np.linalg.cholesky(corr).T
    long_var = (annual_vol**2) / 252.0
    omega = long_var * (1.0 - alpha - beta)
    var = long_var.copy()
    returns = np.empty((n, k))
    sigma = np.empty((n, k))
    for t in range(n):
        sigma[t] = np.sqrt(var)
        returns[t] = sigma[t] * z[t]
        var = omega + alpha * returns[t] ** 2 + beta * var
    return returns, sigma


# --------------------------------------------------------------------------------------
# anchors (loosely shaped like 2015-2025 history; the data are synthetic)
# --------------------------------------------------------------------------------------

# fmt: off
_PRICE_ANCHORS: Mapping[str, Anchors] = {
    "ZL": [("2015-01-02", 32.0), ("2015-09-01", 27.5), ("2016-01-04", 30.5), ("2016-06-15", 32.5),
           ("2016-12-15", 35.0), ("2017-06-15", 32.0), ("2018-05-15", 31.5), ("2018-10-15", 28.5),
           ("2018-12-14", 28.0), ("2019-06-14", 28.5), ("2019-10-15", 30.0), ("2020-03-16", 26.5),
           ("2020-12-15", 42.0), ("2021-05-14", 66.0), ("2021-10-15", 62.0), ("2022-04-28", 82.0),
           ("2022-09-15", 66.0), ("2023-01-13", 63.0), ("2023-06-15", 56.0), ("2023-12-15", 48.0),
           ("2024-06-14", 44.0), ("2024-12-13", 42.0), ("2025-03-14", 44.0), ("2025-06-30", 53.0)],
    "ZM": [("2015-01-02", 350.0), ("2015-09-01", 310.0), ("2016-01-04", 275.0), ("2016-06-15", 380.0),
           ("2016-12-15", 315.0), ("2017-06-15", 305.0), ("2018-05-15", 370.0), ("2018-09-14", 310.0),
           ("2019-06-14", 315.0), ("2020-03-16", 320.0), ("2020-04-15", 300.0), ("2020-12-15", 420.0),
           ("2021-06-15", 370.0), ("2022-06-15", 420.0), ("2022-12-15", 455.0), ("2023-06-15", 400.0),
           ("2023-12-15", 385.0), ("2024-08-15", 305.0), ("2025-06-30", 295.0)],
    "crush": [("2015-01-02", 1.3), ("2016-01-04", 0.8), ("2016-08-15", 1.2), ("2017-06-15", 1.0), ("2018-06-15", 1.4),
              ("2019-06-14", 0.8), ("2020-06-15", 0.85), ("2020-12-15", 1.4), ("2021-06-15", 1.7),
              ("2022-06-15", 2.3), ("2022-12-15", 2.4), ("2023-06-15", 2.2), ("2023-12-15", 1.9), ("2024-06-14", 1.4),
              ("2025-06-30", 1.8)],
    "ZC": [("2015-01-02", 390.0), ("2016-01-04", 360.0), ("2017-06-15", 370.0), ("2018-06-15", 370.0),
           ("2019-06-14", 440.0), ("2020-04-15", 320.0), ("2021-05-14", 690.0), ("2022-05-16", 780.0),
           ("2023-06-15", 600.0), ("2024-08-15", 385.0), ("2025-06-30", 430.0)],
    "CL": [("2015-01-02", 53.0), ("2015-08-24", 40.0), ("2016-02-11", 28.0), ("2016-06-15", 49.0),
           ("2017-06-15", 44.0), ("2018-10-03", 75.0), ("2018-12-24", 45.0), ("2019-04-15", 64.0),
           ("2019-12-16", 61.0), ("2020-02-14", 51.0), ("2020-04-17", 20.5), ("2020-06-15", 38.0),
           ("2020-12-15", 47.0), ("2021-06-15", 72.0), ("2021-10-15", 82.0), ("2022-03-08", 112.0),
           ("2022-06-08", 115.0), ("2022-12-09", 72.0), ("2023-06-15", 70.0), ("2023-09-27", 92.0),
           ("2024-04-12", 85.0), ("2024-12-13", 71.0), ("2025-04-08", 59.0), ("2025-06-30", 66.0)],
    "HO": [("2015-01-02", 1.85), ("2016-01-20", 1.0), ("2016-06-15", 1.5), ("2017-06-15", 1.45), ("2018-10-03", 2.4),
           ("2018-12-24", 1.7), ("2019-12-16", 1.95), ("2020-04-21", 0.9), ("2020-12-15", 1.45), ("2021-06-15", 2.05),
           ("2022-05-03", 4.1), ("2022-12-09", 2.9), ("2023-06-15", 2.4), ("2023-09-27", 3.3), ("2024-12-13", 2.2),
           ("2025-06-30", 2.35)],
    "RB": [("2015-01-02", 1.45), ("2016-02-11", 0.95), ("2016-06-15", 1.55), ("2017-06-15", 1.5), ("2018-05-15", 2.2),
           ("2019-06-14", 1.8), ("2020-03-23", 0.62), ("2020-06-15", 1.2), ("2021-06-15", 2.15), ("2022-06-10", 4.0),
           ("2022-12-09", 2.1), ("2023-06-15", 2.5), ("2023-09-15", 2.6), ("2024-12-13", 2.0), ("2025-06-30", 2.2)],
    "HG": [("2015-01-02", 2.85), ("2016-01-15", 2.02), ("2017-12-15", 3.2), ("2018-06-15", 3.15),
           ("2019-06-14", 2.65), ("2020-03-19", 2.15), ("2021-05-10", 4.6), ("2022-03-07", 4.7), ("2022-07-15", 3.3),
           ("2023-06-15", 3.8), ("2024-05-20", 4.8), ("2024-12-13", 4.1), ("2025-03-26", 4.9), ("2025-06-30", 4.95)],
    "ES": [("2015-01-02", 2050.0), ("2016-02-11", 1830.0), ("2016-12-15", 2250.0), ("2018-01-26", 2850.0),
           ("2018-12-24", 2350.0), ("2019-12-16", 3190.0), ("2020-03-23", 2250.0), ("2020-12-15", 3700.0),
           ("2021-12-30", 4760.0), ("2022-10-12", 3600.0), ("2023-07-31", 4600.0), ("2023-10-27", 4150.0),
           ("2024-12-06", 6090.0), ("2025-04-08", 5000.0), ("2025-06-30", 6200.0)],
}
# fmt: on

#: Soft bounds of the base paths (quoted units; ranges of the real 2010-2025 data).
_PRICE_BOUNDS: Mapping[str, tuple[float, float]] = {
    "ZL": (25.0, 90.0),
    "ZM": (262.0, 530.0),
    "ZC": (300.0, 840.0),
    "CL": (20.0, 120.0),
    "HO": (0.72, 4.45),
    "RB": (0.52, 4.25),
    "HG": (2.0, 5.0),
    "ES": (1750.0, 6400.0),
}

# fmt: off
_MACRO_ANCHORS: Mapping[str, Anchors] = {
    "VIXCLS": [("2015-01-02", 17.0), ("2015-08-24", 28.0), ("2016-02-11", 24.0), ("2016-06-15", 17.0),
               ("2017-06-15", 10.8), ("2018-02-05", 30.0), ("2018-06-15", 13.0), ("2018-12-24", 30.0),
               ("2019-06-14", 15.0), ("2020-01-15", 13.0), ("2020-03-16", 66.0), ("2020-06-15", 32.0),
               ("2020-12-15", 22.0), ("2021-06-15", 17.0), ("2022-03-07", 32.0), ("2022-10-12", 32.0),
               ("2023-06-15", 14.0), ("2024-04-15", 15.5), ("2024-08-05", 26.0), ("2024-12-13", 15.0),
               ("2025-04-08", 46.0), ("2025-06-30", 17.0)],
    "DGS10": [("2015-01-02", 2.1), ("2016-07-08", 1.4), ("2016-12-15", 2.55), ("2018-10-05", 3.2),
              ("2019-08-30", 1.5), ("2020-03-09", 0.6), ("2020-08-04", 0.55), ("2021-03-19", 1.7),
              ("2022-06-14", 3.4), ("2022-10-21", 4.2), ("2023-10-19", 4.95), ("2024-04-25", 4.65),
              ("2024-09-16", 3.65), ("2025-01-14", 4.75), ("2025-06-30", 4.25)],
    "DGS2": [("2015-01-02", 0.65), ("2016-07-08", 0.6), ("2016-12-15", 1.25), ("2018-11-08", 2.95),
             ("2019-09-03", 1.45), ("2020-04-15", 0.2), ("2021-06-15", 0.16), ("2022-03-15", 1.85),
             ("2022-10-21", 4.5), ("2023-03-08", 5.05), ("2023-10-19", 5.15), ("2024-09-16", 3.6),
             ("2025-01-14", 4.35), ("2025-06-30", 3.75)],
    "DTWEXBGS": [("2015-01-02", 110.0), ("2016-01-20", 120.0), ("2017-12-15", 112.0), ("2018-01-26", 109.0),
                 ("2019-09-30", 117.0), ("2020-03-23", 126.0), ("2021-01-06", 111.0), ("2022-10-20", 128.0),
                 ("2023-07-14", 117.0), ("2024-06-14", 123.0), ("2025-01-13", 129.0), ("2025-06-30", 120.0)],
    "DEXCHUS": [("2015-01-02", 6.2), ("2015-08-24", 6.4), ("2016-12-15", 6.95), ("2018-03-26", 6.28),
                ("2018-11-01", 6.95), ("2019-09-03", 7.15), ("2020-05-27", 7.13), ("2021-05-31", 6.37),
                ("2022-03-01", 6.32), ("2022-10-31", 7.25), ("2023-09-08", 7.28), ("2024-01-15", 7.12),
                ("2025-04-09", 7.28), ("2025-06-30", 7.17)],
    "DEXBZUS": [("2015-01-02", 3.05), ("2015-09-23", 3.95), ("2016-01-21", 4.0), ("2016-07-15", 3.25),
                ("2017-06-15", 3.2), ("2018-09-13", 4.15), ("2019-06-14", 3.9), ("2020-05-14", 5.8),
                ("2021-06-15", 5.0), ("2022-04-04", 4.65), ("2023-07-14", 4.8), ("2024-03-15", 4.95),
                ("2024-12-18", 5.95), ("2025-06-30", 5.5)],
    "STLFSI4": [("2015-01-02", -0.6), ("2016-02-11", 1.0), ("2017-06-15", -1.1), ("2018-12-24", 0.3),
                ("2019-06-14", -0.5), ("2020-03-20", 5.0), ("2020-06-12", 1.0), ("2020-12-11", -0.5),
                ("2021-06-11", -0.9), ("2022-10-14", 1.3), ("2023-03-17", 0.9), ("2024-06-14", -0.6),
                ("2025-04-11", 1.4), ("2025-06-27", -0.3)],
    "ANFCI": [("2015-01-02", -0.2), ("2016-02-12", 0.05), ("2017-06-16", -0.5), ("2018-12-28", -0.2),
              ("2019-06-14", -0.4), ("2020-03-20", 0.45), ("2020-06-12", 0.0), ("2021-06-11", -0.6),
              ("2022-10-14", 0.05), ("2023-03-17", 0.0), ("2024-06-14", -0.5), ("2025-04-11", -0.35),
              ("2025-06-27", -0.5)],
    "NFCI": [("2015-01-02", -0.6), ("2016-02-12", -0.45), ("2017-06-16", -0.8), ("2018-12-28", -0.6),
             ("2019-06-14", -0.6), ("2020-03-20", 0.25), ("2020-06-12", -0.3), ("2021-06-11", -0.65),
             ("2022-10-14", -0.1), ("2023-03-17", -0.2), ("2024-06-14", -0.5), ("2024-12-27", -0.55)],
}
# fmt: on

#: Soft bounds of the daily macro paths.
_MACRO_BOUNDS: Mapping[str, tuple[float, float]] = {
    "VIXCLS": (9.5, 82.0),
    "DGS10": (0.5, 5.0),
    "DGS2": (0.09, 5.2),
    "DTWEXBGS": (100.0, 130.0),
    "DEXCHUS": (6.0, 7.3),
    "DEXBZUS": (3.0, 6.0),
}

#: Effective fed funds rate: (first day, level) steps shaped like the FOMC target history.
# fmt: off
_DFF_STEPS: Sequence[tuple[str, float]] = (
    ("2000-01-01", 0.12), ("2015-12-17", 0.36), ("2016-12-15", 0.66), ("2017-03-16", 0.91), ("2017-06-15", 1.16),
    ("2017-12-14", 1.42), ("2018-03-22", 1.68), ("2018-06-14", 1.91), ("2018-09-27", 2.18), ("2018-12-20", 2.4),
    ("2019-08-01", 2.13), ("2019-09-19", 1.9), ("2019-10-31", 1.55), ("2020-03-04", 1.1), ("2020-03-16", 0.08),
    ("2022-03-17", 0.33), ("2022-05-05", 0.83), ("2022-06-16", 1.58), ("2022-07-28", 2.33), ("2022-09-22", 3.08),
    ("2022-11-03", 3.83), ("2022-12-15", 4.33), ("2023-02-02", 4.58), ("2023-03-23", 4.83), ("2023-05-04", 5.08),
    ("2023-07-27", 5.33), ("2024-09-19", 4.83), ("2024-11-08", 4.58), ("2024-12-19", 4.33),
)
# fmt: on

#: NFCI in the real data ends 2024-12-27; the demo copies that.
NFCI_LAST_DATE = date(2024, 12, 27)

# Order of the GARCH-simulated roots and their innovation correlation.
_GARCH_ROOTS: tuple[str, ...] = ("ZL", "ZM", "CL", "HO", "RB", "HG", "ZC", "ES")
_GARCH_VOL = np.array([0.27, 0.25, 0.38, 0.33, 0.36, 0.22, 0.24, 0.17])
_GARCH_CORR = np.array(
    [
        [1.00, 0.25, 0.40, 0.40, 0.35, 0.25, 0.40, 0.20],
        [0.25, 1.00, 0.10, 0.10, 0.10, 0.10, 0.45, 0.05],
        [0.40, 0.10, 1.00, 0.85, 0.80, 0.35, 0.20, 0.35],
        [0.40, 0.10, 0.85, 1.00, 0.75, 0.30, 0.20, 0.30],
        [0.35, 0.10, 0.80, 0.75, 1.00, 0.30, 0.20, 0.30],
        [0.25, 0.10, 0.35, 0.30, 0.30, 1.00, 0.20, 0.40],
        [0.40, 0.45, 0.20, 0.20, 0.20, 0.20, 1.00, 0.10],
        [0.20, 0.05, 0.35, 0.30, 0.30, 0.40, 0.10, 1.00],
    ]
)


# --------------------------------------------------------------------------------------
# root specifications
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RootSpec:
    """How one demo root trades.

    Attributes
    ----------
    root : str
        Product root (must be in seeds/futures_roots.csv).
    calendar : {"grain", "energy"}
        ``grain``: closed on every exchange holiday, 4-6 bar session after New Year,
        Christmas, Independence Day and Thanksgiving. ``energy``: closed only on New Year,
        Good Friday and Christmas; other holidays are own (shorter, thinner) sessions.
    tick : float
        Price increment.
    decimals : int
        Decimals kept after rounding to the tick.
    months : tuple[int, ...]
        Delivery months that become the volume front.
    lead : int
        Volume leaves contract (y, m) in month ``m - lead`` ...
    roll_day : int
        ... around this day of month (+-2 days).
    spread_mu, spread_sd : float
        Per-contract log offset from the base path (calendar spread); additive rate offset
        for ``additive`` roots.
    n_bars : tuple[int, int]
        Inclusive range of hourly bars in a normal session.
    volume_median : float
        Median session volume (contracts).
    volume_sigma : float
        Log-normal volume dispersion.
    rollback_prob : float
        Probability that a scheduled roll is preceded by a 2-3 session temporary switch.
    flip_prob : float
        Daily probability of a 1-2 session switch to the next contract (thin fronts).
    additive : bool
        Price is ``100 - rate`` (ZQ): offsets are added to the rate.
    """

    root: str
    calendar: str
    tick: float
    decimals: int
    months: tuple[int, ...]
    lead: int
    roll_day: int
    spread_mu: float
    spread_sd: float
    n_bars: tuple[int, int]
    volume_median: float
    volume_sigma: float
    rollback_prob: float
    flip_prob: float = 0.0
    additive: bool = False


_MONTHLY = tuple(range(1, 13))

#: The demo roots: the nine feature roots, QM (negative close) and ZC, ES.
DEMO_ROOTS: tuple[RootSpec, ...] = (
    RootSpec("6L", "energy", 0.00005, 5, _MONTHLY, 0, 26, -0.004, 0.002, (8, 16), 3000, 0.6, 0.3, 0.02),
    RootSpec("CL", "energy", 0.01, 2, _MONTHLY, 1, 13, 0.004, 0.010, (23, 23), 280000, 0.3, 0.04),
    RootSpec("ES", "energy", 0.25, 2, (3, 6, 9, 12), 0, 10, 0.003, 0.002, (23, 23), 1500000, 0.3, 0.02),
    RootSpec("HG", "energy", 0.0005, 4, (3, 5, 7, 9, 12), 1, 24, 0.002, 0.004, (23, 23), 50000, 0.35, 0.1),
    RootSpec("HO", "energy", 0.0001, 4, _MONTHLY, 1, 24, 0.0, 0.012, (23, 23), 30000, 0.35, 0.15),
    RootSpec("QM", "energy", 0.025, 3, _MONTHLY, 1, 14, 0.004, 0.010, (23, 23), 10000, 0.4, 0.0),
    RootSpec("RB", "energy", 0.0001, 4, _MONTHLY, 1, 24, 0.0, 0.020, (23, 23), 30000, 0.35, 0.25),
    RootSpec("ZC", "grain", 0.25, 2, (3, 5, 7, 9, 12), 1, 14, 0.01, 0.012, (19, 19), 150000, 0.35, 0.3),
    RootSpec("ZL", "grain", 0.01, 2, (1, 3, 5, 7, 8, 12), 1, 14, 0.003, 0.012, (19, 19), 40000, 0.3, 0.35),
    RootSpec("ZM", "grain", 0.1, 1, (1, 3, 5, 7, 10, 12), 1, 14, 0.0, 0.012, (19, 19), 35000, 0.3, 0.35),
    RootSpec("ZQ", "energy", 0.0025, 4, _MONTHLY, 0, 1, 0.0, 0.03, (12, 20), 12000, 0.6, 0.3, 0.10, True),
    RootSpec("ZS", "grain", 0.25, 2, (1, 3, 5, 7, 8, 11), 1, 14, 0.0, 0.012, (19, 19), 80000, 0.3, 0.3),
)

#: QM 2020-04-20: e-mini WTI still on the expiring May 2020 contract (real open/high/low/close).
NEGATIVE_DAY = date(2020, 4, 20)
_NEGATIVE_BAR = {"open": 17.73, "high": 17.85, "low": -40.32, "close": -37.175}


# --------------------------------------------------------------------------------------
# futures
# --------------------------------------------------------------------------------------


def _sessions(spec: RootSpec, first: date, last: date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (sessions, holiday-session mask, short-session mask) of a root.

    Grains skip every exchange holiday; the energy calendar keeps the holidays other than
    New Year, Good Friday and Christmas as holiday sessions.
    """
    days = _weekdays(first, last)
    holidays = _holiday_array(first, last, "exchange")
    if spec.calendar == "grain":
        sessions = days[~np.isin(days, holidays)]
        after = _holiday_array(first, last, "exchange", ("new_year", "christmas", "independence", "thanksgiving"))
        short = np.isin(sessions, _first_after(sessions, after))
        return sessions, np.zeros(len(sessions), bool), short
    closed = _holiday_array(first, last, "exchange", ("new_year", "good_friday", "christmas"))
    sessions = days[~np.isin(days, closed)]
    return sessions, np.isin(sessions, holidays), np.zeros(len(sessions), bool)


def _contract_list(spec: RootSpec, first: date, last: date) -> list[tuple[int, int]]:
    """List the root's contracts (year, month) from a year before to two years after the range."""
    return [(y, m) for y in range(first.year - 1, last.year + 3) for m in spec.months]


def _contracts(
    spec: RootSpec, first: date, last: date, rng: np.random.Generator
) -> tuple[list[tuple[int, int]], np.ndarray]:
    """List the root's contracts and the date (+-2 days jitter) the volume leaves each."""
    contracts = _contract_list(spec, first, last)
    jitter = rng.integers(-2, 3, len(contracts))
    roll_out = []
    for (y, m), j in zip(contracts, jitter, strict=True):
        month_index = y * 12 + (m - 1) - spec.lead
        day = date(month_index // 12, month_index % 12 + 1, min(spec.roll_day, 28))
        roll_out.append(np.datetime64(day, "D") + int(j))
    return contracts, np.array(roll_out, dtype="datetime64[D]")


def _front_index(sessions: np.ndarray, roll_out: np.ndarray) -> np.ndarray:
    """Index of the volume-front contract per session (first contract not yet rolled out)."""
    return np.searchsorted(roll_out, sessions, side="right")


def _add_rollbacks(front: np.ndarray, spec: RootSpec, rng: np.random.Generator) -> np.ndarray:
    """Add temporary switches: to the next contract for 2-3 sessions before some rolls, and flips."""
    out = front.copy()
    rolls = np.flatnonzero(np.diff(front)) + 1
    draws = rng.random(len(rolls))
    gaps = rng.integers(2, 5, len(rolls))
    lengths = rng.integers(2, 4, len(rolls))
    previous = 0
    for k, u, gap, length in zip(rolls, draws, gaps, lengths, strict=True):
        begin = k - gap - length
        if u < spec.rollback_prob and begin > previous + 2:
            out[begin : k - gap] = front[k]
        previous = int(k)
    if spec.flip_prob > 0:
        flips = np.flatnonzero(rng.random(len(front)) < spec.flip_prob)
        flip_len = rng.integers(1, 3, len(flips))
        near_roll = np.zeros(len(front), bool)
        for k in rolls:
            near_roll[max(int(k) - 8, 0) : int(k) + 3] = True
        busy_until = -1
        for i, length in zip(flips, flip_len, strict=True):
            if i > busy_until + 2 and i > 0 and not near_roll[i : i + length + 1].any():
                out[i : i + length] = front[i] + 1
                busy_until = i + length
    return out


def _illiquid_days(sessions: np.ndarray, first: date, last: date) -> np.ndarray:
    """Pick ZL sessions that the volume-ranked mapping gives to an illiquid contract.

    The first session after Independence Day and after Labor Day, every third such
    candidate starting with the second (about six in ten years), like the real ZL list.
    """
    holidays = _holiday_array(first, last, "exchange", ("independence", "labor"))
    candidates = _first_after(sessions, holidays)
    return candidates[1::3]


def _ohlc(
    close: np.ndarray, prev_close: np.ndarray, sigma: np.ndarray, n_bars: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Build open, high and low around a close (consistent: low <= open, close <= high)."""
    n = len(close)
    scale = sigma * np.sqrt(n_bars / 23.0)
    open_ = prev_close * np.exp(rng.normal(0.0, 0.3, n) * sigma)
    top = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.6, n)) * scale)
    bottom = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.6, n)) * scale)
    return open_, top, bottom


def _round_tick(x: np.ndarray, tick: float, decimals: int) -> np.ndarray:
    """Round prices to the tick and to ``decimals`` decimals."""
    return np.round(np.round(x / tick) * tick, decimals)


def _low_volume(volume: np.ndarray) -> np.ndarray:
    """Real-data rule: volume < 10% of the median of the previous 21 rows (at least 5 rows)."""
    med = pd.Series(volume, dtype=float).shift(1).rolling(21, min_periods=5).median()
    return (pd.Series(volume, dtype=float) < 0.1 * med).fillna(False).to_numpy(dtype=bool)


@dataclass(frozen=True)
class _Market:
    """Latent daily paths on the weekday grid."""

    grid: np.ndarray
    base: Mapping[str, np.ndarray]
    sigma: Mapping[str, np.ndarray]


def _market(grid: np.ndarray, macro_paths: Mapping[str, np.ndarray], rng: np.random.Generator) -> _Market:
    """Simulate the base (front-contract) price path and daily volatility of every root."""
    g_price, g_crush = rng.spawn(2)
    returns, sigma = _garch_shocks(g_price, len(grid), _GARCH_VOL, _GARCH_CORR)
    base: dict[str, np.ndarray] = {}
    vol: dict[str, np.ndarray] = {}
    for j, root in enumerate(_GARCH_ROOTS):
        path = _bridge(grid, returns[:, j], _PRICE_ANCHORS[root], g_price, 0.04, log=True)
        base[root] = _soft_bounds(path, *_PRICE_BOUNDS[root])
        vol[root] = sigma[:, j]
    # Oil share 0.11 ZL / (0.11 ZL + 0.022 ZM) kept inside (0.27, 0.58) by adjusting meal.
    oil_to_meal = _soft_bounds(0.11 * base["ZL"] / (0.022 * base["ZM"]), 0.27 / 0.73, 0.58 / 0.42)
    base["ZM"] = 0.11 * base["ZL"] / (0.022 * oil_to_meal)
    # Soybeans from the board crush: ZS/100 = 0.022 ZM + 0.11 ZL - crush (USD/bu).
    crush = _ou_around(grid, _PRICE_ANCHORS["crush"], g_crush, phi=0.97, sd=0.025, log=True)
    base["ZS"] = _soft_bounds(100.0 * (0.022 * base["ZM"] + 0.11 * base["ZL"] - crush), 790.0, 1760.0, band=0.03)
    vol["ZS"] = 0.6 * vol["ZM"] + 0.3 * vol["ZL"]
    base["QM"], vol["QM"] = base["CL"], vol["CL"]
    base["6L"] = 1.0 / macro_paths["DEXBZUS"]
    vol["6L"] = np.full(len(grid), 0.15 / np.sqrt(252))
    base["ZQ"] = macro_paths["rate"]  # additive: price = 100 - (rate + offset)
    vol["ZQ"] = np.full(len(grid), 0.0003)
    return _Market(grid, base, vol)


def _contract_path(
    spec: RootSpec,
    sessions: np.ndarray,
    illiquid: np.ndarray,
    first: date,
    last: date,
    rng: np.random.Generator,
    roll_override: Mapping[tuple[int, int], date],
) -> np.ndarray:
    """Index (into the root's contract list) of the contract used in each session."""
    contracts, roll_out = _contracts(spec, first, last, rng)
    for key, day in roll_override.items():
        if key in contracts:
            roll_out[contracts.index(key)] = np.datetime64(day, "D")
    front = _front_index(sessions, roll_out)
    contract = _add_rollbacks(front, spec, rng)
    # An illiquid day uses a contract that differs from both neighbours' (a switch there and back).
    neighbours = np.maximum(np.roll(contract, 1), np.roll(contract, -1))
    return np.where(illiquid, np.maximum(neighbours, front) + 1, contract)


def _session_bars(
    spec: RootSpec,
    sessions: np.ndarray,
    holiday: np.ndarray,
    short: np.ndarray,
    illiquid: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Number of hourly bars per session (holiday, short and illiquid sessions have fewer)."""
    n = len(sessions)
    n_bars = rng.integers(spec.n_bars[0], spec.n_bars[1] + 1, n)
    n_bars = np.where(holiday, rng.integers(15, 22, n), n_bars)
    n_bars = np.where(short, np.where(pd.DatetimeIndex(sessions).day_of_week == 4, 5, 6), n_bars)
    return np.where(illiquid, rng.integers(1, 3, n), n_bars).astype(np.int32)


def _session_prices(
    spec: RootSpec,
    market: _Market,
    sessions: np.ndarray,
    offsets: np.ndarray,
    n_bars: np.ndarray,
    illiquid: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Open, high, low and close per session, rounded to the tick."""
    n = len(sessions)
    pos = np.searchsorted(market.grid, sessions)
    base, sigma = market.base[spec.root][pos], market.sigma[spec.root][pos]
    prev_base = market.base[spec.root][np.maximum(pos - 1, 0)]
    if spec.additive:  # 100 - (rate + offset), below 100
        close = 100.0 - np.maximum(base + offsets + rng.normal(0.0, 0.004, n), 0.01)
        prev_close = 100.0 - np.maximum(prev_base + offsets, 0.01)
    else:
        close = base * np.exp(offsets + rng.normal(0.0, 0.0015, n) * illiquid)
        prev_close = prev_base * np.exp(offsets)
    open_, high, low = _ohlc(close, prev_close, sigma, n_bars, rng)
    if spec.additive:
        open_, high = np.minimum(open_, 99.99), np.minimum(high, 99.99)
    high = np.where(illiquid & (np.cumsum(illiquid) == 1), close * 1.2, high)  # outlier high on the first
    raw = {"open": open_, "high": high, "low": low, "close": close}
    return {k: _round_tick(v, spec.tick, spec.decimals) for k, v in raw.items()}


def _session_volume(
    spec: RootSpec, holiday: np.ndarray, short: np.ndarray, illiquid: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Log-normal contract volume; thinner on holiday sessions, tiny on illiquid days."""
    n = len(holiday)
    factor = np.where(holiday, rng.uniform(0.15, 0.6, n), 1.0) * np.where(short, 0.8, 1.0)
    volume = np.round(spec.volume_median * np.exp(rng.normal(0.0, spec.volume_sigma, n)) * factor)
    return np.where(illiquid, rng.integers(1, 400, n), np.maximum(volume, 1)).astype(np.int64)


def _root_frame(
    spec: RootSpec,
    market: _Market,
    first: date,
    last: date,
    ids: np.ndarray,
    offsets: np.ndarray,
    rng: np.random.Generator,
    roll_override: Mapping[tuple[int, int], date],
) -> pd.DataFrame:
    """Simulate the daily rows of one root (columns of futures_daily.parquet)."""
    g_roll, g_bars, g_px, g_vol = rng.spawn(4)
    sessions, holiday, short = _sessions(spec, first, last)
    illiquid = np.isin(sessions, _illiquid_days(sessions, first, last)) & (spec.root == "ZL")
    contract = _contract_path(spec, sessions, illiquid, first, last, g_roll, roll_override)
    n_bars = _session_bars(spec, sessions, holiday, short, illiquid, g_bars)
    frame = pd.DataFrame(
        {
            "root": spec.root,
            "trade_date": sessions,
            "instrument_id": ids[contract],
            **_session_prices(spec, market, sessions, offsets[contract], n_bars, illiquid, g_px),
            "volume": _session_volume(spec, holiday, short, illiquid, g_vol),
            "n_bars": n_bars,
        }
    )
    if spec.root == "QM" and first <= NEGATIVE_DAY <= last:
        row = frame["trade_date"] == np.datetime64(NEGATIVE_DAY, "D")
        for column, value in _NEGATIVE_BAR.items():
            frame.loc[row, column] = value
    inst = frame["instrument_id"].to_numpy()
    is_roll = np.concatenate([[False], inst[1:] != inst[:-1]])
    two = (spec.calendar == "energy") & is_roll & (g_vol.random(len(frame)) < 0.5)
    frame["is_roll"] = is_roll
    frame["n_instruments"] = np.where(two, 2, 1).astype(np.int32)
    frame["low_volume"] = _low_volume(frame["volume"].to_numpy())
    return frame


def _futures(market: _Market, first: date, last: date, rng: np.random.Generator) -> pd.DataFrame:
    """Simulate every demo root; return the rows sorted by (root, trade_date)."""
    g_ids, g_off, *g_roots = rng.spawn(2 + len(DEMO_ROOTS))
    frames = []
    cl_offsets: dict[tuple[int, int], float] = {}
    n_contracts = [len(_contract_list(s, first, last)) for s in DEMO_ROOTS]
    all_ids = g_ids.choice(np.arange(1_000, 900_000), size=sum(n_contracts), replace=False).astype(np.int64)
    start = 0
    for spec, n_c, g_root in zip(DEMO_ROOTS, n_contracts, g_roots, strict=True):
        ids = all_ids[start : start + n_c]
        start += n_c
        contracts = _contract_list(spec, first, last)
        offsets = g_off.normal(spec.spread_mu, spec.spread_sd, n_c)
        override: dict[tuple[int, int], date] = {}
        if spec.root == "CL":
            cl_offsets = dict(zip(contracts, offsets, strict=True))
            override[(2020, 5)] = date(2020, 4, 15)
        if spec.root == "QM":
            offsets = np.array([cl_offsets.get(c, 0.0) for c in contracts]) + g_off.normal(0.0, 0.0005, n_c)
            override[(2020, 5)] = date(2020, 4, 21)
        frames.append(_root_frame(spec, market, first, last, ids, offsets, g_root, override))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["root", "trade_date"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------
# macro
# --------------------------------------------------------------------------------------


def _dff_levels(days: np.ndarray) -> np.ndarray:
    """Step level of the effective fed funds rate on each day."""
    step_days = np.array([np.datetime64(d, "D") for d, _ in _DFF_STEPS])
    levels = np.array([v for _, v in _DFF_STEPS])
    return levels[np.maximum(np.searchsorted(step_days, days, side="right") - 1, 0)]


def _macro_paths(grid: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Simulate the daily macro series on the weekday grid (plus the fed funds ``rate``)."""
    g = dict(zip(("VIXCLS", "DGS10", "DGS2", "DTWEXBGS", "DEXCHUS", "DEXBZUS", "rate"), rng.spawn(7), strict=True))
    n = len(grid)
    paths: dict[str, np.ndarray] = {}
    vix = _ou_around(grid, _MACRO_ANCHORS["VIXCLS"], g["VIXCLS"], 0.95, 0.065, log=True)
    paths["VIXCLS"] = _soft_bounds(vix, *_MACRO_BOUNDS["VIXCLS"], band=0.15)
    for sid in ("DGS10", "DGS2"):
        a_days, a_vals = _anchor_arrays(_MACRO_ANCHORS[sid])
        level = np.interp(grid.astype(np.int64).astype(float), a_days, a_vals)
        shocks = g[sid].normal(0.0, 1.0, n) * (0.012 + 0.011 * level)
        path = _bridge(grid, shocks, _MACRO_ANCHORS[sid], g[sid], 0.05, log=False)
        paths[sid] = _soft_bounds(np.maximum(path, 0.01), *_MACRO_BOUNDS[sid], band=0.15)
    for sid, vol in (("DTWEXBGS", 0.06), ("DEXCHUS", 0.035), ("DEXBZUS", 0.15)):
        shocks = g[sid].normal(0.0, vol / np.sqrt(252), n)
        path = _bridge(grid, shocks, _MACRO_ANCHORS[sid], g[sid], 0.01, log=True)
        paths[sid] = _soft_bounds(path, *_MACRO_BOUNDS[sid], band=0.03)
    # Market-implied policy rate for ZQ: DFF step level plus slowly moving expectations.
    expectation = np.cumsum(g["rate"].normal(0.0, 0.01, n))
    expectation -= np.interp(np.arange(n), np.arange(0, n, 60), expectation[::60])
    paths["rate"] = np.maximum(_dff_levels(grid) + expectation, 0.02)
    return paths


def _series_frame(series_id: str, dates: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """Return a tidy ``series_id,date,value`` frame."""
    return pd.DataFrame({"series_id": series_id, "date": pd.DatetimeIndex(dates).strftime("%Y-%m-%d"), "value": values})


def _monthly_mean(dates: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average daily values by calendar month; return (1st-of-month dates, means)."""
    months = dates.astype("datetime64[M]")
    frame = pd.DataFrame({"m": months, "v": values}).groupby("m", sort=True)["v"].mean()
    return frame.index.to_numpy().astype("datetime64[D]"), frame.to_numpy()


def _macro(
    grid: np.ndarray, paths: Mapping[str, np.ndarray], first: date, last: date, rng: np.random.Generator
) -> dict[str, tuple[pd.DataFrame, int]]:
    """Build every macro file: file name -> (frame, decimals)."""
    g_dff, g_weekly = rng.spawn(2)
    exchange = _holiday_array(first, last, "exchange")
    federal = _holiday_array(first, last, "federal")
    bond = np.union1d(federal, _holiday_array(first, last, "exchange", ("good_friday",)))

    def daily(sid: str, holidays: np.ndarray, decimals: int) -> pd.DataFrame:
        keep = ~np.isin(grid, holidays)
        return _series_frame(sid, grid[keep], np.round(paths[sid][keep], decimals))

    files: dict[str, tuple[pd.DataFrame, int]] = {
        "VIXCLS.csv": (daily("VIXCLS", exchange, 2), 2),
        "DGS10.csv": (daily("DGS10", bond, 2), 2),
        "DGS2.csv": (daily("DGS2", bond, 2), 2),
        "DTWEXBGS.csv": (daily("DTWEXBGS", federal, 4), 4),
        "DEXCHUS.csv": (daily("DEXCHUS", federal, 4), 4),
        "DEXBZUS.csv": (daily("DEXBZUS", federal, 4), 4),
    }
    t10 = files["DGS10.csv"][0]
    files["T10Y2Y.csv"] = (
        _series_frame(
            "T10Y2Y",
            pd.to_datetime(t10["date"]).to_numpy(),
            np.round(t10["value"].to_numpy() - files["DGS2.csv"][0]["value"].to_numpy(), 2),
        ),
        2,
    )

    calendar = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
    dff = np.round(np.maximum(_dff_levels(calendar) + g_dff.choice([-0.01, 0.0, 0.0, 0.01], len(calendar)), 0.04), 2)
    files["DFF.csv"] = (_series_frame("DFF", calendar, dff), 2)
    months, fedfunds = _monthly_mean(calendar, dff)
    files["FEDFUNDS.csv"] = (_series_frame("FEDFUNDS", months, np.round(fedfunds, 2)), 2)

    fridays = calendar[pd.DatetimeIndex(calendar).day_of_week == 4]
    g_stl, g_anfci, g_nfci = g_weekly.spawn(3)
    for sid, g, sd, dec in (("STLFSI4", g_stl, 0.18, 4), ("ANFCI", g_anfci, 0.04, 5), ("NFCI", g_nfci, 0.03, 5)):
        values = _ou_around(fridays, _MACRO_ANCHORS[sid], g, phi=0.85, sd=sd, log=False)
        keep = fridays <= np.datetime64(NFCI_LAST_DATE, "D") if sid == "NFCI" else np.ones(len(fridays), bool)
        files[f"{sid}.csv"] = (_series_frame(sid, fridays[keep], np.round(values[keep], dec)), dec)

    fx = []
    for sid, src in (("BRL_PER_USD_MONTHLY", "DEXBZUS.csv"), ("CNY_PER_USD_MONTHLY", "DEXCHUS.csv")):
        frame = files[src][0]
        m, v = _monthly_mean(
            pd.to_datetime(frame["date"]).to_numpy().astype("datetime64[D]"), frame["value"].to_numpy()
        )
        fx.append(_series_frame(sid, m, np.round(v, 4)))
    files["fx_monthly_brl_cny.csv"] = (pd.concat(fx, ignore_index=True), 4)
    return files


# --------------------------------------------------------------------------------------
# events
# --------------------------------------------------------------------------------------

_EVENTS: Sequence[tuple[str, str, str]] = (
    ("2018-03-22", "Synthetic: US announces tariffs on about USD 50bn of Chinese imports", "escalation"),
    ("2018-04-04", "Synthetic: China proposes 25% tariffs on US goods, including soybeans", "escalation"),
    ("2018-05-19", "Synthetic: joint statement on trade consultations (Saturday)", "de-escalation"),
    ("2018-07-06", "Synthetic: first US tariffs and Chinese retaliation on soybeans take effect", "escalation"),
    ("2018-09-24", "Synthetic: US tariffs on a further USD 200bn take effect; China retaliates", "escalation"),
    ("2018-12-01", "Synthetic: leaders agree a 90-day truce (Saturday)", "de-escalation"),
    ("2019-05-10", "Synthetic: US raises tariff rate on USD 200bn of goods to 25%", "escalation"),
    ("2019-06-29", "Synthetic: talks resume, no new tariffs (Saturday)", "de-escalation"),
    ("2019-08-05", "Synthetic: China suspends purchases of US farm products", "escalation"),
    ("2019-08-23", "Synthetic: China adds tariffs on USD 75bn of US goods, including 5% on soybeans", "escalation"),
    ("2019-10-11", "Synthetic: partial deal in principle; scheduled tariff increase suspended", "de-escalation"),
    ("2019-12-13", "Synthetic: Phase One agreement announced", "de-escalation"),
    ("2020-01-15", "Synthetic: Phase One agreement signed, with farm purchase commitments", "de-escalation"),
    ("2022-03-23", "Synthetic: US reinstates tariff exclusions on Chinese goods", "de-escalation"),
    ("2023-11-15", "Synthetic: leaders' summit, agreement to resume dialogue", "de-escalation"),
    ("2024-05-14", "Synthetic: US raises Section 301 tariffs on selected Chinese goods", "escalation"),
    ("2025-02-01", "Synthetic: US orders additional 10% tariff on China (Saturday)", "escalation"),
    ("2025-03-04", "Synthetic: China announces tariffs on US farm goods, including 10% on soybeans", "escalation"),
    ("2025-04-02", "Synthetic: US announces reciprocal tariffs, including 34% on China", "escalation"),
    ("2025-04-09", "Synthetic: US and China raise tariffs to triple digits", "escalation"),
    ("2025-05-12", "Synthetic: joint statement, tariffs cut by 115 points for 90 days", "de-escalation"),
    ("2025-06-27", "Synthetic: framework on export controls and rare earths confirmed", "de-escalation"),
)


def _events(first: date, last: date) -> pd.DataFrame:
    """Return the synthetic trade-policy events inside the date range."""
    frame = pd.DataFrame(_EVENTS, columns=["event_date", "event", "direction"])
    frame["source"] = "synthetic demo event (zlcast.data.demo_data), not a real document"
    inside = (frame["event_date"] >= first.isoformat()) & (frame["event_date"] <= last.isoformat())
    return frame[inside].reset_index(drop=True)[["event_date", "event", "direction", "source"]]


# --------------------------------------------------------------------------------------
# assembly and writing
# --------------------------------------------------------------------------------------

_PARQUET_SCHEMA = pa.schema(
    [
        ("root", pa.string()),
        ("trade_date", pa.date32()),
        ("instrument_id", pa.int64()),
        ("open", pa.float64()),
        ("high", pa.float64()),
        ("low", pa.float64()),
        ("close", pa.float64()),
        ("volume", pa.int64()),
        ("n_bars", pa.int32()),
        ("is_roll", pa.bool_()),
        ("n_instruments", pa.int32()),
        ("low_volume", pa.bool_()),
    ]
)


#: Calendar days simulated past the last date written (the demo recording's next sessions).
DEMO_SPARE_DAYS = 21
#: The optional CFTC file of the demo set.
COT_FILE = "cftc_cot.csv"


@dataclass(frozen=True)
class DemoTables:
    """The demo data set in memory.

    Attributes
    ----------
    futures : pandas.DataFrame
        Rows of futures_daily.parquet.
    macro : Mapping[str, tuple[pandas.DataFrame, int | None]]
        Macro file name -> (frame, decimals written; None: values kept as text).
    events : pandas.DataFrame
        Rows of trade_policy_events.csv.
    cot : pandas.DataFrame
        Rows of cftc_cot.csv (report_date, managed_money_net, managed_money_long, managed_money_short).
    """

    futures: pd.DataFrame
    macro: Mapping[str, tuple[pd.DataFrame, int | None]]
    events: pd.DataFrame
    cot: pd.DataFrame

    def until(self, last: date) -> DemoTables:
        """The tables as they stand at the close of ``last`` (rows dated after it dropped).

        Parameters
        ----------
        last : datetime.date

        Returns
        -------
        DemoTables
        """
        day = pd.Timestamp(last)
        futures = self.futures[pd.to_datetime(self.futures["trade_date"]) <= day].reset_index(drop=True)
        macro = {
            name: (frame[pd.to_datetime(frame["date"]) <= day].reset_index(drop=True), decimals)
            for name, (frame, decimals) in self.macro.items()
        }
        events = self.events[pd.to_datetime(self.events["event_date"]) <= day].reset_index(drop=True)
        # a Tuesday report is released on the Friday after it
        cot = self.cot[pd.to_datetime(self.cot["report_date"]) + pd.Timedelta(days=3) <= day].reset_index(drop=True)
        return DemoTables(futures=futures, macro=macro, events=events, cot=cot)


def build_demo_tables(seed: int = 20240601, start: str = "2016-01-04", end: str = "2025-06-30") -> DemoTables:
    """Simulate the demo data set in memory (see :func:`write_demo_data`).

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``.
    start, end : str
        ISO first and last futures trade date; macro series start on 1 January of the
        previous year so that lagged features have history.

    Returns
    -------
    DemoTables
        Futures rows, macro frames and events.
    """
    return simulate_demo_tables(seed, start, end).until(date.fromisoformat(end))


def simulate_demo_tables(seed: int = 20240601, start: str = "2016-01-04", end: str = "2025-06-30") -> DemoTables:
    """Simulate the demo data set through :data:`DEMO_SPARE_DAYS` calendar days past ``end``.

    :func:`build_demo_tables` is this, cut at ``end``; the demo recording serves the rows after ``end``.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``.
    start, end : str
        ISO first futures trade date and the last date the data set is written to.

    Returns
    -------
    DemoTables
        Every table through ``end`` + :data:`DEMO_SPARE_DAYS`.
    """
    first, written = date.fromisoformat(start), date.fromisoformat(end)
    if written <= first:
        raise ValueError(f"end {end} must be after start {start}")
    last = written + timedelta(days=DEMO_SPARE_DAYS)
    macro_first = date(first.year - 1, 1, 1)
    grid = _weekdays(macro_first, last)
    g_macro, g_market, g_futures, g_files, g_cot = np.random.default_rng(seed).spawn(5)
    paths = _macro_paths(grid, g_macro)
    market = _market(grid, paths, g_market)
    futures = _futures(market, first, last, g_futures)
    macro = _macro(grid, paths, macro_first, last, g_files)
    return DemoTables(futures=futures, macro=macro, events=_events(first, last), cot=_cot(first, last, g_cot))


def _cot(first: date, last: date, rng: np.random.Generator) -> pd.DataFrame:
    """Weekly (Tuesday) soybean-oil managed-money long and short positions (contracts), mean-reverting."""
    days = pd.date_range(first, last, freq="W-TUE")
    n = len(days)
    long_, short = np.empty(n), np.empty(n)
    long_[0], short[0] = 80_000.0, 40_000.0
    shocks = rng.normal(0.0, 6_000.0, size=(n, 2))
    for i in range(1, n):
        long_[i] = max(5_000.0, long_[i - 1] + 0.1 * (80_000.0 - long_[i - 1]) + shocks[i, 0])
        short[i] = max(5_000.0, short[i - 1] + 0.1 * (40_000.0 - short[i - 1]) + shocks[i, 1])
    lo, sh = np.round(long_).astype("int64"), np.round(short).astype("int64")
    return pd.DataFrame(
        {
            "report_date": days.strftime("%Y-%m-%d"),
            "managed_money_net": lo - sh,
            "managed_money_long": lo,
            "managed_money_short": sh,
        }
    )


def _readme(tables: DemoTables, seed: int, start: str, end: str) -> str:
    """Describe the synthetic data set (deterministic text)."""
    f = tables.futures
    lines = [
        DEMO_MARKER,
        "",
        "SYNTHETIC DATA. Every number in this folder was generated by `zlcast.demo_data.write_demo_data`",
        f"(seed {seed}, futures {start} .. {end}). It is not market data and must not be used for trading,",
        "research conclusions or reporting. Levels loosely follow hand-set anchor points shaped like",
        "2015-2025 history so that units, ranges and relationships are realistic; the paths between",
        "them are random. The layout, columns and quirks match the real data directory.",
        "",
        "## Files",
        "",
        f"- `futures_daily.parquet`: {len(f)} rows, one per (root, trade_date).",
        "- `macro/<series_id>.csv` and `macro/fx_monthly_brl_cny.csv`: header `series_id,date,value`.",
        f"- `trade_policy_events.csv`: {len(tables.events)} synthetic events "
        "(header `event_date,event,direction,source`).",
        f"- `{COT_FILE}`: {len(tables.cot)} weekly synthetic CFTC reports "
        "(header `report_date,managed_money_net,managed_money_long,managed_money_short`).",
        "",
        "## Futures roots",
        "",
        "| root | first | last | rows | rolls | roll-backs | low_volume rows | min close | max close |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for root, g in f.groupby("root", sort=True):
        inst = g["instrument_id"].to_numpy()
        back = sum(
            1
            for i in np.flatnonzero(g["is_roll"].to_numpy())
            if any(i - k >= 0 and inst[i - k] == inst[i] for k in (2, 3, 4))
        )
        lines.append(
            f"| {root} | {g['trade_date'].min():%Y-%m-%d} | {g['trade_date'].max():%Y-%m-%d} | {len(g)} | "
            f"{int(g['is_roll'].sum())} | {back} | {int(g['low_volume'].sum())} | {g['close'].min():g} | "
            f"{g['close'].max():g} |"
        )
    zl = f[(f["root"] == "ZL") & f["low_volume"]]
    qm = f[(f["root"] == "QM") & (f["close"] <= 0)]
    lines += [
        "",
        "## Quirks reproduced",
        "",
        "- Grains (ZL ZS ZM ZC) skip US exchange holidays and have a 5-6 bar session after New Year,",
        "  Christmas, Independence Day and Thanksgiving; energy, metals, FX, rates and equity roots trade",
        "  holiday sessions (fewer bars, thinner volume) and close only on New Year, Good Friday, Christmas.",
        "- `instrument_id` follows a volume-ranked front contract: rolls jump by the calendar spread, some",
        "  rolls are preceded by a 2-3 session switch and back (roll-backs); ZQ and 6L flip often.",
        "- ZL illiquid sessions (tiny volume, 1-2 bars, deferred contract; the first has an outlier high): "
        + (", ".join(f"{d:%Y-%m-%d}" for d in zl["trade_date"]) or "none in range")
        + ".",
        "- QM negative close: "
        + (
            ", ".join(f"{d:%Y-%m-%d} ({c:g})" for d, c in zip(qm["trade_date"], qm["close"], strict=True))
            or "none in range"
        )
        + ".",
        "- Macro: daily series skip their holidays, DFF has every calendar day, STLFSI4/ANFCI/NFCI are",
        "  weekly (Fridays, NFCI ends 2024-12-27), FEDFUNDS and the monthly FX series are dated the 1st.",
        "",
    ]
    return "\n".join(lines)


def _csv_bytes(frame: pd.DataFrame, decimals: int | None = None) -> bytes:
    """Serialise a frame as UTF-8 CSV with ``\\n`` line ends."""
    fmt = f"%.{decimals}f" if decimals is not None else None
    return frame.to_csv(index=False, lineterminator="\n", float_format=fmt).encode("utf-8")


def _parquet_bytes(frame: pd.DataFrame, path: Path) -> None:
    """Write the futures rows with the contract's exact schema (no pandas metadata)."""
    columns = {name: frame[name].to_numpy() for name in _PARQUET_SCHEMA.names}
    columns["trade_date"] = frame["trade_date"].to_numpy().astype("datetime64[D]")
    table = pa.Table.from_pydict(
        {name: pa.array(columns[name], type=_PARQUET_SCHEMA.field(name).type) for name in _PARQUET_SCHEMA.names},
        schema=_PARQUET_SCHEMA,
    )
    pq.write_table(table, path, compression="zstd", row_group_size=1 << 20)


def _write_all(tables: DemoTables, folder: Path, seed: int, start: str, end: str) -> None:
    """Write the files of the data set into an existing empty folder."""
    _parquet_bytes(tables.futures, folder / "futures_daily.parquet")
    (folder / "macro").mkdir()
    for name, (frame, decimals) in sorted(tables.macro.items()):
        (folder / "macro" / name).write_bytes(_csv_bytes(frame, decimals))
    (folder / "trade_policy_events.csv").write_bytes(_csv_bytes(tables.events))
    (folder / COT_FILE).write_bytes(_csv_bytes(tables.cot))
    (folder / "README.md").write_bytes(_readme(tables, seed, start, end).encode("utf-8"))


def _tree_digest(folder: Path) -> dict[str, str]:
    """Map relative file paths to their SHA-256."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _replaceable(folder: Path) -> bool:
    """Whether an existing folder is empty or an earlier demo data set."""
    readme = folder / "README.md"
    if not any(folder.iterdir()):
        return True
    return readme.is_file() and readme.read_text(encoding="utf-8").startswith(DEMO_MARKER)


def write_demo_data(out_dir: Path, seed: int = 20240601, start: str = "2016-01-04", end: str = "2025-06-30") -> Path:
    """Write the synthetic demo data set (layout of the real data directory), atomically.

    The set is built in a temporary folder next to ``out_dir`` and renamed into place.
    If ``out_dir`` already holds identical content nothing is written; if it holds an
    earlier demo set (README marker) or is empty it is replaced.

    Parameters
    ----------
    out_dir : Path
        Target directory.
    seed : int, optional
        Seed of ``numpy.random.default_rng``; equal arguments give byte-identical files.
    start, end : str, optional
        ISO first and last futures trade date.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    FileExistsError
        If ``out_dir`` exists, differs, and is neither empty nor a demo data set
        (protects real data directories).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"{out_dir} exists and is not a directory")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tables = build_demo_tables(seed, start, end)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp creates 0700
        _write_all(tables, tmp, seed, start, end)
        if out_dir.is_dir():
            if _tree_digest(out_dir) == _tree_digest(tmp):
                return out_dir
            if not _replaceable(out_dir):
                raise FileExistsError(
                    f"{out_dir} exists and is not a demo data set (no {DEMO_MARKER!r} README); not replacing it"
                )
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.replace(out_dir, old / "data")
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
        return out_dir
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
