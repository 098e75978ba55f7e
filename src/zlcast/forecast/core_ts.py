"""``core_ts``: the core quantile forecaster of ZL log returns at 5/20/60 trading days.

Three paths, chosen in this order and reported in the ``info`` dict returned by :func:`fit_predict_core`:

``"timeseries"``
    AutoGluon ``TimeSeriesPredictor(prediction_length=max(horizons), quantile_levels=..., eval_metric="WQL")`` on
    the ZL **log price**, with explicitly named models only (never presets: they try to download Chronos-2/Toto):
    Naive, SeasonalNaive, ETS, Theta, RecursiveTabular (on first differences) and, only when
    ``chronos_model_path`` names a local checkpoint directory, ``Chronos`` (Chronos-Bolt) loaded offline on the
    chosen device. DirectTabular is never used (it fits price levels and cannot leave its past range).

    Target: log price, not daily returns. The product needs quantiles of the *h-day* log return
    ``log P[t+h] - log P[t]``. A WQL model gives marginal quantiles per forecast step; on the log price, the step-h
    quantile minus the origin's log close *is* the h-day log-return quantile. On daily returns one would need the
    quantiles of a *sum* of h steps, which cannot be read off per-step marginal quantiles (no sample paths). The
    statistical members are built for levels (Naive = random walk with sqrt(h)-growing bands), Chronos-Bolt
    normalises each context itself, and RecursiveTabular gets ``differences=[1]`` so its trees model stationary
    daily changes of the log price instead of price levels.

    Dates: ZL sessions are irregular (holidays, dropped low-volume rows) and "h days = h rows", so the series is
    put on a synthetic business-day index (row i -> i-th business day from 2000-01-03); step h is then exactly h rows.

    OOF: one predictor per fold (fit on the series up to the fold's ``train_end``; when a fold's rows for
    different horizons have different ``train_end`` the earliest one is used, so every horizon's leakage rule
    holds), then one item per validation origin (the series truncated at that origin, last ``context_length``
    rows) predicted in a single call. Live: fit on all data, predict from the latest origin. Fitted predictors are
    saved under ``<store_dir>/core_ts/ts/<fingerprint>`` and reused while (cutoff, data, settings) are unchanged.

``"mitra"``
    Used when the TS fit raises, yields no model, or ``use_timeseries=False``. AutoGluon's real Mitra
    (``TabularPredictor(problem_type="regression", hyperparameters={"MITRA": {...}})``) does in-context regression
    of the vol-scaled forward h-day return on lagged daily log returns scaled by the EWMA vol (one predictor per
    horizon and fold). Quantiles by split-conformal calibration: the last ``mitra_calibration_size`` training
    origins are predicted by a Mitra whose context ends before them; their scaled residuals give the quantiles,
    applied as ``(yhat + q_tau(residuals)) * sigma_ewma * sqrt(h)``. The checkpoint is a local directory
    (``mitra_model_path``) passed as ``hf_reg_model``; ``fine_tune=False`` by default (pure in-context learning).

``"statistical"``
    EWMA random walk (lambda 0.94, as the reference baseline) with empirical standardised quantiles: quantiles of
    ``fwd_return / (sigma_ewma * sqrt(h))`` over the training origins, centred on zero, times the current
    ``sigma_ewma * sqrt(h)``. Used when the Mitra checkpoint is missing (one clear log line) or Mitra fails.

Foundation-model weights are only ever read from local directories checked beforehand, with
``HF_HUB_OFFLINE=1`` set while loading, so nothing waits on the network.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from zlcast.forecast.artifacts import digest_parts, live_cutoff
from zlcast.forecast.baselines import ewma_sigma_values
from zlcast.forecast.devices import choose_device
from zlcast.forecast.folds import LIVE_FOLD_ID
from zlcast.forecast.frames import PREDICTION_COLUMNS
from zlcast.settings import EWMA_LAMBDA, HORIZONS, QUANTILES, coerce_fields

__all__ = [
    "MODEL_NAME",
    "OUTPUT_COLUMNS",
    "CoreTSSettings",
    "TSFitError",
    "TSRunner",
    "fit_predict_core",
    "synthetic_index",
]

logger = logging.getLogger(__name__)

MODEL_NAME = "core_ts"
OUTPUT_COLUMNS = list(PREDICTION_COLUMNS)
_SYNTHETIC_START = pd.Timestamp("2000-01-03")
_DONE_MARKER = "_zlcast_done.json"
_FORBIDDEN_TS_MODELS = {"DirectTabular"}
_FOUNDATION_TS_MODELS = {"Chronos", "Chronos2", "Toto", "Toto2"}


class TSFitError(RuntimeError):
    """The AutoGluon-TS fit failed or produced no usable model."""


# --------------------------------------------------------------------------------------------------------------
# settings
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoreTSSettings:
    """Settings of the ``core_ts`` forecaster. Build from a plain mapping with :meth:`from_config`."""

    horizons: tuple[int, ...] = HORIZONS
    quantiles: tuple[float, ...] = QUANTILES
    # --- AutoGluon-TS path
    use_timeseries: bool = True
    ts_models: tuple[str, ...] = ("Naive", "SeasonalNaive", "ETS", "Theta", "RecursiveTabular")
    ts_model_hyperparameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, hash=False)
    ts_time_limit: int | None = 900
    ts_enable_ensemble: bool = True
    ts_num_val_windows: int = 3
    ts_val_step_size: int | None = None
    context_length: int = 512
    freq: str = "B"
    chronos_model_path: str | None = None
    chronos_batch_size: int = 64
    chronos_torch_dtype: str = "auto"
    # --- Mitra fallback
    mitra_model_path: str | None = None
    mitra_lags: int = 20
    mitra_max_support_rows: int = 2048
    mitra_calibration_size: int = 250
    mitra_min_support_rows: int = 60
    mitra_refit_after_calibration: bool = True
    mitra_fine_tune: bool = False
    mitra_fine_tune_steps: int = 10
    mitra_time_limit: int | None = None
    mitra_max_memory_usage_ratio: float | None = 1.0  # AutoGluon's pre-fit memory check; None skips it
    # --- statistical path / vol scaling
    ewma_lambda: float = EWMA_LAMBDA
    min_vol_obs: int = 20
    # --- runtime
    device: str | None = None
    num_cpus: int | None = 1  # per fit; None lets AutoGluon/LightGBM/torch use every core
    seed: int = 0
    reuse_fitted: bool = True
    retrain_after_days: int = 20  # live predictor: keep its cutoff until it is this many trading days old
    fit_workers: int | None = None  # worker processes for the per-fold fits (None: one per core; 1: in process)
    verbosity: int = 0

    def __post_init__(self) -> None:
        """Normalise types (text from a dbt config is accepted) and validate (raises ``ValueError``)."""
        coerce_fields(self, _CORE_TS_KINDS)
        object.__setattr__(self, "horizons", tuple(sorted(set(self.horizons))))
        object.__setattr__(self, "quantiles", tuple(sorted(set(self.quantiles))))
        if not self.horizons or any(int(h) < 1 for h in self.horizons):
            raise ValueError(f"horizons must be positive integers, got {self.horizons!r}")
        if not self.quantiles or any(not 0.0 < q < 1.0 for q in self.quantiles):
            raise ValueError(f"quantiles must lie in (0, 1), got {self.quantiles!r}")
        bad = _FORBIDDEN_TS_MODELS.intersection(self.ts_models)
        if bad:
            raise ValueError(f"{sorted(bad)} fit price levels and are excluded from core_ts")
        if _FOUNDATION_TS_MODELS.intersection(self.ts_models):
            raise ValueError(
                "foundation models are not listed in ts_models: set chronos_model_path to a local checkpoint"
            )
        if not 0.0 < self.ewma_lambda < 1.0:
            raise ValueError("ewma_lambda must lie in (0, 1)")
        if self.context_length < 16:
            raise ValueError("context_length must be >= 16")

    @property
    def prediction_length(self) -> int:
        return max(self.horizons)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | Any | None = None) -> CoreTSSettings:
        """Build settings from a plain mapping.

        Either a flat mapping (unknown keys ignored, so a whole project settings mapping can be passed) or a
        mapping with a ``core_ts`` section (keys there must be known; top-level ``horizons``/``quantiles``/
        ``device``/``seed`` are used as defaults for the section). Values may be text (see
        :func:`zlcast.settings.coerce_value`).
        """
        if config is not None and not isinstance(config, Mapping) and hasattr(config, "to_dict"):
            config = config.to_dict()  # e.g. the project's ForecastSettings
        config = dict(config or {})
        names = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {k: v for k, v in config.items() if k in names}
        section = config.get(MODEL_NAME)
        if isinstance(section, Mapping):
            unknown = set(section) - names
            if unknown:
                raise ValueError(f"unknown core_ts settings: {sorted(unknown)}")
            values.update(section)
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        return {
            f.name: (
                dict(getattr(self, f.name)) if isinstance(getattr(self, f.name), Mapping) else getattr(self, f.name)
            )
            for f in dataclasses.fields(self)
        }


_CORE_TS_KINDS: dict[str, str] = {
    "horizons": "ints",
    "quantiles": "floats",
    "use_timeseries": "bool",
    "ts_models": "strs",
    "ts_model_hyperparameters": "dict",
    "ts_time_limit": "opt_int",
    "ts_enable_ensemble": "bool",
    "ts_num_val_windows": "int",
    "ts_val_step_size": "opt_int",
    "context_length": "int",
    "freq": "str",
    "chronos_model_path": "opt_str",
    "chronos_batch_size": "int",
    "chronos_torch_dtype": "str",
    "mitra_model_path": "opt_str",
    "mitra_lags": "int",
    "mitra_max_support_rows": "int",
    "mitra_calibration_size": "int",
    "mitra_min_support_rows": "int",
    "mitra_refit_after_calibration": "bool",
    "mitra_fine_tune": "bool",
    "mitra_fine_tune_steps": "int",
    "mitra_time_limit": "opt_int",
    "mitra_max_memory_usage_ratio": "opt_float",
    "ewma_lambda": "float",
    "min_vol_obs": "int",
    "device": "opt_str",
    "num_cpus": "opt_int",
    "seed": "int",
    "reuse_fitted": "bool",
    "retrain_after_days": "int",
    "fit_workers": "opt_int",
    "verbosity": "int",
}


# --------------------------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _offline_hub() -> Iterator[None]:
    """Force Hugging Face hub/transformers offline while foundation-model weights are loaded."""
    keys = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
    saved = {k: os.environ.get(k) for k in keys}
    for k in keys:
        os.environ[k] = "1"
    constants: Any = None
    saved_const: Any = None
    try:
        from huggingface_hub import constants

        saved_const = constants.HF_HUB_OFFLINE
        constants.HF_HUB_OFFLINE = True
    except ImportError:  # pragma: no cover - hub is installed with transformers
        constants = None
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if constants is not None:
            constants.HF_HUB_OFFLINE = saved_const


def _local_checkpoint(path: str | None, required: Sequence[str]) -> Path | None:
    """The checkpoint directory if it exists and holds the ``required`` files, else None."""
    if not path:
        return None
    p = Path(path).expanduser()
    if not p.is_dir() or any(not (p / name).is_file() for name in required):
        return None
    return p


def _prepare_zl(zl: pd.DataFrame) -> pd.DataFrame:
    if not {"trade_date", "log_close"}.issubset(zl.columns):
        raise ValueError("zl needs columns trade_date, log_close")
    out = zl[["trade_date", "log_close"]].copy()
    out["trade_date"] = pd.to_datetime(out["trade_date"])
    out = out.dropna().sort_values("trade_date").drop_duplicates("trade_date", keep="last").reset_index(drop=True)
    if len(out) < 30:
        raise ValueError(f"zl has {len(out)} usable rows; core_ts needs at least 30")
    return out


def _vol_scale(log_close: np.ndarray, lam: float, min_obs: int) -> np.ndarray:
    """EWMA daily vol (:func:`zlcast.forecast.baselines.ewma_sigma_values`), NaN before ``min_obs`` returns."""
    sigma = ewma_sigma_values(log_close, lam)
    sigma[: min_obs + 1] = np.nan
    sigma[sigma <= 0] = np.nan
    return sigma


def _target_dates(dates: pd.Series, positions: np.ndarray, h: int) -> np.ndarray:
    """Target date h rows after each origin; beyond the data, estimated with business days."""
    n = len(dates)
    d = dates.to_numpy()
    out = np.empty(len(positions), dtype="datetime64[ns]")
    for i, p in enumerate(positions):
        t = int(p) + h
        if t < n:
            out[i] = d[t]
        else:
            out[i] = (pd.Timestamp(d[-1]) + pd.offsets.BDay(t - (n - 1))).to_datetime64()
    return out


def _realized(zl: pd.DataFrame, targets: pd.DataFrame | None, h: int) -> pd.DataFrame:
    """Realized training pairs for horizon h: position, trade_date, target_date, fwd_log_return."""
    pos = pd.Series(np.arange(len(zl)), index=zl["trade_date"].to_numpy())
    if targets is not None and len(targets):
        t = targets.loc[targets["horizon_days"] == h, ["trade_date", "target_date", "fwd_log_return"]].copy()
        t["trade_date"] = pd.to_datetime(t["trade_date"])
        t["target_date"] = pd.to_datetime(t["target_date"])
        t = t.dropna()
        t = t[t["trade_date"].isin(pos.index)]
        t["position"] = pos.reindex(t["trade_date"].to_numpy()).to_numpy()
        if len(t):
            return t.sort_values("position").reset_index(drop=True)
    v = zl["log_close"].to_numpy()
    p = np.arange(len(zl) - h)
    return pd.DataFrame(
        {
            "trade_date": zl["trade_date"].to_numpy()[p],
            "target_date": zl["trade_date"].to_numpy()[p + h],
            "fwd_log_return": v[p + h] - v[p],
            "position": p,
        }
    )


def _conformal_quantiles(resid: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Split-conformal quantiles of residuals, with the (n+1)/n finite-sample widening around the median."""
    resid = resid[np.isfinite(resid)]
    n = len(resid)
    lv = np.asarray(levels, dtype=float)
    adj = np.clip(0.5 + (lv - 0.5) * (n + 1) / max(n, 1), 0.0, 1.0)
    return np.sort(np.quantile(resid, adj))


def _normal_ppf(levels: Sequence[float]) -> np.ndarray:
    from scipy.stats import norm

    return np.asarray(norm.ppf(np.asarray(levels, dtype=float)), dtype=float)


def _long_rows(
    as_of: np.ndarray,
    h: int,
    target_date: np.ndarray,
    qmat: np.ndarray,
    quantiles: Sequence[float],
    split: str,
    fold_id: Any,
) -> pd.DataFrame:
    """Long output rows from a (n_origins, n_quantiles) matrix of log-return quantiles (sorted per row)."""
    qmat = np.sort(np.asarray(qmat, dtype=float), axis=1)
    n, k = qmat.shape
    return pd.DataFrame(
        {
            "as_of_date": np.repeat(as_of, k),
            "horizon_days": np.int64(h),
            "target_date": np.repeat(target_date, k),
            "model": MODEL_NAME,
            "quantile": np.tile(np.asarray(quantiles, dtype=float), n),
            "value": qmat.reshape(-1),
            "split": split,
            "fold_id": [fold_id] * (n * k),
        }
    )


def _finish(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if frames:
        out = pd.concat(frames, ignore_index=True)
    else:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in OUTPUT_COLUMNS})
    out["as_of_date"] = pd.to_datetime(out["as_of_date"])
    out["target_date"] = pd.to_datetime(out["target_date"])
    out["horizon_days"] = out["horizon_days"].astype("int64")
    out["quantile"] = out["quantile"].astype(float)
    out["value"] = out["value"].astype(float)
    with contextlib.suppress(TypeError, ValueError):  # integer fold ids (the project's) -> int64
        out["fold_id"] = out["fold_id"].astype("int64")
    out = out.sort_values(["split", "horizon_days", "as_of_date", "quantile"], kind="stable")
    return out[OUTPUT_COLUMNS].reset_index(drop=True)


def _prepare_folds(folds: pd.DataFrame | None, horizons: Sequence[int]) -> pd.DataFrame:
    cols = ["fold_id", "horizon_days", "train_start", "train_end", "val_start", "val_end"]
    if folds is None or len(folds) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    missing = set(cols) - set(folds.columns)
    if missing:
        raise ValueError(f"folds is missing columns {sorted(missing)}")
    f = folds[cols].copy()
    for c in cols[2:]:
        f[c] = pd.to_datetime(f[c])
    f = f[f["horizon_days"].astype(int).isin(list(horizons))].copy()
    f["horizon_days"] = f["horizon_days"].astype(int)
    return f.reset_index(drop=True)


@dataclass
class _Fold:
    """One fold row resolved to zl positions."""

    fold_id: Any
    h: int
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    val_start: pd.Timestamp
    val_end: pd.Timestamp
    origins: np.ndarray  # zl positions of validation origins


def _resolve_folds(zl: pd.DataFrame, folds: pd.DataFrame) -> list[_Fold]:
    dates = zl["trade_date"]
    out = []
    for row in cast(Any, folds).itertuples(index=False):
        mask = (dates >= row.val_start) & (dates <= row.val_end)
        out.append(
            _Fold(
                fold_id=row.fold_id,
                h=int(row.horizon_days),
                train_start=pd.Timestamp(row.train_start),
                train_end=pd.Timestamp(row.train_end),
                val_start=pd.Timestamp(row.val_start),
                val_end=pd.Timestamp(row.val_end),
                origins=np.flatnonzero(mask.to_numpy()),
            )
        )
    return out


# --------------------------------------------------------------------------------------------------------------
# AutoGluon-TS path
# --------------------------------------------------------------------------------------------------------------


def synthetic_index(n: int, freq: str) -> pd.DatetimeIndex:
    return pd.date_range(_SYNTHETIC_START, periods=n, freq=freq)


def _ts_frame(values: np.ndarray, stamps: pd.DatetimeIndex, item_id: str) -> pd.DataFrame:
    return pd.DataFrame({"item_id": item_id, "timestamp": stamps, "target": values})


def _origin_items(log_close: np.ndarray, stamps: pd.DatetimeIndex, origins: np.ndarray, ctx: int) -> pd.DataFrame:
    """One item per origin: the series truncated at the origin, last ``ctx`` rows."""
    ids, ts, vals = [], [], []
    for p in origins:
        lo = max(0, int(p) - ctx + 1)
        n = int(p) + 1 - lo
        ids.append(np.full(n, f"o{int(p):07d}"))
        ts.append(stamps[lo : int(p) + 1].to_numpy())
        vals.append(log_close[lo : int(p) + 1])
    return pd.DataFrame(
        {"item_id": np.concatenate(ids), "timestamp": np.concatenate(ts), "target": np.concatenate(vals)}
    )


class TSRunner:
    """Fits / reuses TimeSeriesPredictors and reads h-step log-return quantiles from them."""

    def __init__(self, s: CoreTSSettings, store_dir: Path, device: str, chronos_path: Path | None) -> None:
        self.s = s
        self.store = store_dir / MODEL_NAME / "ts"
        self.device = device
        self.chronos_path = chronos_path
        self.n_fit = 0
        self.n_reused = 0
        self.model_names: list[str] = []
        self.best_models: list[str] = []

    def hyperparameters(self) -> dict[str, Any]:
        s = self.s
        hp: dict[str, Any] = {}
        local_extra: dict[str, Any] = {} if s.num_cpus is None else {"n_jobs": int(s.num_cpus)}
        for name in s.ts_models:
            params: dict[str, Any] = {}
            if name in {"Naive", "SeasonalNaive", "ETS", "Theta", "AutoETS", "AutoARIMA", "DynamicOptimizedTheta"}:
                params.update(local_extra)
            if name == "RecursiveTabular":
                # differences=[1]: trees model daily log-price changes, not levels they cannot extrapolate.
                params.update({"differences": [1], "target_scaler": "standard"})
            params.update(s.ts_model_hyperparameters.get(name, {}))
            if name == "RecursiveTabular" and s.num_cpus is not None and params.get("model_name", "GBM") == "GBM":
                # LightGBM busy-waits with oversubscribed OpenMP threads on shared cores: pin its thread count.
                params["model_hyperparameters"] = {
                    "num_threads": int(s.num_cpus),
                    **params.get("model_hyperparameters", {}),
                }
            hp[name] = params
        if self.chronos_path is not None:
            hp["Chronos"] = {
                "model_path": str(self.chronos_path),
                "device": self.device,
                "context_length": min(s.context_length, 2048),
                "batch_size": s.chronos_batch_size,
                "torch_dtype": s.chronos_torch_dtype,
                "fine_tune": False,
                **dict(s.ts_model_hyperparameters.get("Chronos", {})),
            }
        return hp

    def previous_live_cutoff(self, before: pd.Timestamp) -> pd.Timestamp | None:
        """Latest cutoff date (``<= before``) of a stored, completed live predictor, or None."""
        best: pd.Timestamp | None = None
        if not self.s.reuse_fitted or not self.store.is_dir():
            return None
        for marker in self.store.glob(f"*/{_DONE_MARKER}"):
            try:
                cut = json.loads(marker.read_text()).get("live_cutoff")
            except (OSError, ValueError):
                continue
            if cut is None:
                continue
            ts = pd.Timestamp(cut)
            if ts <= before and (best is None or ts > best):
                best = ts
        return best

    def predictor_path(
        self, log_close: np.ndarray, stamps: pd.DatetimeIndex, lo: int, hi: int, version: str | None = None
    ) -> Path:
        """Where the predictor trained on rows lo..hi is stored (a fingerprint of data, settings and versions)."""
        from autogluon.timeseries import __version__ as installed

        ag_version = version or installed
        s = self.s
        key = digest_parts(
            "core_ts.ts.v1",
            ag_version,
            int(hi - lo + 1),
            str(stamps[hi]),
            log_close[lo : hi + 1].round(10),
            {k: v for k, v in s.as_dict().items() if k.startswith(("ts_", "chronos_")) or k in {"quantiles", "freq"}},
            s.prediction_length,
            self.hyperparameters(),
            s.seed,
        )[:20]
        return self.store / key

    def cached_forecast(
        self, log_close: np.ndarray, stamps: pd.DatetimeIndex, lo: int, hi: int, origins: np.ndarray
    ) -> dict[int, np.ndarray] | None:
        """The stored forecast of ``origins`` by the stored predictor of rows lo..hi, or None (nothing is loaded).

        A daily build reads every walk-forward block's forecast back this way, without loading a predictor or
        starting a worker process.
        """
        path = self.predictor_path(log_close, stamps, lo, hi)
        marker = path / _DONE_MARKER
        cache = path / f"pred-{self._forecast_key(log_close, stamps, origins)}.npz"
        if not (self.s.reuse_fitted and marker.is_file() and cache.is_file()):
            return None
        try:
            info = json.loads(marker.read_text())
            with np.load(cache) as z:
                out = {int(p): z[f"o{int(p)}"] for p in origins}
        except (OSError, ValueError, KeyError):
            return None
        self.n_reused += 1
        for n in info.get("models", []):
            if n not in self.model_names:
                self.model_names.append(n)
        if info.get("best") and info["best"] not in self.best_models:
            self.best_models.append(info["best"])
        return out

    def _forecast_key(self, log_close: np.ndarray, stamps: pd.DatetimeIndex, origins: np.ndarray) -> str:
        """Digest of what a forecast of ``origins`` reads: their contexts (values and stamps) and the positions."""
        pos = np.asarray(origins, dtype="int64")
        if len(pos) == 0:
            return digest_parts("core_ts.forecast.v2", self.s.context_length, [])[:24]
        lo = max(0, int(pos.min()) - self.s.context_length + 1)
        hi = int(pos.max())
        return digest_parts(
            "core_ts.forecast.v2",
            self.s.context_length,
            np.ascontiguousarray(log_close[lo : hi + 1], dtype="float64"),
            str(stamps[lo]),
            str(stamps[hi]),
            pos,
        )[:24]

    def fit(
        self, log_close: np.ndarray, stamps: pd.DatetimeIndex, lo: int, hi: int, live_cutoff: pd.Timestamp | None = None
    ) -> Any:
        """Fit (or reuse) a predictor on rows lo..hi (inclusive); ``live_cutoff`` tags a live predictor's marker."""
        from autogluon.timeseries import TimeSeriesDataFrame, TimeSeriesPredictor
        from autogluon.timeseries import __version__ as ag_version

        s = self.s
        hp = self.hyperparameters()
        path = self.predictor_path(log_close, stamps, lo, hi, ag_version)
        if s.reuse_fitted and (path / _DONE_MARKER).is_file():
            try:
                with _offline_hub():
                    predictor = TimeSeriesPredictor.load(str(path))
                self.n_reused += 1
                return predictor
            except Exception as exc:
                logger.info("core_ts: could not reuse predictor %s (%s); refitting", path, exc)
        if path.exists():
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        train = TimeSeriesDataFrame.from_data_frame(
            _ts_frame(log_close[lo : hi + 1], stamps[lo : hi + 1], "ZL"),
            id_column="item_id",
            timestamp_column="timestamp",
        )
        predictor = TimeSeriesPredictor(
            prediction_length=s.prediction_length,
            quantile_levels=list(s.quantiles),
            eval_metric="WQL",
            freq=s.freq,
            path=str(path),
            target="target",
            verbosity=s.verbosity,
            cache_predictions=False,
        )
        fit_kwargs: dict[str, Any] = {
            "hyperparameters": hp,
            "time_limit": s.ts_time_limit,
            "enable_ensemble": s.ts_enable_ensemble and len(hp) > 1,
            "num_val_windows": s.ts_num_val_windows,
            "random_seed": s.seed,
        }
        if s.ts_val_step_size is not None:
            fit_kwargs["val_step_size"] = s.ts_val_step_size
        if s.ts_num_val_windows > 1:
            fit_kwargs["refit_every_n_windows"] = None
        with _offline_hub():
            predictor.fit(train, **fit_kwargs)
        names = list(predictor.model_names())
        if not names:
            raise TSFitError("AutoGluon-TS fit produced no model")
        try:
            best = predictor.model_best
        except Exception as exc:
            raise TSFitError(f"AutoGluon-TS fit produced no usable model: {exc}") from exc
        marker = {"models": names, "best": best, "fit_at": time.time()}
        if live_cutoff is not None:
            marker["live_cutoff"] = str(pd.Timestamp(live_cutoff).date())
        (path / _DONE_MARKER).write_text(json.dumps(marker))
        self.n_fit += 1
        return predictor

    def predict(
        self, predictor: Any, log_close: np.ndarray, stamps: pd.DatetimeIndex, origins: np.ndarray
    ) -> dict[int, np.ndarray]:
        """{origin position: (prediction_length, n_quantiles) array of log-price quantiles}."""
        from autogluon.timeseries import TimeSeriesDataFrame

        s = self.s
        raw = _origin_items(log_close, stamps, origins, s.context_length)
        # Stored predictors never change and past prices never change: a block of origins predicted once is read
        # back on later builds, so a build with a few more days of data only predicts the new origins.
        key = self._forecast_key(log_close, stamps, origins)
        cache = Path(str(getattr(predictor, "path", ""))) / f"pred-{key}.npz"
        if getattr(predictor, "path", None) and cache.exists():
            with np.load(cache) as z:
                return {int(p): z[f"o{int(p)}"] for p in origins}
        items = TimeSeriesDataFrame.from_data_frame(raw, id_column="item_id", timestamp_column="timestamp")
        with _offline_hub():
            pred = predictor.predict(items, use_cache=False)
        names = list(predictor.model_names())
        for n in names:
            if n not in self.model_names:
                self.model_names.append(n)
        best = predictor.model_best
        if best not in self.best_models:
            self.best_models.append(best)
        cols = [str(q) for q in s.quantiles]
        frame = pd.DataFrame(pred)[cols]
        out: dict[int, np.ndarray] = {}
        for p in origins:
            block = frame.xs(f"o{int(p):07d}", level="item_id").to_numpy(dtype=float)
            if block.shape[0] != s.prediction_length or not np.all(np.isfinite(block)):
                raise TSFitError(f"AutoGluon-TS returned an unusable forecast for origin row {int(p)}")
            out[int(p)] = block
        if getattr(predictor, "path", None):
            tmp = cache.with_name(f".{cache.stem}-{os.getpid()}.npz")
            np.savez(tmp, **{f"o{p}": v for p, v in out.items()})  # type: ignore[arg-type]  # numpy stubs
            os.replace(tmp, cache)
        return out


def _ts_fold_job(
    s: CoreTSSettings,
    store_dir: Path,
    device: str,
    chronos_path: Path | None,
    log_close: np.ndarray,
    stamps: pd.DatetimeIndex,
    lo: int,
    hi: int,
    origins: np.ndarray,
    live_cutoff: pd.Timestamp | None,
) -> tuple[dict[int, np.ndarray], dict[str, Any]]:
    """Fit (or reuse) the predictor of rows lo..hi and forecast ``origins``: one unit of work for a worker process."""
    runner = TSRunner(s, store_dir, device, chronos_path)
    predictor = runner.fit(log_close, stamps, lo, hi, live_cutoff=live_cutoff)
    q = runner.predict(predictor, log_close, stamps, origins)
    return q, {
        "n_fit": runner.n_fit,
        "n_reused": runner.n_reused,
        "model_names": runner.model_names,
        "best_models": runner.best_models,
    }


def _run_timeseries(
    zl: pd.DataFrame,
    folds: list[_Fold],
    s: CoreTSSettings,
    store_dir: Path,
    device: str,
    chronos_path: Path | None,
    info: dict[str, Any],
) -> list[pd.DataFrame]:
    from zlcast.forecast.parallel import run_jobs

    log_close = zl["log_close"].to_numpy(dtype=float)
    dates = zl["trade_date"]
    stamps = synthetic_index(len(zl), s.freq)
    runner = TSRunner(s, store_dir, device, chronos_path)

    # OOF: one predictor per fold_id, cutoff = earliest train_end of its rows (safe for every horizon).
    by_id: dict[Any, list[_Fold]] = {}
    for f in folds:
        by_id.setdefault(f.fold_id, []).append(f)
    jobs: list[tuple[Any, ...]] = []
    plans: list[tuple[list[_Fold] | None, np.ndarray]] = []
    for fold_id, rows in by_id.items():
        cutoff = min(r.train_end for r in rows)
        start = min(r.train_start for r in rows)
        in_train = np.flatnonzero(((dates >= start) & (dates <= cutoff)).to_numpy())
        origins = np.unique(np.concatenate([r.origins for r in rows]))
        origins = origins[origins > (in_train.max() if len(in_train) else -1)]
        if len(in_train) == 0 or len(origins) == 0:
            logger.info("core_ts: fold %s has no training rows or no validation origins; skipped", fold_id)
            continue
        jobs.append(
            (
                s,
                store_dir,
                device,
                chronos_path,
                log_close,
                stamps,
                int(in_train.min()),
                int(in_train.max()),
                origins,
                None,
            )
        )
        plans.append((rows, origins))

    # live: the retrain policy keeps the stored live predictor's cutoff until it is `retrain_after_days` trading days
    # old (the same rule as the specialists); in between, a build with a few more days reuses it and forecasts every
    # origin after the cutoff from the up-to-date context.
    last = len(zl) - 1
    last_date = pd.Timestamp(dates.iloc[last])
    cutoff = live_cutoff(last_date, runner.previous_live_cutoff(last_date), dates, s.retrain_after_days)
    hi = int(np.flatnonzero((dates <= cutoff).to_numpy()).max())
    live_origins = np.arange(hi, last + 1)
    jobs.append((s, store_dir, device, chronos_path, log_close, stamps, 0, hi, live_origins, cutoff))
    plans.append((None, live_origins))

    # folds are independent: fit and forecast them in worker processes (zlcast.forecast.parallel), assemble in order.
    # Forecasts stored by an earlier build are read back here; a stored predictor with new origins (the live one on
    # a daily build) predicts in this process; only fits go to the workers (starting one costs seconds).
    results: list[Any] = [None] * len(jobs)
    stored: list[int] = []
    fits: list[int] = []
    for i, job in enumerate(jobs):
        lo_i, hi_i, origins_i = job[6], job[7], job[8]
        cached = runner.cached_forecast(log_close, stamps, lo_i, hi_i, origins_i)
        if cached is not None:
            stats = {"n_fit": 0, "n_reused": 1, "model_names": runner.model_names, "best_models": runner.best_models}
            results[i] = (cached, stats)
        elif s.reuse_fitted and (runner.predictor_path(log_close, stamps, lo_i, hi_i) / _DONE_MARKER).is_file():
            stored.append(i)
        else:
            fits.append(i)
    if len(stored) <= 2:  # a daily build: the live predictor forecasts its new origins here
        for i in stored:
            results[i] = _ts_fold_job(*jobs[i])
    else:
        fits += stored
    for i, result in zip(fits, run_jobs(_ts_fold_job, [jobs[i] for i in fits], s.fit_workers)):
        results[i] = result
    frames: list[pd.DataFrame] = []
    model_names: list[str] = []
    best_models: list[str] = []
    n_fit = n_reused = 0
    for (fold_rows, origins), (qpaths, stats) in zip(plans, results):
        n_fit += int(stats["n_fit"])
        n_reused += int(stats["n_reused"])
        model_names += [n for n in stats["model_names"] if n not in model_names]
        best_models += [n for n in stats["best_models"] if n not in best_models]
        if fold_rows is None:  # live
            for h in s.horizons:
                frames.append(
                    _long_rows(
                        dates.to_numpy()[origins],
                        h,
                        _target_dates(dates, origins, h),
                        np.stack([qpaths[int(p)][h - 1] - log_close[int(p)] for p in origins]),
                        s.quantiles,
                        "live",
                        LIVE_FOLD_ID,
                    )
                )
            continue
        for r in fold_rows:
            o = r.origins[np.isin(r.origins, origins)]
            if len(o) == 0:
                continue
            qmat = np.stack([qpaths[int(p)][r.h - 1] - log_close[int(p)] for p in o])
            frames.append(
                _long_rows(dates.to_numpy()[o], r.h, _target_dates(dates, o, r.h), qmat, s.quantiles, "oof", r.fold_id)
            )
    info.update(
        ts_model_names=model_names,
        ts_best_models=best_models,
        chronos_used=any(n.startswith("Chronos") for n in model_names),
        n_predictors_fit=n_fit,
        n_predictors_reused=n_reused,
        live_cutoff=str(cutoff.date()),
        ts_store=str(runner.store),
    )
    return frames


# --------------------------------------------------------------------------------------------------------------
# features shared by the Mitra and statistical paths
# --------------------------------------------------------------------------------------------------------------


class _Features:
    """EWMA vol and vol-scaled lagged-return features per zl row."""

    def __init__(self, zl: pd.DataFrame, s: CoreTSSettings) -> None:
        self.s = s
        self.dates = zl["trade_date"]
        self.log_close = zl["log_close"].to_numpy(dtype=float)
        self.sigma = _vol_scale(self.log_close, s.ewma_lambda, s.min_vol_obs)
        r = np.concatenate([[np.nan], np.diff(self.log_close)])
        n = len(r)
        cols: dict[str, np.ndarray] = {}
        for k in range(s.mitra_lags):
            lag = np.full(n, np.nan)
            lag[k:] = r[: n - k] if k else r
            cols[f"r_lag{k}"] = lag / self.sigma
        for m in (5, 20, 60):
            cum = np.full(n, np.nan)
            cum[m:] = self.log_close[m:] - self.log_close[:-m]
            cols[f"cum{m}"] = cum / (self.sigma * math.sqrt(m))
        long_vol = pd.Series(r * r).rolling(250, min_periods=60).mean().pow(0.5).to_numpy()
        cols["log_vol_ratio"] = np.log(self.sigma / long_vol)
        self.X = pd.DataFrame(cols)
        self.valid = np.isfinite(self.X.to_numpy()).all(axis=1) & np.isfinite(self.sigma)

    def scale(self, positions: np.ndarray, h: int) -> np.ndarray:
        return np.asarray(self.sigma[positions] * math.sqrt(h), dtype=float)


def _training_pairs(
    feats: _Features,
    realized: pd.DataFrame,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    before: pd.Timestamp | None,
) -> pd.DataFrame:
    """Realized pairs with origin in [start, end] and target_date < before, restricted to rows with features."""
    t = realized
    if start is not None:
        t = t[t["trade_date"] >= start]
    if end is not None:
        t = t[t["trade_date"] <= end]
    if before is not None:
        t = t[t["target_date"] < before]
    t = t[feats.valid[t["position"].to_numpy(dtype=int)]]
    return t.reset_index(drop=True)


# --------------------------------------------------------------------------------------------------------------
# statistical path: EWMA random walk with empirical standardised quantiles
# --------------------------------------------------------------------------------------------------------------


def _stat_quantiles(
    feats: _Features, pairs: pd.DataFrame, h: int, origins: np.ndarray, quantiles: Sequence[float]
) -> np.ndarray:
    pos = pairs["position"].to_numpy(dtype=int)
    z = pairs["fwd_log_return"].to_numpy(dtype=float) / feats.scale(pos, h)
    z = z[np.isfinite(z)]
    if len(z) >= 30:
        qz = np.quantile(z, np.asarray(quantiles, dtype=float))
        qz = qz - np.quantile(z, 0.5)  # random walk: centre on no change
    else:
        qz = _normal_ppf(quantiles)
    scale = feats.scale(origins, h)
    fallback = np.nanmedian(feats.sigma) * math.sqrt(h)
    scale = np.where(np.isfinite(scale), scale, fallback)
    return np.asarray(scale[:, None] * np.sort(qz)[None, :], dtype=float)


def _run_statistical(
    zl: pd.DataFrame, targets: pd.DataFrame | None, folds: list[_Fold], s: CoreTSSettings, feats: _Features
) -> list[pd.DataFrame]:
    dates = zl["trade_date"]
    frames = []
    for f in folds:
        if len(f.origins) == 0:
            continue
        pairs = _training_pairs(feats, _realized(zl, targets, f.h), f.train_start, f.train_end, f.val_start)
        qmat = _stat_quantiles(feats, pairs, f.h, f.origins, s.quantiles)
        frames.append(
            _long_rows(
                dates.to_numpy()[f.origins],
                f.h,
                _target_dates(dates, f.origins, f.h),
                qmat,
                s.quantiles,
                "oof",
                f.fold_id,
            )
        )
    last = np.array([len(zl) - 1])
    for h in s.horizons:
        pairs = _training_pairs(feats, _realized(zl, targets, h), None, None, None)
        qmat = _stat_quantiles(feats, pairs, h, last, s.quantiles)
        frames.append(
            _long_rows(
                dates.to_numpy()[last], h, _target_dates(dates, last, h), qmat, s.quantiles, "live", LIVE_FOLD_ID
            )
        )
    return frames


# --------------------------------------------------------------------------------------------------------------
# Mitra path
# --------------------------------------------------------------------------------------------------------------


class _MitraRunner:
    """In-context Mitra regression per horizon with split-conformal quantiles."""

    def __init__(self, s: CoreTSSettings, weights: Path, device: str, workdir: Path) -> None:
        self.s = s
        self.weights = weights
        self.device = device
        self.workdir = workdir
        self.n_fit = 0
        self.devices_used: set[str] = set()

    def hyperparameters(self) -> dict[str, Any]:
        s = self.s
        return {
            "MITRA": {
                "hf_reg_model": str(self.weights),  # local dir: config.json + model.safetensors
                "device": self.device,
                "fine_tune": s.mitra_fine_tune,
                "fine_tune_steps": s.mitra_fine_tune_steps,
                "n_estimators": 1,
                "seed": s.seed,
                "ag_args_fit": {
                    "num_gpus": 1 if self.device.startswith("cuda") else 0,
                    "max_memory_usage_ratio": s.mitra_max_memory_usage_ratio,
                },
            }
        }

    def _fit_predict(self, support: pd.DataFrame, tune: pd.DataFrame, query: pd.DataFrame) -> np.ndarray:
        from autogluon.tabular import TabularPredictor

        path = Path(tempfile.mkdtemp(prefix="mitra_", dir=self.workdir))
        try:
            predictor = TabularPredictor(
                label="y", problem_type="regression", path=str(path), verbosity=self.s.verbosity
            )
            fit_kwargs: dict[str, Any] = {
                "tuning_data": tune,
                "hyperparameters": self.hyperparameters(),
                "time_limit": self.s.mitra_time_limit,
                "fit_weighted_ensemble": False,
                "num_gpus": 1 if self.device.startswith("cuda") else 0,
            }
            if self.s.num_cpus is not None:
                fit_kwargs["num_cpus"] = int(self.s.num_cpus)
            with _offline_hub(), warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*pin_memory.*")
                predictor.fit(support, **fit_kwargs)
                names = predictor.model_names()
                if not names:
                    raise RuntimeError("Mitra fit produced no model (see AutoGluon log)")
                with contextlib.suppress(Exception):  # private API, only for the info dict
                    self.devices_used.add(str(predictor._trainer.load_model(names[0]).get_device()))
                yhat = predictor.predict(query.drop(columns=["y"], errors="ignore"), model=names[0])
            self.n_fit += 1
            return np.asarray(yhat, dtype=float)
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def quantiles(self, feats: _Features, pairs: pd.DataFrame, h: int, origins: np.ndarray) -> np.ndarray:
        """(n_origins, n_quantiles) log-return quantiles from training ``pairs`` (all targets already < cutoff)."""
        s = self.s
        pos = pairs["position"].to_numpy(dtype=int)
        y = pairs["fwd_log_return"].to_numpy(dtype=float) / feats.scale(pos, h)
        table = feats.X.iloc[pos].reset_index(drop=True).assign(y=y)
        n_cal = min(s.mitra_calibration_size, len(pairs) // 3)
        if n_cal < 20 or len(pairs) - n_cal < s.mitra_min_support_rows // 2:
            raise ValueError(f"too few training rows for Mitra at h={h} ({len(pairs)})")
        cal = np.arange(len(pairs) - n_cal, len(pairs))
        first_cal_date = pairs["trade_date"].iloc[cal[0]]
        pre = np.flatnonzero((pairs["target_date"] < first_cal_date).to_numpy())
        if len(pre) < s.mitra_min_support_rows // 2:
            raise ValueError(f"too few support rows before the calibration block at h={h} ({len(pre)})")
        pre = pre[-s.mitra_max_support_rows :]
        query = feats.X.iloc[origins].reset_index(drop=True)
        if s.mitra_refit_after_calibration:
            cal_pred = self._fit_predict(table.iloc[pre], table.iloc[cal], table.iloc[cal])
            # context for the forecasts = all training rows (the most recent year included)
            pred = self._fit_predict(table.iloc[-s.mitra_max_support_rows :], table.iloc[cal], query)
        else:  # strict split conformal: the calibrated predictor itself forecasts
            both = self._fit_predict(table.iloc[pre], table.iloc[cal], pd.concat([table.iloc[cal], query]))
            cal_pred, pred = both[:n_cal], both[n_cal:]
        resid = table["y"].to_numpy()[cal] - cal_pred
        qres = _conformal_quantiles(resid, s.quantiles)
        return np.asarray((pred[:, None] + qres[None, :]) * feats.scale(origins, h)[:, None], dtype=float)


def _run_mitra(
    zl: pd.DataFrame,
    targets: pd.DataFrame | None,
    folds: list[_Fold],
    s: CoreTSSettings,
    feats: _Features,
    weights: Path,
    device: str,
    store_dir: Path,
    info: dict[str, Any],
) -> list[pd.DataFrame]:
    dates = zl["trade_date"]
    work = store_dir / MODEL_NAME / "mitra_tmp"
    work.mkdir(parents=True, exist_ok=True)
    runner = _MitraRunner(s, weights, device, work)
    frames = []
    for f in folds:
        o = f.origins[feats.valid[f.origins]] if len(f.origins) else f.origins
        if len(o) == 0:
            continue
        pairs = _training_pairs(feats, _realized(zl, targets, f.h), f.train_start, f.train_end, f.val_start)
        qmat = runner.quantiles(feats, pairs, f.h, o)
        frames.append(
            _long_rows(dates.to_numpy()[o], f.h, _target_dates(dates, o, f.h), qmat, s.quantiles, "oof", f.fold_id)
        )
    last = np.array([len(zl) - 1])
    for h in s.horizons:
        pairs = _training_pairs(feats, _realized(zl, targets, h), None, None, None)
        qmat = runner.quantiles(feats, pairs, h, last)
        frames.append(
            _long_rows(
                dates.to_numpy()[last], h, _target_dates(dates, last, h), qmat, s.quantiles, "live", LIVE_FOLD_ID
            )
        )
    info.update(mitra_fits=runner.n_fit, mitra_devices=sorted(runner.devices_used), mitra_weights=str(weights))
    return frames


# --------------------------------------------------------------------------------------------------------------
# public entry point
# --------------------------------------------------------------------------------------------------------------


def fit_predict_core(
    zl: pd.DataFrame,
    targets: pd.DataFrame | None,
    folds: pd.DataFrame | None,
    settings: CoreTSSettings | Mapping[str, Any] | Any | None,
    store_dir: str | os.PathLike[str],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """OOF + live quantile forecasts of h-day ZL log returns from the ``core_ts`` model.

    ``settings``: a :class:`CoreTSSettings`, a plain mapping (see :meth:`CoreTSSettings.from_config`) or any object
    with ``to_dict()``. ``store_dir``: artifact directory; fitted TS predictors go to ``<store_dir>/core_ts/ts``.

    Returns ``(predictions, info)``: predictions in the long output format (``OUTPUT_COLUMNS``; ``value`` is the
    predicted log return from the as-of close; ``fold_id`` is ``LIVE_FOLD_ID`` (-1) on live rows; live
    ``target_date`` beyond the data is estimated with business days), and ``info`` with ``path``
    (``"timeseries"`` | ``"mitra"`` | ``"statistical"``), ``device``, ``fallback_reason``, ``messages`` and path
    details (``ts_model_names``, ``ts_best_models``, ``chronos_used``, ``mitra_devices``, fit/reuse counts,
    ``seconds``).
    """
    t0 = time.perf_counter()
    s = settings if isinstance(settings, CoreTSSettings) else CoreTSSettings.from_config(settings)
    store = Path(store_dir)
    store.mkdir(parents=True, exist_ok=True)
    zlp = _prepare_zl(zl)
    fold_frame = _prepare_folds(folds, s.horizons)
    resolved = _resolve_folds(zlp, fold_frame)
    device = choose_device(s.device)
    info: dict[str, Any] = {"model": MODEL_NAME, "device": device, "fallback_reason": None, "messages": []}

    frames: list[pd.DataFrame] | None = None
    if s.use_timeseries:
        chronos_path = _local_checkpoint(s.chronos_model_path, ["config.json"])
        if s.chronos_model_path and chronos_path is None:
            msg = (
                f"core_ts: Chronos weights not found at {s.chronos_model_path}; "
                "fitting AutoGluon-TS without Chronos (Naive/ETS/Theta/RecursiveTabular)"
            )
            logger.warning(msg)
            info["messages"].append(msg)
        try:
            frames = _run_timeseries(zlp, resolved, s, store, device, chronos_path, info)
            info["path"] = "timeseries"
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            logger.warning("core_ts: AutoGluon-TS path failed (%s); using the Mitra fallback", reason)
            info["fallback_reason"] = f"timeseries failed: {reason}"
            frames = None
    else:
        info["fallback_reason"] = "use_timeseries=False"

    if frames is None:
        feats = _Features(zlp, s)
        weights = _local_checkpoint(s.mitra_model_path, ["config.json", "model.safetensors"])
        if weights is None:
            msg = (
                f"core_ts: Mitra weights not found at {s.mitra_model_path}; "
                "using the statistical path (EWMA random walk with empirical standardised quantiles)"
            )
            logger.warning(msg)
            info["messages"].append(msg)
        else:
            try:
                frames = _run_mitra(zlp, targets, resolved, s, feats, weights, device, store, info)
                info["path"] = "mitra"
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                msg = f"core_ts: Mitra path failed ({reason}); using the statistical path (EWMA random walk)"
                logger.warning(msg)
                info["messages"].append(msg)
                info["fallback_reason"] = f"{info['fallback_reason']}; mitra failed: {reason}"
                frames = None
        if frames is None:
            frames = _run_statistical(zlp, targets, resolved, s, feats)
            info["path"] = "statistical"

    out = _finish(frames)
    info["n_rows"] = len(out)
    info["seconds"] = round(time.perf_counter() - t0, 2)
    return out, info
