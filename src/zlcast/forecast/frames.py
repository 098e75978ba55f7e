"""Frame contracts (pandera) of the forecast layer and the long prediction format.

Frames handed over by the dbt models
------------------------------------
``features``
    ``trade_date`` (datetime64[ns], sorted, unique) + float64 columns
    ``<group>__<name>`` with ``group`` in :data:`FEATURE_GROUPS`; NaN allowed, inf not.
``zl``
    ``trade_date``, ``log_close``: ZL front-month log close, low-volume sessions removed.
    "h days" means h rows of this series.
``targets``
    ``trade_date, horizon_days, target_date, fwd_log_return`` with
    ``fwd_log_return = log_close[i+h] - log_close[i]``; only realised rows.

Prediction format (long, used by every model)
---------------------------------------------
``as_of_date, horizon_days, target_date, model, quantile, value, split, fold_id``

* ``value`` is the predicted log return from the ``as_of_date`` close, so the
  price quantile is ``exp(log_close(as_of_date) + value)``.
* ``split`` is ``'oof'`` for walk-forward out-of-fold predictions (the origin's
  target is realised, ``target_date`` is the real one) and ``'live'`` for
  predictions of the current live predictor (or, for untrained baselines, for
  origins whose target is not realised yet).
* ``fold_id`` is the walk-forward fold (``>= 0``) or ``-1`` for live rows and
  untrained baselines.
* For live rows ``target_date`` is an **estimate**: ``as_of_date`` plus ``h``
  weekdays (:func:`estimate_target_dates`, numpy ``busday_offset`` without a
  holiday calendar), because future exchange holidays are not in the data.

Every ``validate_*`` function returns the (possibly coerced) frame or raises
:class:`FrameValidationError` whose message names the frame, the column, the
failed check and the first offending rows.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

from zlcast.settings import BUCKETS, CORE_GROUP

__all__ = [
    "FEATURE_GROUPS",
    "PREDICTION_COLUMNS",
    "FrameValidationError",
    "as_datetime",
    "bucket_columns",
    "empty_predictions",
    "estimate_target_dates",
    "feature_columns",
    "features_schema",
    "long_predictions",
    "predictions_schema",
    "targets_schema",
    "validate_features",
    "validate_predictions",
    "validate_targets",
    "validate_zl",
    "zl_schema",
]

#: Dates given as a Series, an array, an Index or a list (converted with ``pd.to_datetime`` / ``DatetimeIndex``).
DatesLike = pd.Series | np.ndarray | pd.Index | Sequence[Any]

#: Feature groups: ``core`` (ZL's own price features) plus the "Big 8" buckets.
FEATURE_GROUPS: tuple[str, ...] = (CORE_GROUP, *BUCKETS)
FEATURE_REGEX = r"^(" + "|".join(FEATURE_GROUPS) + r")__[A-Za-z0-9_]+$"

#: Column order of the long prediction format.
PREDICTION_COLUMNS: tuple[str, ...] = (
    "as_of_date",
    "horizon_days",
    "target_date",
    "model",
    "quantile",
    "value",
    "split",
    "fold_id",
)


class FrameValidationError(ValueError):
    """A frame handed to the forecast layer breaks its contract."""


def _sorted_unique_dates(df: pd.DataFrame) -> pd.Series:
    """Row check: ``trade_date`` is later than the previous row's (strictly increasing)."""
    if "trade_date" not in df:
        return pd.Series(True, index=df.index)
    s = pd.Series(pd.to_datetime(df["trade_date"], errors="coerce").to_numpy(), index=df.index)
    ok = s > s.shift(1)
    ok.iloc[:1] = True
    return ok


def _target_after_origin(df: pd.DataFrame, origin: str) -> pd.Series:
    """Row check: ``target_date`` is later than the origin date column."""
    if "target_date" not in df or origin not in df:
        return pd.Series(True, index=df.index)
    return pd.Series(
        pd.to_datetime(df["target_date"], errors="coerce").to_numpy()
        > pd.to_datetime(df[origin], errors="coerce").to_numpy(),
        index=df.index,
    )


def _finite_or_nan(s: pd.Series) -> pd.Series:
    """Element check: value is finite or NaN (no +-inf)."""
    return pd.Series(~np.isinf(s.to_numpy(dtype="float64")), index=s.index)


def _finite(s: pd.Series) -> pd.Series:
    """Element check: value is finite (no NaN, no inf)."""
    return pd.Series(np.isfinite(s.to_numpy(dtype="float64")), index=s.index)


_DATE = pa.Column("datetime64[ns]", nullable=False)


def features_schema() -> pa.DataFrameSchema:
    """Schema of the ``features`` frame.

    Returns
    -------
    pandera.DataFrameSchema
        ``trade_date`` + float64 feature columns ``<group>__<name>`` (NaN ok, inf not);
        no other columns; dates sorted and unique.
    """
    return pa.DataFrameSchema(
        {
            "trade_date": pa.Column("datetime64[ns]", nullable=False, unique=True),
            FEATURE_REGEX: pa.Column(
                "float64",
                checks=pa.Check(_finite_or_nan, element_wise=False, name="no_inf"),
                nullable=True,
                regex=True,
                required=False,
            ),
        },
        checks=[pa.Check(_sorted_unique_dates, name="trade_date_sorted_unique")],
        strict=True,
        name="features",
    )


def zl_schema() -> pa.DataFrameSchema:
    """Schema of the ``zl`` frame (``trade_date``, ``log_close``).

    Returns
    -------
    pandera.DataFrameSchema
    """
    return pa.DataFrameSchema(
        {
            "trade_date": pa.Column("datetime64[ns]", nullable=False, unique=True),
            "log_close": pa.Column("float64", checks=pa.Check(_finite, name="finite"), nullable=False),
        },
        checks=[pa.Check(_sorted_unique_dates, name="trade_date_sorted_unique")],
        strict="filter",
        name="zl",
    )


def targets_schema() -> pa.DataFrameSchema:
    """Schema of the ``targets`` frame.

    Returns
    -------
    pandera.DataFrameSchema
        Unique ``(trade_date, horizon_days)``, ``target_date > trade_date``,
        finite ``fwd_log_return``.
    """
    return pa.DataFrameSchema(
        {
            "trade_date": _DATE,
            "horizon_days": pa.Column("int64", checks=pa.Check.gt(0), nullable=False),
            "target_date": _DATE,
            "fwd_log_return": pa.Column("float64", checks=pa.Check(_finite, name="finite"), nullable=False),
        },
        checks=[
            pa.Check(lambda d: _target_after_origin(d, "trade_date"), name="target_date_after_trade_date"),
        ],
        unique=["trade_date", "horizon_days"],
        strict="filter",
        name="targets",
    )


def predictions_schema() -> pa.DataFrameSchema:
    """Schema of the long prediction frame (see module docstring).

    Returns
    -------
    pandera.DataFrameSchema
    """
    return pa.DataFrameSchema(
        {
            "as_of_date": _DATE,
            "horizon_days": pa.Column("int64", checks=pa.Check.gt(0), nullable=False),
            "target_date": _DATE,
            "model": pa.Column(str, checks=pa.Check.str_length(min_value=1), nullable=False),
            "quantile": pa.Column("float64", checks=[pa.Check.gt(0.0), pa.Check.lt(1.0)], nullable=False),
            "value": pa.Column("float64", checks=pa.Check(_finite, name="finite"), nullable=False),
            "split": pa.Column(str, checks=pa.Check.isin(["oof", "live"]), nullable=False),
            "fold_id": pa.Column("int64", checks=pa.Check.ge(-1), nullable=False),
        },
        checks=[
            pa.Check(lambda d: _target_after_origin(d, "as_of_date"), name="target_date_after_as_of_date"),
        ],
        unique=["model", "split", "as_of_date", "horizon_days", "quantile"],
        strict=True,
        ordered=False,
        name="predictions",
    )


#: Frame-level checks and the column they are about (for error messages).
_FRAME_CHECK_COLUMN: dict[str, str] = {
    "trade_date_sorted_unique": "trade_date",
    "target_date_after_trade_date": "target_date",
    "target_date_after_as_of_date": "target_date",
}


def _clean_index(values: Sequence[object]) -> list[object]:
    """Drop None/NaN entries and duplicates from a list of row labels, keeping order."""
    out: list[object] = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v in out:
            continue
        out.append(v)
    return out


def _describe(frame: str, err: SchemaErrors | SchemaError, max_rows: int = 5) -> str:
    """Turn a pandera error into one readable message.

    Parameters
    ----------
    frame : str
        Frame name used in the message.
    err : SchemaErrors or SchemaError
        The pandera error.
    max_rows : int
        How many offending rows to list per problem.

    Returns
    -------
    str
        ``"<frame> frame is invalid:"`` followed by one line per problem, each
        naming the column, the failed check and the first offending rows.
    """
    fc = getattr(err, "failure_cases", None)
    if not isinstance(fc, pd.DataFrame) or fc.empty:
        return f"{frame} frame is invalid: {err}"
    lines = [f"{frame} frame is invalid:"]
    fc = fc.copy()
    fc["check"] = fc["check"].astype(str)
    for check_key, grp in fc.groupby("check", sort=False):
        check = str(check_key)
        if check == "column_in_dataframe":
            lines.append(f"  missing column(s) {sorted(map(str, grp['failure_case']))}")
            continue
        if check == "column_in_schema":
            lines.append(f"  unexpected column(s) {sorted(map(str, grp['failure_case']))}")
            continue
        if check in _FRAME_CHECK_COLUMN:
            column = _FRAME_CHECK_COLUMN[check]
            sub = grp[grp["column"] == column]
            grp = sub if not sub.empty else grp.iloc[:1]
            groups = [(column, grp)]
        else:
            groups = list(grp.groupby(grp["column"].astype(str), sort=False))
        for column, g in groups:
            idx = _clean_index(g["index"].tolist())
            cases = g["failure_case"].tolist()[:max_rows]
            where = ""
            if idx:
                more = f" (+{len(idx) - max_rows} more)" if len(idx) > max_rows else ""
                where = f" at rows {idx[:max_rows]}{more}"
            lines.append(f"  column {column!r}: check {check} failed{where}; failure cases {cases}")
    return "\n".join(lines)


def _validate(frame: str, schema: pa.DataFrameSchema, df: pd.DataFrame, coerce: bool) -> pd.DataFrame:
    """Validate ``df`` against ``schema``; raise :class:`FrameValidationError`.

    Parameters
    ----------
    frame : str
        Frame name for messages.
    schema : pandera.DataFrameSchema
        Schema.
    df : pandas.DataFrame
        Frame to check.
    coerce : bool
        Coerce dtypes first (e.g. int32 -> int64, datetime64[us] -> [ns]).

    Returns
    -------
    pandas.DataFrame
        The validated (coerced) frame, with the original index.

    Notes
    -----
    Row numbers in error messages are positions (0-based), not index labels.
    """
    if not isinstance(df, pd.DataFrame):
        raise FrameValidationError(f"{frame} frame must be a pandas DataFrame, got {type(df).__name__}")
    if coerce:
        schema.coerce = True  # schema objects are built fresh per call
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            # positional row labels: messages report row positions, duplicate labels are harmless
            out = schema.validate(df.reset_index(drop=True), lazy=True)
        out.index = df.index
        return out
    except (SchemaErrors, SchemaError) as err:
        raise FrameValidationError(_describe(frame, err)) from err


def feature_columns(features: pd.DataFrame) -> list[str]:
    """Feature column names (``<group>__<name>``) in frame order.

    Parameters
    ----------
    features : pandas.DataFrame

    Returns
    -------
    list of str
    """
    groups = set(FEATURE_GROUPS)
    return [c for c in features.columns if "__" in c and c.split("__", 1)[0] in groups]


def bucket_columns(features: pd.DataFrame, bucket: str, include_core: bool = True) -> list[str]:
    """Columns of one bucket, plus the shared ``core__`` columns.

    Parameters
    ----------
    features : pandas.DataFrame
    bucket : str
        One of :data:`FEATURE_GROUPS`.
    include_core : bool
        Add the ``core__`` columns (first).

    Returns
    -------
    list of str

    Raises
    ------
    FrameValidationError
        When the bucket is unknown or has no columns.
    """
    if bucket not in FEATURE_GROUPS:
        raise FrameValidationError(f"features frame: unknown bucket {bucket!r}; groups are {FEATURE_GROUPS}")
    cols = feature_columns(features)
    own = [c for c in cols if c.startswith(f"{bucket}__")]
    if not own:
        raise FrameValidationError(f"features frame has no column of bucket {bucket!r} ('{bucket}__*')")
    core = [c for c in cols if c.startswith("core__")] if include_core and bucket != "core" else []
    return core + own


def validate_features(df: pd.DataFrame, required: Sequence[str] = (), coerce: bool = False) -> pd.DataFrame:
    """Validate the ``features`` frame.

    Parameters
    ----------
    df : pandas.DataFrame
    required : sequence of str
        Feature columns that must be present (e.g. those a stored model uses).
    coerce : bool
        Coerce dtypes first.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    FrameValidationError
    """
    out = _validate("features", features_schema(), df, coerce)
    missing = [c for c in required if c not in out.columns]
    if missing:
        raise FrameValidationError(f"features frame is missing required column(s) {missing}")
    if not feature_columns(out):
        raise FrameValidationError("features frame has no feature column '<group>__<name>'")
    return out


def validate_zl(df: pd.DataFrame, coerce: bool = False) -> pd.DataFrame:
    """Validate the ``zl`` frame (extra columns are dropped).

    Parameters
    ----------
    df : pandas.DataFrame
    coerce : bool

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    FrameValidationError
    """
    return _validate("zl", zl_schema(), df, coerce)


def validate_targets(df: pd.DataFrame, coerce: bool = False) -> pd.DataFrame:
    """Validate the ``targets`` frame (extra columns are dropped).

    Parameters
    ----------
    df : pandas.DataFrame
    coerce : bool

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    FrameValidationError
    """
    return _validate("targets", targets_schema(), df, coerce)


def validate_predictions(df: pd.DataFrame, coerce: bool = False) -> pd.DataFrame:
    """Validate a long prediction frame.

    Parameters
    ----------
    df : pandas.DataFrame
    coerce : bool

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    FrameValidationError
    """
    return _validate("predictions", predictions_schema(), df, coerce)


def as_datetime(df: pd.DataFrame, *cols: str) -> pd.DataFrame:
    """Copy of ``df`` with the given columns as ``datetime64[ns]`` (DuckDB hands dates over as objects or [us]).

    Parameters
    ----------
    df : pandas.DataFrame
    *cols : str
        Date columns.

    Returns
    -------
    pandas.DataFrame
    """
    out = df.copy()
    for c in cols:
        col = out[c] if pd.api.types.is_datetime64_dtype(out[c]) else pd.to_datetime(out[c])
        out[c] = col.astype("datetime64[ns]")
    return out


def estimate_target_dates(as_of: pd.Series | np.ndarray | pd.DatetimeIndex, horizon: int) -> np.ndarray:
    """Estimated target dates: ``as_of`` plus ``horizon`` weekdays.

    Uses ``numpy.busday_offset`` (Mon-Fri, no holiday calendar), so it is an
    estimate: exchange holidays push the real date later.

    Parameters
    ----------
    as_of : array-like of datetime64
    horizon : int

    Returns
    -------
    numpy.ndarray of datetime64[ns]
    """
    days = pd.DatetimeIndex(as_of).values.astype("datetime64[D]")
    out = np.busday_offset(days, int(horizon), roll="forward")
    return out.astype("datetime64[ns]")


def long_predictions(
    as_of: DatesLike,
    horizon: int,
    target_date: DatesLike | None,
    model: str,
    quantiles: Sequence[float],
    values: np.ndarray,
    split: str,
    fold_id: int | np.ndarray,
) -> pd.DataFrame:
    """Build long prediction rows from a (n_origins x n_quantiles) matrix.

    Parameters
    ----------
    as_of : array-like of datetime64, length n
    horizon : int
    target_date : array-like of datetime64 or None
        None: estimated with :func:`estimate_target_dates`.
    model : str
    quantiles : sequence of float, length k
    values : numpy.ndarray, shape (n, k)
        Predicted log returns; column j belongs to ``quantiles[j]``.
    split : {'oof', 'live'}
    fold_id : int or array of int (length n)

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PREDICTION_COLUMNS`, rows ordered by origin then quantile.
    """
    as_of_arr = pd.DatetimeIndex(as_of).values.astype("datetime64[ns]")  # type: ignore[arg-type]  # DatesLike
    n, k = len(as_of_arr), len(quantiles)
    values = np.asarray(values, dtype="float64").reshape(n, k)
    tdate = (
        estimate_target_dates(as_of_arr, horizon)
        if target_date is None
        else pd.DatetimeIndex(target_date).values.astype("datetime64[ns]")  # type: ignore[arg-type]  # DatesLike
    )
    fold = np.broadcast_to(np.asarray(fold_id, dtype="int64"), (n,))
    return pd.DataFrame(
        {
            "as_of_date": np.repeat(as_of_arr, k),
            "horizon_days": np.full(n * k, int(horizon), dtype="int64"),
            "target_date": np.repeat(tdate, k),
            "model": np.full(n * k, model, dtype=object),
            "quantile": np.tile(np.asarray(quantiles, dtype="float64"), n),
            "value": values.reshape(-1),
            "split": np.full(n * k, split, dtype=object),
            "fold_id": np.repeat(fold, k),
        }
    )


def empty_predictions() -> pd.DataFrame:
    """An empty frame in the prediction format (correct dtypes).

    Returns
    -------
    pandas.DataFrame
    """
    return long_predictions(
        np.array([], dtype="datetime64[ns]"),
        1,
        np.array([], dtype="datetime64[ns]"),
        "none",
        [0.5],
        np.empty((0, 1)),
        "oof",
        0,
    )
