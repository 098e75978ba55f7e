"""Synthetic ZL data, settings and output checks shared by the core_ts unit and fit tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from zlcast.forecast.core_ts import OUTPUT_COLUMNS
from zlcast.forecast.folds import LIVE_FOLD_ID

H = (5, 20)
Q = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
N = 480
VAL_BLOCKS = [(360, 389), (410, 439)]  # zl row ranges of the two validation blocks


def core_ts_data() -> dict[str, Any]:
    """Synthetic ZL log closes (t(5) shocks, slowly varying vol), targets and two validation folds."""
    rng = np.random.default_rng(7)
    dates = pd.bdate_range("2018-01-02", periods=N)
    vol = 0.012 * np.exp(0.3 * np.sin(np.arange(N) / 40.0))
    lc = np.log(45.0) + np.cumsum(rng.standard_t(5, N) * vol / np.sqrt(5 / 3))
    zl = pd.DataFrame({"trade_date": dates, "log_close": lc})
    targets = pd.concat(
        [
            pd.DataFrame(
                {
                    "trade_date": dates[: N - h],
                    "horizon_days": h,
                    "target_date": dates[h:],
                    "fwd_log_return": lc[h:] - lc[: N - h],
                }
            )
            for h in H
        ],
        ignore_index=True,
    )
    rows = []
    for fold_id, (vs, ve) in enumerate(VAL_BLOCKS):
        for h in H:
            # last allowed training origin: its target date is before val_start
            rows.append(
                {
                    "fold_id": fold_id,
                    "horizon_days": h,
                    "train_start": dates[0],
                    "train_end": dates[vs - h - 1],
                    "val_start": dates[vs],
                    "val_end": dates[ve],
                }
            )
    return {"zl": zl, "targets": targets, "folds": pd.DataFrame(rows), "dates": dates}


BASE: dict[str, Any] = {
    "horizons": H,
    "quantiles": Q,
    "ts_models": ("Naive", "ETS", "RecursiveTabular"),
    "ts_model_hyperparameters": {
        "RecursiveTabular": {"lags": [1, 2, 3, 5, 10, 20], "model_hyperparameters": {"num_boost_round": 30}}
    },
    "ts_time_limit": 120,
    "ts_num_val_windows": 1,
    "context_length": 128,
    "num_cpus": 1,
    "fit_workers": 1,  # fits in this process, so the spies below see them
    "mitra_calibration_size": 60,
    "mitra_max_support_rows": 256,
}


def check_shape(out: pd.DataFrame, data: dict[str, Any]) -> None:
    assert list(out.columns) == OUTPUT_COLUMNS
    assert (out["model"] == "core_ts").all()
    assert out["value"].notna().all()
    dates = data["dates"]
    oof = out[out["split"] == "oof"]
    for fold_id, (vs, ve) in enumerate(VAL_BLOCKS):
        for h in H:
            got = oof[(oof["fold_id"] == fold_id) & (oof["horizon_days"] == h)]
            assert set(got["as_of_date"]) == set(dates[vs : ve + 1]), (fold_id, h)
            assert len(got) == (ve - vs + 1) * len(Q)
            exp_target = dict(zip(dates[vs : ve + 1], dates[vs + h : ve + 1 + h]))
            assert (got["target_date"] == got["as_of_date"].map(exp_target)).all()
    live = out[out["split"] == "live"]
    assert set(live["horizon_days"]) == set(H)
    assert (live["as_of_date"] == dates[-1]).all()
    assert (live["fold_id"] == LIVE_FOLD_ID).all()
    assert out["fold_id"].dtype == np.int64
    assert len(live) == len(H) * len(Q)


def check_monotone(out: pd.DataFrame) -> None:
    for _, g in out.groupby(["split", "fold_id", "horizon_days", "as_of_date"], dropna=False):
        g = g.sort_values("quantile")
        assert np.all(np.diff(g["value"].to_numpy()) >= -1e-12)
