"""Point-in-time honesty of the SQL side: features for dates <= d are identical whether the data end at d
or years later. Cut-offs are chosen around ZL rolls, a low-volume session, and macro release days."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dbt_helpers import BUILD_FEATURES, read_table, run_dbt

from zlcast.data.demo_recording import cut_data_dir

pytestmark = pytest.mark.dbt


def _cutoffs(db: Path) -> dict[str, pd.Timestamp]:
    cal = read_table(db, "select * from int_calendar__zl_sessions order by trade_date")
    cont = read_table(
        db, "select trade_date, is_roll from int_futures__continuous where root = 'ZL' order by trade_date"
    )
    dates = pd.to_datetime(cal["trade_date"])
    late = dates[dates >= dates.iloc[len(dates) // 2]]
    rolls = pd.to_datetime(cont.loc[cont["is_roll"], "trade_date"])
    roll = rolls[rolls >= late.iloc[0]].iloc[0]
    low = pd.to_datetime(cal.loc[cal["is_low_volume"], "trade_date"])
    # Monday = H.10 weekly release day; Friday = the observation day of the weekly stress indices
    monday = late[late.dt.dayofweek == 0].iloc[40]
    friday = late[late.dt.dayofweek == 4].iloc[80]
    previous = dates[dates < roll].iloc[-1]
    return {
        "day before a ZL roll": previous,
        "ZL roll day": roll,
        "low-volume session": low[low >= dates.iloc[300]].iloc[0] if (low >= dates.iloc[300]).any() else late.iloc[5],
        "H.10 release Monday": monday,
        "weekly-index Friday": friday,
    }


def test_features_up_to_cutoff_do_not_change_when_later_data_arrive(
    sql_warehouse: Path, demo_dir: Path, tmp_path: Path
) -> None:
    full = read_table(sql_warehouse, "select * from fct_zl_features order by trade_date")
    full["trade_date"] = pd.to_datetime(full["trade_date"])
    cutoffs = _cutoffs(sql_warehouse)
    assert len(set(cutoffs.values())) >= 4
    for label, cutoff in cutoffs.items():
        work = tmp_path / cutoff.strftime("%Y%m%d")
        data = cut_data_dir(demo_dir, work / "data", cutoff)
        db = work / "zl.duckdb"
        run_dbt(BUILD_FEATURES, db, data)
        cut = read_table(db, "select * from fct_zl_features order by trade_date")
        cut["trade_date"] = pd.to_datetime(cut["trade_date"])
        ref = full[full["trade_date"] <= cutoff].reset_index(drop=True)
        assert list(cut.columns) == list(ref.columns), label
        assert len(cut) == len(ref), f"{label} ({cutoff.date()}): {len(cut)} rows vs {len(ref)}"
        for col in ref.columns:
            a, b = cut[col].to_numpy(), ref[col].to_numpy()
            if np.issubdtype(ref[col].dtype, np.number):
                same = np.isclose(a.astype(float), b.astype(float), rtol=0, atol=1e-12, equal_nan=True)
            else:
                same = a == b
            bad = np.flatnonzero(~same)
            assert bad.size == 0, (
                f"{label} ({cutoff.date()}): {col} differs on {ref['trade_date'].iloc[bad[0]].date()} "
                f"({a[bad[0]]} truncated vs {b[bad[0]]} full): the feature used data after that date"
            )


def test_targets_never_appear_in_the_feature_matrix(sql_warehouse: Path) -> None:
    features = read_table(sql_warehouse, "select * from fct_zl_features limit 1").columns
    targets = read_table(sql_warehouse, "select * from fct_zl_targets limit 1").columns
    leaked = {c for c in features if "fwd" in c or "target" in c} | (set(targets) - {"trade_date"}) & set(features)
    assert not leaked


def test_no_feature_is_correlated_with_a_future_return_more_than_chance_allows(sql_warehouse: Path) -> None:
    """A leak through a future price would show as a near-perfect correlation with the 5-day target."""
    df = read_table(
        sql_warehouse,
        """
        select f.*, t.fwd_log_return
        from fct_zl_features f join fct_zl_targets t using (trade_date)
        where t.horizon_days = 5""",
    )
    feats = [c for c in df.columns if "__" in c]
    corr = df[feats].corrwith(df["fwd_log_return"]).abs().dropna()
    assert corr.max() < 0.5, corr.sort_values().tail(3)
