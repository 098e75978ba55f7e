"""Small synthetic frames for the forecast-layer tests (no conftest, plain functions).

``synthetic_frames(n_dates=600)`` returns ``(features, zl, targets)`` shaped like
the frames the dbt models hand over: a ZL log-close random walk with
time-varying volatility, 3 ``core__`` features and 2 buckets x 3 features
(``crush__``, ``china__``; the china bucket has NaN early in history), and
realised targets for horizons 5/20/60.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from zlcast.settings import ForecastSettings


def synthetic_zl(n_dates: int = 600, seed: int = 0, start: str = "2017-01-02") -> pd.DataFrame:
    """ZL-like log closes on business days with slowly varying volatility."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n_dates)
    vol = 0.012 * np.exp(0.4 * np.sin(np.arange(n_dates) / 60.0))
    r = rng.standard_t(5, size=n_dates) * vol / np.sqrt(5 / 3)
    r[0] = 0.0
    return pd.DataFrame({"trade_date": dates.values.astype("datetime64[ns]"), "log_close": np.log(40.0) + np.cumsum(r)})


def synthetic_targets(zl: pd.DataFrame, horizons: Sequence[int] = (5, 20, 60)) -> pd.DataFrame:
    """Realised forward log returns on the rows of ``zl``."""
    v = zl["log_close"].to_numpy()
    d = zl["trade_date"].to_numpy()
    rows = []
    for h in horizons:
        i = np.arange(len(v) - h)
        rows.append(
            pd.DataFrame(
                {
                    "trade_date": d[i],
                    "horizon_days": np.int64(h),
                    "target_date": d[i + h],
                    "fwd_log_return": v[i + h] - v[i],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def synthetic_ranges(zl: pd.DataFrame, roll_every: int = 60) -> pd.DataFrame:
    """``int_zl__daily_range``-like rows: a Parkinson variance from each session's own return, null every
    ``roll_every`` sessions (rolls); a session's value depends on its own price only (causal)."""
    r = zl["log_close"].diff().fillna(0.0).to_numpy()
    rv = 0.6 * r**2 + 2e-5
    roll = (np.arange(len(zl)) % roll_every) == roll_every - 1
    return pd.DataFrame(
        {"trade_date": zl["trade_date"].to_numpy(), "is_roll": roll, "parkinson_variance": np.where(roll, np.nan, rv)}
    )


def synthetic_features(zl: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """3 core features (own price) + crush and china buckets (3 features each)."""
    rng = np.random.default_rng(seed)
    n = len(zl)
    lc = zl["log_close"]
    r = lc.diff()
    f = pd.DataFrame({"trade_date": zl["trade_date"].to_numpy()})
    f["core__ret_5"] = (lc - lc.shift(5)).to_numpy()
    f["core__vol_20"] = r.rolling(20).std().to_numpy()
    f["core__ma_gap_50"] = (lc - lc.rolling(50).mean()).to_numpy()
    for b in ("crush", "china"):
        for j in range(3):
            x = np.cumsum(rng.normal(size=n)) * 0.1
            f[f"{b}__x{j}"] = x
    f.loc[:100, "china__x0"] = np.nan
    return f


def synthetic_frames(n_dates: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(features, zl, targets)`` for tests."""
    zl = synthetic_zl(n_dates, seed)
    return synthetic_features(zl, seed + 1), zl, synthetic_targets(zl)


def tiny_settings(**overrides: object) -> ForecastSettings:
    """Fast settings sized for tests: 2 half-year folds, tiny GBM, 5 s fits."""
    base: dict[str, object] = {
        "presets": "fast",
        "oof_start": "2018-07-01",
        "fold_months": 6,
        "min_train_rows": 100,
        "time_limit_s": 5.0,
        "num_cpus": 1,
        "tabular_hyperparameters": {
            "GBM": {"num_boost_round": 20, "learning_rate": 0.1, "num_leaves": 7, "min_data_in_leaf": 20}
        },
        "lgbm_params": {"num_boost_round": 20, "learning_rate": 0.1, "num_leaves": 7, "min_data_in_leaf": 20},
    }
    base.update(overrides)
    return ForecastSettings.from_config(base)
