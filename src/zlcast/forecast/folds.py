"""Walk-forward, purged, embargoed expanding-window splits.

Validation blocks are consecutive ``fold_months``-month calendar blocks from
``settings.oof_start`` to the last trading date. For horizon ``h`` and a block
starting at trading date ``val_start`` a training row (origin ``d``) is allowed
only if

* **purge**: its ``target_date < val_start`` (the whole target window lies
  before the block), and
* **embargo**: ``pos(d) <= pos(val_start) - embargo`` where ``pos`` is the row
  number in the trading-date series and ``embargo = settings.embargo_for(h)``
  (default ``h``).

Training windows expand: every fold trains on all allowed history. Validation
rows are the realised targets whose origin lies in ``[val_start, val_end]``.
``fold_id`` numbers the calendar blocks from 0 (block 0 starts at
``oof_start``) and is the same for every horizon; folds with fewer than
``settings.min_train_rows`` training rows or without a realised validation row
are dropped.

The *live* fit at a cutoff date ``C`` uses every row whose target is realised
at ``C`` (``target_date <= C``) and predicts the origins ``>= C``.

A fold is passed around as one row of :func:`make_folds` (a ``pandas.Series``,
a ``dict`` or an ``itertuples`` namedtuple all work).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from zlcast.settings import ForecastSettings

__all__ = [
    "FOLD_COLUMNS",
    "LIVE_FOLD_ID",
    "live_fold",
    "live_origins",
    "live_train_rows",
    "make_folds",
    "trading_dates",
    "train_rows",
    "val_origins",
    "val_rows",
    "validation_blocks",
]

#: Columns of the fold table returned by :func:`make_folds`.
FOLD_COLUMNS: tuple[str, ...] = (
    "fold_id",
    "horizon_days",
    "train_start",
    "train_end",
    "val_start",
    "val_end",
    "n_train",
    "n_val",
    "embargo_days",
)

#: ``fold_id`` used for live predictions.
LIVE_FOLD_ID = -1


def _get(fold: Mapping[str, Any] | Any, key: str) -> Any:
    """Read a field of a fold row given as Series, dict or namedtuple."""
    if isinstance(fold, (Mapping, pd.Series)):
        return fold[key]
    return getattr(fold, key)


def trading_dates(dates: Sequence[Any] | pd.Series | pd.DatetimeIndex | np.ndarray) -> pd.DatetimeIndex:
    """Normalise trading dates to a sorted, unique ``DatetimeIndex``.

    Parameters
    ----------
    dates : array-like of dates

    Returns
    -------
    pandas.DatetimeIndex

    Raises
    ------
    ValueError
        When the dates are empty.
    """
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates)).to_numpy()).unique().sort_values()
    if len(idx) == 0:
        raise ValueError("trading dates are empty")
    return idx


def validation_blocks(dates: pd.DatetimeIndex, oof_start: pd.Timestamp, fold_months: int) -> pd.DataFrame:
    """Calendar validation blocks snapped to trading dates.

    Parameters
    ----------
    dates : pandas.DatetimeIndex
        Sorted unique trading dates.
    oof_start : pandas.Timestamp
        Start of block 0.
    fold_months : int
        Block length in calendar months.

    Returns
    -------
    pandas.DataFrame
        ``fold_id, val_start, val_end`` (trading dates), blocks without a
        trading date left out (their ids are skipped).
    """
    rows = []
    start = pd.Timestamp(oof_start)
    k = 0
    last = dates[-1]
    while start <= last:
        stop = start + pd.DateOffset(months=fold_months)
        inside = dates[(dates >= start) & (dates < stop)]
        if len(inside):
            rows.append((k, inside[0], inside[-1]))
        start, k = stop, k + 1
    return pd.DataFrame(rows, columns=["fold_id", "val_start", "val_end"]).astype({"fold_id": "int64"})


def make_folds(
    dates: Sequence[Any] | pd.Series | pd.DatetimeIndex | np.ndarray,
    targets: pd.DataFrame,
    settings: ForecastSettings,
) -> pd.DataFrame:
    """Walk-forward folds for every horizon of ``settings``.

    Parameters
    ----------
    dates : array-like of dates
        Trading dates of the ZL series (the embargo counts rows of it).
    targets : pandas.DataFrame
        ``trade_date, horizon_days, target_date, fwd_log_return`` (realised rows).
    settings : ForecastSettings

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FOLD_COLUMNS`, one row per kept (fold, horizon), sorted by
        ``horizon_days, fold_id``. ``train_start``/``train_end`` are the first
        and last origins of the training rows.
    """
    idx = trading_dates(dates)
    blocks = validation_blocks(idx, settings.oof_start, settings.fold_months)
    rows: list[dict[str, Any]] = []
    for h in settings.horizons:
        t = targets.loc[targets["horizon_days"] == h, ["trade_date", "target_date"]]
        origin = t["trade_date"].to_numpy()
        tdate = t["target_date"].to_numpy()
        emb = settings.embargo_for(h)
        for fid, vs, ve in zip(blocks["fold_id"].tolist(), blocks["val_start"], blocks["val_end"]):
            val_start, val_end = pd.Timestamp(vs), pd.Timestamp(ve)
            pos = int(idx.searchsorted(val_start))  # val_start is a trading date
            if pos - emb < 0:
                continue
            last_origin = idx[pos - emb].to_datetime64()
            tr = (origin <= last_origin) & (tdate < val_start.to_datetime64())
            va = (origin >= val_start.to_datetime64()) & (origin <= val_end.to_datetime64())
            n_train, n_val = int(tr.sum()), int(va.sum())
            if n_train < settings.min_train_rows or n_val == 0:
                continue
            rows.append(
                {
                    "fold_id": int(fid),
                    "horizon_days": int(h),
                    "train_start": pd.Timestamp(origin[tr].min()),
                    "train_end": pd.Timestamp(origin[tr].max()),
                    "val_start": val_start,
                    "val_end": val_end,
                    "n_train": n_train,
                    "n_val": n_val,
                    "embargo_days": int(emb),
                }
            )
    out = pd.DataFrame(rows, columns=list(FOLD_COLUMNS))
    return out.astype(
        {
            "fold_id": "int64",
            "horizon_days": "int64",
            "n_train": "int64",
            "n_val": "int64",
            "embargo_days": "int64",
            "train_start": "datetime64[ns]",
            "train_end": "datetime64[ns]",
            "val_start": "datetime64[ns]",
            "val_end": "datetime64[ns]",
        }
    ).reset_index(drop=True)


def train_rows(fold: Mapping[str, Any] | Any, targets: pd.DataFrame) -> pd.DataFrame:
    """Training rows of a fold (purged and embargoed).

    Parameters
    ----------
    fold : fold row of :func:`make_folds`
    targets : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        Rows of ``targets`` (same columns), sorted by ``trade_date``.
    """
    h = int(_get(fold, "horizon_days"))
    m = (
        (targets["horizon_days"] == h)
        & (targets["trade_date"] >= _get(fold, "train_start"))
        & (targets["trade_date"] <= _get(fold, "train_end"))
        & (targets["target_date"] < _get(fold, "val_start"))
    )
    return targets.loc[m].sort_values("trade_date")


def val_rows(fold: Mapping[str, Any] | Any, targets: pd.DataFrame) -> pd.DataFrame:
    """Validation (out-of-fold) rows of a fold: realised targets with origin in the block.

    Parameters
    ----------
    fold : fold row of :func:`make_folds`
    targets : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        Rows of ``targets``, sorted by ``trade_date``.
    """
    h = int(_get(fold, "horizon_days"))
    m = (
        (targets["horizon_days"] == h)
        & (targets["trade_date"] >= _get(fold, "val_start"))
        & (targets["trade_date"] <= _get(fold, "val_end"))
    )
    return targets.loc[m].sort_values("trade_date")


def val_origins(fold: Mapping[str, Any] | Any, dates: Sequence[Any] | pd.Series | pd.DatetimeIndex) -> pd.DatetimeIndex:
    """All trading dates of a fold's validation block (realised or not).

    Parameters
    ----------
    fold : fold row of :func:`make_folds`
    dates : array-like of dates

    Returns
    -------
    pandas.DatetimeIndex
    """
    idx = trading_dates(dates)
    return idx[(idx >= _get(fold, "val_start")) & (idx <= _get(fold, "val_end"))]


def live_train_rows(targets: pd.DataFrame, cutoff: pd.Timestamp, horizon: int) -> pd.DataFrame:
    """Rows of the live fit: every target realised at the cutoff.

    Parameters
    ----------
    targets : pandas.DataFrame
    cutoff : pandas.Timestamp
        Training cutoff (a trading date).
    horizon : int

    Returns
    -------
    pandas.DataFrame
        Rows with ``horizon_days == horizon`` and ``target_date <= cutoff``, sorted.
    """
    m = (targets["horizon_days"] == int(horizon)) & (targets["target_date"] <= pd.Timestamp(cutoff))
    return targets.loc[m].sort_values("trade_date")


def live_origins(dates: Sequence[Any] | pd.Series | pd.DatetimeIndex, cutoff: pd.Timestamp) -> pd.DatetimeIndex:
    """Origins predicted by the live predictor: trading dates ``>= cutoff``.

    Parameters
    ----------
    dates : array-like of dates
    cutoff : pandas.Timestamp

    Returns
    -------
    pandas.DatetimeIndex
    """
    idx = trading_dates(dates)
    return idx[idx >= pd.Timestamp(cutoff)]


def live_fold(
    dates: Sequence[Any] | pd.Series | pd.DatetimeIndex,
    targets: pd.DataFrame,
    cutoff: pd.Timestamp,
    horizon: int,
) -> dict[str, Any]:
    """Describe the live fit like a fold row (``fold_id = -1``).

    Parameters
    ----------
    dates : array-like of dates
    targets : pandas.DataFrame
    cutoff : pandas.Timestamp
    horizon : int

    Returns
    -------
    dict
        Keys :data:`FOLD_COLUMNS`; ``val_start`` is the cutoff, ``val_end`` the
        last trading date, ``n_val`` the number of live origins and
        ``embargo_days`` 0 (only the realisation rule applies).
    """
    tr = live_train_rows(targets, cutoff, horizon)
    origins = live_origins(dates, cutoff)
    return {
        "fold_id": LIVE_FOLD_ID,
        "horizon_days": int(horizon),
        "train_start": tr["trade_date"].min() if len(tr) else pd.NaT,
        "train_end": tr["trade_date"].max() if len(tr) else pd.NaT,
        "val_start": pd.Timestamp(cutoff),
        "val_end": origins[-1] if len(origins) else pd.NaT,
        "n_train": len(tr),
        "n_val": len(origins),
        "embargo_days": 0,
    }
