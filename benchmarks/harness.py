"""One-command benchmark: forecast skill of the product against peers and the random walk, and build timings.

Protocol (the reference ``shared/reference/rw_baseline.py``)
------------------------------------------------------------
* Series: ZL front-month log close, low-volume rows dropped (non-positive closes too), horizons counted in rows.
* Origins: every row ``i`` dated inside ``[start, end]`` with ``i + h`` inside the series (realised target).
* Quantiles 0.1/0.5/0.9 of the h-day log return; scores per model and horizon:

  - ``pinball``: mean pinball loss over origins and the three quantiles;
  - ``skill_vs_rw``: ``1 - pinball / pinball(rw_ewma_normal)`` on the same origins;
  - ``coverage80``: share of actuals inside ``[P10, P90]``;
  - ``mape_pct``: ``mean |exp(actual - P50) - 1| * 100``;
  - ``hit_rate``: share of ``sign(P50) == sign(actual)`` (NaN for a zero median);
  - ``dm_stat``, ``dm_pvalue``: Diebold-Mariano test of equal expected pinball loss against the EWMA random walk,
    on the per-origin loss differences (loss averaged over the three quantiles) with a Newey-West (Bartlett)
    long-run variance of lag ``h - 1`` and a two-sided normal p-value.

Every model is scored on the origins where it has a forecast; on complete models these are exactly the window's
origins, so all rows compare like with like (``n_origins`` and ``complete`` say so).

Models
------
* product: ``zl_ensemble`` OOF rows of ``ml_ensemble`` and the best L0 models of ``fct_l0_predictions`` from a
  built warehouse (opened read-only; a locked file is copied first);
* yardstick: ``rw_ewma_normal`` (EWMA vol, lambda 0.94, normal quantiles; :func:`zlcast.baselines.rw_ewma_quantiles`);
* peers: ``rw_empirical_500d`` (trailing 500 overlapping h-day returns, centred), ``sf_autoets_conformal``
  (statsforecast AutoETS with ``ConformalIntervals``, refit yearly on data before each origin's year, state updated
  causally to each origin), ``autogluon_ts`` (AutoGluon ``TimeSeriesPredictor`` on ZL alone with named fast
  models, refit yearly, one item per origin with bounded context; via :mod:`zlcast.forecast.core_ts`) and
  ``lightgbm_zl``
  (the warehouse's LightGBM baseline).

Timings
-------
:func:`run_dbt_build` runs ``dbt build`` with JSON logs, shows each node as it runs, samples the RSS of the dbt
process tree (Python models run inside it) and attributes each sample to the nodes running then; per-node wall
times come from ``run_results.json`` and are grouped into stages by :func:`stage_of`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd
from scipy.stats import norm

from zlcast.forecast.baselines import rw_ewma_quantiles
from zlcast.forecast.evaluation import coverage, hit_rate, mape_pct, wide_quantiles

__all__ = [
    "HORIZONS",
    "PEERS",
    "QUANTILES",
    "REFERENCE_RW20",
    "REFERENCE_TOL",
    "REFERENCE_WINDOW",
    "RW_MODEL",
    "SCORE_COLUMNS",
    "STAGE_ORDER",
    "BenchmarkConfig",
    "BenchmarkResult",
    "BuildTiming",
    "Progress",
    "RssSampler",
    "autoets_peer",
    "autogluon_peer",
    "best_l0_models",
    "diebold_mariano",
    "load_zl_series",
    "markdown_table",
    "origin_targets",
    "per_origin_pinball",
    "read_warehouse",
    "run_benchmark",
    "run_dbt_build",
    "rw_empirical_peer",
    "rw_ewma_peer",
    "score_models",
    "stage_of",
    "stage_table",
    "write_outputs",
]

#: Quantile levels scored.
QUANTILES: tuple[float, float, float] = (0.1, 0.5, 0.9)
#: Forecast horizons in rows of the ZL series.
HORIZONS: tuple[int, ...] = (5, 20, 60)
#: Wide quantile columns.
QCOLS: tuple[str, str, str] = ("q10", "q50", "q90")
#: The yardstick's model name (as in the reference script).
RW_MODEL = "rw_ewma_normal"
#: Peer keys accepted by :class:`BenchmarkConfig` and their model names.
PEERS: dict[str, str] = {
    "rw_empirical": "rw_empirical_500d",
    "autoets": "sf_autoets_conformal",
    "autogluon": "autogluon_ts",
    "lightgbm": "lightgbm_zl",
}
#: Origin window of the reference scores.
REFERENCE_WINDOW: tuple[pd.Timestamp, pd.Timestamp] = (pd.Timestamp("2020-01-02"), pd.Timestamp("2025-06-30"))
#: Reference pinball of the EWMA random walk at 20 days on :data:`REFERENCE_WINDOW` (real data).
REFERENCE_RW20 = 0.02275
#: Tolerance of the reference check.
REFERENCE_TOL = 5e-5
#: Columns of the score table.
SCORE_COLUMNS: tuple[str, ...] = (
    "model",
    "role",
    "horizon_days",
    "pinball",
    "skill_vs_rw",
    "coverage80",
    "mape_pct",
    "hit_rate",
    "dm_stat",
    "dm_pvalue",
    "n_origins",
    "complete",
)
#: Display order of build stages.
STAGE_ORDER: tuple[str, ...] = (
    "hooks",
    "staging",
    "features",
    "L0 cv_folds",
    "L0 rw_ewma",
    "L0 baseline_lightgbm",
    "L0 core_timeseries",
    "L0 specialist__*",
    "L0 collect+evaluate",
    "meta",
    "ensemble",
    "Monte Carlo / risk marts",
    "other marts",
    "dbt tests",
    "other",
)
_ROLE_ORDER = {"product": 0, "product L0": 1, "yardstick": 2, "peer": 3}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


# ----------------------------------------------------------------------------------------------------------------
# progress and small helpers
# ----------------------------------------------------------------------------------------------------------------


class Progress:
    """Prints ``[elapsed] stage: message`` lines.

    Parameters
    ----------
    stream : TextIO, optional
        Where to print (default ``sys.stdout``).
    enabled : bool
        Print at all.
    """

    def __init__(self, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.enabled = enabled
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since construction.

        Returns
        -------
        float
        """
        return time.perf_counter() - self.t0

    def __call__(self, stage: str, message: str) -> None:
        """Print one progress line.

        Parameters
        ----------
        stage : str
        message : str
        """
        if self.enabled:
            print(f"[{self.elapsed():8.1f}s] {stage}: {message}", file=self.stream, flush=True)


def display_path(path: Path | str) -> str:
    """A path fit for reports: relative to the working directory (at most two levels up), else only its name.

    Parameters
    ----------
    path : Path or str

    Returns
    -------
    str
    """
    p = Path(path).resolve()
    rel = os.path.relpath(p, Path.cwd().resolve())
    return rel if rel.split(os.sep)[:3].count("..") <= 2 else p.name


def _wide(model: str, dates: np.ndarray, h: int, q: np.ndarray) -> pd.DataFrame:
    """Wide prediction rows ``model, as_of_date, horizon_days, q10, q50, q90`` (quantiles sorted per row)."""
    q = np.sort(np.asarray(q, dtype="float64").reshape(len(dates), 3), axis=1)
    return pd.DataFrame(
        {
            "model": model,
            "as_of_date": pd.DatetimeIndex(dates).values.astype("datetime64[ns]"),
            "horizon_days": np.int64(h),
            "q10": q[:, 0],
            "q50": q[:, 1],
            "q90": q[:, 2],
        }
    )


def _empty_wide() -> pd.DataFrame:
    """An empty wide prediction frame."""
    return _wide("none", np.array([], dtype="datetime64[ns]"), 1, np.empty((0, 3)))


# ----------------------------------------------------------------------------------------------------------------
# series, origins and the cheap peers
# ----------------------------------------------------------------------------------------------------------------


def load_zl_series(data_dir: Path | str) -> pd.DataFrame:
    """The ZL front-month log close of a data directory, low-volume rows dropped.

    Parameters
    ----------
    data_dir : Path or str
        Directory holding ``futures_daily.parquet`` (``root, trade_date, close, low_volume``).

    Returns
    -------
    pandas.DataFrame
        ``trade_date`` (datetime64[ns], sorted, unique), ``log_close``.

    Raises
    ------
    ValueError
        When the file has no usable ZL row.
    """
    path = Path(data_dir) / "futures_daily.parquet"
    d = pd.read_parquet(path, columns=["root", "trade_date", "close", "low_volume"], filters=[("root", "=", "ZL")])
    z = d[~d["low_volume"].fillna(False).astype(bool) & (d["close"] > 0)].copy()
    z["trade_date"] = pd.to_datetime(z["trade_date"]).astype("datetime64[ns]")
    z = z.sort_values("trade_date").drop_duplicates("trade_date", keep="last")
    if z.empty:
        raise ValueError(f"{path.name}: no valid ZL row")
    return pd.DataFrame({"trade_date": z["trade_date"].to_numpy(), "log_close": np.log(z["close"].to_numpy(float))})


def origin_targets(zl: pd.DataFrame, horizons: Sequence[int], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Every valid origin of the window with its realised h-day log return.

    Parameters
    ----------
    zl : pandas.DataFrame
        ``trade_date, log_close`` from :func:`load_zl_series`.
    horizons : sequence of int
    start, end : pandas.Timestamp
        Inclusive origin window.

    Returns
    -------
    pandas.DataFrame
        ``as_of_date, horizon_days, position, target_date, fwd_log_return``; ``position`` is the origin's row.
    """
    dates = zl["trade_date"].to_numpy()
    v = zl["log_close"].to_numpy(dtype="float64")
    n = len(v)
    inside = np.flatnonzero((dates >= np.datetime64(start)) & (dates <= np.datetime64(end)))
    frames = []
    for h in horizons:
        p = inside[inside + h < n]
        frames.append(
            pd.DataFrame(
                {
                    "as_of_date": dates[p],
                    "horizon_days": np.int64(h),
                    "position": p,
                    "target_date": dates[p + h],
                    "fwd_log_return": v[p + h] - v[p],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def rw_ewma_peer(zl: pd.DataFrame, origins: pd.DataFrame, lam: float = 0.94) -> pd.DataFrame:
    """The yardstick: random walk with EWMA-vol normal quantiles (causal at every origin).

    Parameters
    ----------
    zl : pandas.DataFrame
    origins : pandas.DataFrame
        From :func:`origin_targets`.
    lam : float
        EWMA decay.

    Returns
    -------
    pandas.DataFrame
        Wide predictions of model :data:`RW_MODEL` on the given origins.
    """
    horizons = sorted(origins["horizon_days"].unique().tolist())
    long = rw_ewma_quantiles(zl, horizons, QUANTILES, lam=lam, model=RW_MODEL)
    w = wide_quantiles(long)
    return w.merge(origins[["as_of_date", "horizon_days"]], on=["as_of_date", "horizon_days"])


def rw_empirical_peer(zl: pd.DataFrame, origins: pd.DataFrame, window: int = 500) -> pd.DataFrame:
    """Random walk with trailing empirical quantiles of overlapping h-day returns, centred on no change.

    At origin ``i`` the quantiles of the last ``window`` returns ``v[j+h] - v[j]`` with ``j + h <= i`` (all of
    them when fewer), minus their median -- the reference's ``rw_empirical_500d``.

    Parameters
    ----------
    zl : pandas.DataFrame
    origins : pandas.DataFrame
    window : int

    Returns
    -------
    pandas.DataFrame
        Wide predictions of ``rw_empirical_500d`` (origins without any past return are left out).
    """
    v = zl["log_close"].to_numpy(dtype="float64")
    dates = zl["trade_date"].to_numpy()
    frames = []
    for h, g in origins.groupby("horizon_days", sort=True):
        h = int(h)
        r = v[h:] - v[:-h]
        pos = g["position"].to_numpy(dtype=int)
        pos = pos[pos - h + 1 >= 1]
        q = np.empty((len(pos), 3))
        for k, i in enumerate(pos):
            past = r[max(0, i - h + 1 - window) : i - h + 1]
            qq = np.quantile(past, QUANTILES)
            q[k] = qq - qq[1]
        frames.append(_wide(PEERS["rw_empirical"], dates[pos], h, q))
    return pd.concat(frames, ignore_index=True) if frames else _empty_wide()


def _year_blocks(zl: pd.DataFrame, origins: pd.DataFrame) -> list[tuple[int, int, np.ndarray]]:
    """Origins grouped by calendar year with the number of rows before that year (the training rows).

    Parameters
    ----------
    zl : pandas.DataFrame
    origins : pandas.DataFrame

    Returns
    -------
    list of (year, n_train_rows, origin positions)
    """
    dates = pd.DatetimeIndex(zl["trade_date"])
    pos = np.unique(origins["position"].to_numpy(dtype=int))
    years = dates[pos].year
    out = []
    for year in sorted(set(years.tolist())):
        cutoff = int(dates.searchsorted(pd.Timestamp(year=year, month=1, day=1)))
        out.append((int(year), cutoff, pos[years == year]))
    return out


def _to_wide_by_h(model: str, zl: pd.DataFrame, origins: pd.DataFrame, paths: Mapping[int, np.ndarray]) -> pd.DataFrame:
    """Wide rows from ``{origin position: (max_h, 3) log-price quantile paths}``.

    Parameters
    ----------
    model : str
    zl : pandas.DataFrame
    origins : pandas.DataFrame
    paths : mapping of int to numpy.ndarray

    Returns
    -------
    pandas.DataFrame
    """
    v = zl["log_close"].to_numpy(dtype="float64")
    dates = zl["trade_date"].to_numpy()
    frames = []
    for h, g in origins.groupby("horizon_days", sort=True):
        pos = np.array([p for p in g["position"].to_numpy(dtype=int) if int(p) in paths], dtype=int)
        if len(pos) == 0:
            continue
        q = np.stack([paths[int(p)][int(h) - 1] - v[p] for p in pos])
        frames.append(_wide(model, dates[pos], int(h), q))
    return pd.concat(frames, ignore_index=True) if frames else _empty_wide()


# ----------------------------------------------------------------------------------------------------------------
# refit peers: statsforecast AutoETS (conformal) and AutoGluon-TS
# ----------------------------------------------------------------------------------------------------------------


def autoets_peer(
    zl: pd.DataFrame,
    origins: pd.DataFrame,
    n_windows: int = 20,
    progress: Callable[[str, str], None] | None = None,
) -> pd.DataFrame:
    """statsforecast AutoETS on the log close with conformal intervals, refit yearly.

    Each year's model (specification, parameters and conformity scores from ``n_windows`` rolling windows of
    ``max(h)`` steps) is fitted on the rows before 1 January; at each origin of that year the fitted model is run
    forward over the series up to the origin (``AutoETS.forward``, no refit) and the 80 % conformal band gives
    P10/P90, the point forecast P50.

    Parameters
    ----------
    zl : pandas.DataFrame
    origins : pandas.DataFrame
    n_windows : int
        Conformal windows (fewer when the training series is short; at least 2).
    progress : callable, optional

    Returns
    -------
    pandas.DataFrame
        Wide predictions of ``sf_autoets_conformal``; years with too little history are left out.
    """
    from statsforecast.models import AutoETS
    from statsforecast.utils import ConformalIntervals

    say = progress or (lambda stage, msg: None)
    v = zl["log_close"].to_numpy(dtype="float64")
    hmax = int(origins["horizon_days"].max())
    paths: dict[int, np.ndarray] = {}
    for year, n_train, pos in _year_blocks(zl, origins):
        windows = min(n_windows, (n_train - 1) // hmax)
        if windows < 2:
            say("autoets", f"{year}: {n_train} training rows < {2 * hmax + 1}; year left out")
            continue
        t0 = time.perf_counter()
        model = AutoETS(season_length=1, prediction_intervals=ConformalIntervals(n_windows=windows, h=hmax))
        model.fit(v[:n_train])
        for i in pos:
            res = model.forward(y=v[: i + 1], h=hmax)
            res = model._add_predict_conformal_intervals(res, [80])  # statsforecast's own conformal rule
            paths[int(i)] = np.column_stack([res["lo-80"], res["mean"], res["hi-80"]])
        say(
            "autoets",
            f"{year}: fit on {n_train} rows ({windows} conformal windows), "
            f"{len(pos)} origins in {time.perf_counter() - t0:.1f} s",
        )
    return _to_wide_by_h(PEERS["autoets"], zl, origins, paths)


@dataclass(frozen=True)
class AutoGluonPeerSettings:
    """Settings of the AutoGluon-TS peer.

    Parameters
    ----------
    models : tuple of str
        Named AutoGluon-TS models (never presets: they try to download foundation models).
    time_limit_s : int
        Time limit of one yearly fit.
    context_length : int
        Rows of history per predicted origin.
    num_val_windows : int
        Validation windows of the fit (fewer for short training series).
    num_cpus : int or None
        CPUs per fit.
    """

    models: tuple[str, ...] = ("Naive", "SeasonalNaive", "ETS", "Theta", "RecursiveTabular")
    time_limit_s: int = 300
    context_length: int = 512
    num_val_windows: int = 3
    num_cpus: int | None = 1


def autogluon_peer(
    zl: pd.DataFrame,
    origins: pd.DataFrame,
    settings: AutoGluonPeerSettings,
    store_dir: Path,
    progress: Callable[[str, str], None] | None = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """AutoGluon ``TimeSeriesPredictor`` on ZL alone (eval WQL), refit yearly, one item per origin.

    Uses :mod:`zlcast.forecast.core_ts`'s runner: the log close on a synthetic business-day index (step h = h rows),
    ``RecursiveTabular`` on first differences, the predictor's best model; each origin is an item holding the last
    ``context_length`` rows up to it.

    Parameters
    ----------
    zl : pandas.DataFrame
    origins : pandas.DataFrame
    settings : AutoGluonPeerSettings
    store_dir : Path
        Where the fitted predictors go (a fresh folder: nothing is reused).
    progress : callable, optional

    Returns
    -------
    tuple
        Wide predictions of ``autogluon_ts`` and ``{"fit_s", "predict_s", "total_s"}`` (summed over years).
    """
    from zlcast.forecast.core_ts import CoreTSSettings, TSRunner, synthetic_index

    say = progress or (lambda stage, msg: None)
    v = zl["log_close"].to_numpy(dtype="float64")
    hmax = int(origins["horizon_days"].max())
    horizons = tuple(sorted(int(h) for h in origins["horizon_days"].unique()))
    stamps = synthetic_index(len(v), "B")
    base = CoreTSSettings(
        horizons=horizons,
        quantiles=QUANTILES,
        ts_models=tuple(settings.models),
        ts_time_limit=int(settings.time_limit_s),
        context_length=int(settings.context_length),
        num_cpus=settings.num_cpus,
        reuse_fitted=False,
        device="cpu",
    )
    paths: dict[int, np.ndarray] = {}
    secs = {"fit_s": 0.0, "predict_s": 0.0}
    for year, n_train, pos in _year_blocks(zl, origins):
        n_val = min(settings.num_val_windows, n_train // hmax - 2)
        if n_val < 1:
            say("autogluon", f"{year}: {n_train} training rows are too few for prediction length {hmax}; left out")
            continue
        s = dataclasses.replace(base, ts_num_val_windows=int(n_val))
        runner = TSRunner(s, Path(store_dir), "cpu", None)
        t0 = time.perf_counter()
        predictor = runner.fit(v, stamps, 0, n_train - 1)
        t1 = time.perf_counter()
        q = runner.predict(predictor, v, stamps, pos)
        t2 = time.perf_counter()
        secs["fit_s"] += t1 - t0
        secs["predict_s"] += t2 - t1
        paths.update({int(p): block for p, block in q.items()})
        say(
            "autogluon",
            f"{year}: fit on {n_train} rows in {t1 - t0:.1f} s (best {predictor.model_best}), "
            f"{len(pos)} origins predicted in {t2 - t1:.1f} s",
        )
    secs["total_s"] = secs["fit_s"] + secs["predict_s"]
    return _to_wide_by_h(PEERS["autogluon"], zl, origins, paths), secs


# ----------------------------------------------------------------------------------------------------------------
# the product's warehouse
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class Warehouse:
    """Tables read from a built warehouse.

    Attributes
    ----------
    ensemble : pandas.DataFrame
        Long OOF rows of ``ml_ensemble`` in the window.
    l0 : pandas.DataFrame
        Long OOF rows of ``fct_l0_predictions`` in the window.
    targets : pandas.DataFrame
        ``fct_zl_targets`` rows in the window.
    var_backtest : pandas.DataFrame or None
        ``zl_var_backtest`` (None when the table is missing).
    name : str
        Display name of the file.
    """

    ensemble: pd.DataFrame
    l0: pd.DataFrame
    targets: pd.DataFrame
    var_backtest: pd.DataFrame | None
    name: str


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[Any]:
    """A read-only DuckDB connection; a file locked by a writer is copied to a temporary file first."""
    import duckdb

    tmp: Path | None = None
    try:
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.IOException:
            tmp = Path(tempfile.mkdtemp(prefix="zl_bench_wh_")) / path.name
            shutil.copy2(path, tmp)
            con = duckdb.connect(str(tmp), read_only=True)
        try:
            yield con
        finally:
            con.close()
    finally:
        if tmp is not None:
            shutil.rmtree(tmp.parent, ignore_errors=True)


def _long(df: pd.DataFrame) -> pd.DataFrame:
    """Normalise dtypes of a long prediction frame read from DuckDB."""
    out = df.copy()
    for c in ("as_of_date", "target_date"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    out["horizon_days"] = out["horizon_days"].astype("int64")
    out["quantile"] = out["quantile"].astype("float64")
    out["value"] = out["value"].astype("float64")
    return out


def read_warehouse(path: Path, start: pd.Timestamp, end: pd.Timestamp) -> Warehouse:
    """Read the product's OOF forecasts, targets and VaR backtest from a built warehouse.

    Parameters
    ----------
    path : Path
        DuckDB file (opened read-only).
    start, end : pandas.Timestamp
        Origin window.

    Returns
    -------
    Warehouse

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"warehouse {display_path(path)} not found")
    cols = "as_of_date, horizon_days, target_date, model, quantile, value, split, fold_id"
    where = "split = 'oof' and as_of_date between ? and ? and quantile in (0.1, 0.5, 0.9)"
    win = [start.date(), end.date()]
    with _read_only(path) as con:
        tables = set(con.execute("select table_name from information_schema.tables").df()["table_name"])
        ens = _long(con.execute(f"select {cols} from ml_ensemble where {where}", win).df())
        l0 = _long(con.execute(f"select {cols} from fct_l0_predictions where {where}", win).df())
        t = con.execute(
            "select trade_date, horizon_days, target_date, fwd_log_return from fct_zl_targets "
            "where trade_date between ? and ?",
            win,
        ).df()
        var = con.execute("select * from zl_var_backtest").df() if "zl_var_backtest" in tables else None
    t["trade_date"] = pd.to_datetime(t["trade_date"]).astype("datetime64[ns]")
    t["horizon_days"] = t["horizon_days"].astype("int64")
    return Warehouse(ensemble=ens, l0=l0, targets=t, var_backtest=var, name=display_path(path))


def check_targets(warehouse_targets: pd.DataFrame, origins: pd.DataFrame) -> list[str]:
    """Compare the warehouse's realised targets with the series' (same data, same protocol?).

    Parameters
    ----------
    warehouse_targets : pandas.DataFrame
        ``trade_date, horizon_days, fwd_log_return``.
    origins : pandas.DataFrame
        From :func:`origin_targets`.

    Returns
    -------
    list of str
        Warnings (empty when every origin's target matches to 1e-9).
    """
    t = warehouse_targets.rename(columns={"trade_date": "as_of_date", "fwd_log_return": "wh"})
    m = origins.merge(t[["as_of_date", "horizon_days", "wh"]], on=["as_of_date", "horizon_days"], how="left")
    notes = []
    missing = int(m["wh"].isna().sum())
    if missing:
        notes.append(f"fct_zl_targets lacks {missing} of the window's {len(m)} (origin, horizon) targets")
    diff = float(np.nanmax(np.abs(m["wh"] - m["fwd_log_return"]))) if m["wh"].notna().any() else 0.0
    if diff > 1e-9:
        notes.append(
            f"fct_zl_targets differs from the data directory's series by up to {diff:.3g} "
            "(warehouse built on other data?)"
        )
    return notes


# ----------------------------------------------------------------------------------------------------------------
# scores
# ----------------------------------------------------------------------------------------------------------------


def per_origin_pinball(actual: np.ndarray, qhat: np.ndarray, quantiles: Sequence[float] = QUANTILES) -> np.ndarray:
    """Pinball loss per origin, averaged over the quantiles.

    Parameters
    ----------
    actual : numpy.ndarray, shape (n,)
    qhat : numpy.ndarray, shape (n, k)
    quantiles : sequence of float, length k

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    q = np.asarray(quantiles, dtype="float64")
    e = np.asarray(actual, dtype="float64")[:, None] - np.asarray(qhat, dtype="float64")
    return np.asarray(np.mean(np.maximum(q * e, (q - 1.0) * e), axis=1), dtype="float64")


def diebold_mariano(d: np.ndarray, h: int) -> tuple[float, float]:
    """Diebold-Mariano test of zero mean loss difference with a Newey-West variance.

    ``DM = mean(d) / sqrt(LRV / n)`` with ``LRV = g0 + 2 sum_{k=1}^{h-1} (1 - k/h) g_k`` (Bartlett weights, lag
    ``h - 1``; ``g_k`` the lag-k autocovariance with divisor n) and a two-sided standard-normal p-value.

    Parameters
    ----------
    d : numpy.ndarray
        Loss differences in time order (model minus benchmark; negative favours the model).
    h : int
        Forecast horizon (overlapping h-step errors are MA(h-1)).

    Returns
    -------
    tuple of float
        ``(statistic, p_value)``; ``(0.0, 1.0)`` when every difference is zero, NaNs for fewer than 2 values
        or a non-positive variance otherwise.
    """
    x = np.asarray(d, dtype="float64")
    x = x[np.isfinite(x)]
    n = x.size
    if n < 2:
        return float("nan"), float("nan")
    if np.all(x == 0.0):
        return 0.0, 1.0
    u = x - x.mean()
    lrv = float(u @ u) / n
    for k in range(1, min(int(h) - 1, n - 1) + 1):
        lrv += 2.0 * (1.0 - k / int(h)) * float(u[k:] @ u[:-k]) / n
    if not lrv > 0.0:
        return float("nan"), float("nan")
    stat = float(x.mean() / math.sqrt(lrv / n))
    return stat, float(2.0 * norm.sf(abs(stat)))


def _score_one(g: pd.DataFrame, h: int) -> dict[str, Any]:
    """Scores of one model and horizon from rows holding ``fwd_log_return, q10..q90, rw_loss``."""
    g = g.sort_values("as_of_date")
    a = g["fwd_log_return"].to_numpy()
    q = g[list(QCOLS)].to_numpy()
    loss = per_origin_pinball(a, q)
    rw_loss = g["rw_loss"].to_numpy()
    stat, p = diebold_mariano(loss - rw_loss, h)
    pl, pl_rw = float(loss.mean()), float(rw_loss.mean())
    return {
        "pinball": pl,
        "skill_vs_rw": 1.0 - pl / pl_rw if pl_rw > 0 else float("nan"),
        "coverage80": coverage(a, q[:, 0], q[:, 2]),
        "mape_pct": mape_pct(a, q[:, 1]),
        "hit_rate": hit_rate(a, q[:, 1]),
        "dm_stat": stat,
        "dm_pvalue": p,
        "n_origins": len(g),
    }


def score_models(preds: pd.DataFrame, origins: pd.DataFrame, roles: Mapping[str, str]) -> pd.DataFrame:
    """Score every model and horizon against the realised targets and the EWMA random walk.

    Parameters
    ----------
    preds : pandas.DataFrame
        Wide predictions of all models (``model, as_of_date, horizon_days, q10, q50, q90``), including
        :data:`RW_MODEL` on every origin.
    origins : pandas.DataFrame
        From :func:`origin_targets`: the window's origins and actuals.
    roles : mapping of str to str
        Model -> role (``product``, ``product L0``, ``yardstick``, ``peer``); unknown models get ``peer``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SCORE_COLUMNS`, sorted by horizon, role and pinball. ``complete`` is True when the model
        has a forecast at every origin of the window (then all complete rows share the same origins).
    """
    base = origins[["as_of_date", "horizon_days", "fwd_log_return"]]
    rw = preds[preds["model"] == RW_MODEL].merge(base, on=["as_of_date", "horizon_days"])
    if rw.empty:
        raise ValueError(f"the yardstick {RW_MODEL} has no forecast on the window's origins")
    rw = rw.assign(rw_loss=per_origin_pinball(rw["fwd_log_return"].to_numpy(), rw[list(QCOLS)].to_numpy()))
    rw = rw[["as_of_date", "horizon_days", "rw_loss"]]
    n_window = base.groupby("horizon_days").size()
    m = preds.merge(base, on=["as_of_date", "horizon_days"]).merge(rw, on=["as_of_date", "horizon_days"])
    rows = []
    for (model, h), g in m.groupby(["model", "horizon_days"], sort=True):
        row = {
            "model": str(model),
            "role": roles.get(str(model), "peer"),
            "horizon_days": int(h),
            **_score_one(g, int(h)),
        }
        row["complete"] = row["n_origins"] == int(n_window.get(h, 0))
        rows.append(row)
    out = pd.DataFrame(rows, columns=list(SCORE_COLUMNS))
    out["_r"] = out["role"].map(_ROLE_ORDER).fillna(9)
    out = out.sort_values(["horizon_days", "_r", "pinball"]).drop(columns="_r").reset_index(drop=True)
    return out.astype({"horizon_days": "int64", "n_origins": "int64", "complete": "bool"})


def best_l0_models(l0_scores: pd.DataFrame, n: int, exclude: Sequence[str] = ()) -> list[str]:
    """The ``n`` L0 models with the highest skill averaged over horizons.

    Parameters
    ----------
    l0_scores : pandas.DataFrame
        :func:`score_models` output of the L0 models.
    n : int
    exclude : sequence of str
        Models never picked (e.g. the LightGBM baseline, scored as a peer).

    Returns
    -------
    list of str
    """
    s = l0_scores[~l0_scores["model"].isin(list(exclude)) & (l0_scores["model"] != RW_MODEL)]
    mean_skill = s.groupby("model")["skill_vs_rw"].mean().sort_values(ascending=False)
    return [str(m) for m in mean_skill.index[: max(int(n), 0)]]


# ----------------------------------------------------------------------------------------------------------------
# dbt build with per-stage wall time and peak memory
# ----------------------------------------------------------------------------------------------------------------


def stage_of(unique_id: str) -> str:
    """The build stage of a dbt node.

    Parameters
    ----------
    unique_id : str
        dbt unique id (``model.zl_forecast.int_big8__fx``, ``test.zl_forecast.<name>.<hash>`` ...).

    Returns
    -------
    str
        One of :data:`STAGE_ORDER`; each specialist gets ``L0 specialist__<bucket>``.
    """
    parts = unique_id.split(".")
    kind, name = parts[0], (parts[2] if len(parts) > 2 else parts[-1])
    if kind in {"test", "unit_test"}:
        return "dbt tests"
    if kind == "seed" or name.startswith("stg_"):
        return "staging"
    if kind == "operation":
        return "hooks"
    if name.startswith("int_") or name in {"fct_zl_features", "fct_zl_targets"}:
        return "features"
    if name.startswith("ml_specialist__"):
        return "L0 " + name.removeprefix("ml_")
    if name in {"ml_cv_folds", "ml_rw_ewma", "ml_baseline_lightgbm", "ml_core_timeseries"}:
        return "L0 " + name.removeprefix("ml_")
    if name in {"fct_l0_predictions", "fct_model_evaluation"}:
        return "L0 collect+evaluate"
    if name.startswith("ml_meta"):
        return "meta"
    if name in {"ml_ensemble", "ml_forecast_distribution"}:
        return "ensemble"
    if name in {"zl_risk_paths", "zl_risk_scenarios", "zl_var_backtest"}:
        return "Monte Carlo / risk marts"
    if name.startswith("zl_"):
        return "other marts"
    return "other"


def _stage_rank(stage: str) -> int:
    """Position of a stage in :data:`STAGE_ORDER` (specialists share one slot)."""
    key = "L0 specialist__*" if stage.startswith("L0 specialist__") else stage
    return STAGE_ORDER.index(key) if key in STAGE_ORDER else len(STAGE_ORDER)


@dataclass
class BuildTiming:
    """Wall time and memory of one ``dbt build``.

    Attributes
    ----------
    label : str
    wall_s : float
        Wall time of the dbt process.
    peak_rss_mib : float
        Peak sampled RSS of the dbt process tree.
    node_peak_mib : dict
        unique_id -> peak RSS sampled while the node ran.
    results : list of dict
        ``run_results.json`` results.
    threads : int
    """

    label: str
    wall_s: float
    peak_rss_mib: float
    node_peak_mib: dict[str, float]
    results: list[dict[str, Any]]
    threads: int


class RssSampler:
    """Samples the RSS of a process tree and attributes each sample to the dbt nodes running then."""

    def __init__(self, pid: int, interval_s: float = 0.2) -> None:
        import psutil

        self._proc = psutil.Process(pid)
        self._interval = interval_s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.running: frozenset[str] = frozenset()
        self.peak = 0.0
        self.node_peak: dict[str, float] = {}
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _rss(self) -> float:
        import psutil

        total = 0
        with contextlib.suppress(psutil.Error):
            total += self._proc.memory_info().rss
            for child in self._proc.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
        return total / 2**20

    def sample(self) -> None:
        """Take one sample now."""
        rss, running = self._rss(), self.running
        with self._lock:
            self.peak = max(self.peak, rss)
            for uid in running:
                self.node_peak[uid] = max(self.node_peak.get(uid, 0.0), rss)

    def set_running(self, running: frozenset[str]) -> None:
        """Replace the running-node set and sample (each node gets a sample at its start and end)."""
        self.sample()
        self.running = running
        self.sample()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def start(self) -> None:
        """Start sampling in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join(timeout=5)


def _dbt_executable() -> str:
    """The dbt command of this environment."""
    local = Path(sys.executable).parent / "dbt"
    return str(local) if local.exists() else (shutil.which("dbt") or "dbt")


def _handle_dbt_line(
    line: str, running: set[str], tail: list[str], say: Callable[[str, str], None], label: str
) -> bool:
    """Parse one JSON log line of dbt: update running nodes, show progress. Returns True when the set changed."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        tail.append(line.rstrip())
        return False
    info, data = event.get("info", {}), event.get("data", {})
    msg = _ANSI.sub("", str(info.get("msg", ""))).strip()
    if msg:
        tail.append(msg)
    node = data.get("node_info") or {}
    uid, status = node.get("unique_id"), str(node.get("node_status", ""))
    finished = str(info.get("name", "")).endswith(("Result", "EndLine")) or status not in {"", "None", "started"}
    changed = False
    if uid and status == "started" and uid not in running:
        running.add(uid)
        changed = True
    elif uid and finished and uid in running:
        running.discard(uid)
        changed = True
    is_test = bool(uid) and str(uid).startswith(("test.", "unit_test."))
    quiet_test = is_test and (status == "started" or str(data.get("status", "")).lower() in {"pass", "success"})
    if msg and info.get("level") in {"info", "warn", "error"} and not quiet_test:
        say(f"dbt build ({label})", msg.splitlines()[0][:160])
    return changed


def run_dbt_build(
    project_dir: Path,
    data_dir: Path,
    db_path: Path,
    work_dir: Path,
    label: str,
    threads: int = 1,
    dbt_vars: Mapping[str, Any] | None = None,
    select: Sequence[str] = (),
    progress: Callable[[str, str], None] | None = None,
) -> BuildTiming:
    """Run ``dbt build`` on a data directory into a DuckDB file, timing it and sampling its memory.

    Parameters
    ----------
    project_dir : Path
        The dbt project (working directory of dbt).
    data_dir : Path
        ``ZL_DATA_DIR``.
    db_path : Path
        ``ZL_DUCKDB_PATH``.
    work_dir : Path
        Holds dbt's ``target/`` and ``logs/``.
    label : str
    threads : int
        dbt threads; with 1 the per-stage peak memory is exact (one node at a time), with more a sample counts
        for every node running then.
    dbt_vars : mapping, optional
        ``--vars``.
    select : sequence of str
        ``--select`` arguments (empty: everything).
    progress : callable, optional

    Returns
    -------
    BuildTiming

    Raises
    ------
    RuntimeError
        When dbt fails (with the end of its log).
    """
    say = progress or (lambda stage, msg: None)
    target = Path(work_dir) / "target"  # shared by the builds of one work folder: later ones parse partially
    env = {k: v for k, v in os.environ.items() if k not in {"ZL_DUCKDB_PATH", "ZL_DATA_DIR"}}
    env.update(
        ZL_DATA_DIR=str(Path(data_dir).resolve()),
        ZL_DUCKDB_PATH=str(Path(db_path).resolve()),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    cmd = [
        _dbt_executable(),
        "--log-format",
        "json",
        "build",
        "--threads",
        str(int(threads)),
        "--target-path",
        str(target),
        "--log-path",
        str(Path(work_dir) / "logs"),
    ]
    if dbt_vars:
        cmd += ["--vars", json.dumps(dict(dbt_vars))]
    if select:
        cmd += ["--select", *select]
    say(f"dbt build ({label})", f"starting, {threads} thread(s)")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=project_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    sampler = RssSampler(proc.pid)
    sampler.start()
    running: set[str] = set()
    tail: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if _handle_dbt_line(line, running, tail, say, label):
            sampler.set_running(frozenset(running))
        del tail[:-60]
    rc = proc.wait()
    wall = time.perf_counter() - t0
    sampler.stop()
    if rc != 0:
        raise RuntimeError(f"dbt build ({label}) failed with exit code {rc}:\n" + "\n".join(tail[-40:]))
    results = json.loads((target / "run_results.json").read_text())["results"]
    say(f"dbt build ({label})", f"done in {wall:.1f} s, peak RSS {sampler.peak:.0f} MiB")
    return BuildTiming(
        label=label,
        wall_s=wall,
        peak_rss_mib=sampler.peak,
        node_peak_mib=dict(sampler.node_peak),
        results=list(results),
        threads=int(threads),
    )


def stage_table(builds: Sequence[BuildTiming], reference_s: float | None) -> pd.DataFrame:
    """Per-stage wall time and peak memory of each build, and the ratio to a reference time.

    Parameters
    ----------
    builds : sequence of BuildTiming
    reference_s : float or None
        The AutoGluon-alone peer's fit+predict seconds (ratio NaN when None).

    Returns
    -------
    pandas.DataFrame
        ``build, stage, n_nodes, wall_s, peak_rss_mib, x_autogluon``; per build one row per stage, a row
        ``dbt start-up/parse/other`` (wall minus the summed node times, single-threaded builds only) and a
        ``total`` row.
    """
    rows = []
    for b in builds:
        per: dict[str, dict[str, float]] = {}
        for r in b.results:
            uid = str(r["unique_id"])
            st = per.setdefault(stage_of(uid), {"n_nodes": 0, "wall_s": 0.0, "peak_rss_mib": float("nan")})
            st["n_nodes"] += 1
            st["wall_s"] += float(r.get("execution_time") or 0.0)
            if uid in b.node_peak_mib:
                st["peak_rss_mib"] = float(np.nanmax([st["peak_rss_mib"], b.node_peak_mib[uid]]))
        for stage in sorted(per, key=lambda s: (_stage_rank(s), s)):
            rows.append({"build": b.label, "stage": stage, **per[stage]})
        summed = sum(v["wall_s"] for v in per.values())
        if b.threads == 1:
            rows.append(
                {
                    "build": b.label,
                    "stage": "dbt start-up/parse/other",
                    "n_nodes": 0,
                    "wall_s": max(b.wall_s - summed, 0.0),
                    "peak_rss_mib": float("nan"),
                }
            )
        rows.append(
            {
                "build": b.label,
                "stage": "total",
                "n_nodes": len(b.results),
                "wall_s": b.wall_s,
                "peak_rss_mib": b.peak_rss_mib,
            }
        )
    out = pd.DataFrame(rows, columns=["build", "stage", "n_nodes", "wall_s", "peak_rss_mib"])
    out["x_autogluon"] = out["wall_s"] / reference_s if reference_s else float("nan")
    return out.astype({"n_nodes": "int64"})


# ----------------------------------------------------------------------------------------------------------------
# reports
# ----------------------------------------------------------------------------------------------------------------


def _fmt(value: Any, digits: int) -> str:
    """Format a table cell."""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return "" if not np.isfinite(value) else f"{float(value):.{digits}f}"
    return str(value)


def markdown_table(df: pd.DataFrame, digits: Mapping[str, int] | None = None, default_digits: int = 4) -> str:
    """A GitHub-flavoured Markdown table.

    Parameters
    ----------
    df : pandas.DataFrame
    digits : mapping, optional
        Column -> decimals.
    default_digits : int

    Returns
    -------
    str
    """
    digits = dict(digits or {})
    head = "| " + " | ".join(map(str, df.columns)) + " |"
    sep = "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(df[c]) else "---" for c in df.columns) + "|"
    body = [
        "| " + " | ".join(_fmt(v, digits.get(c, default_digits)) for c, v in zip(df.columns, row)) + " |"
        for row in df.itertuples(index=False)
    ]
    return "\n".join([head, sep, *body])


_SCORE_DIGITS = {
    "pinball": 5,
    "skill_vs_rw": 4,
    "coverage80": 3,
    "mape_pct": 2,
    "hit_rate": 3,
    "dm_stat": 2,
    "dm_pvalue": 4,
}


def plot_scores(scores: pd.DataFrame, path: Path) -> Path:
    """Bar charts of skill vs the random walk and [P10, P90] coverage by model and horizon.

    Parameters
    ----------
    scores : pandas.DataFrame
        :func:`score_models` output.
    path : Path
        PNG file.

    Returns
    -------
    Path
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(scores["model"]))
    horizons = sorted(scores["horizon_days"].unique())
    x = np.arange(len(models))
    width = 0.8 / max(len(horizons), 1)
    fig, axes = plt.subplots(2, 1, figsize=(max(8.0, 0.9 * len(models)), 9))
    for ax, col, title in (
        (axes[0], "skill_vs_rw", "skill vs EWMA random walk (pinball)"),
        (axes[1], "coverage80", "[P10, P90] coverage"),
    ):
        for k, h in enumerate(horizons):
            s = scores[scores["horizon_days"] == h].set_index("model").reindex(models)[col]
            ax.bar(x + (k - (len(horizons) - 1) / 2) * width, s.to_numpy(dtype=float), width, label=f"{h} d")
        ax.set_xticks(x, models, rotation=45, ha="right", fontsize=8)
        ax.set_title(title)
        ax.axhline(0.8 if col == "coverage80" else 0.0, color="black", lw=0.8, ls="--")
        ax.legend(title="horizon")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ----------------------------------------------------------------------------------------------------------------
# orchestration
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchmarkConfig:
    """What :func:`run_benchmark` does.

    Parameters
    ----------
    data_dir : Path
        Data directory (``futures_daily.parquet``; the whole contract when dbt builds).
    start, end : pandas.Timestamp
        Inclusive origin window.
    out_dir : Path
        Where the report files go.
    warehouse : Path or None
        Built warehouse to score; None builds one with dbt (unless ``product`` is False).
    product : bool
        Score the product (False: peers only, no warehouse, no dbt).
    timings : bool
        Time a full ``dbt build`` (fresh predictor store) and a second one with no new data.
    peers : tuple of str
        Keys of :data:`PEERS` to run (the EWMA random walk always runs).
    horizons : tuple of int
    n_best_l0 : int
        Best L0 models (by mean skill) scored beside the ensemble.
    autogluon : AutoGluonPeerSettings
    ets_windows : int
        Conformal windows of the AutoETS peer.
    project_dir : Path or None
        dbt project (needed when dbt runs).
    work_dir : Path or None
        Temporary builds go here (default: a new temporary folder).
    dbt_threads : int
    dbt_vars : dict
        Extra ``--vars`` for dbt builds.
    dbt_select : tuple of str
        ``--select`` for dbt builds (empty: everything).
    artifact_dir : Path or None
        Predictor store of dbt builds (default: fresh, inside ``work_dir``).
    rw_check : float or None
        Expected pinball of the EWMA random walk at 20 days (checked to :data:`REFERENCE_TOL`).
    """

    data_dir: Path
    start: pd.Timestamp = REFERENCE_WINDOW[0]
    end: pd.Timestamp = REFERENCE_WINDOW[1]
    out_dir: Path = Path("benchmark_out")
    warehouse: Path | None = None
    product: bool = True
    timings: bool = False
    peers: tuple[str, ...] = tuple(PEERS)
    horizons: tuple[int, ...] = HORIZONS
    n_best_l0: int = 3
    autogluon: AutoGluonPeerSettings = field(default_factory=AutoGluonPeerSettings)
    ets_windows: int = 20
    project_dir: Path | None = None
    work_dir: Path | None = None
    dbt_threads: int = 1
    dbt_vars: dict[str, Any] = field(default_factory=dict)
    dbt_select: tuple[str, ...] = ()
    artifact_dir: Path | None = None
    rw_check: float | None = None


@dataclass
class BenchmarkResult:
    """What :func:`run_benchmark` produced.

    Attributes
    ----------
    scores : pandas.DataFrame
    var_backtest : pandas.DataFrame or None
    timings : pandas.DataFrame or None
    rw_check : dict or None
        ``value, expected, tol, passed``.
    notes : list of str
    peer_seconds : dict
        Wall seconds per peer (AutoGluon: fit+predict).
    files : dict
        Report files by kind.
    n_origins : dict
        Window origins per horizon.
    """

    scores: pd.DataFrame
    var_backtest: pd.DataFrame | None
    timings: pd.DataFrame | None
    rw_check: dict[str, Any] | None
    notes: list[str]
    peer_seconds: dict[str, float]
    files: dict[str, Path] = field(default_factory=dict)
    n_origins: dict[int, int] = field(default_factory=dict)


def _timed(
    name: str,
    fn: Callable[[], pd.DataFrame],
    seconds: dict[str, float],
    notes: list[str],
    say: Callable[[str, str], None],
) -> pd.DataFrame:
    """Run one peer, recording its wall time; a failure becomes a note and an empty frame."""
    say(name, "running")
    t0 = time.perf_counter()
    try:
        out = fn()
    except Exception as exc:
        notes.append(f"{name} left out: {type(exc).__name__}: {exc}")
        say(name, f"FAILED ({type(exc).__name__}: {exc})")
        return _empty_wide()
    seconds[name] = time.perf_counter() - t0
    say(name, f"done in {seconds[name]:.1f} s ({out['as_of_date'].nunique()} origins)")
    return out


def _builds(cfg: BenchmarkConfig, work: Path, say: Callable[[str, str], None]) -> tuple[Path, list[BuildTiming]]:
    """Build the warehouse with dbt (and, with timings, build again with no new data)."""
    if cfg.project_dir is None:
        raise ValueError("project_dir is needed to run dbt")
    db = work / "bench.duckdb"
    store = cfg.artifact_dir or (work / "predictors")
    dbt_vars = {"forecast_artifact_dir": str(Path(store).resolve()), **cfg.dbt_vars}
    labels = ["full", "no_new_data"] if cfg.timings else ["full"]
    builds = [
        run_dbt_build(
            cfg.project_dir,
            cfg.data_dir,
            db,
            work,
            label,
            threads=cfg.dbt_threads,
            dbt_vars=dbt_vars,
            select=cfg.dbt_select,
            progress=say,
        )
        for label in labels
    ]
    return db, builds


def _rw_check(scores: pd.DataFrame, expected: float | None) -> dict[str, Any] | None:
    """The reference check of the EWMA random walk's 20-day pinball."""
    if expected is None:
        return None
    row = scores[(scores["model"] == RW_MODEL) & (scores["horizon_days"] == 20)]
    value = float(row["pinball"].iloc[0]) if len(row) else float("nan")
    return {
        "value": value,
        "expected": float(expected),
        "tol": REFERENCE_TOL,
        "passed": bool(abs(value - expected) <= REFERENCE_TOL),
    }


def _product_preds(
    wh: Warehouse,
    origins: pd.DataFrame,
    rw: pd.DataFrame,
    cfg: BenchmarkConfig,
    roles: dict[str, str],
    notes: list[str],
) -> list[pd.DataFrame]:
    """The ensemble, the best L0 models and (if asked) the LightGBM baseline from the warehouse."""
    notes.extend(check_targets(wh.targets, origins))
    out = []
    ens = wide_quantiles(wh.ensemble) if len(wh.ensemble) else _empty_wide()
    for m in ens["model"].unique():
        roles[str(m)] = "product"
    out.append(ens)
    l0 = wide_quantiles(wh.l0) if len(wh.l0) else _empty_wide()
    lgbm = PEERS["lightgbm"]
    if len(l0):
        l0_scores = score_models(pd.concat([l0, rw]), origins, {})
        best = best_l0_models(l0_scores, cfg.n_best_l0, exclude=[lgbm])
        roles.update(dict.fromkeys(best, "product L0"))
        out.append(l0[l0["model"].isin(best)])
    if "lightgbm" in cfg.peers:
        if lgbm in set(l0["model"]):
            out.append(l0[l0["model"] == lgbm])
        else:
            notes.append(f"{lgbm} not in the warehouse's fct_l0_predictions")
    return out


def run_benchmark(cfg: BenchmarkConfig, progress: Callable[[str, str], None] | None = None) -> BenchmarkResult:
    """Score the product and the peers on the same origins, optionally time dbt builds, write the reports.

    Parameters
    ----------
    cfg : BenchmarkConfig
    progress : callable, optional
        ``progress(stage, message)``; default prints with elapsed time.

    Returns
    -------
    BenchmarkResult
    """
    say = progress or Progress()
    unknown = sorted(set(cfg.peers) - set(PEERS))
    if unknown:
        raise ValueError(f"unknown peer(s) {unknown}; choose from {sorted(PEERS)}")
    notes: list[str] = []
    seconds: dict[str, float] = {}
    zl = load_zl_series(cfg.data_dir)
    origins = origin_targets(zl, cfg.horizons, cfg.start, cfg.end)
    n_origins = {int(h): int(n) for h, n in origins.groupby("horizon_days").size().items()}
    if origins.empty:
        raise ValueError(f"no valid origin in {cfg.start.date()}..{cfg.end.date()}")
    say(
        "series",
        f"ZL {len(zl)} valid rows {zl['trade_date'].iloc[0].date()}..{zl['trade_date'].iloc[-1].date()}; "
        f"origins per horizon {n_origins}",
    )
    with contextlib.ExitStack() as stack:
        work = cfg.work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="zl_bench_")))
        Path(work).mkdir(parents=True, exist_ok=True)
        builds: list[BuildTiming] = []
        warehouse = cfg.warehouse
        if (cfg.product and warehouse is None) or cfg.timings:
            db, builds = _builds(cfg, Path(work), say)
            warehouse = warehouse or db
        roles: dict[str, str] = {RW_MODEL: "yardstick"}
        rw = _timed(RW_MODEL, lambda: rw_ewma_peer(zl, origins), seconds, notes, say)
        preds = [rw]
        if cfg.product and warehouse is not None:
            say("warehouse", f"reading {display_path(warehouse)}")
            wh = read_warehouse(warehouse, cfg.start, cfg.end)
            preds += _product_preds(wh, origins, rw, cfg, roles, notes)
            var_bt = wh.var_backtest
        else:
            var_bt = None
        if "rw_empirical" in cfg.peers:
            preds.append(_timed(PEERS["rw_empirical"], lambda: rw_empirical_peer(zl, origins), seconds, notes, say))
        if "autoets" in cfg.peers:
            preds.append(
                _timed(PEERS["autoets"], lambda: autoets_peer(zl, origins, cfg.ets_windows, say), seconds, notes, say)
            )
        ag_secs: dict[str, float] = {}
        if "autogluon" in cfg.peers:

            def _ag() -> pd.DataFrame:
                w, s = autogluon_peer(zl, origins, cfg.autogluon, Path(work) / "autogluon_ts", say)
                ag_secs.update(s)
                return w

            preds.append(_timed(PEERS["autogluon"], _ag, seconds, notes, say))
            if "total_s" in ag_secs:
                seconds["autogluon_ts fit+predict"] = ag_secs["total_s"]
    say("scores", "scoring")
    scores = score_models(pd.concat([p for p in preds if len(p)], ignore_index=True), origins, roles)
    for r in scores[~scores["complete"]].itertuples():
        notes.append(
            f"{r.model} h={r.horizon_days}: forecasts at {r.n_origins} of {n_origins[r.horizon_days]} "
            "origins (scored, with its skill and DM test, on those only)"
        )
    timings = stage_table(builds, ag_secs.get("total_s")) if cfg.timings and builds else None
    result = BenchmarkResult(
        scores=scores,
        var_backtest=var_bt,
        timings=timings,
        rw_check=_rw_check(scores, cfg.rw_check),
        notes=notes,
        peer_seconds=seconds,
        n_origins=n_origins,
    )
    result.files = write_outputs(result, cfg)
    return result


def report_markdown(result: BenchmarkResult, cfg: BenchmarkConfig) -> str:
    """The Markdown report.

    Parameters
    ----------
    result : BenchmarkResult
    cfg : BenchmarkConfig

    Returns
    -------
    str
    """
    lines = [
        "# ZL forecast benchmark",
        "",
        f"Origins {cfg.start.date()}..{cfg.end.date()} (every valid ZL origin with a realised target; ZL front-month "
        "log close, low-volume rows excluded, horizons in rows), quantiles 0.1/0.5/0.9. "
        f"Data: `{display_path(cfg.data_dir)}`. Origins per horizon: {result.n_origins}.",
        "",
        "skill_vs_rw = 1 - pinball / pinball(rw_ewma_normal) on the same origins; DM = Diebold-Mariano test of "
        "equal mean pinball vs rw_ewma_normal (per-origin loss differences, Newey-West variance with lag h-1, "
        "two-sided normal p; dm_stat < 0 favours the model).",
        "",
    ]
    if result.rw_check is not None:
        c = result.rw_check
        lines += [
            f"**Reference check**: rw_ewma_normal pinball at 20 days = {c['value']:.6f}, expected "
            f"{c['expected']:.5f} ± {c['tol']:.5f}: **{'PASS' if c['passed'] else 'FAIL'}**",
            "",
        ]
    for h, g in result.scores.groupby("horizon_days", sort=True):
        lines += [f"## {h} trading days", "", markdown_table(g.drop(columns="horizon_days"), _SCORE_DIGITS), ""]
    if result.var_backtest is not None:
        lines += [
            "## VaR backtest of the product (zl_var_backtest)",
            "",
            markdown_table(result.var_backtest, {"level": 2, "expected": 2, "exceed_rate": 4}),
            "",
        ]
    if result.timings is not None:
        lines += [
            "## dbt build timings",
            "",
            "Per-stage wall time = summed dbt node execution times (run_results.json); peak RSS = highest "
            "sampled RSS of the dbt process tree while the stage's nodes ran; x_autogluon = stage time / "
            "AutoGluon-TS peer fit+predict time "
            f"({result.peer_seconds.get('autogluon_ts fit+predict', float('nan')):.1f} s).",
            "",
            markdown_table(result.timings, {"wall_s": 1, "peak_rss_mib": 0, "x_autogluon": 2}),
            "",
        ]
    if result.peer_seconds:
        sec = pd.DataFrame({"model": list(result.peer_seconds), "seconds": list(result.peer_seconds.values())})
        lines += ["## Peer run time", "", markdown_table(sec, {"seconds": 1}), ""]
    if result.notes:
        lines += ["## Notes", "", *[f"* {n}" for n in result.notes], ""]
    return "\n".join(lines)


def write_outputs(result: BenchmarkResult, cfg: BenchmarkConfig) -> dict[str, Path]:
    """Write the Markdown report, CSVs and the chart.

    Parameters
    ----------
    result : BenchmarkResult
    cfg : BenchmarkConfig

    Returns
    -------
    dict
        Kind -> file.
    """
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {"scores": out / "scores.csv", "report": out / "benchmark.md", "chart": out / "skill_coverage.png"}
    result.scores.to_csv(files["scores"], index=False)
    if result.var_backtest is not None:
        files["var_backtest"] = out / "var_backtest.csv"
        result.var_backtest.to_csv(files["var_backtest"], index=False)
    if result.timings is not None:
        files["timings"] = out / "timings.csv"
        result.timings.to_csv(files["timings"], index=False)
    plot_scores(result.scores, files["chart"])
    files["report"].write_text(report_markdown(result, cfg))
    return files
