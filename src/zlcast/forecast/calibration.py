"""Scores of the whole published distribution: pinball over every level, interval scores, PIT, coverage by group.

Every score reads the forecast as quantiles ``q(u)`` of the h-day log return (equivalently of the log price: the
origin's log close cancels) at the published levels ``u`` (0.05 ... 0.95) and the realised log return ``y``:

* ``pinball``: mean pinball loss over all published levels and origins, log-price units. ``crps_approx`` =
  ``2 * pinball``: the CRPS is ``2 * integral_0^1 pinball_u du``, so twice the *equal-weight* mean over the
  published levels approximates it (exactly so as the levels fill (0, 1) evenly; with the seven published levels,
  denser in the tails, it is a rough approximation: compare models with it, do not read it as the exact CRPS);
* ``pinball_10_50_90``: the same over 0.1/0.5/0.9 only, the project's headline score
  (:mod:`zlcast.forecast.evaluation`);
* ``skill`` = ``1 - score / score(reference)`` on the same origins;
* ``coverage80`` / ``coverage90``: share of ``y`` inside ``[q(0.1), q(0.9)]`` / ``[q(0.05), q(0.95)]`` (bounds
  included);
* ``winkler80`` / ``winkler90``: the interval (Winkler) score of those bands, log-price units: width plus
  ``2 / alpha`` times the distance by which ``y`` falls outside (alpha = 0.2 / 0.1); lower is better, and it
  equals ``2 / alpha`` times the sum of the pinball losses at the two bounds;
* ``pit``: the probability integral transform ``F(y)`` of the forecast's piecewise-linear quantile function
  (linear between the published levels). Beyond the outermost levels the quantile function is extended
  linearly to ``u = 0`` and ``u = 1`` with the slope of the outermost segment (the tail the product's expected
  price and ``prob_up`` use, :mod:`zlcast.risk.procurement`); outcomes beyond that bounded support get PIT 0 or
  1. With 10 equal PIT bins and outer levels 0.05/0.95 (inside the first and last bins) the bin shares do not
  depend on this tail choice: only which side of ``q(0.05)`` / ``q(0.95)`` an outcome falls matters there.

A calibrated forecast has a flat PIT histogram (10% per bin), coverage at the nominal level in every group and,
between two calibrated forecasts, the sharper one has the lower pinball and interval scores.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "CALIBRATION_COLUMNS",
    "GROUP_KINDS",
    "calibration_scores",
    "half_year_labels",
    "interval_score",
    "pinball_by_origin",
    "pit_histogram",
    "pit_values",
    "tercile_cut_points",
    "tercile_labels",
]

#: Group kinds of :func:`calibration_scores`, in output order.
GROUP_KINDS: tuple[str, ...] = ("overall", "half_year", "vol_tercile", "pit_bin")
#: Tercile labels, low to high.
TERCILES: tuple[str, str, str] = ("low", "mid", "high")
#: Columns of :func:`calibration_scores`' result.
CALIBRATION_COLUMNS: tuple[str, ...] = (
    "model",
    "horizon_days",
    "group_kind",
    "group_label",
    "group_lower",
    "group_upper",
    "n_origins",
    "period_start",
    "period_end",
    "pinball",
    "crps_approx",
    "pinball_10_50_90",
    "skill_vs_rw",
    "skill_vs_rw_10_50_90",
    "coverage80",
    "coverage90",
    "winkler80",
    "winkler90",
    "pit_share",
)
_HEADLINE = (0.1, 0.5, 0.9)


def _qcol(level: float) -> str:
    """Wide column name of a quantile level (0.05 -> ``q05``)."""
    return f"q{round(level * 100):02d}"


def pinball_by_origin(actual: np.ndarray, qhat: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Pinball loss of each origin, averaged over its quantile levels.

    Parameters
    ----------
    actual : numpy.ndarray, shape (n,)
        Realised values (log returns).
    qhat : numpy.ndarray, shape (n, k)
        Predicted quantiles, column j for ``levels[j]``.
    levels : sequence of float, length k

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``mean_j max(u_j e, (u_j - 1) e)`` with ``e = actual - qhat[:, j]``.
    """
    u = np.asarray(levels, dtype="float64")
    e = np.asarray(actual, dtype="float64")[:, None] - np.asarray(qhat, dtype="float64")
    return np.mean(np.maximum(u * e, (u - 1.0) * e), axis=1)


def interval_score(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray, alpha: float) -> np.ndarray:
    """Interval (Winkler) score of a central ``1 - alpha`` band, per origin.

    Parameters
    ----------
    actual, lower, upper : numpy.ndarray, shape (n,)
    alpha : float
        Nominal miss rate of the band (0.2 for an 80% band).

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``(upper - lower) + 2 / alpha * (lower - actual)`` when ``actual < lower``,
        ``... + 2 / alpha * (actual - upper)`` when ``actual > upper``; in the units of the inputs.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be inside (0, 1), got {alpha}")
    y, lo, hi = (np.asarray(v, dtype="float64") for v in (actual, lower, upper))
    below = np.maximum(lo - y, 0.0)
    above = np.maximum(y - hi, 0.0)
    return (hi - lo) + 2.0 / alpha * (below + above)


def pit_values(actual: np.ndarray, qhat: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Probability integral transform of each outcome under its piecewise-linear quantile function.

    Parameters
    ----------
    actual : numpy.ndarray, shape (n,)
    qhat : numpy.ndarray, shape (n, k)
        Quantiles at ``levels`` (sorted per row if they cross).
    levels : sequence of float, length k >= 2
        Strictly increasing levels inside (0, 1).

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``F(actual)`` in [0, 1]: linear between the quantiles; the quantile function extended linearly to
        ``u = 0`` and ``u = 1`` with the slope of its outermost segments (0 / 1 beyond that support).
    """
    u = np.asarray(levels, dtype="float64")
    if u.ndim != 1 or u.size < 2 or np.any(np.diff(u) <= 0) or u[0] <= 0.0 or u[-1] >= 1.0:
        raise ValueError(f"levels must be strictly increasing inside (0, 1), got {levels}")
    q = np.sort(np.atleast_2d(np.asarray(qhat, dtype="float64")), axis=1)
    if q.shape[1] != u.size:
        raise ValueError(f"qhat has {q.shape[1]} columns for {u.size} levels")
    s_lo = (q[:, 1] - q[:, 0]) / (u[1] - u[0])
    s_hi = (q[:, -1] - q[:, -2]) / (u[-1] - u[-2])
    knots = np.column_stack([q[:, 0] - u[0] * s_lo, q, q[:, -1] + (1.0 - u[-1]) * s_hi])
    grid = np.concatenate([[0.0], u, [1.0]])
    y = np.asarray(actual, dtype="float64")
    return np.array([np.interp(v, row, grid, left=0.0, right=1.0) for v, row in zip(y, knots)])


def pit_histogram(pit: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """Share of PIT values in ``n_bins`` equal bins of [0, 1] (the last bin includes 1).

    Parameters
    ----------
    pit : numpy.ndarray, shape (n,)
    n_bins : int

    Returns
    -------
    numpy.ndarray, shape (n_bins,)
        Shares summing to 1 (NaN when ``pit`` is empty).
    """
    p = np.asarray(pit, dtype="float64")
    if p.size == 0:
        return np.full(n_bins, np.nan)
    counts = np.bincount(_pit_bins(p, n_bins), minlength=n_bins)
    return counts / p.size


def _pit_bins(pit: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index 0 .. n_bins - 1 of each PIT value."""
    return np.clip(np.floor(np.asarray(pit) * n_bins).astype(int), 0, n_bins - 1)


def half_year_labels(dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Calendar half-year of each date, e.g. ``2020H1`` (January to June) and ``2020H2``.

    Parameters
    ----------
    dates : pandas.Series or pandas.DatetimeIndex

    Returns
    -------
    numpy.ndarray of str
    """
    d = pd.DatetimeIndex(pd.to_datetime(dates))
    return np.array([f"{y}H{1 if m <= 6 else 2}" for y, m in zip(d.year, d.month)], dtype=object)


def tercile_cut_points(values: np.ndarray) -> tuple[float, float]:
    """The 1/3 and 2/3 quantiles (linear interpolation) of the finite values.

    Parameters
    ----------
    values : numpy.ndarray

    Returns
    -------
    tuple of float
    """
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v)]
    if v.size == 0:
        raise ValueError("no finite value to cut into terciles")
    lo, hi = np.quantile(v, [1.0 / 3.0, 2.0 / 3.0])
    return float(lo), float(hi)


def tercile_labels(values: np.ndarray, cuts: tuple[float, float]) -> np.ndarray:
    """``low`` (value <= first cut), ``mid`` (<= second cut) or ``high``.

    Parameters
    ----------
    values : numpy.ndarray
    cuts : tuple of float
        From :func:`tercile_cut_points`.

    Returns
    -------
    numpy.ndarray of str
    """
    v = np.asarray(values, dtype="float64")
    return np.where(v <= cuts[0], TERCILES[0], np.where(v <= cuts[1], TERCILES[1], TERCILES[2])).astype(object)


def _row_scores(frame: pd.DataFrame, levels: Sequence[float]) -> pd.DataFrame:
    """Per-origin scores of one model's rows (``actual`` and the quantile columns of ``levels``)."""
    lv = [float(v) for v in levels]
    missing = {0.05, 0.1, 0.5, 0.9, 0.95} - {round(v, 6) for v in lv}
    if missing:
        raise ValueError(f"levels must include 0.05, 0.1, 0.5, 0.9 and 0.95 (missing {sorted(missing)})")
    q = np.sort(frame[[_qcol(v) for v in lv]].to_numpy(dtype="float64"), axis=1)
    col = {round(v, 6): j for j, v in enumerate(lv)}
    y = frame["actual"].to_numpy(dtype="float64")
    q05, q10, q90, q95 = (q[:, col[v]] for v in (0.05, 0.1, 0.9, 0.95))
    return pd.DataFrame(
        {
            "pinball": pinball_by_origin(y, q, lv),
            "pinball_10_50_90": pinball_by_origin(y, q[:, [col[v] for v in _HEADLINE]], _HEADLINE),
            "coverage80": ((y >= q10) & (y <= q90)).astype("float64"),
            "coverage90": ((y >= q05) & (y <= q95)).astype("float64"),
            "winkler80": interval_score(y, q10, q90, 0.2),
            "winkler90": interval_score(y, q05, q95, 0.1),
            "pit": pit_values(y, q, lv),
        },
        index=frame.index,
    )


_MEANS = ("pinball", "pinball_10_50_90", "coverage80", "coverage90", "winkler80", "winkler90")


def _group_scores(d: pd.DataFrame, kind: str, reference: str) -> pd.DataFrame:
    """Mean scores per model, horizon and label of the column ``kind``, with the skills against ``reference``."""
    agg = (
        d.groupby(["model", "horizon_days", kind], sort=True)
        .agg(
            n_origins=("actual", "size"),
            period_start=("as_of_date", "min"),
            period_end=("as_of_date", "max"),
            **{m: (m, "mean") for m in _MEANS},
        )
        .reset_index()
        .rename(columns={kind: "group_label"})
    )
    keys = ["horizon_days", "group_label"]
    ref = agg.loc[agg["model"] == reference, [*keys, "pinball", "pinball_10_50_90"]]
    agg = agg.merge(ref.rename(columns={"pinball": "_ref", "pinball_10_50_90": "_ref3"}), on=keys, how="left")
    agg["skill_vs_rw"] = 1.0 - agg["pinball"] / agg["_ref"].where(agg["_ref"] > 0)
    agg["skill_vs_rw_10_50_90"] = 1.0 - agg["pinball_10_50_90"] / agg["_ref3"].where(agg["_ref3"] > 0)
    agg["crps_approx"] = 2.0 * agg["pinball"]
    return agg.drop(columns=["_ref", "_ref3"]).assign(group_kind=kind, group_lower=np.nan, group_upper=np.nan)


def _pit_rows(d: pd.DataFrame, n_bins: int) -> pd.DataFrame:
    """PIT histogram rows per model and horizon: outcomes per bin, their share and origin range."""
    d = d.assign(pit_bin=_pit_bins(d["pit"].to_numpy(), n_bins))
    full = pd.MultiIndex.from_product(
        [sorted(d["model"].unique()), sorted(d["horizon_days"].unique()), range(n_bins)],
        names=["model", "horizon_days", "pit_bin"],
    )
    agg = (
        d.groupby(["model", "horizon_days", "pit_bin"])
        .agg(n_origins=("pit", "size"), period_start=("as_of_date", "min"), period_end=("as_of_date", "max"))
        .reindex(full)
        .reset_index()
    )
    agg["n_origins"] = agg["n_origins"].fillna(0).astype("int64")
    agg["pit_share"] = agg["n_origins"] / agg.groupby(["model", "horizon_days"])["n_origins"].transform("sum")
    b = agg["pit_bin"].to_numpy(dtype="float64")
    agg["group_lower"], agg["group_upper"] = b / n_bins, (b + 1) / n_bins
    agg["group_label"] = [f"{lo:.1f}-{hi:.1f}" for lo, hi in zip(agg["group_lower"], agg["group_upper"])]
    return agg.drop(columns="pit_bin").assign(group_kind="pit_bin")


def calibration_scores(
    scored: pd.DataFrame, levels: Sequence[float], reference: str = "rw_ewma", n_bins: int = 10
) -> pd.DataFrame:
    """Calibration and sharpness of each model per horizon, overall and by group, on common origins.

    Parameters
    ----------
    scored : pandas.DataFrame
        One row per (``model``, ``as_of_date``, ``horizon_days``): ``actual`` (realised h-day log return),
        ``vol`` (EWMA daily volatility at the origin) and the quantile columns ``q05 .. q95`` of ``levels``
        (h-day log return). Only origins every model has are scored.
    levels : sequence of float
        Published levels; must include 0.05, 0.1, 0.5, 0.9 and 0.95.
    reference : str
        Model whose scores define ``skill_vs_rw`` (its own skill is 0).
    n_bins : int
        Equal PIT bins of the histogram.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CALIBRATION_COLUMNS`; one row per model, horizon and group:

        * ``overall`` (label ``all``);
        * ``half_year`` (calendar half-year of the origin, ``2020H1``);
        * ``vol_tercile`` (``low``/``mid``/``high``: the origin's EWMA daily vol against the 1/3 and 2/3
          quantiles of the vols of the scored origins, every horizon pooled, each date once; ``group_lower``
          and ``group_upper`` hold the tercile's vol range, lower bound exclusive except for ``low``);
        * ``pit_bin`` (label ``0.0-0.1`` ...; ``group_lower``/``group_upper`` the bin's PIT edges;
          ``n_origins`` the outcomes in the bin, ``pit_share`` their share; the scores are null).

        Scores are means over the group's origins; the skills compare with ``reference`` on the same origins.
    """
    keys = ["as_of_date", "horizon_days"]
    d = scored.copy()
    d["as_of_date"] = pd.to_datetime(d["as_of_date"]).astype("datetime64[ns]")
    models = sorted(d["model"].unique().tolist())
    if reference not in models:
        raise ValueError(f"reference model {reference!r} has no rows")
    if d.duplicated(["model", *keys]).any():
        raise ValueError("scored holds duplicate (model, as_of_date, horizon_days) rows")
    d = d.dropna(subset=["actual", "vol", *[_qcol(v) for v in levels]])
    common = d.groupby(keys)["model"].transform("nunique") == len(models)
    d = d[common].sort_values(["model", *keys]).reset_index(drop=True)
    if d.empty:
        return pd.DataFrame(columns=list(CALIBRATION_COLUMNS))
    d = pd.concat([d, _row_scores(d, levels)], axis=1)
    cuts = tercile_cut_points(d.drop_duplicates("as_of_date")["vol"].to_numpy())
    vmin, vmax = float(d["vol"].min()), float(d["vol"].max())
    bounds = {"low": (vmin, cuts[0]), "mid": (cuts[0], cuts[1]), "high": (cuts[1], vmax)}
    d["half_year"] = half_year_labels(d["as_of_date"])
    d["vol_tercile"] = tercile_labels(d["vol"].to_numpy(), cuts)
    d["overall"] = "all"
    frames = [_group_scores(d, kind, reference) for kind in GROUP_KINDS[:3]]
    vol = frames[2]
    vol["group_lower"] = vol["group_label"].map({k: b[0] for k, b in bounds.items()})
    vol["group_upper"] = vol["group_label"].map({k: b[1] for k, b in bounds.items()})
    frames.append(_pit_rows(d, n_bins))
    out = pd.concat(frames, ignore_index=True).reindex(columns=list(CALIBRATION_COLUMNS))
    out["_kind"] = out["group_kind"].map({k: i for i, k in enumerate(GROUP_KINDS)})
    out = out.sort_values(["model", "horizon_days", "_kind", "group_lower", "group_label"], na_position="first")
    return out.drop(columns="_kind").reset_index(drop=True).astype({"horizon_days": "int64", "n_origins": "int64"})
