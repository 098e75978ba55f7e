"""The SQL side reads what the sources write: ALFRED vintage files point in time, FRED's own CSV download, the raw
EPA D6 RIN export (with its publication lag) and the CFTC file with its extra columns. One SQL-side build of a
demo data copy holding all of them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dbt_helpers import BUILD_FEATURES, copy_data_dir, read_table, run_dbt

pytestmark = pytest.mark.dbt

REVISED = pd.Timestamp("2024-06-07")  # the ANFCI observation revised two days after its first release
ARCHIVE_START = "2017-01-04"  # first vintage of the ANFCI file: everything older is published that day


def _anfci_vintages(path: Path) -> pd.DataFrame:
    """Rewrite ANFCI as ALFRED vintages: first published Wednesday (Friday + 5), one revision of REVISED on the
    Friday after, and an archive that starts on ARCHIVE_START."""
    frame = pd.read_csv(path, dtype=str)
    dates = pd.to_datetime(frame["date"])
    first = (dates + pd.Timedelta(days=5)).dt.strftime("%Y-%m-%d")
    frame["realtime_start"] = np.where(dates < pd.Timestamp("2017-01-01"), ARCHIVE_START, first)
    revision = frame[dates == REVISED].assign(value="1.2345", realtime_start="2024-06-14")
    out = pd.concat([frame, revision]).sort_values(["date", "realtime_start"])
    out.to_csv(path, index=False)
    return frame


def _epa_export(path: Path) -> pd.DataFrame:
    """A raw EMTS export: per week the current vintage (price k/100) and the previous one (price 5 + k/100);
    January weeks also have a thin current-vintage trade at $0.01."""
    rows, expected = [], []
    for k, monday in enumerate(pd.date_range("2015-06-01", "2025-06-30", freq="W-MON")):
        y = monday.year
        date = f"{monday.month}/{monday.day}/{y}"
        current = 0.01 if monday.month == 1 else k / 100
        rows.append(f'"{date}","{y}","{y}","D6","Unverified","${current:.2f}"')
        rows.append(f'"{date}","{y}","{y - 1}","D6","Unverified","${5 + k / 100:.2f}"')
        price = 5 + k / 100 if monday.month == 1 else k / 100
        release = (monday + pd.Timedelta(days=6)).to_period("M").to_timestamp() + pd.DateOffset(months=2)
        expected.append((monday, round(price, 2), release))
    header = "Transfer Date by Week,Transfer Year,RIN Year,Fuel (D Code),QAP Service Type,RIN Price\n"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return pd.DataFrame(expected, columns=["week", "price", "release"])


def _asof(sessions: pd.Series, when: pd.Series, values: pd.Series) -> np.ndarray:
    """The value whose date ``when`` is the latest on or before each session (NaN before the first)."""
    order = np.argsort(when.to_numpy(), kind="stable")
    w, v = when.to_numpy()[order], values.to_numpy(dtype=float)[order]
    idx = np.searchsorted(w, sessions.to_numpy(), side="right") - 1
    return np.where(idx >= 0, v[np.clip(idx, 0, None)], np.nan)


@pytest.fixture(scope="module")
def built(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict[str, object]]:
    data = copy_data_dir(demo_dir, tmp_path_factory.mktemp("src") / "data")
    anfci = _anfci_vintages(data / "macro" / "ANFCI.csv")
    dgs10 = pd.read_csv(data / "macro" / "DGS10.csv", dtype=str)
    (data / "macro" / "DGS10.csv").unlink()
    download = dgs10.rename(columns={"date": "observation_date", "value": "DGS10"})[["observation_date", "DGS10"]]
    download.loc[10, "DGS10"] = "."
    download.to_csv(data / "macro" / "fredgraph.csv", index=False)
    epa = _epa_export(data / "epa_rin_prices_d6.csv")
    cot = pd.DataFrame({"report_date": pd.date_range("2016-01-05", "2025-06-24", freq="W-TUE").strftime("%Y-%m-%d")})
    cot["managed_money_long"] = 1000 + np.arange(len(cot))
    cot["managed_money_short"] = 400
    cot["managed_money_net"] = cot["managed_money_long"] - cot["managed_money_short"]
    cot[["report_date", "managed_money_net", "managed_money_long", "managed_money_short"]].to_csv(
        data / "cftc_cot.csv", index=False
    )
    db = tmp_path_factory.mktemp("wh") / "zl.duckdb"
    run_dbt(BUILD_FEATURES, db, data)
    features = read_table(db, "select * from fct_zl_features order by trade_date")
    features["trade_date"] = pd.to_datetime(features["trade_date"])
    return features, {"anfci": anfci, "dgs10": dgs10, "epa": epa, "cot": cot}


def test_a_revision_is_used_only_from_the_session_after_its_publication(
    built: tuple[pd.DataFrame, dict[str, object]],
) -> None:
    f, inputs = built
    anfci: pd.DataFrame = inputs["anfci"]  # type: ignore[assignment]
    first = float(anfci.loc[pd.to_datetime(anfci["date"]) == REVISED, "value"].iloc[0])
    by_day = f.set_index("trade_date")["fed__stress_anfci"]
    # first published Wed 06-12 -> used from Thu 06-13; revised Fri 06-14 -> used from Mon 06-17; next obs 06-20
    assert by_day.loc["2024-06-12"] != pytest.approx(first)
    assert by_day.loc["2024-06-13"] == pytest.approx(first) and by_day.loc["2024-06-14"] == pytest.approx(first)
    assert by_day.loc["2024-06-17"] == pytest.approx(1.2345) and by_day.loc["2024-06-18"] == pytest.approx(1.2345)
    assert by_day.loc["2024-06-20"] not in (pytest.approx(first), pytest.approx(1.2345))


def test_values_archived_late_keep_the_release_lag_rule(built: tuple[pd.DataFrame, dict[str, object]]) -> None:
    f, inputs = built
    anfci: pd.DataFrame = inputs["anfci"]  # type: ignore[assignment]
    early = f[f["trade_date"] < pd.Timestamp(ARCHIVE_START)]
    lag_date = pd.to_datetime(anfci["date"]) + pd.Timedelta(days=5)
    expected = _asof(early["trade_date"], lag_date, anfci["value"].astype(float))
    np.testing.assert_allclose(early["fed__stress_anfci"].to_numpy(float), expected, equal_nan=True)
    assert early["fed__stress_anfci"].notna().mean() > 0.99


def test_a_fred_download_is_used_like_a_latest_vintage(built: tuple[pd.DataFrame, dict[str, object]]) -> None:
    f, inputs = built
    dgs10: pd.DataFrame = inputs["dgs10"]  # type: ignore[assignment]
    kept = dgs10.drop(index=10)  # the '.' row
    expected = _asof(f["trade_date"], pd.to_datetime(kept["date"]) + pd.Timedelta(days=1), kept["value"].astype(float))
    np.testing.assert_allclose(f["fed__ust10y_pct"].to_numpy(float), expected, equal_nan=True)


def test_d6_rins_from_the_raw_export_enter_on_their_publication_date(
    built: tuple[pd.DataFrame, dict[str, object]],
) -> None:
    f, inputs = built
    epa: pd.DataFrame = inputs["epa"]  # type: ignore[assignment]
    expected = _asof(f["trade_date"], epa["release"], epa["price"])
    np.testing.assert_allclose(f["biofuel__rin_d6_usd"].to_numpy(float), expected, equal_nan=True)
    jan = f.set_index("trade_date").loc["2024-03-04", "biofuel__rin_d6_usd"]  # January 2024 weeks, released 03-01
    assert jan > 5  # the previous vintage, not the thin $0.01 trade
    assert "biofuel__rin_d6_usd_chg_20d" in f.columns and "biofuel__rin_d4_usd" not in f.columns


def test_the_cftc_file_with_long_and_short_columns_still_feeds_the_feature(
    built: tuple[pd.DataFrame, dict[str, object]],
) -> None:
    f, inputs = built
    cot: pd.DataFrame = inputs["cot"]  # type: ignore[assignment]
    released = pd.to_datetime(cot["report_date"]) + pd.Timedelta(days=3)
    expected = _asof(f["trade_date"], released, cot["managed_money_net"])
    np.testing.assert_allclose(f["volatility__cot_managed_money_net"].to_numpy(float), expected, equal_nan=True)
    assert dt.date(2025, 6, 27) in set(f["trade_date"].dt.date)
