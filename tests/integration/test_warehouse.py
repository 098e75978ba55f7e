"""The SQL side built by dbt: grain, units on hand-checkable rows, estimator re-computation in pandas,
and bad input that must stop the build without touching what was built before."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from dbt_helpers import BUILD_FEATURES, copy_data_dir, read_table, run_dbt, shared_data_dir

pytestmark = pytest.mark.dbt


def test_feature_matrix_has_one_row_per_zl_session_and_every_bucket(sql_warehouse) -> None:
    f = read_table(sql_warehouse, "select * from fct_zl_features")
    cal = read_table(sql_warehouse, "select trade_date from int_calendar__zl_sessions")
    assert len(f) == len(cal) == f["trade_date"].nunique()
    buckets = {c.split("__")[0] for c in f.columns if "__" in c}
    assert buckets == {"core", "crush", "china", "fx", "fed", "tariff", "biofuel", "energy", "volatility"}


def test_targets_are_log_returns_h_valid_sessions_ahead(sql_warehouse) -> None:
    zl = read_table(
        sql_warehouse,
        """select trade_date, close_price from int_futures__continuous
                                      where root = 'ZL' and is_valid order by trade_date""",
    )
    t = read_table(sql_warehouse, "select * from fct_zl_targets where horizon_days = 20 order by trade_date")
    expected = np.log(zl["close_price"].shift(-20) / zl["close_price"]).dropna().to_numpy()
    np.testing.assert_allclose(t["fwd_log_return"].to_numpy(), expected, rtol=0, atol=1e-12)
    assert (
        pd.to_datetime(t["target_date"]).to_numpy() == pd.to_datetime(zl["trade_date"]).shift(-20).dropna().to_numpy()
    ).all()


def _zl_valid(db) -> pd.DataFrame:
    return read_table(
        db,
        """select trade_date, log_return, open_price, high_price, low_price, close_price
                            from int_futures__continuous where root = 'ZL' and is_valid order by trade_date""",
    )


def test_volatility_estimators_match_a_pandas_reimplementation(sql_warehouse) -> None:
    zl = _zl_valid(sql_warehouse)
    ok = zl["log_return"].notna()
    hl = np.log(zl["high_price"] / zl["low_price"]).where(ok)
    co = np.log(zl["close_price"] / zl["open_price"]).where(ok)
    cc = zl["log_return"].rolling(20, min_periods=10).std() * np.sqrt(252)
    pk = np.sqrt((hl**2).rolling(20, min_periods=10).mean() / (4 * np.log(2))) * np.sqrt(252)
    gk = np.sqrt(
        (0.5 * hl**2 - (2 * np.log(2) - 1) * co**2).rolling(20, min_periods=10).mean().clip(lower=0)
    ) * np.sqrt(252)
    mine = pd.DataFrame({"trade_date": zl["trade_date"], "cc": cc, "pk": pk, "gk": gk})
    got = read_table(
        sql_warehouse,
        """select trade_date, volatility__zl_rv_cc_20d as cc, volatility__zl_rv_parkinson_20d as pk,
                                       volatility__zl_rv_gk_20d as gk from fct_zl_features""",
    )
    m = mine.merge(got, on="trade_date", suffixes=("_pd", "_sql"))
    for col in ("cc", "pk", "gk"):
        np.testing.assert_allclose(m[f"{col}_sql"], m[f"{col}_pd"], rtol=1e-9, atol=1e-12, equal_nan=True)


def test_cross_asset_correlations_and_momentum_match_pandas(sql_warehouse) -> None:
    a = read_table(sql_warehouse, "select * from int_futures__zl_aligned order by trade_date")
    f = read_table(sql_warehouse, "select * from fct_zl_features order by trade_date")
    corr = a["zs_log_return"].rolling(60, min_periods=30).corr(a["hg_log_return"])
    np.testing.assert_allclose(f["china__zs_hg_corr_60d"], corr, rtol=1e-7, atol=1e-9, equal_nan=True)
    brl_vol = a["brl_log_return"].rolling(20, min_periods=10).std() * np.sqrt(252)
    np.testing.assert_allclose(f["fx__brl_vol_20d"], brl_vol, rtol=1e-9, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(f["energy__cl_mom_20d"], a["cl_log_index"].diff(20), rtol=0, atol=1e-12, equal_nan=True)
    m = read_table(
        sql_warehouse,
        """select trade_date, value from int_macro__as_of_release
                                     where series_id = 'DEXCHUS' order by trade_date""",
    )
    np.testing.assert_allclose(
        f["china__cny_per_usd_mom_20d"], np.log(m["value"]).diff(20), rtol=0, atol=1e-12, equal_nan=True
    )


def test_boho_and_crush_units_on_a_demo_row(sql_warehouse) -> None:
    row = read_table(
        sql_warehouse,
        """select a.zl_close, a.zm_close, a.zs_close, a.ho_close, f.crush__board_crush_usd_bu,
                                       f.crush__oil_share, f.biofuel__boho_spread_usd_gal
                                       from fct_zl_features f join int_futures__zl_aligned a using (trade_date)
                                       order by trade_date desc limit 1""",
    ).iloc[0]
    assert row.crush__board_crush_usd_bu == pytest.approx(
        0.022 * row.zm_close + 0.11 * row.zl_close - row.zs_close / 100
    )
    assert row.crush__oil_share == pytest.approx(0.11 * row.zl_close / (0.11 * row.zl_close + 0.022 * row.zm_close))
    assert row.biofuel__boho_spread_usd_gal == pytest.approx(row.zl_close / 100 * 7.5 - row.ho_close)


def _checksum(db) -> tuple:
    return tuple(read_table(db, "select count(*) n, sum(hash(columns(*))) from fct_zl_features").iloc[0])


@pytest.fixture(scope="module")
def features_built_on_good_data(demo_dir, tmp_path_factory):
    """A warehouse whose feature matrix was built from the good demo data (copied per test)."""
    work = tmp_path_factory.mktemp("good")
    db = work / "zl.duckdb"
    run_dbt(BUILD_FEATURES, db, copy_data_dir(demo_dir, work / "data"))
    return db


@pytest.mark.parametrize(
    "corruption, expected",
    [
        ("duplicate_bar", "duplicate"),
        ("nan_close", "close"),
        ("negative_close", "close"),
        ("wrong_macro_header", "DGS10.csv"),
    ],
)
def test_bad_input_stops_the_build_and_keeps_what_was_built(
    features_built_on_good_data, demo_dir, tmp_path, corruption, expected
) -> None:
    db = tmp_path / "zl.duckdb"
    shutil.copy(features_built_on_good_data, db)
    good = demo_dir
    before = _checksum(db)
    bad = copy_data_dir(demo_dir, tmp_path / "bad")
    fut = pd.read_parquet(bad / "futures_daily.parquet")
    zl = fut.index[fut["root"] == "ZL"]
    if corruption == "duplicate_bar":
        fut = pd.concat([fut, fut.loc[zl[100:101]]]).sort_values(["root", "trade_date"])
    elif corruption == "nan_close":
        fut.loc[zl[200], "close"] = np.nan
    elif corruption == "negative_close":
        fut.loc[zl[300], "close"] = -1.0
    if corruption == "wrong_macro_header":
        (bad / "macro" / "DGS10.csv").write_text("series,day,val\nDGS10,2020-01-02,1.9\n")
    else:
        pq.write_table(
            pq.read_table(good / "futures_daily.parquet")
            .schema.empty_table()
            .from_pandas(fut, schema=pq.read_schema(good / "futures_daily.parquet"), preserve_index=False),
            bad / "futures_daily.parquet",
        )
    proc = run_dbt(BUILD_FEATURES, db, bad, check=False)
    assert proc.returncode != 0
    assert expected in proc.stdout + proc.stderr
    assert _checksum(db) == before


@pytest.mark.realdata
def test_real_data_sql_side_builds_with_full_feature_coverage_from_2012(tmp_path) -> None:
    data = shared_data_dir()
    if not (data / "futures_daily.parquet").exists():
        pytest.skip(f"real data not found at {data}")
    db = tmp_path / "real.duckdb"
    run_dbt(["build", "--select", "+fct_zl_features", "+fct_zl_targets"], db, data)
    f = read_table(db, "select * from fct_zl_features where trade_date >= '2012-01-01'")
    fill = f[[c for c in f.columns if "__" in c]].notna().mean()
    assert fill.min() >= 0.95, fill.sort_values().head()
    assert len(f) > 3300


def test_an_optional_rins_file_adds_biofuel_features_as_of_release(demo_dir, tmp_path) -> None:
    data = copy_data_dir(demo_dir, tmp_path / "data")
    (data / "cftc_cot.csv").unlink()  # and without the optional CFTC file, no positioning columns
    fridays = pd.date_range("2016-01-08", "2025-06-27", freq="W-FRI")
    pd.DataFrame(
        {"date": fridays.date, "d4_usd": np.arange(len(fridays)) / 100.0, "d6_usd": np.arange(len(fridays)) / 200.0}
    ).to_csv(data / "rins.csv", index=False)
    db = tmp_path / "zl.duckdb"
    run_dbt(BUILD_FEATURES, db, data)
    f = read_table(
        db,
        "select trade_date, biofuel__rin_d4_usd from fct_zl_features where trade_date >= '2024-01-04' "
        "order by trade_date limit 3",
    )
    # the Friday 2024-01-05 value (index of that Friday) is used from the next session (Monday 2024-01-08) on
    k = int(np.flatnonzero(fridays == pd.Timestamp("2024-01-05"))[0])
    assert f["biofuel__rin_d4_usd"].tolist() == pytest.approx([(k - 1) / 100, (k - 1) / 100, k / 100])
    cols = read_table(db, "select * from fct_zl_features limit 0").columns
    assert not [c for c in cols if "cot_" in c or "export_sales" in c]


def test_optional_columns_follow_the_optional_files_of_the_demo_set(sql_warehouse, demo_dir) -> None:
    # the demo set carries a CFTC file but no RIN or export-sales file
    assert (demo_dir / "cftc_cot.csv").exists() and not (demo_dir / "rins.csv").exists()
    cols = read_table(sql_warehouse, "select * from fct_zl_features limit 0").columns
    assert [c for c in cols if "cot_" in c]
    assert not [c for c in cols if "rin_" in c or "export_sales" in c]
