"""Bucket specialists: AutoGluon quantile models on volatility-standardised targets.

Modelling idea
--------------
The h-day log return is standardised by the project's h-day scale known at the
origin ``d`` (:class:`zlcast.forecast.volatility.VolScale`, setting ``vol_scale``)::

    z = fwd_log_return / scale_h(d)

``ewma``: ``scale_h = sigma_ewma(d) * sqrt(h)`` (:func:`zlcast.forecast.baselines.ewma_sigma`,
``ewma_lambda``, default 0.94); ``har``: the HAR forecast of ``ml_vol_forecast``. The model learns
*departures from the random walk with that scale*: a model that predicts the normal quantiles of z
reproduces the EWMA reference exactly, and calibration (the reference's weakness at 20/60 days) is
learned on a scale-free target. Features are the bucket's columns + the shared ``core__`` columns +
``log_sigma_ewma`` (the log EWMA daily vol, with either scale). Predicted z-quantiles are back-transformed
(``value = q_z * scale_h``) and sorted per row (monotone quantiles).

Walk-forward engine
-------------------
:func:`run_walk_forward` is model-agnostic (a :class:`Backend` = fit + predict
into a directory). For each horizon it fits one predictor per fold of
:func:`zlcast.folds.make_folds` (OOF rows, ``split='oof'``) and one *live*
predictor at the cutoff given by :func:`zlcast.artifacts.live_cutoff`
(``split='live'``, origins ``>= cutoff``). Every predictor is published in a
:class:`zlcast.artifacts.PredictorStore` under a fingerprint of (model,
horizon, cutoff, features, settings, version, kind, training-data digest); a
rerun with unchanged inputs loads instead of fitting, and a rerun with a few
more days keeps the live cutoff (until ``retrain_after_days``) and only
predicts with the stored predictors. Missing predictors are fitted first, in
the worker processes of :mod:`zlcast.forecast.parallel` when the backend names an
importable fit (``Backend.fit_ref``), then each predicts its rows. What
happened is reported in
``result.attrs['fit_log']`` (a list of dicts with ``action`` = ``'fit'`` or
``'load'``).

AutoGluon notes
---------------
``problem_type='quantile'`` supports only GBM (LightGBM), CAT (CatBoost) and
the neural nets; LR/XGB/MITRA are dropped silently, so presets use GBM (+CAT).
Without bagging, the most recent ``tuning_frac`` of the training rows (after a
purge gap of h rows) is passed as ``tuning_data`` (early stopping / ensemble
weights are chosen forward in time, never on a random holdout). With bagging,
folds are contiguous time blocks (AutoGluon ``groups``).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zlcast.forecast.artifacts import PredictorStore, fingerprint, frame_digest, live_cutoff
from zlcast.forecast.baselines import ewma_sigma
from zlcast.forecast.folds import LIVE_FOLD_ID, live_train_rows, trading_dates, train_rows, val_rows
from zlcast.forecast.frames import bucket_columns, empty_predictions, long_predictions
from zlcast.forecast.volatility import VolScale
from zlcast.settings import EWMA_LAMBDA, ForecastSettings

__all__ = [
    "LABEL",
    "SIGMA_FEATURE",
    "Backend",
    "autogluon_backend",
    "autogluon_hyperparameters",
    "fit_autogluon",
    "fit_predict_bucket",
    "predict_autogluon",
    "run_walk_forward",
    "specialist_model_name",
    "standardised_design",
    "time_ordered_tuning_split",
]

#: Extra feature added to every model: log of the EWMA daily volatility at the origin.
SIGMA_FEATURE = "log_sigma_ewma"
#: Name of the standardised target column.
LABEL = "z"
_PREDICTOR_SUBDIR = "predictor"


@dataclass(frozen=True)
class Backend:
    """A quantile model as two functions working on a store directory.

    Attributes
    ----------
    name : str
        Model name in the prediction format.
    fit : callable
        ``fit(train, columns, path, settings, horizon)``: fit on ``train``
        (columns ``trade_date, target_date, z`` + ``columns``) and save into
        ``path``; may return a dict of manifest entries.
    predict : callable
        ``predict(path, X, columns, settings) -> ndarray (n, k)``: z-quantiles
        for the rows of ``X`` in the order of ``settings.quantiles``.
    identity : Mapping
        Extra fingerprint entries (e.g. the library version that writes the
        stored files, so an upgrade refits instead of loading stale files).
    fit_ref : str or None
        ``"module:function"`` of the same fit as an importable function, so
        worker processes can run it (:mod:`zlcast.forecast.parallel`); ``None`` fits
        in the calling process.
    """

    name: str
    fit: Callable[[pd.DataFrame, list[str], Path, ForecastSettings, int], Mapping[str, Any] | None]
    predict: Callable[[Path, pd.DataFrame, list[str], ForecastSettings], np.ndarray]
    identity: Mapping[str, Any] = field(default_factory=dict)
    fit_ref: str | None = None


def specialist_model_name(bucket: str) -> str:
    """Model name of a bucket specialist.

    Parameters
    ----------
    bucket : str

    Returns
    -------
    str
        ``specialist_<bucket>``.
    """
    return f"specialist_{bucket}"


def standardised_design(
    features: pd.DataFrame,
    zl: pd.DataFrame,
    targets: pd.DataFrame,
    horizon: int,
    columns: Sequence[str],
    lam: float = EWMA_LAMBDA,
    scale: pd.Series | None = None,
) -> pd.DataFrame:
    """Design frame of one horizon: features, sigma, the h-day scale and the standardised target.

    Parameters
    ----------
    features : pandas.DataFrame
        ``trade_date`` + feature columns.
    zl : pandas.DataFrame
        ``trade_date, log_close``.
    targets : pandas.DataFrame
        Realised targets (all horizons).
    horizon : int
    columns : sequence of str
        Feature columns to keep.
    lam : float
        EWMA decay.
    scale : pandas.Series, optional
        The h-day scale of this horizon indexed by origin date (:meth:`VolScale.series`); None:
        ``sigma_ewma * sqrt(h)``.

    Returns
    -------
    pandas.DataFrame
        One row per origin that has features, a finite EWMA sigma and a finite scale:
        ``trade_date, sigma, scale, <columns>, log_sigma_ewma, target_date, fwd_log_return, z``
        (the last three NaN/NaT where the target is not realised), sorted by date; ``z = fwd_log_return / scale``.
    """
    sig = ewma_sigma(zl, lam).rename("sigma").reset_index()
    d = features[["trade_date", *columns]].merge(sig, on="trade_date", how="inner")
    d = d[np.isfinite(d["sigma"]) & (d["sigma"] > 0)].copy()
    if scale is None:
        d["scale"] = d["sigma"] * np.sqrt(float(horizon))
    else:
        d["scale"] = scale.reindex(pd.DatetimeIndex(d["trade_date"])).to_numpy(dtype="float64")
        d = d[np.isfinite(d["scale"]) & (d["scale"] > 0)].copy()
    d[SIGMA_FEATURE] = np.log(d["sigma"])
    t = targets.loc[targets["horizon_days"] == int(horizon), ["trade_date", "target_date", "fwd_log_return"]]
    d = d.merge(t, on="trade_date", how="left")
    d[LABEL] = d["fwd_log_return"] / d["scale"]
    order = ["trade_date", "sigma", "scale", *columns, SIGMA_FEATURE, "target_date", "fwd_log_return", LABEL]
    return d[order].sort_values("trade_date").reset_index(drop=True)


def time_ordered_tuning_split(
    train: pd.DataFrame, frac: float, min_rows: int = 50
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Split training rows into an earlier fit part and a later tuning part, purged.

    Parameters
    ----------
    train : pandas.DataFrame
        Rows with ``trade_date`` and ``target_date``.
    frac : float
        Share of rows (the latest) used for tuning.
    min_rows : int
        Both parts need at least this many rows, else no split is made.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame or None)
        ``(fit_part, tuning_part)``; every fit row's ``target_date`` is before
        the first tuning origin. ``tuning_part`` is None without a split.
    """
    train = train.sort_values("trade_date")
    n_tune = int(len(train) * frac)
    if frac <= 0 or n_tune < min_rows:
        return train, None
    tune = train.iloc[-n_tune:]
    fit = train.iloc[:-n_tune]
    fit = fit[fit["target_date"] < tune["trade_date"].iloc[0]]
    if len(fit) < min_rows:
        return train, None
    return fit, tune


def _space(spec: Any) -> Any:
    """Turn a JSON search-space spec into an AutoGluon space (other values unchanged)."""
    if not (isinstance(spec, Mapping) and "space" in spec):
        return spec
    from autogluon.common import space

    kind = spec["space"]
    if kind == "real":
        return space.Real(spec["lower"], spec["upper"], log=bool(spec.get("log", False)))
    if kind == "int":
        return space.Int(int(spec["lower"]), int(spec["upper"]))
    if kind == "categorical":
        return space.Categorical(*spec["values"])
    raise ValueError(f"unknown search space kind {kind!r} (use real, int or categorical)")


def autogluon_hyperparameters(spec: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """AutoGluon ``hyperparameters`` from the settings' JSON spec, seeded.

    Parameters
    ----------
    spec : Mapping
        ``{model_key: params or [params, ...]}``; a param may be a search-space
        spec ``{"space": "real"|"int"|"categorical", ...}``.
    seed : int
        Written as ``seed`` (GBM) / ``random_seed`` (CAT) unless given.

    Returns
    -------
    dict
    """
    seed_key = {"GBM": "seed", "CAT": "random_seed"}
    out: dict[str, Any] = {}
    for key, params in spec.items():
        configs = params if isinstance(params, list) else [params]
        conv = []
        for p in configs:
            q = {k: _space(v) for k, v in dict(p).items()}
            if key in seed_key:
                q.setdefault(seed_key[key], int(seed))
            conv.append(q)
        out[key] = conv if isinstance(params, list) else conv[0]
    return out


@contextlib.contextmanager
def _quiet_progress_bars() -> Iterator[None]:
    """Disable tqdm progress bars (AutoGluon HPO trials) for the duration of a fit.

    Note: process-wide environment change, used only around HPO fits.
    """
    old = os.environ.get("TQDM_DISABLE")
    os.environ["TQDM_DISABLE"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = old


def fit_autogluon(
    train: pd.DataFrame, columns: list[str], path: Path, settings: ForecastSettings, horizon: int
) -> dict[str, Any]:
    """Fit an AutoGluon quantile ``TabularPredictor`` on z and save it under ``path``.

    Parameters
    ----------
    train : pandas.DataFrame
        ``trade_date, target_date, z`` + ``columns``.
    columns : list of str
        Feature columns.
    path : pathlib.Path
        Directory (the predictor goes to ``path/predictor``).
    settings : ForecastSettings
    horizon : int
        Horizon (only used for logging).

    Returns
    -------
    dict
        Manifest entries: models kept, best model, rows used for fit/tuning.
    """
    from autogluon.tabular import TabularPredictor

    bag = settings.num_bag_folds >= 2
    data = train.sort_values("trade_date")
    tune = None
    groups = None
    if bag:
        fit = data[[*columns, LABEL]].copy()
        block = (np.arange(len(fit)) * settings.num_bag_folds) // max(len(fit), 1)
        fit["__time_block"] = block
        groups = "__time_block"
    else:
        fit_part, tune_part = time_ordered_tuning_split(data, settings.tuning_frac)
        fit = fit_part[[*columns, LABEL]]
        tune = None if tune_part is None else tune_part[[*columns, LABEL]]
    predictor = TabularPredictor(
        label=LABEL,
        problem_type="quantile",
        quantile_levels=list(settings.quantiles),
        path=str(path / _PREDICTOR_SUBDIR),
        verbosity=0,
        groups=groups,
    )
    hp = autogluon_hyperparameters(settings.tabular_hyperparameters, settings.seed)
    kwargs: dict[str, Any] = {
        "tuning_data": tune,
        "time_limit": settings.time_limit_s,
        "hyperparameters": hp,
        "num_stack_levels": 0,
        "fit_weighted_ensemble": bool(bag or len(hp) > 1),
        "num_cpus": settings.num_cpus if settings.num_cpus is not None else "auto",
    }
    if settings.tabular_presets:
        kwargs["presets"] = settings.tabular_presets
    if bag:
        kwargs["num_bag_folds"] = settings.num_bag_folds
        kwargs["num_bag_sets"] = 1
        kwargs["ag_args_ensemble"] = {"model_random_seed": int(settings.seed)}
    else:
        kwargs["num_bag_folds"] = 0
    hpo = settings.hyperparameter_tune_kwargs()
    if hpo is not None:
        kwargs["hyperparameter_tune_kwargs"] = hpo
    with _quiet_progress_bars() if hpo is not None else contextlib.nullcontext():
        predictor.fit(fit, **kwargs)
    best = predictor.model_best
    if settings.num_bag_folds >= 2 or hpo is not None or len(hp) > 1:
        predictor.delete_models(models_to_keep=[best], dry_run=False)
    predictor.save_space()
    return {
        "backend": "autogluon_tabular",
        "best_model": str(best),
        "n_fit_rows": len(fit),
        "n_tuning_rows": 0 if tune is None else len(tune),
        "horizon_days": int(horizon),
    }


def predict_autogluon(path: Path, X: pd.DataFrame, columns: list[str], settings: ForecastSettings) -> np.ndarray:
    """z-quantiles of a stored AutoGluon predictor.

    Parameters
    ----------
    path : pathlib.Path
        Store directory of the predictor.
    X : pandas.DataFrame
        Rows to predict (must contain ``columns``).
    columns : list of str
    settings : ForecastSettings

    Returns
    -------
    numpy.ndarray, shape (len(X), len(settings.quantiles))
    """
    from autogluon.tabular import TabularPredictor

    predictor = TabularPredictor.load(str(path / _PREDICTOR_SUBDIR), verbosity=0, require_py_version_match=False)
    pred = predictor.predict(X[columns])
    cols = {round(float(c), 6): c for c in pred.columns}
    return np.column_stack([pred[cols[round(q, 6)]].to_numpy(dtype="float64") for q in settings.quantiles])


def autogluon_backend(name: str) -> Backend:
    """AutoGluon backend (looks up :func:`fit_autogluon`/:func:`predict_autogluon` at call time).

    Parameters
    ----------
    name : str
        Model name.

    Returns
    -------
    Backend
    """
    from importlib.metadata import version

    return Backend(
        name=name,
        fit=lambda *a: fit_autogluon(*a),
        predict=lambda *a: predict_autogluon(*a),
        identity={"autogluon.tabular": version("autogluon.tabular")},
        fit_ref="zlcast.forecast.specialists:fit_autogluon",
    )


def _to_values(zq: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Back-transform z-quantiles to sorted log-return quantiles (``z * scale_h``)."""
    v = np.asarray(zq, dtype="float64") * np.asarray(scale, dtype="float64")[:, None]
    return np.sort(v, axis=1)


@dataclass
class _Task:
    """One walk-forward fit and the rows its predictor forecasts."""

    horizon: int
    kind: str
    fold_id: int
    cutoff: pd.Timestamp
    train: pd.DataFrame
    rows: pd.DataFrame
    fp: str = ""
    manifest: dict[str, Any] = field(default_factory=dict)


def _resolve_fit(ref: str) -> Callable[..., Mapping[str, Any] | None]:
    """The function named by ``"module:function"``."""
    import importlib

    module, _, name = ref.partition(":")
    fn: Callable[..., Mapping[str, Any] | None] = getattr(importlib.import_module(module), name)
    return fn


def _publish_fit(
    store_root: str,
    fp: str,
    fit: str | Callable[..., Mapping[str, Any] | None],
    train: pd.DataFrame,
    columns: list[str],
    settings: ForecastSettings,
    horizon: int,
    manifest: Mapping[str, Any],
) -> float:
    """Fit one predictor into the store (runs in a worker process or in the caller); returns seconds."""
    fn = _resolve_fit(fit) if isinstance(fit, str) else fit
    t0 = time.perf_counter()
    PredictorStore(Path(store_root)).publish(fp, lambda tmp: fn(train, columns, tmp, settings, horizon), manifest)
    return time.perf_counter() - t0


def _fit_missing(
    backend: Backend,
    store: PredictorStore,
    tasks: list[_Task],
    columns: list[str],
    settings: ForecastSettings,
    log: list[dict[str, Any]],
) -> None:
    """Fingerprint every task; fit the ones not in the store (in worker processes when the backend allows)."""
    from zlcast.forecast.parallel import run_jobs

    cols = [*columns]
    todo: list[_Task] = []
    queued: set[str] = set()
    for t in tasks:
        digest = frame_digest(t.train[["trade_date", "target_date", LABEL, *cols]].reset_index(drop=True))
        extra = {"kind": t.kind, "data": digest, "backend": dict(backend.identity)}
        t.fp = fingerprint(backend.name, t.horizon, t.cutoff, cols, settings, extra=extra)
        if t.fp not in queued and not store.exists(t.fp):
            t.manifest = {
                "model": backend.name,
                "horizon": int(t.horizon),
                "cutoff": pd.Timestamp(t.cutoff).date().isoformat(),
                "kind": t.kind,
                "fold_id": int(t.fold_id),
                "n_train": len(t.train),
                "train_start": pd.Timestamp(t.train["trade_date"].min()).date().isoformat(),
                "train_end": pd.Timestamp(t.train["trade_date"].max()).date().isoformat(),
                "features": cols,
                "settings": settings.to_dict(),
            }
            todo.append(t)
            queued.add(t.fp)
    workers = settings.fit_workers if backend.fit_ref is not None else 1
    fit: str | Callable[..., Mapping[str, Any] | None] = backend.fit_ref if backend.fit_ref is not None else backend.fit
    jobs = [(str(store.root), t.fp, fit, t.train, cols, settings, t.horizon, t.manifest) for t in todo]
    seconds = dict(zip([t.fp for t in todo], run_jobs(_publish_fit, jobs, workers)))
    for t in tasks:
        log.append(
            {
                "model": backend.name,
                "horizon_days": int(t.horizon),
                "fold_id": int(t.fold_id),
                "kind": t.kind,
                "cutoff": pd.Timestamp(t.cutoff),
                "fingerprint": t.fp,
                "action": "fit" if t.fp in seconds else "load",
                "n_train": len(t.train),
                "seconds": float(seconds.pop(t.fp, 0.0)),
            }
        )


def predict_cached(
    backend: Backend, path: Path, rows: pd.DataFrame, columns: list[str], settings: ForecastSettings
) -> np.ndarray:
    """Predict with a stored predictor, reusing an earlier prediction of exactly the same input rows.

    Stored predictors never change, and features of past dates never change (point in time), so the z-quantiles of
    a closed validation block are computed once; a build with a few more days of data only predicts the new rows.
    The cache key is a digest of the input rows; the file lives next to the predictor.

    Parameters
    ----------
    backend : Backend
    path : pathlib.Path
        Store directory of the predictor.
    rows : pandas.DataFrame
        Rows to predict (``trade_date`` + ``columns``).
    columns : list of str
    settings : ForecastSettings

    Returns
    -------
    numpy.ndarray, shape (len(rows), len(settings.quantiles))
    """
    digest = frame_digest(rows[["trade_date", *columns]].reset_index(drop=True))[:24]
    cache = path / f"pred-{digest}.npy"
    if cache.exists():
        cached = np.load(cache)
        if cached.shape == (len(rows), len(settings.quantiles)):
            return cached
    zq = np.asarray(backend.predict(path, rows, columns, settings), dtype="float64")
    tmp = path / f".pred-{digest}-{os.getpid()}.npy"
    np.save(tmp, zq)
    os.replace(tmp, cache)
    return zq


def run_walk_forward(
    backend: Backend,
    columns: Sequence[str],
    features: pd.DataFrame,
    zl: pd.DataFrame,
    targets: pd.DataFrame,
    folds: pd.DataFrame,
    settings: ForecastSettings,
    store: PredictorStore,
    live: bool = True,
    scale: VolScale | None = None,
) -> pd.DataFrame:
    """OOF predictions for every fold and live predictions after the live cutoff.

    Parameters
    ----------
    backend : Backend
    columns : sequence of str
        Feature columns (``log_sigma_ewma`` is added).
    features, zl, targets : pandas.DataFrame
        Frames of :mod:`zlcast.forecast.frames`.
    folds : pandas.DataFrame
        Output of :func:`zlcast.folds.make_folds`.
    settings : ForecastSettings
    store : PredictorStore
    live : bool
        Also fit/predict the live predictor.
    scale : VolScale, optional
        The h-day scale of the targets (None: ``sigma_ewma * sqrt(h)``).

    Returns
    -------
    pandas.DataFrame
        Long prediction format; ``attrs['fit_log']`` lists every fit/load.
    """
    cols = [*columns]
    model_cols = [*cols, SIGMA_FEATURE]
    log: list[dict[str, Any]] = []
    tasks: list[_Task] = []
    dates = trading_dates(zl["trade_date"])
    last_date = pd.Timestamp(min(dates[-1], pd.Timestamp(features["trade_date"].max())))
    for h in settings.horizons:
        design = standardised_design(
            features, zl, targets, h, cols, settings.ewma_lambda, None if scale is None else scale.series(h)
        )
        realised = design[np.isfinite(design[LABEL])]
        for fold in folds[folds["horizon_days"] == h].to_dict("records"):
            fold_id, val_start = int(fold["fold_id"]), pd.Timestamp(fold["val_start"])
            tr = realised[realised["trade_date"].isin(train_rows(fold, targets)["trade_date"])]
            va = realised[realised["trade_date"].isin(val_rows(fold, targets)["trade_date"])]
            if len(tr) < settings.min_train_rows or va.empty:
                continue
            tasks.append(_Task(h, "oof", fold_id, val_start, tr, va))
        if not live:
            continue
        prev = store.previous_cutoff(backend.name, h, before=last_date)
        cutoff = live_cutoff(last_date, prev, dates, settings.retrain_after_days)
        tr_live = realised[realised["trade_date"].isin(live_train_rows(targets, cutoff, h)["trade_date"])]
        origins = design[(design["trade_date"] >= cutoff) & (design["trade_date"] <= last_date)]
        if len(tr_live) < settings.min_train_rows or origins.empty:
            continue
        tasks.append(_Task(h, "live", LIVE_FOLD_ID, cutoff, tr_live, origins))
    # every missing predictor is fitted first (in parallel where possible), then each forecasts its rows
    _fit_missing(backend, store, tasks, model_cols, settings, log)
    out: list[pd.DataFrame] = []
    for t in tasks:
        path = store.path_for(t.fp)
        zq = predict_cached(backend, path, t.rows, model_cols, settings)
        values = _to_values(zq, t.rows["scale"].to_numpy())
        target_dates = t.rows["target_date"] if t.kind == "oof" else None  # kind is the split: "oof" or "live"
        out.append(
            long_predictions(
                t.rows["trade_date"],
                t.horizon,
                target_dates,
                backend.name,
                settings.quantiles,
                values,
                t.kind,
                t.fold_id,
            )
        )
    result = pd.concat(out, ignore_index=True) if out else empty_predictions()
    result.attrs["fit_log"] = log
    return result


def fit_predict_bucket(
    bucket: str,
    features: pd.DataFrame,
    zl: pd.DataFrame,
    targets: pd.DataFrame,
    folds: pd.DataFrame,
    settings: ForecastSettings,
    store: PredictorStore,
    live: bool = True,
    scale: VolScale | None = None,
) -> pd.DataFrame:
    """Walk-forward AutoGluon specialist of one feature bucket.

    Parameters
    ----------
    bucket : str
        Feature group (``crush``, ``china``, ..., or ``core`` for ZL's own features).
    features, zl, targets : pandas.DataFrame
        Frames of :mod:`zlcast.forecast.frames` (validate them first).
    folds : pandas.DataFrame
        :func:`zlcast.folds.make_folds` output.
    settings : ForecastSettings
    store : PredictorStore
        Where predictors are published and reused.
    live : bool
        Also produce live rows.
    scale : VolScale, optional
        The h-day scale of the targets (None: ``sigma_ewma * sqrt(h)``).

    Returns
    -------
    pandas.DataFrame
        Long predictions of model ``specialist_<bucket>``: one OOF row per
        realised origin in every fold x quantile, plus live rows for origins
        ``>= live cutoff``; ``attrs['fit_log']`` tells what was fitted/loaded.

    Notes
    -----
    Columns in ``settings.exclude_features`` are left out.
    """
    cols = [c for c in bucket_columns(features, bucket) if c not in settings.exclude_features]
    return run_walk_forward(
        autogluon_backend(specialist_model_name(bucket)),
        cols,
        features,
        zl,
        targets,
        folds,
        settings,
        store,
        live,
        scale,
    )
