"""Tests of the input data contract (zlcast.data.contract).

Bad inputs are built by copying the synthetic demo set into ``tmp_path`` and corrupting it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from zlcast.data.contract import ContractReport, DataContractError, validate_data_dir
from zlcast.data.demo_data import write_demo_data

REPO = Path(__file__).resolve().parents[3]
ROOTS_SEED = REPO / "seeds" / "futures_roots.csv"
MACRO_SEED = REPO / "seeds" / "macro_series.csv"
SHARED_DATA = Path(os.environ.get("ZL_SHARED_DATA", REPO.parent / "shared" / "data"))

FUTURES = "futures_daily.parquet"


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo_data(tmp_path_factory.mktemp("demo") / "data")


@pytest.fixture
def data_dir(demo_source: Path, tmp_path: Path) -> Path:
    """A private copy of the demo data set that a test may corrupt."""
    return Path(shutil.copytree(demo_source, tmp_path / "data"))


def validate(folder: Path) -> ContractReport:
    return validate_data_dir(folder, ROOTS_SEED, MACRO_SEED)


def contract_error(folder: Path) -> str:
    with pytest.raises(DataContractError) as info:
        validate(folder)
    return str(info.value)


def edit_futures(folder: Path, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    """Rewrite futures_daily.parquet after applying ``edit`` to its rows (schema kept)."""
    path = folder / FUTURES
    table = pq.read_table(path)
    frame = edit(table.to_pandas())
    arrays = [pa.array(frame[f.name].to_numpy(), type=f.type) for f in table.schema]  # keeps NaN as NaN
    pq.write_table(pa.Table.from_arrays(arrays, schema=table.schema), path)


def edit_lines(path: Path, edit: Callable[[list[str]], list[str]]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")


def row_of(frame: pd.DataFrame, root: str, day: str) -> pd.Series:
    return (frame["root"] == root) & (frame["trade_date"] == date.fromisoformat(day))


# ---------------------------------------------------------------------------- passing data


@pytest.mark.realdata
def test_real_shared_data_passes_the_contract() -> None:
    if not (SHARED_DATA / FUTURES).is_file():
        pytest.skip(f"real data not found at {SHARED_DATA} (set ZL_SHARED_DATA)")
    report = validate(SHARED_DATA)
    assert report.futures_rows > 200_000
    assert len(report.roots) == 84
    assert report.futures_last_date == date(2025, 6, 30)
    assert {s.series_id for s in report.macro_series} >= {"VIXCLS", "DFF", "NFCI"}
    assert report.event_rows > 20
    # 6L's sparse 2010-2011 history is reported, not fatal.
    assert any("6L" in w and "known sparse history" in w for w in report.warnings)


def test_demo_data_passes_with_counts_and_ranges(data_dir: Path) -> None:
    report = validate(data_dir)
    frame = pd.read_parquet(data_dir / FUTURES)
    assert report.futures_rows == len(frame)
    assert report.futures_first_date == date(2016, 1, 4)
    zl = next(r for r in report.roots if r.root == "ZL")
    assert zl.rows == (frame["root"] == "ZL").sum()
    assert report.macro_first_date is not None and report.macro_last_date == date(2025, 6, 30)
    assert "futures_daily.parquet" in report.summary()


def test_negative_qm_price_is_allowed(data_dir: Path) -> None:
    frame = pd.read_parquet(data_dir / FUTURES)
    assert (frame.loc[frame["root"] == "QM", "close"] < 0).any()
    validate(data_dir)


def test_unknown_files_are_ignored(data_dir: Path) -> None:
    (data_dir / "rins.csv").write_text("date,d4\n2024-01-05,not checked\n", encoding="utf-8")
    (data_dir / "notes.txt").write_text("anything", encoding="utf-8")
    (data_dir / "macro" / "README.md").write_text("not a csv", encoding="utf-8")
    validate(data_dir)


# ---------------------------------------------------------------------------- futures problems


def test_duplicate_bar_names_root_and_date(data_dir: Path) -> None:
    edit_futures(data_dir, lambda f: pd.concat([f, f[row_of(f, "ZL", "2024-03-04")]], ignore_index=True))
    message = contract_error(data_dir)
    assert "futures_daily.parquet: duplicate (root, trade_date) rows" in message
    assert "ZL 2024-03-04 (2 rows)" in message


def test_missing_week_of_a_required_root_names_the_gap(data_dir: Path) -> None:
    def drop_week(f: pd.DataFrame) -> pd.DataFrame:
        week = (f["root"] == "ZL") & f["trade_date"].between(date(2024, 3, 4), date(2024, 3, 8))
        return f[~week]

    edit_futures(data_dir, drop_week)
    message = contract_error(data_dir)
    assert "futures_daily.parquet: column trade_date: missing days" in message
    assert "ZL 2024-03-01 -> 2024-03-11 (10 days)" in message


def test_four_missing_days_are_tolerated(data_dir: Path) -> None:
    def drop_days(f: pd.DataFrame) -> pd.DataFrame:
        return f[~((f["root"] == "ZL") & f["trade_date"].between(date(2024, 3, 5), date(2024, 3, 8)))]

    edit_futures(data_dir, drop_days)
    validate(data_dir)


def test_nan_close_names_column_and_row(data_dir: Path) -> None:
    def nan_close(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[row_of(f, "ZS", "2022-05-02"), "close"] = np.nan
        return f

    edit_futures(data_dir, nan_close)
    message = contract_error(data_dir)
    assert "futures_daily.parquet: column close: NaN/inf price" in message
    assert "ZS 2022-05-02 close=nan" in message


def test_null_close_names_column_and_row(data_dir: Path) -> None:
    path = data_dir / FUTURES
    table = pq.read_table(path)
    close = table["close"].to_numpy().astype(object)
    close[5] = None
    table = table.set_column(table.schema.get_field_index("close"), "close", pa.array(close, type=pa.float64()))
    pq.write_table(table, path)
    message = contract_error(data_dir)
    assert "futures_daily.parquet: column close: null values in 1 row(s): 6L 2016-01-11" in message


def test_negative_zl_close_is_rejected(data_dir: Path) -> None:
    def negative(f: pd.DataFrame) -> pd.DataFrame:
        row = row_of(f, "ZL", "2021-06-01")
        f.loc[row, ["close", "low"]] = -1.0
        return f

    edit_futures(data_dir, negative)
    message = contract_error(data_dir)
    assert "futures_daily.parquet: columns open/high/low/close: non-positive price" in message
    assert "ZL 2021-06-01 (low=-1.0, close=-1.0)" in message
    assert "futures_roots.csv" in message


def test_unknown_root_asks_to_extend_the_seed(data_dir: Path) -> None:
    def add_root(f: pd.DataFrame) -> pd.DataFrame:
        extra = f[f["root"] == "ES"].assign(root="XYZ")
        return pd.concat([f, extra], ignore_index=True)

    edit_futures(data_dir, add_root)
    message = contract_error(data_dir)
    assert "futures_daily.parquet: column root: unknown root(s) XYZ" in message
    assert "add it to seeds/futures_roots.csv with its price unit" in message


def test_missing_required_root_is_named(data_dir: Path) -> None:
    edit_futures(data_dir, lambda f: f[f["root"] != "HG"])
    message = contract_error(data_dir)
    assert "futures_daily.parquet: column root: required root(s) absent: HG" in message


def test_high_below_low_and_negative_volume(data_dir: Path) -> None:
    def corrupt(f: pd.DataFrame) -> pd.DataFrame:
        row = row_of(f, "CL", "2019-02-04")
        f.loc[row, ["high", "low"]] = [50.0, 60.0]
        f.loc[row_of(f, "HO", "2019-02-05"), "volume"] = -5
        return f

    edit_futures(data_dir, corrupt)
    message = contract_error(data_dir)
    assert "futures_daily.parquet: columns high/low: high < low in 1 row(s): CL 2019-02-04" in message
    assert "futures_daily.parquet: column volume: negative volume in 1 row(s): HO 2019-02-05 volume=-5" in message


def test_missing_column_and_wrong_dtype(data_dir: Path) -> None:
    path = data_dir / FUTURES
    table = pq.read_table(path).drop_columns(["n_bars"])
    table = table.set_column(table.schema.get_field_index("volume"), "volume", table["volume"].cast(pa.float64()))
    pq.write_table(table, path)
    message = contract_error(data_dir)
    assert "futures_daily.parquet: missing required column(s): n_bars" in message
    assert "futures_daily.parquet: column volume: dtype double is not of family integer" in message


def test_missing_parquet_file(data_dir: Path) -> None:
    (data_dir / FUTURES).unlink()
    assert "futures_daily.parquet: file not found" in contract_error(data_dir)


def test_problems_of_all_files_are_collected_into_one_error(data_dir: Path) -> None:
    edit_futures(data_dir, lambda f: f[f["root"] != "RB"])
    edit_lines(data_dir / "macro" / "VIXCLS.csv", lambda ls: ["series_id,date,val", *ls[1:]])
    edit_lines(data_dir / "trade_policy_events.csv", lambda ls: [*ls, "2024-01-01,x,sideways,y"])
    with pytest.raises(DataContractError) as info:
        validate(data_dir)
    assert len(info.value.problems) >= 3
    files = " ".join(info.value.problems)
    assert "futures_daily.parquet" in files and "macro/VIXCLS.csv" in files and "trade_policy_events.csv" in files


# ---------------------------------------------------------------------------- macro problems


def test_macro_file_with_wrong_header_names_found_and_expected(data_dir: Path) -> None:
    edit_lines(data_dir / "macro" / "DGS10.csv", lambda ls: ["series,date,value", *ls[1:]])
    message = contract_error(data_dir)
    assert "macro/DGS10.csv: wrong header: found 'series,date,value', expected 'series_id,date,value'" in message


def test_non_iso_date_and_non_numeric_value_name_the_line(data_dir: Path) -> None:
    def corrupt(lines: list[str]) -> list[str]:
        lines[4] = "DGS2,03/01/2016,0.8"
        lines[6] = lines[6].rsplit(",", 1)[0] + ",n/a"
        return lines

    edit_lines(data_dir / "macro" / "DGS2.csv", corrupt)
    message = contract_error(data_dir)
    assert (
        "macro/DGS2.csv: column date: non-ISO date (expected YYYY-MM-DD) in 1 row(s): line 5: '03/01/2016'" in message
    )
    assert "macro/DGS2.csv: column value: non-numeric value in 1 row(s): line 7: 'n/a'" in message


def test_malformed_rows_and_impossible_dates_name_the_right_lines(data_dir: Path) -> None:
    def corrupt(lines: list[str]) -> list[str]:
        lines[3] = lines[3] + ",extra"  # line 4
        lines[8] = lines[8].rsplit(",", 1)[0]  # line 9
        lines[14] = "DEXBZUS,2015-02-30,3.1"  # line 15
        return lines

    edit_lines(data_dir / "macro" / "DEXBZUS.csv", corrupt)
    message = contract_error(data_dir)
    assert "macro/DEXBZUS.csv: wrong number of fields (expected 3) in 2 row(s): line 4; line 9" in message
    assert "line 15: '2015-02-30'" in message


def test_binary_garbage_in_a_macro_file_is_reported(data_dir: Path) -> None:
    path = data_dir / "macro" / "DGS2.csv"
    path.write_bytes(path.read_bytes() + b"DGS2,2025-07-01,\xff\xfe\n")
    assert "macro/DGS2.csv: not readable as CSV" in contract_error(data_dir)


def test_fred_missing_marker_is_a_warning(data_dir: Path) -> None:
    def dot(lines: list[str]) -> list[str]:
        lines[3] = lines[3].rsplit(",", 1)[0] + ",."
        return lines

    edit_lines(data_dir / "macro" / "VIXCLS.csv", dot)
    report = validate(data_dir)
    assert any("macro/VIXCLS.csv" in w and "missing marker" in w for w in report.warnings)


def test_duplicate_macro_observation_names_the_lines(data_dir: Path) -> None:
    edit_lines(data_dir / "macro" / "DFF.csv", lambda ls: [*ls, ls[10]])
    message = contract_error(data_dir)
    assert "macro/DFF.csv: duplicate (series_id, date) rows" in message
    assert "(lines 11, " in message


def test_series_id_must_be_equal_across_a_file(data_dir: Path) -> None:
    def swap(lines: list[str]) -> list[str]:
        lines[2] = lines[2].replace("DGS10,", "DGS2,", 1)
        return lines

    edit_lines(data_dir / "macro" / "DGS10.csv", swap)
    message = contract_error(data_dir)
    assert "macro/DGS10.csv: column series_id: not equal across the file" in message
    assert "line 3: 'DGS2'" in message


def test_required_macro_series_absent(data_dir: Path) -> None:
    (data_dir / "macro" / "STLFSI4.csv").unlink()
    message = contract_error(data_dir)
    assert "macro/: column series_id: required series absent: STLFSI4" in message


def test_optional_macro_series_may_be_absent_and_unknown_series_warn(data_dir: Path) -> None:
    (data_dir / "macro" / "NFCI.csv").unlink()
    (data_dir / "macro" / "RINS_D4.csv").write_text(
        "series_id,date,value\nRINS_D4,2024-01-05,0.85\nRINS_D4,2024-01-12,0.8\n", encoding="utf-8"
    )
    report = validate(data_dir)
    assert any("macro/RINS_D4.csv: unknown series_id 'RINS_D4'" in w for w in report.warnings)


def test_missing_macro_directory(data_dir: Path) -> None:
    shutil.rmtree(data_dir / "macro")
    assert "macro/: directory not found" in contract_error(data_dir)


# ---------------------------------------------------------------------------- events problems


def test_bad_event_direction_names_the_line(data_dir: Path) -> None:
    def corrupt(lines: list[str]) -> list[str]:
        lines[3] = lines[3].replace(",de-escalation,", ",truce,").replace(",escalation,", ",truce,")
        return lines

    edit_lines(data_dir / "trade_policy_events.csv", corrupt)
    message = contract_error(data_dir)
    assert "trade_policy_events.csv: column direction: not one of ['de-escalation', 'escalation']" in message
    assert "line 4: 'truce'" in message


def test_bad_event_date_and_header(data_dir: Path, tmp_path: Path) -> None:
    path = data_dir / "trade_policy_events.csv"
    edit_lines(path, lambda ls: [*ls, "2024-13-01,Synthetic: bad month,escalation,demo"])
    message = contract_error(data_dir)
    assert "trade_policy_events.csv: column event_date: non-ISO date" in message
    assert "'2024-13-01'" in message

    edit_lines(path, lambda ls: ["date,event,direction,source", *ls[1:]])
    message = contract_error(data_dir)
    assert "trade_policy_events.csv: wrong header: found 'date,event,direction,source'" in message


# ---------------------------------------------------------------------------- macro layouts


def _to_vintages(path: Path, revise_line: int | None = None) -> None:
    """Rewrite a latest-vintage file in the ALFRED layout (published 5 days after the date), optionally with a
    revision of one line published 30 days after the date."""
    frame = pd.read_csv(path, dtype=str)
    frame["realtime_start"] = (pd.to_datetime(frame["date"]) + pd.Timedelta(days=5)).dt.strftime("%Y-%m-%d")
    if revise_line is not None:
        extra = frame.iloc[[revise_line - 2]].copy()
        extra["value"] = "0.123"
        extra["realtime_start"] = (pd.to_datetime(extra["date"]) + pd.Timedelta(days=30)).dt.strftime("%Y-%m-%d")
        frame = pd.concat([frame, extra]).sort_values(["date", "realtime_start"])
    frame.to_csv(path, index=False)


def test_alfred_vintage_layout_is_accepted_and_reported(data_dir: Path) -> None:
    _to_vintages(data_dir / "macro" / "ANFCI.csv", revise_line=10)
    report = validate(data_dir)
    anfci = next(s for s in report.macro_series if s.series_id == "ANFCI")
    assert anfci.layout == "vintage" and anfci.vintages == anfci.rows + 1
    line = report.macro_layout_line()
    assert line.startswith("macro/ layouts: point in time (ALFRED vintages, used from realtime_start + 1 day): ANFCI;")
    assert "latest vintage (used from the release-lag date of seed macro_series): BRL_PER_USD_MONTHLY," in line
    assert line in report.summary()


def test_vintage_file_problems_name_column_and_line(data_dir: Path) -> None:
    path = data_dir / "macro" / "ANFCI.csv"
    _to_vintages(path)

    def corrupt(lines: list[str]) -> list[str]:
        lines[3] = lines[3].rsplit(",", 1)[0] + ",2024/01/05"  # line 4
        return [*lines, lines[7]]  # duplicate of line 8

    edit_lines(path, corrupt)
    message = contract_error(data_dir)
    assert "macro/ANFCI.csv: column realtime_start: non-ISO date (expected YYYY-MM-DD) in 1 row(s): line 4" in message
    assert "macro/ANFCI.csv: duplicate (series_id, date, realtime_start) rows: 1 key(s): ANFCI" in message


def test_a_fred_csv_download_is_accepted_as_is(data_dir: Path) -> None:
    source = pd.read_csv(data_dir / "macro" / "DGS10.csv", dtype=str)
    (data_dir / "macro" / "DGS10.csv").unlink()
    lines = ["observation_date,DGS10", *(f"{d},{v}" for d, v in zip(source["date"], source["value"], strict=True))]
    lines[3] = lines[3].split(",")[0] + ",."  # FRED marks a holiday with '.'
    (data_dir / "macro" / "fredgraph.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = validate(data_dir)
    dgs10 = next(s for s in report.macro_series if s.series_id == "DGS10")
    assert (dgs10.file, dgs10.layout, dgs10.rows) == ("macro/fredgraph.csv", "fred_download", len(source) - 1)
    assert any("macro/fredgraph.csv: column DGS10: 1 FRED missing marker(s)" in w for w in report.warnings)
    assert "FRED CSV download, latest vintage (release-lag rule): DGS10" in report.macro_layout_line()


def test_a_fred_download_next_to_the_same_series_is_a_duplicate(data_dir: Path) -> None:
    (data_dir / "macro" / "fredgraph.csv").write_text("observation_date,DGS10\n2016-01-04,2.24\n", encoding="utf-8")
    message = contract_error(data_dir)
    assert "macro/: duplicate (series_id, date) across files: 1 key(s), e.g. DGS10 2016-01-04 in" in message


def test_an_unknown_macro_header_lists_the_three_layouts(data_dir: Path) -> None:
    (data_dir / "macro" / "x.csv").write_text("DATE,DGS10\n2016-01-04,2.24\n", encoding="utf-8")
    message = contract_error(data_dir)
    assert (
        "macro/x.csv: wrong header: found 'DATE,DGS10', expected 'series_id,date,value' (latest vintage), "
        "'series_id,date,value,realtime_start' (ALFRED vintages) or 'observation_date,<SERIES_ID>' (FRED download)"
    ) in message


# ---------------------------------------------------------------------------- optional files


EPA_HEADER = "Transfer Date by Week,Transfer Year,RIN Year,Fuel (D Code),QAP Service Type,RIN Price\n"


def _epa(data_dir: Path, *rows: str) -> None:
    (data_dir / "epa_rin_prices_d6.csv").write_text(EPA_HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")


def test_the_raw_epa_export_is_accepted_and_summarised(data_dir: Path) -> None:
    _epa(
        data_dir,
        '"12/30/2024","2024","2024","D6","Unverified","$0.62"',
        '"12/30/2024","2025","2024","D6","Unverified","$0.65"',
        '"1/6/2025","2025","2024","D6","Q-RIN","$1,001.50"',
    )
    report = validate(data_dir)
    assert "epa_rin_prices_d6.csv: 3 rows (EPA D6 RIN export), transfer weeks 2024-12-30 .. 2025-01-06" in (
        report.summary()
    )


def test_epa_export_problems_name_column_and_line(data_dir: Path) -> None:
    _epa(
        data_dir,
        '"6/3/2025","2025","2025","D6","Unverified","$0.92"',  # line 2: a Tuesday
        '"6/2/2025","2025","2025","D4","Unverified","$0.92"',  # line 3
        '"6/9/2025","2025","2025","D6","Unverified","0.88"',  # line 4: no $
        '"6/16/2025","2025","2025","D6","Unverified","$0.88"',
        '"6/16/2025","2025","2025","D6","Unverified","$0.89"',  # line 6: duplicate key
        '"13/1/2025","2025","2025","D6","Unverified","$0.88"',  # line 7
        '"6/23/2025","2027","2025","D6","QAP-A","$0.88"',  # line 8: wrong transfer year; unknown QAP type
    )
    message = contract_error(data_dir)
    assert "epa_rin_prices_d6.csv: column Transfer Date by Week: not a Monday in 1 row(s): line 2: '6/3/2025'" in (
        message
    )
    assert "column Transfer Date by Week: not a M/D/YYYY date in 1 row(s): line 7: '13/1/2025'" in message
    assert "column Fuel (D Code): not D6 (this input is EPA's D6 export) in 1 row(s): line 3: 'D4'" in message
    assert "column RIN Price: not a dollar price like '$1.02' in 1 row(s): line 4: '0.88'" in message
    assert "duplicate (transfer week, transfer year, RIN year, QAP service type) rows in 2 row(s): line 5" in message
    assert "column Transfer Year: not the year of the transfer week in 1 row(s): line 8: '2027'" in message


def test_a_reshaped_epa_file_is_refused(data_dir: Path) -> None:
    (data_dir / "epa_rin_prices_d6.csv").write_text("date,d6_usd\n2025-06-02,0.92\n", encoding="utf-8")
    assert "epa_rin_prices_d6.csv: wrong header: found 'date,d6_usd', expected the EPA EMTS export header" in (
        contract_error(data_dir)
    )


def test_cftc_cot_file_is_checked(data_dir: Path) -> None:
    (data_dir / "cftc_cot.csv").write_text(
        "report_date,managed_money_net,managed_money_long,managed_money_short\n"
        "2025-06-03,64104,104211,40107\n2025/06/10,1,2,1\n",
        encoding="utf-8",
    )
    assert "cftc_cot.csv: column report_date: non-ISO date in 1 row(s): line 3: '2025/06/10'" in contract_error(
        data_dir
    )
