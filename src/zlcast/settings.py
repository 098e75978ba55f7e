"""Forecast settings: one frozen, validated object shared by every forecast module.

A :class:`ForecastSettings` is built from a named preset (``fast``, ``quality``,
``tune``) plus optional overrides, usually from the dbt model config::

    settings = ForecastSettings.from_config({"presets": "quality", "seed": 7})

Presets
-------
``fast`` (default)
    LightGBM only (AutoGluon ``GBM``), small ``num_boost_round``, no bagging, a
    short time limit. Sized so that the whole L0 layer (8 buckets x 3 horizons x
    about 7 fits) runs in a few minutes on 2 cores.
``quality``
    LightGBM + CatBoost (``GBM`` + ``CAT``), more boosting rounds, 5-fold bagging
    on contiguous time blocks, longer time limits.
``tune``
    LightGBM with search spaces, tuned by AutoGluon's own
    ``hyperparameter_tune_kwargs`` (``{'num_trials': N, 'scheduler': 'local',
    'searcher': 'random'}``).

Search spaces are stored JSON-friendly (``{"space": "real", "lower": ...}``) so
that the settings stay hashable into a fingerprint; the AutoGluon ``space``
objects are built only at fit time (see :func:`zlcast.specialists.autogluon_hyperparameters`).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = [
    "ForecastSettings",
    "PRESETS",
    "NON_MODEL_KEYS",
    "preset_names",
]

#: Settings keys that never change a fitted model, left out of fingerprints.
NON_MODEL_KEYS: frozenset[str] = frozenset(
    {"artifact_dir", "retrain_after_days", "oof_start", "fold_months", "min_train_rows", "num_cpus", "fit_workers"}
)

_GBM_FAST: dict[str, Any] = {
    "num_boost_round": 150,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "lambda_l2": 1.0,
}

PRESETS: dict[str, dict[str, Any]] = {
    "fast": {
        "time_limit_s": 30.0,
        "tabular_presets": None,
        "tabular_hyperparameters": {"GBM": dict(_GBM_FAST)},
        "num_bag_folds": 0,
        "tuning": False,
        "tune_num_trials": 0,
        "lgbm_params": {
            "num_boost_round": 150,
            "learning_rate": 0.05,
            "num_leaves": 15,
            "min_data_in_leaf": 40,
            "feature_fraction": 0.8,
            "lambda_l2": 1.0,
            # 63 histogram bins are plenty for ~3,000 daily rows and halve LightGBM's time on ~65 features
            "max_bin": 63,
        },
    },
    "quality": {
        "time_limit_s": 300.0,
        "tabular_presets": None,
        "tabular_hyperparameters": {
            "GBM": {
                "num_boost_round": 600,
                "learning_rate": 0.02,
                "num_leaves": 31,
                "min_data_in_leaf": 40,
                "feature_fraction": 0.7,
                "lambda_l2": 1.0,
            },
            "CAT": {"iterations": 800, "learning_rate": 0.03, "depth": 6},
        },
        "num_bag_folds": 5,
        "tuning": False,
        "tune_num_trials": 0,
        "lgbm_params": {
            "num_boost_round": 400,
            "learning_rate": 0.02,
            "num_leaves": 31,
            "min_data_in_leaf": 40,
            "feature_fraction": 0.7,
            "lambda_l2": 1.0,
        },
    },
    "tune": {
        "time_limit_s": 300.0,
        "tabular_presets": None,
        "tabular_hyperparameters": {
            "GBM": {
                "num_boost_round": 300,
                "learning_rate": {"space": "real", "lower": 0.01, "upper": 0.1, "log": True},
                "num_leaves": {"space": "int", "lower": 7, "upper": 63},
                "min_data_in_leaf": {"space": "int", "lower": 20, "upper": 200},
                "feature_fraction": {"space": "real", "lower": 0.5, "upper": 1.0},
                "lambda_l2": {"space": "real", "lower": 0.0, "upper": 10.0},
            }
        },
        "num_bag_folds": 0,
        "tuning": True,
        "tune_num_trials": 10,
        "lgbm_params": {
            "num_boost_round": 150,
            "learning_rate": 0.05,
            "num_leaves": 15,
            "min_data_in_leaf": 40,
            "feature_fraction": 0.8,
            "lambda_l2": 1.0,
        },
    },
}


def preset_names() -> tuple[str, ...]:
    """Return the names of the built-in presets.

    Returns
    -------
    tuple of str
        ``("fast", "quality", "tune")``.
    """
    return tuple(PRESETS)


def _to_timestamp(value: Any) -> pd.Timestamp:
    """Convert a date-like value to a normalised :class:`pandas.Timestamp`.

    Parameters
    ----------
    value : str, datetime.date, numpy.datetime64 or pandas.Timestamp
        The date.

    Returns
    -------
    pandas.Timestamp
        Midnight of that date, timezone-naive.
    """
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


_INT_FIELDS = {"fold_months", "min_train_rows", "seed", "retrain_after_days", "num_bag_folds", "tune_num_trials"}
_OPTIONAL_INT_FIELDS = {"embargo_days", "num_cpus", "fit_workers"}
_FLOAT_FIELDS = {"time_limit_s", "tuning_frac"}
_DICT_FIELDS = {"tabular_hyperparameters", "lgbm_params"}
_SEQ_FIELDS = {"horizons", "quantiles", "exclude_features"}
_NONE_STRINGS = {"", "none", "null"}


def _coerce(name: str, value: Any) -> Any:
    """Coerce a settings value given as text (dbt renders ``meta`` values as strings).

    Parameters
    ----------
    name : str
        Field name.
    value : Any
        Raw value.

    Returns
    -------
    Any
        ``"30"`` -> 30.0 for floats, ``"0"`` -> 0 for ints, ``"none"``/``""`` -> None
        for optional fields, ``"true"`` -> True, JSON text -> dict/list.
    """
    text = value.strip() if isinstance(value, str) else None
    if name in _OPTIONAL_INT_FIELDS or name == "tabular_presets":
        if value is None or (text is not None and text.lower() in _NONE_STRINGS):
            return None
    if name in _INT_FIELDS or name in _OPTIONAL_INT_FIELDS:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError("expected an integer")
        return int(text) if text is not None else int(value)
    if name in _FLOAT_FIELDS:
        return float(text) if text is not None else float(value)
    if name == "tuning":
        if text is not None:
            if text.lower() not in {"true", "false", "1", "0", "yes", "no"}:
                raise ValueError("expected true or false")
            return text.lower() in {"true", "1", "yes"}
        return bool(value)
    if name in _DICT_FIELDS and text is not None:
        return json.loads(text)
    if name in _SEQ_FIELDS and text is not None:
        parsed = json.loads(text) if text.startswith("[") else [t for t in text.split(",") if t.strip()]
        return tuple(parsed)
    return value


def _jsonable(value: Any) -> Any:
    """Return a JSON-friendly deep copy (tuples to lists, dates to ISO strings).

    Parameters
    ----------
    value : Any
        A settings value.

    Returns
    -------
    Any
        Plain ``dict``/``list``/``str``/``int``/``float``/``bool``/``None`` data.
    """
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (pd.Timestamp, dt.date)):
        return pd.Timestamp(value).date().isoformat()
    return value


@dataclass(frozen=True)
class ForecastSettings:
    """Settings of the walk-forward forecast models (immutable).

    Parameters
    ----------
    horizons : tuple of int
        Forecast horizons in trading days (rows of the ZL series), ascending.
    quantiles : tuple of float
        Quantile levels in (0, 1), ascending; must contain 0.1, 0.5 and 0.9
        (the evaluation levels).
    oof_start : pandas.Timestamp
        First day of the first out-of-fold validation block.
    fold_months : int
        Length of each validation block in calendar months.
    embargo_days : int or None
        Rows between the last training origin and the validation start;
        ``None`` means "the horizon" (see :meth:`embargo_for`).
    min_train_rows : int
        Folds with fewer training rows are dropped.
    time_limit_s : float
        Time limit (seconds) for one AutoGluon fit.
    presets : str
        Name of the preset these settings started from (``fast``/``quality``/``tune``).
    tabular_presets : str or None
        AutoGluon ``presets`` passed to ``TabularPredictor.fit`` (None: AutoGluon default).
    seed : int
        Random seed for every model.
    artifact_dir : str
        Root directory of the predictor store (relative paths are resolved by the caller).
    retrain_after_days : int
        The live predictor is refit once its cutoff is this many trading days old.
    tabular_hyperparameters : dict
        AutoGluon ``hyperparameters`` (model key -> params); a param may be a
        JSON search-space spec ``{"space": "real"|"int"|"categorical", ...}``.
    num_bag_folds : int
        AutoGluon bagging folds (0: no bagging; folds are contiguous time blocks).
    tuning : bool
        Run AutoGluon hyperparameter tuning (``hyperparameter_tune_kwargs``).
    tune_num_trials : int
        Number of HPO trials when ``tuning`` is on.
    tuning_frac : float
        Fraction of training rows (the most recent, after a purge gap) held out
        for early stopping / ensembling when not bagging.
    lgbm_params : dict
        Parameters of the plain LightGBM baseline (``num_boost_round`` plus
        ``lightgbm.train`` params).
    exclude_features : tuple of str
        Feature columns never used by the tabular models (default: the ZL log
        price level ``core__zl_log_close`` -- trees on a price level cannot
        follow prices outside their past range).
    num_cpus : int or None
        CPUs per fit (default 1: on the shared 2-core machine several dbt
        threads fit in parallel and multi-threaded LightGBM under contention is
        several times slower; None lets AutoGluon/LightGBM use every core).
    fit_workers : int or None
        Worker processes for the walk-forward fits (:mod:`zlcast.parallel`;
        None: one per core, 1: fit in the dbt process). Results do not depend
        on it.
    """

    horizons: tuple[int, ...] = (5, 20, 60)
    quantiles: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
    oof_start: pd.Timestamp = field(default_factory=lambda: pd.Timestamp("2020-01-01"))
    fold_months: int = 12
    embargo_days: int | None = None
    min_train_rows: int = 250
    time_limit_s: float = 30.0
    presets: str = "fast"
    tabular_presets: str | None = None
    seed: int = 0
    artifact_dir: str = "state/predictors"
    retrain_after_days: int = 20
    tabular_hyperparameters: dict[str, Any] = field(
        default_factory=lambda: copy.deepcopy(PRESETS["fast"]["tabular_hyperparameters"]), hash=False
    )
    num_bag_folds: int = 0
    tuning: bool = False
    tune_num_trials: int = 0
    tuning_frac: float = 0.15
    lgbm_params: dict[str, Any] = field(
        default_factory=lambda: copy.deepcopy(PRESETS["fast"]["lgbm_params"]), hash=False
    )
    exclude_features: tuple[str, ...] = ("core__zl_log_close",)
    num_cpus: int | None = 1
    fit_workers: int | None = None

    def __post_init__(self) -> None:
        """Normalise types and validate values (raises ``ValueError``)."""
        for f in dataclasses.fields(self):
            try:
                value = _coerce(f.name, getattr(self, f.name))
            except (TypeError, ValueError, json.JSONDecodeError) as err:
                raise ValueError(f"invalid ForecastSettings: {f.name}={getattr(self, f.name)!r} ({err})") from err
            object.__setattr__(self, f.name, value)
        object.__setattr__(self, "horizons", tuple(int(h) for h in self.horizons))
        object.__setattr__(self, "quantiles", tuple(float(q) for q in self.quantiles))
        object.__setattr__(self, "oof_start", _to_timestamp(self.oof_start))
        object.__setattr__(self, "exclude_features", tuple(str(c) for c in self.exclude_features))
        object.__setattr__(self, "tabular_hyperparameters", copy.deepcopy(dict(self.tabular_hyperparameters)))
        object.__setattr__(self, "lgbm_params", copy.deepcopy(dict(self.lgbm_params)))
        errors = _validate(self)
        if errors:
            raise ValueError("invalid ForecastSettings: " + "; ".join(errors))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None = None) -> ForecastSettings:
        """Build settings from a preset name plus overrides.

        Parameters
        ----------
        config : Mapping, optional
            Keys are field names of :class:`ForecastSettings`. ``presets`` picks
            the starting preset (default ``fast``); every other key overrides the
            preset's value (dict-valued keys are replaced as a whole).

        Returns
        -------
        ForecastSettings

        Raises
        ------
        ValueError
            On an unknown key, an unknown preset name or an invalid value.
        """
        config = dict(config or {})
        valid = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(config) - valid)
        if unknown:
            raise ValueError(
                f"unknown ForecastSettings key(s) {unknown}; valid keys are {sorted(valid)}"
            )
        name = config.get("presets", "fast")
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of {list(PRESETS)}")
        values: dict[str, Any] = copy.deepcopy(PRESETS[name])
        values["presets"] = name
        values.update(config)
        return cls(**values)

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> ForecastSettings:
        """Shortcut for ``from_config({"presets": name, **overrides})``.

        Parameters
        ----------
        name : str
            Preset name.
        **overrides
            Field overrides.

        Returns
        -------
        ForecastSettings
        """
        return cls.from_config({"presets": name, **overrides})

    def replace(self, **changes: Any) -> ForecastSettings:
        """Return a copy with some fields changed (validated again).

        Parameters
        ----------
        **changes
            Field values.

        Returns
        -------
        ForecastSettings
        """
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ accessors
    def embargo_for(self, horizon: int) -> int:
        """Embargo in trading rows for a horizon.

        Parameters
        ----------
        horizon : int
            Horizon in trading days.

        Returns
        -------
        int
            ``embargo_days`` if set, else ``horizon``.
        """
        return int(horizon) if self.embargo_days is None else int(self.embargo_days)

    def hyperparameter_tune_kwargs(self) -> dict[str, Any] | None:
        """AutoGluon ``hyperparameter_tune_kwargs`` (None when tuning is off).

        Returns
        -------
        dict or None
            ``{'num_trials': N, 'scheduler': 'local', 'searcher': 'random'}``.
        """
        if not self.tuning:
            return None
        return {"num_trials": int(self.tune_num_trials), "scheduler": "local", "searcher": "random"}

    def to_dict(self) -> dict[str, Any]:
        """All settings as JSON-friendly data.

        Returns
        -------
        dict
        """
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def model_dict(self) -> dict[str, Any]:
        """Settings that can change a fitted model (for fingerprints).

        Returns
        -------
        dict
            :meth:`to_dict` without :data:`NON_MODEL_KEYS`.
        """
        return {k: v for k, v in self.to_dict().items() if k not in NON_MODEL_KEYS}


def _has_search_space(value: Any) -> bool:
    """True when a (nested) hyperparameter spec contains a ``{"space": ...}`` entry."""
    if isinstance(value, Mapping):
        return "space" in value or any(_has_search_space(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_search_space(v) for v in value)
    return False


def _validate(s: ForecastSettings) -> list[str]:
    """Collect validation errors of a settings object.

    Parameters
    ----------
    s : ForecastSettings
        Settings whose fields are already type-normalised.

    Returns
    -------
    list of str
        One message per problem (empty when valid).
    """
    errors: list[str] = []
    if not s.horizons or any(h <= 0 for h in s.horizons) or list(s.horizons) != sorted(set(s.horizons)):
        errors.append(f"horizons must be positive, unique and ascending, got {s.horizons}")
    q = s.quantiles
    if not q or any(not 0.0 < x < 1.0 for x in q) or list(q) != sorted(set(q)):
        errors.append(f"quantiles must be unique, ascending, inside (0, 1), got {q}")
    missing = [x for x in (0.1, 0.5, 0.9) if not any(abs(x - y) < 1e-12 for y in q)]
    if missing:
        errors.append(f"quantiles must include 0.1, 0.5 and 0.9 (missing {missing})")
    if s.fold_months < 1:
        errors.append(f"fold_months must be >= 1, got {s.fold_months}")
    if s.embargo_days is not None and s.embargo_days < 0:
        errors.append(f"embargo_days must be >= 0 or None, got {s.embargo_days}")
    if s.min_train_rows < 1:
        errors.append(f"min_train_rows must be >= 1, got {s.min_train_rows}")
    if not s.time_limit_s > 0:
        errors.append(f"time_limit_s must be > 0, got {s.time_limit_s}")
    if s.presets not in PRESETS:
        errors.append(f"presets must be one of {list(PRESETS)}, got {s.presets!r}")
    if s.retrain_after_days < 1:
        errors.append(f"retrain_after_days must be >= 1, got {s.retrain_after_days}")
    if not s.tabular_hyperparameters:
        errors.append("tabular_hyperparameters must name at least one AutoGluon model")
    if s.num_bag_folds == 1 or s.num_bag_folds < 0:
        errors.append(f"num_bag_folds must be 0 or >= 2, got {s.num_bag_folds}")
    if not s.tuning and _has_search_space(s.tabular_hyperparameters):
        errors.append("tabular_hyperparameters contain search spaces but tuning is off (use the 'tune' preset)")
    if s.tuning and s.tune_num_trials < 1:
        errors.append("tune_num_trials must be >= 1 when tuning is on")
    if not 0.0 <= s.tuning_frac < 0.5:
        errors.append(f"tuning_frac must be in [0, 0.5), got {s.tuning_frac}")
    if "num_boost_round" not in s.lgbm_params:
        errors.append("lgbm_params must contain num_boost_round")
    if s.fit_workers is not None and s.fit_workers < 1:
        errors.append(f"fit_workers must be >= 1 or None, got {s.fit_workers}")
    if s.num_cpus is not None and s.num_cpus < 1:
        errors.append(f"num_cpus must be >= 1 or None, got {s.num_cpus}")
    return errors
