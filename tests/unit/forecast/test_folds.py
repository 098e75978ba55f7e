"""Walk-forward folds: purge, embargo, expanding windows, OOF coverage, live rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_synth import synthetic_frames, tiny_settings

from zlcast.forecast.folds import (
    FOLD_COLUMNS,
    LIVE_FOLD_ID,
    live_fold,
    live_origins,
    live_train_rows,
    make_folds,
    train_rows,
    val_origins,
    val_rows,
)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DatetimeIndex, pd.DataFrame]:
    _, zl, targets = synthetic_frames(600)
    return pd.DatetimeIndex(zl["trade_date"]), targets


def _assert_pure(folds: pd.DataFrame, dates: pd.DatetimeIndex, targets: pd.DataFrame) -> None:
    for fold in folds.itertuples(index=False):
        tr = train_rows(fold, targets)
        va = val_rows(fold, targets)
        pos_val = dates.get_loc(fold.val_start)
        pos_train = dates.get_indexer(tr["trade_date"])
        assert len(tr) == fold.n_train and len(va) == fold.n_val
        # purge: no training target window reaches the validation block
        assert (tr["target_date"] < fold.val_start).all()
        # embargo: last training origin at least `embargo` rows before the block
        assert (pos_train <= pos_val - fold.embargo_days).all()
        assert tr["trade_date"].max() < fold.val_start
        assert (tr["horizon_days"] == fold.horizon_days).all()
        assert va["trade_date"].between(fold.val_start, fold.val_end).all()


def test_fold_table_has_the_documented_columns(data) -> None:
    dates, targets = data
    folds = make_folds(dates, targets, tiny_settings())
    assert list(folds.columns) == list(FOLD_COLUMNS)
    assert folds["fold_id"].tolist() == [0, 1, 0, 1, 0, 1]
    assert folds["horizon_days"].tolist() == [5, 5, 20, 20, 60, 60]


def test_no_training_target_reaches_into_its_validation_block(data) -> None:
    dates, targets = data
    folds = make_folds(dates, targets, tiny_settings())
    _assert_pure(folds, dates, targets)
    # training ends exactly h rows before validation with the default embargo
    for fold in folds.itertuples(index=False):
        assert dates.get_loc(fold.val_start) - dates.get_loc(fold.train_end) == fold.horizon_days + 1


def test_a_longer_embargo_is_honoured(data) -> None:
    dates, targets = data
    folds = make_folds(dates, targets, tiny_settings(embargo_days=80))
    assert (folds["embargo_days"] == 80).all()
    _assert_pure(folds, dates, targets)
    for fold in folds.itertuples(index=False):
        assert dates.get_loc(fold.val_start) - dates.get_loc(fold.train_end) >= 80


def test_validation_blocks_tile_the_oof_period_without_overlap(data) -> None:
    dates, targets = data
    s = tiny_settings()
    folds = make_folds(dates, targets, s)
    for h, g in folds.groupby("horizon_days"):
        g = g.sort_values("fold_id")
        assert g["val_start"].iloc[0] == dates[dates >= s.oof_start][0]
        assert (g["val_start"].iloc[1:].to_numpy() > g["val_end"].iloc[:-1].to_numpy()).all()
        assert g["val_end"].iloc[-1] == dates[-1]
        covered = pd.concat([val_rows(f, targets) for f in g.itertuples(index=False)])
        expected = targets[(targets["horizon_days"] == h) & (targets["trade_date"] >= s.oof_start)]
        assert sorted(covered["trade_date"]) == sorted(expected["trade_date"])
        assert covered["trade_date"].is_unique


def test_training_windows_expand(data) -> None:
    dates, targets = data
    folds = make_folds(dates, targets, tiny_settings())
    for _, g in folds.groupby("horizon_days"):
        assert g["n_train"].is_monotonic_increasing
        assert (g["train_start"] == dates[0]).all()


def test_folds_with_too_little_history_are_dropped(data) -> None:
    dates, targets = data
    folds = make_folds(dates, targets, tiny_settings(min_train_rows=360))
    # 60-day fold 0 has about 310 training rows
    assert not ((folds["horizon_days"] == 60) & (folds["fold_id"] == 0)).any()
    assert ((folds["horizon_days"] == 5) & (folds["fold_id"] == 0)).any()


def test_fold_ids_are_shared_across_horizons(data) -> None:
    dates, targets = data
    folds = make_folds(dates, targets, tiny_settings())
    starts = folds.groupby("fold_id")["val_start"].nunique()
    assert (starts == 1).all()


def test_val_origins_include_unrealised_dates(data) -> None:
    dates, targets = data
    folds = make_folds(dates, targets, tiny_settings())
    last = folds[(folds["horizon_days"] == 60)].iloc[-1]
    origins = val_origins(last, dates)
    assert origins[-1] == dates[-1]
    assert len(origins) == last["n_val"] + 60


def test_live_rows_use_only_targets_realised_at_the_cutoff(data) -> None:
    dates, targets = data
    cutoff = dates[-10]
    tr = live_train_rows(targets, cutoff, 20)
    assert (tr["target_date"] <= cutoff).all()
    assert tr["trade_date"].max() == dates[-30]  # origin 20 rows before the cutoff
    assert list(live_origins(dates, cutoff)) == list(dates[-10:])
    lf = live_fold(dates, targets, cutoff, 20)
    assert lf["fold_id"] == LIVE_FOLD_ID and lf["n_train"] == len(tr) and lf["n_val"] == 10


def test_fold_rows_work_as_dicts_and_series(data) -> None:
    dates, targets = data
    folds = make_folds(dates, targets, tiny_settings())
    row = folds.iloc[0]
    a = train_rows(row, targets)
    b = train_rows(row.to_dict(), targets)
    assert np.array_equal(a.index, b.index)
