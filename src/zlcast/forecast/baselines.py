"""Random walk with EWMA volatility: the reference yardstick, vectorised.

The reference (``shared/reference/rw_baseline.py``, method ``rw_ewma_normal``)
computes at origin ``i``, from the daily log returns ``d_1..d_i`` known then,

    sigma_i^2 = sum_k lam^(i-k) d_k^2 / sum_k lam^(i-k)

and predicts the h-day log return quantiles ``z_q * sigma_i * sqrt(h)`` (median
= no change). ``pandas.Series.ewm(alpha=1-lam, adjust=True).mean()`` over the
squared returns uses exactly these normalised weights, so :func:`ewma_sigma` is
the reference loop in O(n).
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

from zlcast.forecast.frames import long_predictions
from zlcast.settings import EWMA_LAMBDA

__all__ = ["RW_MODEL", "ewma_sigma", "ewma_sigma_values", "normal_quantiles", "rw_ewma_quantiles"]

#: Model name of the EWMA random walk in the prediction format.
RW_MODEL = "rw_ewma"


def normal_quantiles(quantiles: Sequence[float]) -> np.ndarray:
    """Standard normal quantiles.

    Parameters
    ----------
    quantiles : sequence of float in (0, 1)

    Returns
    -------
    numpy.ndarray
    """
    nd = NormalDist()
    return np.array([nd.inv_cdf(float(q)) for q in quantiles], dtype="float64")


def ewma_sigma(zl: pd.DataFrame, lam: float = EWMA_LAMBDA) -> pd.Series:
    """EWMA daily volatility known at each origin.

    Parameters
    ----------
    zl : pandas.DataFrame
        ``trade_date, log_close``, sorted by date.
    lam : float
        Decay factor (RiskMetrics 0.94).

    Returns
    -------
    pandas.Series
        ``sigma`` (float64) indexed by ``trade_date``; NaN on the first row
        (no return yet). Uses the returns up to and including that date only.
    """
    values = ewma_sigma_values(zl["log_close"].to_numpy(dtype="float64"), lam)
    return pd.Series(values, index=pd.DatetimeIndex(zl["trade_date"], name="trade_date"), name="sigma")


def ewma_sigma_values(log_close: np.ndarray, lam: float = EWMA_LAMBDA) -> np.ndarray:
    """EWMA daily volatility at each row of a log-price array (the computation behind :func:`ewma_sigma`).

    Parameters
    ----------
    log_close : numpy.ndarray, shape (n,)
        Log prices in time order.
    lam : float
        Decay factor.

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``sqrt`` of the normalised EWMA (``adjust=True``) of the squared daily log returns up to and including
        each row; NaN on row 0.
    """
    r = pd.Series(np.diff(np.asarray(log_close, dtype="float64")))
    s2 = (r**2).ewm(alpha=1.0 - lam, adjust=True).mean()
    return np.concatenate([[np.nan], np.sqrt(s2.to_numpy())])


def rw_ewma_quantiles(
    zl: pd.DataFrame,
    horizons: Sequence[int],
    quantiles: Sequence[float],
    lam: float = EWMA_LAMBDA,
    model: str = RW_MODEL,
) -> pd.DataFrame:
    """Random-walk EWMA-normal quantile predictions for every origin.

    Parameters
    ----------
    zl : pandas.DataFrame
        ``trade_date, log_close`` sorted by date.
    horizons : sequence of int
        Horizons in rows of ``zl``.
    quantiles : sequence of float
    lam : float
        EWMA decay.
    model : str
        Model name written to the ``model`` column.

    Returns
    -------
    pandas.DataFrame
        Long prediction format. Origins with a realised target (``i + h`` rows
        exist) are ``split='oof'`` with the real ``target_date``; the last ``h``
        origins are ``split='live'`` with an estimated ``target_date``.
        ``fold_id`` is ``-1`` (no training). The first origin (no return yet)
        is left out.
    """
    sigma = ewma_sigma(zl, lam)
    dates = pd.DatetimeIndex(zl["trade_date"]).values
    zq = normal_quantiles(quantiles)
    ok = np.isfinite(sigma.to_numpy())
    out = []
    n = len(dates)
    for h in horizons:
        values = np.outer(sigma.to_numpy() * np.sqrt(h), zq)
        realised = np.arange(n) + h < n
        m_oof = ok & realised
        m_live = ok & ~realised
        tgt = dates[np.flatnonzero(m_oof) + h]
        out.append(long_predictions(dates[m_oof], h, tgt, model, quantiles, values[m_oof], "oof", -1))
        out.append(long_predictions(dates[m_live], h, None, model, quantiles, values[m_live], "live", -1))
    return pd.concat(out, ignore_index=True)
