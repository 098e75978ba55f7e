"""Plain LightGBM quantile baseline ``lightgbm_zl``.

One ``lightgbm.train`` booster per horizon and quantile (objective
``quantile``), on every feature column plus ``log_sigma_ewma``, with the same
volatility-standardised target (the project's ``vol_scale``), folds, live cutoff and predictor store as the
bucket specialists (:func:`zlcast.specialists.run_walk_forward`). Boosters are
deterministic (``seed``, ``deterministic=True``, fixed ``num_boost_round``, no
early stopping) and saved as LightGBM text models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from zlcast.forecast.artifacts import PredictorStore
from zlcast.forecast.frames import feature_columns
from zlcast.forecast.specialists import LABEL, Backend, run_walk_forward
from zlcast.forecast.volatility import VolScale
from zlcast.settings import ForecastSettings

__all__ = ["LGBM_MODEL", "fit_lgbm", "fit_predict_lgbm", "lgbm_backend", "lgbm_params", "predict_lgbm"]

#: Model name in the prediction format.
LGBM_MODEL = "lightgbm_zl"


def lgbm_params(settings: ForecastSettings, quantile: float) -> tuple[dict[str, Any], int]:
    """``lightgbm.train`` parameters for one quantile.

    Parameters
    ----------
    settings : ForecastSettings
        ``settings.lgbm_params`` (must hold ``num_boost_round``) and ``seed``.
    quantile : float

    Returns
    -------
    (dict, int)
        Parameters and number of boosting rounds.
    """
    p = dict(settings.lgbm_params)
    rounds = int(p.pop("num_boost_round"))
    p.update(
        {
            "objective": "quantile",
            "alpha": float(quantile),
            "seed": int(settings.seed),
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
            "num_threads": int(settings.num_cpus or 0),
        }
    )
    return p, rounds


def _model_file(path: Path, j: int) -> Path:
    """File of the booster of the j-th quantile."""
    return path / f"quantile_{j:02d}.txt"


def fit_lgbm(
    train: pd.DataFrame, columns: list[str], path: Path, settings: ForecastSettings, horizon: int
) -> dict[str, Any]:
    """Fit one booster per quantile on z and save them under ``path``.

    Parameters
    ----------
    train : pandas.DataFrame
        ``z`` + ``columns``.
    columns : list of str
    path : pathlib.Path
    settings : ForecastSettings
    horizon : int

    Returns
    -------
    dict
        Manifest entries.
    """
    import lightgbm as lgb

    X = train[columns].to_numpy(dtype="float64")
    y = train[LABEL].to_numpy(dtype="float64")
    for j, q in enumerate(settings.quantiles):
        params, rounds = lgbm_params(settings, q)
        ds = lgb.Dataset(X, label=y, feature_name=list(columns), free_raw_data=True)
        booster = lgb.train(params, ds, num_boost_round=rounds)
        booster.save_model(str(_model_file(path, j)))
    return {"backend": "lightgbm", "horizon_days": int(horizon), "n_fit_rows": len(train)}


def predict_lgbm(path: Path, X: pd.DataFrame, columns: list[str], settings: ForecastSettings) -> np.ndarray:
    """z-quantiles from the stored boosters.

    Parameters
    ----------
    path : pathlib.Path
    X : pandas.DataFrame
    columns : list of str
    settings : ForecastSettings

    Returns
    -------
    numpy.ndarray, shape (len(X), len(settings.quantiles))
    """
    import lightgbm as lgb

    data = X[columns].to_numpy(dtype="float64")
    preds = [lgb.Booster(model_file=str(_model_file(path, j))).predict(data) for j in range(len(settings.quantiles))]
    return np.column_stack(preds)


def lgbm_backend(name: str = LGBM_MODEL) -> Backend:
    """LightGBM backend (looks up :func:`fit_lgbm`/:func:`predict_lgbm` at call time).

    Parameters
    ----------
    name : str

    Returns
    -------
    Backend
    """
    from importlib.metadata import version

    return Backend(
        name=name,
        fit=lambda *a: fit_lgbm(*a),
        predict=lambda *a: predict_lgbm(*a),
        identity={"lightgbm": version("lightgbm")},
        fit_ref="zlcast.forecast.baseline_lgbm:fit_lgbm",
    )


def fit_predict_lgbm(
    features: pd.DataFrame,
    zl: pd.DataFrame,
    targets: pd.DataFrame,
    folds: pd.DataFrame,
    settings: ForecastSettings,
    store: PredictorStore,
    live: bool = True,
    scale: VolScale | None = None,
) -> pd.DataFrame:
    """Walk-forward OOF + live predictions of ``lightgbm_zl`` on all features.

    Parameters
    ----------
    features, zl, targets : pandas.DataFrame
    folds : pandas.DataFrame
    settings : ForecastSettings
    store : PredictorStore
    live : bool
    scale : VolScale, optional
        The h-day scale of the targets (None: ``sigma_ewma * sqrt(h)``).

    Returns
    -------
    pandas.DataFrame
        Long prediction format; ``attrs['fit_log']`` as in
        :func:`zlcast.specialists.run_walk_forward`.

    Notes
    -----
    Columns in ``settings.exclude_features`` are left out.
    """
    cols = [c for c in feature_columns(features) if c not in settings.exclude_features]
    return run_walk_forward(lgbm_backend(), cols, features, zl, targets, folds, settings, store, live, scale)
