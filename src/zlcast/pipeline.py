"""Glue between warehouse tables and the forecast models (what the thin dbt Python models call).

Each function takes the pandas frames a dbt Python model reads with ``dbt.ref(...).df()`` plus the model's
``config.meta`` mapping, validates the inputs, runs one model family and returns the frame dbt materialises.
The package never imports dbt.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from zlcast.artifacts import PredictorStore
from zlcast.baselines import rw_ewma_quantiles
from zlcast.frames import validate_features, validate_targets, validate_zl
from zlcast.settings import ForecastSettings

LOG = logging.getLogger(__name__)
#: meta keys that are not ForecastSettings fields (sections of other layers: `core_ts`, L1 `meta`, L2 `ensemble`)
_PIPELINE_KEYS = {"bucket", "core_ts", "eval_start", "meta", "ensemble"}


def settings_from_meta(meta: Mapping[str, Any] | None) -> ForecastSettings:
    """Build :class:`ForecastSettings` from a dbt model's ``meta`` (``forecast`` section).

    Parameters
    ----------
    meta : Mapping or None
        The model's ``config.meta``; its ``forecast`` mapping holds a preset name (``presets``) and overrides.

    Returns
    -------
    ForecastSettings
    """
    forecast = dict((meta or {}).get("forecast") or {})
    return ForecastSettings.from_config(
        {k: v for k, v in forecast.items() if k not in _PIPELINE_KEYS and v not in (None, "", "None", "none")}
    )


def _dates(df: pd.DataFrame, *cols: str) -> pd.DataFrame:
    out = df.copy()
    for c in cols:
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    return out


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
    f = _dates(features, "trade_date")
    zl = f.loc[f["is_valid_origin"].astype(bool), ["trade_date", "core__zl_log_close"]]
    return validate_zl(zl.rename(columns={"core__zl_log_close": "log_close"}).sort_values("trade_date").reset_index(drop=True))


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
    f = _dates(features, "trade_date").drop(columns=["is_valid_origin"])
    feature_cols = [c for c in f.columns if "__" in c]
    f[feature_cols] = f[feature_cols].astype("float64")  # counts and flags (tariff) become floats for the models
    feats = validate_features(f.sort_values("trade_date").reset_index(drop=True))
    t = _dates(targets, "trade_date", "target_date")[["trade_date", "horizon_days", "target_date", "fwd_log_return"]]
    t["horizon_days"] = t["horizon_days"].astype("int64")
    return feats, zl, validate_targets(t.sort_values(["horizon_days", "trade_date"]).reset_index(drop=True))


def store_for(settings: ForecastSettings) -> PredictorStore:
    """The predictor store of ``settings.artifact_dir`` (outside ``target/``, which ``dbt clean`` wipes)."""
    return PredictorStore(Path(settings.artifact_dir))


def folds_table(features: pd.DataFrame, targets: pd.DataFrame, meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """Walk-forward folds (fold, horizon, train range, validation range) as a table."""
    from zlcast.folds import make_folds

    settings = settings_from_meta(meta)
    _, zl, t = model_inputs(features, targets)
    return make_folds(zl["trade_date"], t, settings)


def rw_table(features: pd.DataFrame, meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """The reference random walk with EWMA volatility (lambda 0.94), every origin and horizon."""
    settings = settings_from_meta(meta)
    zl = zl_series(features)
    preds = rw_ewma_quantiles(zl, settings.horizons, settings.quantiles)
    return preds


def specialist_table(bucket: str, features: pd.DataFrame, targets: pd.DataFrame, folds: pd.DataFrame,
                     meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """OOF and live predictions of the AutoGluon specialist of one Big 8 bucket."""
    from zlcast.specialists import fit_predict_bucket

    settings = settings_from_meta(meta)
    feats, zl, t = model_inputs(features, targets)
    return fit_predict_bucket(bucket, feats, zl, t, _dates(folds, "train_start", "train_end", "val_start", "val_end"),
                              settings, store_for(settings))


def lgbm_table(features: pd.DataFrame, targets: pd.DataFrame, folds: pd.DataFrame,
               meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """OOF and live predictions of the plain LightGBM quantile baseline on all features."""
    from zlcast.baseline_lgbm import fit_predict_lgbm

    settings = settings_from_meta(meta)
    feats, zl, t = model_inputs(features, targets)
    return fit_predict_lgbm(feats, zl, t, _dates(folds, "train_start", "train_end", "val_start", "val_end"),
                            settings, store_for(settings))


def core_table(features: pd.DataFrame, targets: pd.DataFrame, folds: pd.DataFrame,
               meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """OOF and live predictions of the core ZL TimeSeriesPredictor (Mitra / statistical fallback)."""
    from zlcast.core_ts import CoreTSSettings, fit_predict_core

    settings = settings_from_meta(meta)
    core_cfg = dict((meta or {}).get("forecast", {}).get("core_ts") or {})
    base = settings.to_dict()
    core_settings = CoreTSSettings.from_config({**base, "core_ts": {k: v for k, v in core_cfg.items() if v not in (None, "")}})
    _, zl, t = model_inputs(features, targets)
    preds, info = fit_predict_core(zl, t, _dates(folds, "train_start", "train_end", "val_start", "val_end"),
                                   core_settings, Path(settings.artifact_dir) / "core_ts")
    LOG.info("core_ts path=%s device=%s reason=%s", info.get("path"), info.get("device"), info.get("fallback_reason"))
    # like every other L0 model, OOF rows only for origins whose target is realised
    realised = t[["trade_date", "horizon_days"]].rename(columns={"trade_date": "as_of_date"}).assign(_ok=True)
    preds = preds.merge(realised, on=["as_of_date", "horizon_days"], how="left")
    preds = preds[(preds["split"] != "oof") | preds["_ok"].eq(True)].drop(columns="_ok").reset_index(drop=True)
    preds["core_path"] = str(info.get("path"))
    return preds


def evaluation_table(predictions: pd.DataFrame, targets: pd.DataFrame, rw: pd.DataFrame,
                     meta: Mapping[str, Any] | None) -> pd.DataFrame:
    """Per model and horizon: pinball, coverage80, MAPE, hit rate and skill vs the EWMA random walk (OOF rows)."""
    from zlcast.evaluation import evaluate

    t = _dates(targets, "trade_date", "target_date")
    p = _dates(predictions, "as_of_date", "target_date")
    r = _dates(rw, "as_of_date", "target_date")
    oof = p[p["split"] == "oof"]
    start = oof["as_of_date"].min() if len(oof) else None
    eval_start = (meta or {}).get("forecast", {}).get("eval_start")
    if start is not None and eval_start not in (None, "", "None"):
        start = max(start, pd.Timestamp(eval_start))
    rw_scored = r.assign(model="rw_ewma_normal")
    both = pd.concat([oof, rw_scored[rw_scored["as_of_date"] >= start] if start is not None else rw_scored.iloc[:0]])
    return evaluate(both, t, rw_scored, start=start)
