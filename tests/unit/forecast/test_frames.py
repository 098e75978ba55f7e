"""Frame contracts: pandera schemas with messages naming frame, column and rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_synth import synthetic_frames

from zlcast.forecast import frames as F


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return synthetic_frames(200)


def test_synthetic_frames_pass_every_schema(frames) -> None:
    features, zl, targets = frames
    F.validate_features(features)
    F.validate_zl(zl)
    F.validate_targets(targets)


def test_missing_target_column_is_named(frames) -> None:
    targets = frames[2].drop(columns="fwd_log_return")
    with pytest.raises(
        F.FrameValidationError, match=r"targets frame is invalid:\n  missing column\(s\) \['fwd_log_return'\]"
    ):
        F.validate_targets(targets)


def test_nan_target_names_column_and_row(frames) -> None:
    targets = frames[2].copy()
    targets.loc[7, "fwd_log_return"] = np.nan
    with pytest.raises(F.FrameValidationError, match=r"column 'fwd_log_return'.*at rows \[7\]"):
        F.validate_targets(targets)


def test_inf_feature_names_column_and_row(frames) -> None:
    features = frames[0].copy()
    features.loc[42, "crush__x1"] = np.inf
    with pytest.raises(
        F.FrameValidationError,
        match=r"(?s)features frame is invalid:\n.*column 'crush__x1': check no_inf failed at rows \[42\]",
    ):
        F.validate_features(features)


def test_unsorted_dates_are_reported(frames) -> None:
    zl = frames[1].iloc[[0, 2, 1, 3]].reset_index(drop=True)
    with pytest.raises(
        F.FrameValidationError,
        match=r"(?s)zl frame.*column 'trade_date': check trade_date_sorted_unique failed at rows \[2\]",
    ):
        F.validate_zl(zl)


def test_unknown_feature_group_is_rejected(frames) -> None:
    features = frames[0].assign(weather__rain=1.0)
    with pytest.raises(F.FrameValidationError, match=r"unexpected column\(s\) \['weather__rain'\]"):
        F.validate_features(features)


def test_required_feature_column_must_be_present(frames) -> None:
    with pytest.raises(F.FrameValidationError, match=r"missing required column\(s\) \['fx__brl'\]"):
        F.validate_features(frames[0], required=["fx__brl"])


def test_wrong_dtype_is_named_and_coercion_fixes_it(frames) -> None:
    targets = frames[2].astype({"horizon_days": "int32"})
    with pytest.raises(F.FrameValidationError, match="column 'horizon_days': check dtype"):
        F.validate_targets(targets)
    assert F.validate_targets(targets, coerce=True)["horizon_days"].dtype == np.int64


def test_duplicate_target_keys_are_rejected(frames) -> None:
    targets = pd.concat([frames[2], frames[2].iloc[:3]])
    with pytest.raises(F.FrameValidationError, match="multiple_fields_uniqueness"):
        F.validate_targets(targets)


def test_bucket_columns_put_core_first_and_reject_empty_buckets(frames) -> None:
    cols = F.bucket_columns(frames[0], "crush")
    assert cols == ["core__ret_5", "core__vol_20", "core__ma_gap_50", "crush__x0", "crush__x1", "crush__x2"]
    with pytest.raises(F.FrameValidationError, match="no column of bucket 'fx'"):
        F.bucket_columns(frames[0], "fx")


def test_long_predictions_layout_and_schema() -> None:
    as_of = pd.to_datetime(["2024-01-05", "2024-01-08"])  # Friday, Monday
    p = F.long_predictions(as_of, 5, None, "m", [0.1, 0.5, 0.9], np.arange(6.0).reshape(2, 3), "live", -1)
    assert list(p.columns) == list(F.PREDICTION_COLUMNS)
    assert p["value"].tolist() == [0, 1, 2, 3, 4, 5]
    assert p["target_date"].iloc[0] == pd.Timestamp("2024-01-12")  # 5 weekdays later
    assert p["target_date"].iloc[3] == pd.Timestamp("2024-01-15")
    F.validate_predictions(p)


def test_prediction_schema_rejects_bad_split_and_duplicates() -> None:
    p = F.long_predictions(pd.to_datetime(["2024-01-05"]), 5, None, "m", [0.1, 0.5, 0.9], np.zeros((1, 3)), "live", -1)
    with pytest.raises(F.FrameValidationError, match="column 'split': check isin"):
        F.validate_predictions(p.assign(split="test"))
    with pytest.raises(F.FrameValidationError, match="predictions frame is invalid"):
        F.validate_predictions(pd.concat([p, p], ignore_index=True))


def test_estimated_target_dates_skip_weekends() -> None:
    est = F.estimate_target_dates(pd.to_datetime(["2024-03-01"]), 20)  # a Friday
    assert est[0] == np.datetime64("2024-03-29")
