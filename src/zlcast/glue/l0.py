"""dbt glue of the L0 layer: what the thin dbt Python models of ``python_models/ml/l0_members`` call.

Each function takes the pandas frames a dbt Python model reads with ``dbt.ref(...).df()`` plus the model's
``config.meta`` mapping, builds the :class:`~zlcast.settings.ProjectSettings` once from it, validates the inputs,
runs one model family and returns the frame dbt materialises. The package never imports dbt.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from zlcast.forecast.artifacts import PredictorStore
from zlcast.forecast.baselines import rw_ewma_quantiles
from zlcast.forecast.frames import as_datetime, validate_features, validate_targets, validate_zl
from zlcast.forecast.volatility import VolScale
from zlcast.settings import ForecastSettings, ProjectSettings

LOG = logging.getLogger(__name__)
_FOLD_DATES = ("train_start", "train_end", "val_start", "val_end")


def project_from_meta(meta: Mapping[str, Any] | None) -> ProjectSettings:
    """The project's settings from a dbt model's ``config.meta`` (see :meth:`ProjectSettings.from_meta`).

    Parameters
    ----------
    meta : Mapping or None

    Returns
    -------
    ProjectSettings
    """
    return ProjectSettings.from_meta(meta)


def settings_from_meta(meta: Mapping[str, Any] | None) -> ForecastSettings:
    """The L0 settings (:attr:`ProjectSettings.forecast`) from a dbt model's ``config.meta``.

    Parameters
    ----------
    meta : Mapping or None

    Returns
    -------
    ForecastSettings
    """
    forecast = project_from_meta(meta).forecast
    assert forecast is not None
    return forecast


def zl_series(features: pd.DataFrame) -> pd.DataFrame:
    """The ZL log-close series of valid sessions (low-volume rows dropped) from the feature matrix.

    Parameters
    ----------
    features : pandas.DataFrame
        ``fct_zl_features`` (``trade_date``, ``is_valid_origin``, ``core__zl_log_close``).

    Returns
    -------
    pandas.DataFrame
        ``trade_date, log_close`` sorted by date.
    """
    f = as_datetime(features, "trade_date")
    zl = f.loc[f["is_valid_origin"].astype(bool), ["trade_date", "core__zl_log_close"]]
    zl = zl.rename(columns={"core__zl_log_close": "log_close"}).sort_values("trade_date").reset_index(drop=True)
    return validate_zl(zl)


def model_inputs(features: pd.DataFrame, targets: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Validated (features, zl, targets) frames from ``fct_zl_features`` and ``fct_zl_targets``.

    Parameters
    ----------
    features : pandas.DataFrame
    targets : pandas.DataFrame

    Returns
    -------
    tuple of pandas.DataFrame
        Feature matrix (``trade_date`` + ``<group>__<name>`` columns), ZL series, targets.
    """
    zl = zl_series(features)
    f = as_datetime(features, "trade_date").drop(columns=["is_valid_origin"])
    feature_cols = [c for c in f.columns if "__" in c]
    f[feature_cols] = f[feature_cols].astype("float64")  # counts and flags (tariff) become floats for the models
    feats = validate_features(f.sort_values("trade_date").reset_index(drop=True))
    t = as_datetime(targets, "trade_date", "target_date")[
        ["trade_date", "horizon_days", "target_date", "fwd_log_return"]
    ]
    t["horizon_days"] = t["horizon_days"].astype("int64")
    return feats, zl, validate_targets(t.sort_values(["horizon_days", "trade_date"]).reset_index(drop=True))


def targets_frame(features: pd.DataFrame, targets: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validated (zl, targets) frames (see :func:`model_inputs`).

    Parameters
    ----------
    features, targets : pandas.DataFrame

    Returns
    -------
    tuple of pandas.DataFrame
    """
    _, zl, t = model_inputs(features, targets)
    return zl, t


def vol_scale(vol: pd.DataFrame, meta: Mapping[str, Any] | None) -> VolScale:
    """The h-day scale every layer standardises by: ``scale_h`` of ``ml_vol_forecast`` (the project's ``vol_scale``).

    Parameters
    ----------
    vol : pandas.DataFrame
        ``ml_vol_forecast``.
    meta : Mapping or None

    Returns
    -------
    VolScale
    """
    return VolScale.from_table(vol, project_from_meta(meta).vol_scale)


def vol_table(features: pd.DataFrame, ranges: pd.DataFrame, meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """The h-day volatility forecast of every origin and horizon (``ml_vol_forecast``).

    Parameters
    ----------
    features : pandas.DataFrame
        ``fct_zl_features`` (the ZL series of valid sessions, as in the targets).
    ranges : pandas.DataFrame
        ``int_zl__daily_range`` (``trade_date``, ``parkinson_variance``, null on roll sessions).
    meta : Mapping or None

    Returns
    -------
    pandas.DataFrame
        :func:`zlcast.forecast.volatility.vol_forecast_table` for the project's horizons, ``ewma_lambda`` and
        ``vol_scale``.
    """
    from zlcast.forecast.volatility import vol_forecast_table

    project = project_from_meta(meta)
    r = as_datetime(ranges, "trade_date")[["trade_date", "parkinson_variance"]]
    sessions = zl_series(features).merge(r, on="trade_date", how="left")
    sessions["range_variance"] = sessions["parkinson_variance"].astype("float64")
    return vol_forecast_table(sessions, project.horizons, project.ewma_lambda, project.vol_scale)


def vol_evaluation_table(vol: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """QLIKE / MSE of the HAR forecast against the EWMA walk's variance per horizon and period (``ml_vol_evaluation``).

    Parameters
    ----------
    vol : pandas.DataFrame
        ``ml_vol_forecast``.
    targets : pandas.DataFrame
        ``fct_zl_targets``.

    Returns
    -------
    pandas.DataFrame
        :func:`zlcast.forecast.volatility.score_vol_forecast`.
    """
    from zlcast.forecast.volatility import score_vol_forecast

    t = as_datetime(targets, "trade_date", "target_date")
    return score_vol_forecast(as_datetime(vol, "as_of_date", "target_date"), t)


def _store(settings: ForecastSettings) -> PredictorStore:
    """The predictor store of ``settings.artifact_dir`` (outside ``target/``, which ``dbt clean`` wipes)."""
    return PredictorStore(Path(settings.artifact_dir))


def folds_table(features: pd.DataFrame, targets: pd.DataFrame, meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """Walk-forward folds (fold, horizon, train range, validation range) as a table."""
    from zlcast.forecast.folds import make_folds

    settings = settings_from_meta(meta)
    zl, t = targets_frame(features, targets)
    return make_folds(zl["trade_date"], t, settings)


def rw_table(features: pd.DataFrame, meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """The reference random walk with EWMA volatility (the project's lambda), every origin and horizon."""
    project = project_from_meta(meta)
    return rw_ewma_quantiles(zl_series(features), project.horizons, project.quantiles, project.ewma_lambda)


def specialist_table(
    bucket: str,
    features: pd.DataFrame,
    targets: pd.DataFrame,
    folds: pd.DataFrame,
    vol: pd.DataFrame,
    meta: Mapping[str, Any] | None,
) -> pd.DataFrame:
    """OOF and live predictions of the AutoGluon specialist of one Big 8 bucket (targets over ``vol``'s scale)."""
    from zlcast.forecast.specialists import fit_predict_bucket

    project = project_from_meta(meta)
    if bucket not in project.buckets:
        raise ValueError(f"bucket {bucket!r} is not in the dbt var buckets {list(project.buckets)}")
    settings = settings_from_meta(meta)
    feats, zl, t = model_inputs(features, targets)
    folds = as_datetime(folds, *_FOLD_DATES)
    return fit_predict_bucket(bucket, feats, zl, t, folds, settings, _store(settings), scale=vol_scale(vol, meta))


def lgbm_table(
    features: pd.DataFrame,
    targets: pd.DataFrame,
    folds: pd.DataFrame,
    vol: pd.DataFrame,
    meta: Mapping[str, Any] | None,
) -> pd.DataFrame:
    """OOF and live predictions of the LightGBM quantile baseline on all features (targets over ``vol``'s scale)."""
    from zlcast.forecast.baseline_lgbm import fit_predict_lgbm

    settings = settings_from_meta(meta)
    feats, zl, t = model_inputs(features, targets)
    folds = as_datetime(folds, *_FOLD_DATES)
    return fit_predict_lgbm(feats, zl, t, folds, settings, _store(settings), scale=vol_scale(vol, meta))


def core_table(
    features: pd.DataFrame, targets: pd.DataFrame, folds: pd.DataFrame, meta: Mapping[str, Any] | None
) -> pd.DataFrame:
    """OOF and live predictions of the core ZL TimeSeriesPredictor (Mitra / statistical fallback)."""
    from zlcast.forecast.core_ts import fit_predict_core

    project = project_from_meta(meta)
    settings = settings_from_meta(meta)
    zl, t = targets_frame(features, targets)
    preds, info = fit_predict_core(
        zl, t, as_datetime(folds, *_FOLD_DATES), project.core_ts_settings(), Path(settings.artifact_dir) / "core_ts"
    )
    LOG.info("core_ts path=%s device=%s reason=%s", info.get("path"), info.get("device"), info.get("fallback_reason"))
    # like every other L0 model, OOF rows only for origins whose target is realised
    realised = t[["trade_date", "horizon_days"]].rename(columns={"trade_date": "as_of_date"}).assign(_ok=True)
    preds = preds.merge(realised, on=["as_of_date", "horizon_days"], how="left")
    preds = preds[(preds["split"] != "oof") | preds["_ok"].eq(True)].drop(columns="_ok").reset_index(drop=True)
    preds["core_path"] = str(info.get("path"))
    return preds


def evaluation_table(
    predictions: pd.DataFrame, targets: pd.DataFrame, rw: pd.DataFrame, meta: Mapping[str, Any] | None
) -> pd.DataFrame:
    """Per model and horizon: pinball, coverage80, MAPE, hit rate and skill vs the EWMA random walk (OOF rows).

    Origins from the project's ``eval_start`` (or the first OOF origin, when later) are scored.
    """
    from zlcast.forecast.evaluation import evaluate

    project = project_from_meta(meta)
    t = as_datetime(targets, "trade_date", "target_date")
    p = as_datetime(predictions, "as_of_date", "target_date")
    r = as_datetime(rw, "as_of_date", "target_date")
    oof = p[p["split"] == "oof"]
    start = max(oof["as_of_date"].min(), project.eval_start) if len(oof) else None
    rw_scored = r.assign(model="rw_ewma_normal")
    both = pd.concat([oof, rw_scored[rw_scored["as_of_date"] >= start] if start is not None else rw_scored.iloc[:0]])
    return evaluate(both, t, rw_scored, start=start)
