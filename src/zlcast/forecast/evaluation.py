"""Scores of long quantile predictions, with the reference protocol.

All scores use quantiles 0.1/0.5/0.9 of the h-day log return (equivalently of
the log price, since the origin's log close cancels):

* ``pinball``: mean pinball loss over origins and the three quantiles;
* ``coverage80``: share of actuals inside ``[P10, P90]``;
* ``mape_pct``: ``mean |exp(actual - P50) - 1| * 100`` (the reference's MAPE of
  the median price);
* ``skill_vs_rw``: ``1 - pinball / pinball_rw`` on exactly the same origins;
* ``hit_rate``: share of origins where ``sign(P50) == sign(actual)`` among
  origins with a non-zero median and actual (NaN when there is none, e.g. a
  random walk's median of 0).

Only ``split == 'oof'`` rows are scored.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "EVAL_QUANTILES",
    "METRIC_COLUMNS",
    "coverage",
    "evaluate",
    "hit_rate",
    "mape_pct",
    "pinball_loss",
    "wide_quantiles",
]

#: Quantile levels used by every score.
EVAL_QUANTILES: tuple[float, float, float] = (0.1, 0.5, 0.9)

#: Columns of :func:`evaluate`'s result.
METRIC_COLUMNS: tuple[str, ...] = (
    "model",
    "horizon_days",
    "pinball",
    "coverage80",
    "mape_pct",
    "skill_vs_rw",
    "hit_rate",
    "n_origins",
    "period_start",
    "period_end",
)

_KEYS = ["model", "as_of_date", "horizon_days"]


def pinball_loss(actual: np.ndarray, qhat: np.ndarray, quantiles: Sequence[float] = EVAL_QUANTILES) -> float:
    """Mean pinball loss over origins and quantiles.

    Parameters
    ----------
    actual : numpy.ndarray, shape (n,)
    qhat : numpy.ndarray, shape (n, k)
        Predicted quantiles, column j for ``quantiles[j]``.
    quantiles : sequence of float, length k

    Returns
    -------
    float
    """
    q = np.asarray(quantiles, dtype="float64")
    e = np.asarray(actual, dtype="float64")[:, None] - np.asarray(qhat, dtype="float64")
    return float(np.mean(np.maximum(q * e, (q - 1.0) * e)))


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of ``actual`` inside ``[lower, upper]``.

    Parameters
    ----------
    actual, lower, upper : numpy.ndarray, shape (n,)

    Returns
    -------
    float
    """
    a = np.asarray(actual)
    return float(np.mean((a >= lower) & (a <= upper)))


def mape_pct(actual: np.ndarray, median: np.ndarray) -> float:
    """Mean absolute percentage error of the median price, in percent.

    Parameters
    ----------
    actual, median : numpy.ndarray
        Log returns (or log prices).

    Returns
    -------
    float
        ``mean |exp(actual - median) - 1| * 100``.
    """
    return float(np.mean(np.abs(np.exp(np.asarray(actual) - np.asarray(median)) - 1.0)) * 100.0)


def hit_rate(actual: np.ndarray, median: np.ndarray) -> float:
    """Directional hit rate of the median forecast.

    Parameters
    ----------
    actual, median : numpy.ndarray

    Returns
    -------
    float
        Share of ``sign(median) == sign(actual)`` among rows where both are
        non-zero; NaN when no such row exists.
    """
    a, m = np.sign(np.asarray(actual)), np.sign(np.asarray(median))
    ok = (a != 0) & (m != 0)
    return float(np.mean(a[ok] == m[ok])) if ok.any() else float("nan")


def wide_quantiles(preds: pd.DataFrame, quantiles: Sequence[float] = EVAL_QUANTILES) -> pd.DataFrame:
    """One row per (model, origin, horizon) with columns ``q10, q50, q90``.

    Parameters
    ----------
    preds : pandas.DataFrame
        Long predictions (``split == 'oof'`` rows are kept).
    quantiles : sequence of float

    Returns
    -------
    pandas.DataFrame
        ``model, as_of_date, horizon_days`` + one column per quantile named
        ``q<100*q>``; origins lacking one of the quantiles are dropped.

    Raises
    ------
    ValueError
        When an origin has two OOF predictions of the same model and quantile.
    """
    p = preds.loc[preds["split"] == "oof", [*_KEYS, "quantile", "value"]].copy()
    p["quantile"] = p["quantile"].round(6)
    want = [round(float(q), 6) for q in quantiles]
    p = p[p["quantile"].isin(want)]
    if p.duplicated([*_KEYS, "quantile"]).any():
        raise ValueError("predictions hold duplicate OOF rows for (model, as_of_date, horizon_days, quantile)")
    w = p.pivot_table(index=_KEYS, columns="quantile", values="value", aggfunc="first")
    w = w.reindex(columns=want).dropna()
    w.columns = [f"q{round(q * 100):02d}" for q in want]
    return w.reset_index()


def evaluate(
    preds: pd.DataFrame,
    targets: pd.DataFrame,
    rw_preds: pd.DataFrame,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Score every model and horizon against realised targets and the random walk.

    Parameters
    ----------
    preds : pandas.DataFrame
        Long predictions of one or more models.
    targets : pandas.DataFrame
        ``trade_date, horizon_days, target_date, fwd_log_return``.
    rw_preds : pandas.DataFrame
        Long predictions of the reference random walk (one model). Scores of
        each model are computed on the origins where the model, the random walk
        and a realised target all exist, so ``skill_vs_rw`` compares like with like.
    start, end : date-like, optional
        Inclusive origin window.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`METRIC_COLUMNS`, one row per (model, horizon_days).
    """
    w = wide_quantiles(preds)
    rw = wide_quantiles(rw_preds).drop(columns="model")
    if rw.duplicated(["as_of_date", "horizon_days"]).any():
        raise ValueError("rw_preds must hold exactly one model")
    rw = rw.rename(columns={"q10": "rw10", "q50": "rw50", "q90": "rw90"})
    t = targets[["trade_date", "horizon_days", "fwd_log_return"]].rename(columns={"trade_date": "as_of_date"})
    d = w.merge(t, on=["as_of_date", "horizon_days"]).merge(rw, on=["as_of_date", "horizon_days"])
    if start is not None:
        d = d[d["as_of_date"] >= pd.Timestamp(start)]
    if end is not None:
        d = d[d["as_of_date"] <= pd.Timestamp(end)]
    rows = []
    for _, g in d.groupby(["model", "horizon_days"], sort=True):
        model, h = str(g["model"].iloc[0]), int(g["horizon_days"].iloc[0])
        a = g["fwd_log_return"].to_numpy()
        qhat = g[["q10", "q50", "q90"]].to_numpy()
        pl = pinball_loss(a, qhat)
        pl_rw = pinball_loss(a, g[["rw10", "rw50", "rw90"]].to_numpy())
        rows.append(
            {
                "model": model,
                "horizon_days": h,
                "pinball": pl,
                "coverage80": coverage(a, qhat[:, 0], qhat[:, 2]),
                "mape_pct": mape_pct(a, qhat[:, 1]),
                "skill_vs_rw": 1.0 - pl / pl_rw if pl_rw > 0 else float("nan"),
                "hit_rate": hit_rate(a, qhat[:, 1]),
                "n_origins": len(g),
                "period_start": g["as_of_date"].min(),
                "period_end": g["as_of_date"].max(),
            }
        )
    out = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    return out.astype({"horizon_days": "int64", "n_origins": "int64"})
