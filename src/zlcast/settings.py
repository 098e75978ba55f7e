"""Settings: the one source of truth of the product's shape, and the L0 (AutoGluon) settings.

:class:`ProjectSettings` is built once per dbt Python model from its ``config.meta['forecast']`` (rendered
from the dbt vars of ``dbt_project.yml``) and every layer derives from it::

    project = ProjectSettings.from_meta(dbt.config.get("meta"))
    project.horizons, project.quantiles, project.buckets, project.ewma_lambda, project.vol_scale   # every layer
    project.forecast            # ForecastSettings of the L0 models (presets, time limits, store, seed)
    project.core_ts_settings()  # CoreTSSettings  (section ``core_ts``)
    project.meta_settings()     # MetaSettings    (section ``meta``)
    project.ensemble_settings() # EnsembleSettings (section ``ensemble``)

The SQL side reads the same dbt vars (``horizons`` in ``fct_zl_targets``, ``buckets`` in
``fct_zl_features`` and ``fct_l0_predictions``, the enabled specialists), so changing a horizon or dropping
a bucket is one edit of a var. The module constants below are the vars' defaults for code that runs
without dbt (tests, benchmarks); a unit test keeps them equal to ``dbt_project.yml``.

Values from a dbt ``meta`` arrive as text (``"[5, 20, 60]"``, ``"True"``, ``"none"``): every settings
class reads them through :func:`coerce_fields`, the one text-to-value conversion of the package.

Presets of the L0 models (:class:`ForecastSettings`)
----------------------------------------------------
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
objects are built only at fit time (see :func:`zlcast.forecast.specialists.autogluon_hyperparameters`).
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

from zlcast import __version__

__all__ = [
    "BUCKETS",
    "EVAL_START",
    "EWMA_LAMBDA",
    "HORIZONS",
    "NON_MODEL_KEYS",
    "OOF_START",
    "PRESETS",
    "QUANTILES",
    "VOL_SCALE",
    "VOL_SCALES",
    "ForecastSettings",
    "ProjectSettings",
    "coerce_fields",
    "coerce_value",
    "is_unset",
    "preset_names",
]

#: Forecast horizons in ZL trading sessions (dbt var ``horizons``).
HORIZONS: tuple[int, ...] = (5, 20, 60)
#: Quantile levels of every model and of the published forecast (dbt var ``quantiles``).
QUANTILES: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
#: The Big 8 buckets (dbt var ``buckets``): each has ``macros/big8/<bucket>.sql``, ``int_big8__<bucket>`` and
#: ``ml_specialist__<bucket>``. The var may list a subset; these are the ones the project knows.
BUCKETS: tuple[str, ...] = ("crush", "china", "fx", "fed", "tariff", "biofuel", "energy", "volatility")
#: Feature group of ZL's own price features, shared by every specialist (``core__`` columns).
CORE_GROUP = "core"
#: EWMA decay of the reference random walk and of the z scale of every layer (dbt var ``ewma_lambda``).
EWMA_LAMBDA = 0.94
#: The h-day scale of the walk members, the L0 targets and the meta / ensemble z (dbt var ``vol_scale``):
#: ``ewma`` (the random walk's ``sigma_ewma * sqrt(h)``) or ``har`` (:mod:`zlcast.forecast.volatility`; the default:
#: it beat the EWMA variance on QLIKE and MSE on 2012-2019 and 2020-2025).
VOL_SCALE = "har"
#: The values ``vol_scale`` may take.
VOL_SCALES: tuple[str, ...] = ("ewma", "har")
#: First day of the first out-of-fold validation block (dbt var ``forecast_oof_start``).
OOF_START = "2016-01-01"
#: First origin of the scored period: evaluation, VaR backtest, buyer's backtest (dbt var ``forecast_eval_start``).
EVAL_START = "2020-01-01"

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


_NONE_TEXT = frozenset({"", "none", "null"})
_TRUE_TEXT = frozenset({"true", "1", "yes"})
_BOOL_TEXT = _TRUE_TEXT | {"false", "0", "no"}


def is_unset(value: Any) -> bool:
    """True for a value that means "not set": None or the text ``""``, ``none``, ``null`` (any case).

    Parameters
    ----------
    value : Any

    Returns
    -------
    bool
    """
    return value is None or (isinstance(value, str) and value.strip().lower() in _NONE_TEXT)


def _as_int(value: Any) -> int:
    """An integer from an int, an integral float or its text; anything else raises ``ValueError``."""
    if isinstance(value, bool):
        raise ValueError("expected an integer")
    number = float(value) if isinstance(value, str) else value
    if isinstance(number, float) and not number.is_integer():
        raise ValueError("expected an integer")
    return int(number)


def _as_list(value: Any) -> list[Any]:
    """Items of a sequence given as a list/tuple, JSON text (``"[5, 20]"``) or comma-separated text."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return list(json.loads(text))
            except json.JSONDecodeError:
                pass
        items = [t.strip().strip("'\"") for t in text.strip("[]()").split(",")]
        return [t for t in items if t]
    return list(value)


def coerce_value(kind: str, value: Any) -> Any:
    """Coerce one settings value that may come as text from a dbt ``meta`` config.

    Parameters
    ----------
    kind : str
        ``str``, ``int``, ``float``, ``bool``, ``date``, ``dict``, ``ints``, ``floats`` or ``strs``;
        the prefix ``opt_`` (e.g. ``opt_int``) also accepts "not set" (:func:`is_unset`) and returns None.
    value : Any
        Raw value: already typed, or text (``"30"``, ``"true"``, ``"[5, 20, 60]"``, ``"a, b"``, JSON for dicts).

    Returns
    -------
    Any
        The typed value (sequence kinds give tuples).

    Raises
    ------
    ValueError
        When the value cannot be read as ``kind``.
    """
    if kind.startswith("opt_") and is_unset(value):
        return None
    if value is None:
        raise ValueError("a value is required")
    base = kind.removeprefix("opt_")
    text = value.strip() if isinstance(value, str) else None
    if base == "str":
        return str(value)
    if base == "int":
        return _as_int(value)
    if base == "float":
        return float(value)
    if base == "bool":
        if text is not None:
            if text.lower() not in _BOOL_TEXT:
                raise ValueError(f"expected true or false, got {value!r}")
            return text.lower() in _TRUE_TEXT
        return bool(value)
    if base == "date":
        return _to_timestamp(value)
    if base == "dict":
        return copy.deepcopy(dict(json.loads(text) if text is not None else value))
    items = _as_list(value)
    if base == "ints":
        return tuple(_as_int(v) for v in items)
    if base == "floats":
        return tuple(float(v) for v in items)
    if base == "strs":
        return tuple(str(v) for v in items)
    raise ValueError(f"unknown settings kind {kind!r}")


def coerce_fields(obj: object, kinds: Mapping[str, str]) -> None:
    """Coerce the fields of a frozen settings dataclass in place (see :func:`coerce_value`).

    Parameters
    ----------
    obj : dataclass instance
        Frozen or not; fields are set with ``object.__setattr__``.
    kinds : Mapping
        Field name -> kind.

    Raises
    ------
    ValueError
        Naming the class and the field whose value cannot be read.
    """
    for name, kind in kinds.items():
        try:
            object.__setattr__(obj, name, coerce_value(kind, getattr(obj, name)))
        except (TypeError, ValueError) as err:
            raise ValueError(f"invalid {type(obj).__name__}: {name}={getattr(obj, name)!r} ({err})") from err


_FORECAST_KINDS: dict[str, str] = {
    "horizons": "ints",
    "quantiles": "floats",
    "oof_start": "date",
    "fold_months": "int",
    "embargo_days": "opt_int",
    "min_train_rows": "int",
    "time_limit_s": "float",
    "presets": "str",
    "tabular_presets": "opt_str",
    "seed": "int",
    "artifact_dir": "str",
    "retrain_after_days": "int",
    "tabular_hyperparameters": "dict",
    "num_bag_folds": "int",
    "tuning": "bool",
    "tune_num_trials": "int",
    "tuning_frac": "float",
    "lgbm_params": "dict",
    "exclude_features": "strs",
    "num_cpus": "opt_int",
    "fit_workers": "opt_int",
    "ewma_lambda": "float",
}


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
        Worker processes for the walk-forward fits (:mod:`zlcast.forecast.parallel`;
        None: one per core, 1: fit in the dbt process). Results do not depend
        on it.
    ewma_lambda : float
        EWMA decay of the volatility that standardises the targets (the project's).
    """

    horizons: tuple[int, ...] = HORIZONS
    quantiles: tuple[float, ...] = QUANTILES
    oof_start: pd.Timestamp = field(default_factory=lambda: pd.Timestamp(OOF_START))
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
    ewma_lambda: float = EWMA_LAMBDA

    def __post_init__(self) -> None:
        """Normalise types and validate values (raises ``ValueError``)."""
        coerce_fields(self, _FORECAST_KINDS)
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
            raise ValueError(f"unknown ForecastSettings key(s) {unknown}; valid keys are {sorted(valid)}")
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
    if not 0.0 < s.ewma_lambda < 1.0:
        errors.append(f"ewma_lambda must lie in (0, 1), got {s.ewma_lambda}")
    if s.num_cpus is not None and s.num_cpus < 1:
        errors.append(f"num_cpus must be >= 1 or None, got {s.num_cpus}")
    return errors


#: Settings shared by every layer, set once (dbt vars) and injected into the per-layer settings.
SHARED_KEYS: tuple[str, ...] = (
    "horizons",
    "quantiles",
    "buckets",
    "ewma_lambda",
    "vol_scale",
    "oof_start",
    "eval_start",
    "seed",
)
#: Sections of ``meta['forecast']`` holding the settings of one layer.
SECTIONS: tuple[str, ...] = ("core_ts", "meta", "ensemble")
_PROJECT_KINDS: dict[str, str] = {
    "horizons": "ints",
    "quantiles": "floats",
    "buckets": "strs",
    "ewma_lambda": "float",
    "vol_scale": "str",
    "oof_start": "date",
    "eval_start": "date",
    "seed": "int",
}


@dataclass(frozen=True)
class ProjectSettings:
    """The product's settings, shared by every layer (immutable).

    Parameters
    ----------
    horizons : tuple of int
        Forecast horizons in ZL trading sessions, ascending.
    quantiles : tuple of float
        Quantile levels of every model and of the published forecast, ascending, symmetric around 0.5.
    buckets : tuple of str
        Big 8 buckets in use (a subset of :data:`BUCKETS`, in that order).
    ewma_lambda : float
        EWMA decay of the reference random walk (the yardstick) and of the ``ewma`` scale.
    vol_scale : {"ewma", "har"}
        The h-day scale of the walk members, of the L0 targets (``z = r / scale``) and of the meta / ensemble
        z: the EWMA walk's ``sigma_ewma * sqrt(h)`` or the HAR forecast of ``ml_vol_forecast``
        (:mod:`zlcast.forecast.volatility`). The yardstick of every score stays the EWMA walk.
    oof_start : pandas.Timestamp
        First day of the first out-of-fold block of the L0 models.
    eval_start : pandas.Timestamp
        First origin scored (evaluation, VaR backtest, buyer's backtest).
    seed : int
        Seed of every model and of the Monte Carlo.
    forecast : ForecastSettings
        L0 settings (AutoGluon presets, time limits, predictor store); its horizons, quantiles, oof_start and
        seed are the project's.
    core_ts, meta, ensemble : Mapping
        Overrides of the ``core_ts`` / L1 / L2 settings (sections of ``meta['forecast']``); they may not set a
        shared key.
    """

    horizons: tuple[int, ...] = HORIZONS
    quantiles: tuple[float, ...] = QUANTILES
    buckets: tuple[str, ...] = BUCKETS
    ewma_lambda: float = EWMA_LAMBDA
    vol_scale: str = VOL_SCALE
    oof_start: pd.Timestamp = field(default_factory=lambda: pd.Timestamp(OOF_START))
    eval_start: pd.Timestamp = field(default_factory=lambda: pd.Timestamp(EVAL_START))
    seed: int = 0
    forecast: ForecastSettings | None = None
    core_ts: Mapping[str, Any] = field(default_factory=dict, hash=False)
    meta: Mapping[str, Any] = field(default_factory=dict, hash=False)
    ensemble: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        """Normalise types, validate, and derive the L0 settings (raises ``ValueError``)."""
        coerce_fields(self, _PROJECT_KINDS)
        unknown = [b for b in self.buckets if b not in BUCKETS]
        if unknown or len(set(self.buckets)) != len(self.buckets) or not self.buckets:
            raise ValueError(
                f"invalid ProjectSettings: buckets must be a non-empty subset of {list(BUCKETS)}, "
                f"got {list(self.buckets)}"
            )
        object.__setattr__(self, "buckets", tuple(b for b in BUCKETS if b in self.buckets))
        if not 0.0 < self.ewma_lambda < 1.0:
            raise ValueError(f"invalid ProjectSettings: ewma_lambda must lie in (0, 1), got {self.ewma_lambda}")
        if self.vol_scale not in VOL_SCALES:
            raise ValueError(
                f"invalid ProjectSettings: vol_scale must be one of {list(VOL_SCALES)}, got {self.vol_scale!r}"
            )
        q = self.quantiles
        if any(abs(a + b - 1.0) > 1e-9 for a, b in zip(q, reversed(q), strict=True)):
            raise ValueError(f"invalid ProjectSettings: quantiles must be symmetric around 0.5, got {q}")
        for name in SECTIONS:
            section = dict(getattr(self, name) or {})
            shared = sorted(set(section) & set(SHARED_KEYS))
            if shared:
                raise ValueError(
                    f"forecast.{name} sets {shared}: project settings, set once (dbt vars) for every layer"
                )
            object.__setattr__(self, name, section)
        base = self.forecast.to_dict() if self.forecast is not None else {}
        shared_l0 = {
            "horizons": self.horizons,
            "quantiles": self.quantiles,
            "oof_start": self.oof_start,
            "seed": self.seed,
            "ewma_lambda": self.ewma_lambda,
        }
        object.__setattr__(self, "forecast", ForecastSettings.from_config({**base, **shared_l0}))

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any] | None) -> ProjectSettings:
        """Build the settings from a dbt model's ``config.meta`` (its ``forecast`` mapping).

        Parameters
        ----------
        meta : Mapping or None
            ``{"forecast": {...}}`` as rendered from ``dbt_project.yml``: shared keys (:data:`SHARED_KEYS`),
            L0 keys (fields of :class:`ForecastSettings`, ``presets`` first), the sections :data:`SECTIONS`,
            and ``project_vars`` (the values of the project's own dbt vars, used for a shared key that is not
            set: dbt renders ``dbt_project.yml`` with the ``--vars`` only). Values that are not set
            (:func:`is_unset`) keep their defaults.

        Returns
        -------
        ProjectSettings

        Raises
        ------
        ValueError
            On an unknown key or an invalid value, naming it.
        """
        config = dict((meta or {}).get("forecast") or {})
        sections = {name: _section(config.pop(name, None), name) for name in SECTIONS}
        project_vars = _section(config.pop("project_vars", None), "project_vars")
        shared = {k: config.pop(k) for k in SHARED_KEYS if k in config}
        shared = {k: v for k, v in shared.items() if not is_unset(v)}
        shared = {**{k: v for k, v in project_vars.items() if not is_unset(v)}, **shared}
        l0 = ForecastSettings.from_config({k: v for k, v in config.items() if not is_unset(v)})
        kwargs: dict[str, Any] = {**shared, **sections, "forecast": l0}
        return cls(**kwargs)

    # ------------------------------------------------------------------ per-layer settings
    def core_ts_settings(self) -> Any:
        """Settings of the core time-series model (:class:`zlcast.forecast.core_ts.CoreTSSettings`).

        Returns
        -------
        CoreTSSettings
            The project's horizons, quantiles, seed and EWMA decay; the L0 runtime settings (CPUs, workers,
            retrain policy); the ``core_ts`` section's overrides.
        """
        from zlcast.forecast.core_ts import CoreTSSettings

        assert self.forecast is not None
        section = {k: v for k, v in self.core_ts.items() if not is_unset(v)}
        return CoreTSSettings.from_config({**self.forecast.to_dict(), "core_ts": section})

    def meta_settings(self) -> Any:
        """Settings of the L1 meta model (:class:`zlcast.forecast.meta.MetaSettings`).

        Returns
        -------
        MetaSettings
        """
        from zlcast.forecast.meta import MetaSettings

        return MetaSettings(
            **{"horizons": self.horizons, "quantiles": self.quantiles, "lam": self.ewma_lambda, **self.meta}
        )

    def ensemble_settings(self) -> Any:
        """Settings of the L2 ensemble (:class:`zlcast.forecast.ensemble.EnsembleSettings`).

        Returns
        -------
        EnsembleSettings
        """
        from zlcast.forecast.ensemble import EnsembleSettings

        return EnsembleSettings(
            **{"horizons": self.horizons, "quantiles": self.quantiles, "lam": self.ewma_lambda, **self.ensemble}
        )

    @property
    def model_version(self) -> str:
        """A readable model version: package version, preset and seed (e.g. ``zlcast-0.1.0/fast/seed0``)."""
        assert self.forecast is not None
        return f"zlcast-{__version__}/{self.forecast.presets}/seed{self.seed}"


def _section(value: Any, name: str) -> dict[str, Any]:
    """A settings section given as a mapping or JSON text (None: empty)."""
    if is_unset(value):
        return {}
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, Mapping):
        raise ValueError(f"forecast.{name} must be a mapping, got {value!r}")
    return dict(value)
