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

from zlcast.forecast.folds import val_rows
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


def frames_through(n: int, n_dates: int = 600) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The first ``n`` sessions of ``synthetic_frames(n_dates)``: what a rerun with fewer days of data sees."""
    features, zl, targets = synthetic_frames(n_dates)
    last = zl["trade_date"].iloc[n - 1]
    return (
        features[features["trade_date"] <= last].reset_index(drop=True),
        zl[zl["trade_date"] <= last].reset_index(drop=True),
        targets[targets["target_date"] <= last].reset_index(drop=True),
    )


def fit_log(p: pd.DataFrame) -> pd.DataFrame:
    """The fit log a fit-and-predict call attaches to its predictions."""
    return pd.DataFrame(p.attrs["fit_log"])


def assert_oof_complete(
    p: pd.DataFrame, folds: pd.DataFrame, targets: pd.DataFrame, settings: ForecastSettings
) -> None:
    """Every validation row of every fold has exactly one OOF prediction per quantile."""
    oof = p[p["split"] == "oof"]
    for fold in folds.itertuples(index=False):
        expected = set(val_rows(fold, targets)["trade_date"])
        got = oof[(oof["fold_id"] == fold.fold_id) & (oof["horizon_days"] == fold.horizon_days)]
        counts = got.groupby(["as_of_date", "quantile"]).size()
        assert (counts == 1).all()
        assert set(got["as_of_date"]) == expected
        assert len(got) == len(expected) * len(settings.quantiles)


def assert_monotone(p: pd.DataFrame) -> None:
    """Quantiles never cross within an origin and horizon."""
    w = p.pivot_table(index=["split", "as_of_date", "horizon_days"], columns="quantile", values="value")
    assert (np.diff(w.to_numpy(), axis=1) >= 0).all()
