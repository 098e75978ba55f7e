"""Tests of the DBN -> daily sessions loader (:mod:`zlcast.data.dbn`)."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import databento_dbn as dbn
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dbn_synth import write_dbn as _write_dbn

from zlcast.data.dbn import DbnLoadError, load_dbn_daily, read_bars, session_date, write_futures_daily

ROOTS = ["ZL", "ZS", "ZM", "CL", "HO", "6L", "HG"]
SAMPLE_START = pd.Timestamp("2025-01-01", tz="UTC")  # metadata start of the January file
SAMPLE_END = pd.Timestamp("2025-03-01", tz="UTC")  # metadata end (exclusive) of the February file
realdata = pytest.mark.realdata  # needs ../shared/data (or $ZL_SHARED_DATA); skipped when absent


# --------------------------------------------------------------------------- helpers
def _shared_data() -> Path:
    env = os.environ.get("ZL_SHARED_DATA")
    base = Path(env) if env else Path(__file__).resolve().parents[3].parent / "shared" / "data"
    if not (base / "futures_hourly_sample").is_dir() or not (base / "futures_daily.parquet").is_file():
        pytest.skip(f"shared data set not found at {base} (set ZL_SHARED_DATA to its folder)")
    return base


@pytest.fixture(scope="module")
def sample_files() -> list[Path]:
    files = sorted((_shared_data() / "futures_hourly_sample").glob("*.ohlcv-1h.dbn.zst"))
    assert len(files) == 2
    return files


@pytest.fixture(scope="module")
def sample_daily(sample_files: list[Path]) -> pd.DataFrame:
    return load_dbn_daily(sample_files)


@pytest.fixture(scope="module")
def shared_daily() -> pd.DataFrame:
    return pd.read_parquet(_shared_data() / "futures_daily.parquet")


# --------------------------------------------------------------------------- session rule
def test_session_rule_moves_evening_and_weekend_bars_to_next_session() -> None:
    # (bar open UTC, expected session); comments give the Chicago local time.
    cases = [
        ("2025-01-10 22:00", "2025-01-10"),  # Fri 16:00 CST -> same day
        ("2025-01-10 23:30", "2025-01-13"),  # Fri 17:30 CST -> Saturday -> Monday
        ("2025-01-11 15:00", "2025-01-13"),  # Sat 09:00 CST -> Monday
        ("2025-01-12 23:00", "2025-01-13"),  # Sun 17:00 CST -> Monday
        ("2025-01-13 05:00", "2025-01-13"),  # Sun 23:00 CST -> Monday
        ("2025-01-13 22:59", "2025-01-13"),  # Mon 16:59 CST
        ("2025-01-13 23:00", "2025-01-14"),  # Mon 17:00 CST -> Tuesday
        # DST starts Sun 2025-03-09: 22:00 UTC is 16:00 CST before, 17:00 CDT after.
        ("2025-03-07 22:00", "2025-03-07"),  # Fri 16:00 CST
        ("2025-03-09 22:00", "2025-03-10"),  # Sun 17:00 CDT -> Monday
        ("2025-03-10 21:30", "2025-03-10"),  # Mon 16:30 CDT
        ("2025-03-10 22:00", "2025-03-11"),  # Mon 17:00 CDT -> Tuesday
        # DST ends Sun 2025-11-02: 22:00 UTC is 17:00 CDT before, 16:00 CST after.
        ("2025-10-31 22:00", "2025-11-03"),  # Fri 17:00 CDT -> Monday
        ("2025-11-03 22:00", "2025-11-03"),  # Mon 16:00 CST
        ("2025-11-03 23:00", "2025-11-04"),  # Mon 17:00 CST -> Tuesday
    ]
    ts = pd.Series(pd.to_datetime([c[0] for c in cases], utc=True), index=range(10, 10 + len(cases)))
    got = session_date(ts)
    expected = pd.Series(pd.to_datetime([c[1] for c in cases]), index=ts.index, name="trade_date")
    pd.testing.assert_series_equal(got, expected, check_index_type=False)
    # int64 nanoseconds and naive UTC datetimes give the same answer
    pd.testing.assert_series_equal(session_date(ts.astype("int64")), expected)
    pd.testing.assert_series_equal(session_date(ts.dt.tz_localize(None)), expected)


# --------------------------------------------------------------------------- real sample
def _excluded_sessions() -> set[dt.date]:
    """Sessions of the sample that are not fully inside [SAMPLE_START, SAMPLE_END)."""
    edges = pd.Series([SAMPLE_START - pd.Timedelta(1, "ns"), SAMPLE_START, SAMPLE_END])
    before, first, last = session_date(edges).dt.date
    return ({first} if before == first else set()) | {last}


@realdata
def test_sample_files_reproduce_shared_daily_rows(sample_daily: pd.DataFrame, shared_daily: pd.DataFrame) -> None:
    # The sample starts 2025-01-01 00:00 UTC = Tue 2024-12-31 18:00 CST, inside the session of
    # 2025-01-01 (bars from 17:00 CST on 31 Dec would belong to it but lie before the sample):
    # excluded. It has no rows anyway (New Year: Globex closed until 1 Jan 17:00 CT, and the
    # shared file has no 2025-01-01 row). The sample ends 2025-03-01 00:00 UTC = Fri 2025-02-28
    # 18:00 CST, inside the session of Mon 2025-03-03, which the loader drops (it holds no bars:
    # Globex is closed Fri 16:00 - Sun 17:00 CT). All sessions 2025-01-02 .. 2025-02-28 compare.
    excluded = _excluded_sessions()
    assert excluded == {dt.date(2025, 1, 1), dt.date(2025, 3, 3)}
    ours = sample_daily[sample_daily["root"].isin(ROOTS)]
    assert not set(ours["trade_date"]) & excluded
    lo, hi = dt.date(2025, 1, 1), dt.date(2025, 3, 1)
    ref = shared_daily[shared_daily["root"].isin(ROOTS) & shared_daily["trade_date"].between(lo, hi)]
    ref = ref[~ref["trade_date"].isin(excluded)]
    cols = ["root", "trade_date", "instrument_id", "open", "high", "low", "close", "volume", "n_bars", "n_instruments"]
    got, want = (f[cols].sort_values(cols[:2]).reset_index(drop=True) for f in (ours, ref))
    assert len(got) == len(want) > 0
    assert (got.groupby("root").size() >= 38).all()
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=0, atol=1e-9)


@realdata
def test_flags_match_shared_rows_where_their_history_lies_in_sample(
    sample_daily: pd.DataFrame, shared_daily: pd.DataFrame
) -> None:
    both = sample_daily.merge(shared_daily, on=["root", "trade_date"], suffixes=("", "_ref"))
    assert len(both) == len(sample_daily)
    pos = both.groupby("root").cumcount()  # number of previous rows inside the sample
    roll = both[pos >= 1]  # is_roll of a root's first sample row needs the row before
    assert (roll["is_roll"] == roll["is_roll_ref"]).all()
    assert roll["is_roll"].any()
    full = both[pos >= 21]  # low_volume looks back 21 rows
    assert len(full) > 500 and (full["low_volume"] == full["low_volume_ref"]).all()
    assert not sample_daily.groupby("root").head(5)["low_volume"].any()


@realdata
def test_output_dtypes_and_order_match_shared_file(sample_daily: pd.DataFrame, shared_daily: pd.DataFrame) -> None:
    assert list(sample_daily.columns) == list(shared_daily.columns)
    assert sample_daily.dtypes.equals(shared_daily.dtypes)
    assert isinstance(sample_daily["trade_date"].iloc[0], dt.date)
    keys = list(zip(sample_daily["root"], sample_daily["trade_date"]))
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


@realdata
def test_record_view_agrees_with_dbn_decoder(sample_files: list[Path]) -> None:
    path = sample_files[1]
    bars, end = read_bars(path)
    dec = dbn.DBNDecoder(compression=dbn.Compression.ZSTD)
    dec.write(path.read_bytes())
    meta, *recs = dec.decode()
    assert end == meta.end and len(recs) == len(bars)
    assert np.array_equal(bars["instrument_id"], [r.instrument_id for r in recs])
    assert np.array_equal(bars["ts_event"], [r.ts_event for r in recs])
    assert np.array_equal(bars["volume"], [r.volume for r in recs])
    assert np.allclose(bars["close"], [r.pretty_close for r in recs], rtol=0, atol=1e-9)


@realdata
def test_overlapping_files_and_directories_give_same_rows(sample_files: list[Path], sample_daily: pd.DataFrame) -> None:
    twice = load_dbn_daily([sample_files[0], sample_files[0].parent, sample_files[1]])
    pd.testing.assert_frame_equal(twice, sample_daily)


@realdata
def test_write_futures_daily_writes_shared_schema(tmp_path: Path, sample_files: list[Path]) -> None:
    out = tmp_path / "futures_daily.parquet"
    n = write_futures_daily([sample_files[0].parent], out)
    shared = pq.read_schema(_shared_data() / "futures_daily.parquet")
    assert pq.read_schema(out).remove_metadata().equals(shared.remove_metadata())
    assert n == pq.read_metadata(out).num_rows == 3049
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


# --------------------------------------------------------------------------- errors
@realdata
def test_truncated_file_raises_naming_file(tmp_path: Path, sample_files: list[Path]) -> None:
    cut = tmp_path / "cut.ohlcv-1h.dbn.zst"
    cut.write_bytes(sample_files[0].read_bytes()[:10_000])
    with pytest.raises(DbnLoadError, match=re.escape(str(cut))):
        load_dbn_daily([sample_files[1], cut])


@pytest.mark.parametrize("content", [b"root,trade_date\nZL,2025-01-02\n", b""])
def test_non_dbn_file_raises_naming_file(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.ohlcv-1h.dbn.zst"
    bad.write_bytes(content)
    with pytest.raises(DbnLoadError, match=re.escape(str(bad))):
        load_dbn_daily([bad])


def test_zstd_file_without_dbn_inside_raises(tmp_path: Path) -> None:
    bad = tmp_path / "text.ohlcv-1h.dbn.zst"
    with pa.output_stream(str(bad), compression="zstd") as out:
        out.write(b"not dbn at all")
    with pytest.raises(DbnLoadError, match="not a DBN stream"):
        load_dbn_daily([bad])


def test_empty_inputs_raise(tmp_path: Path) -> None:
    with pytest.raises(DbnLoadError, match="no DBN input files"):
        load_dbn_daily([])
    with pytest.raises(DbnLoadError, match=re.escape(str(tmp_path))):
        load_dbn_daily([tmp_path])
    with pytest.raises(DbnLoadError, match="no such file"):
        load_dbn_daily([tmp_path / "missing.ohlcv-1h.dbn.zst"])


def test_schema_other_than_ohlcv_1h_raises(tmp_path: Path) -> None:
    path = _write_dbn(
        tmp_path / "d.ohlcv-1d.dbn.zst",
        [(1, "2025-01-13 15:00", 40.0, 5)],
        {"ZL.v.0": [("2025-01-13", "2025-01-14", 1)]},
        "2025-01-13",
        "2025-01-14",
        schema=dbn.Schema.OHLCV_1D,
    )
    with pytest.raises(DbnLoadError, match=rf"{re.escape(str(path))}.*ohlcv-1d"):
        load_dbn_daily([path])


def test_bar_without_mapping_raises_naming_file_id_and_time(tmp_path: Path) -> None:
    path = _write_dbn(
        tmp_path / "u.ohlcv-1h.dbn.zst",
        [(1, "2025-01-13 15:00", 40.0, 5), (7, "2025-01-14 15:00", 40.0, 5)],
        {"ZL.v.0": [("2025-01-13", "2025-01-14", 1)]},
        "2025-01-13",
        "2025-01-15",
    )
    with pytest.raises(DbnLoadError, match=rf"{re.escape(str(path))}.*instrument id 7 at 2025-01-14T15:00"):
        load_dbn_daily([path])


@realdata
def test_write_leaves_existing_output_untouched_when_later_input_is_corrupt(
    tmp_path: Path, sample_files: list[Path]
) -> None:
    out = tmp_path / "futures_daily.parquet"
    out.write_bytes(b"previous output")
    cut = tmp_path / "z.ohlcv-1h.dbn.zst"
    cut.write_bytes(sample_files[1].read_bytes()[:10_000])
    with pytest.raises(DbnLoadError, match=re.escape(str(cut))):
        write_futures_daily([sample_files[0], cut], out)
    assert out.read_bytes() == b"previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, cut.name])


# --------------------------------------------------------------------------- aggregation
def test_session_picks_top_volume_instrument_and_drops_unclosed_last_session(tmp_path: Path) -> None:
    # ZL.v.0 maps to id 1 on 13 Jan (UTC) and to id 2 from 14 Jan; the session of Tue 14 Jan opens
    # Mon 17:00 CST (23:00 UTC), so it holds bars of both ids. Volumes tie (10 vs 10): the id with
    # the latest bar (2) wins. Data end 15 Jan 00:00 UTC = 14 Jan 18:00 CST: session 15 Jan is cut.
    path = _write_dbn(
        tmp_path / "s.ohlcv-1h.dbn.zst",
        [
            (1, "2025-01-13 15:00", 40.0, 3),  # Mon 09:00 CST -> 13 Jan
            (1, "2025-01-13 23:00", 41.0, 10),  # Mon 17:00 CST -> 14 Jan
            (2, "2025-01-14 01:00", 42.0, 4),
            (2, "2025-01-14 16:00", 43.0, 6),
            (2, "2025-01-14 23:00", 44.0, 9),  # Tue 17:00 CST -> 15 Jan, unclosed
        ],
        {"ZL.v.0": [("2025-01-13", "2025-01-14", 1), ("2025-01-14", "2025-01-15", 2)]},
        "2025-01-13",
        "2025-01-15",
    )
    got = load_dbn_daily([path])
    assert got["trade_date"].tolist() == [dt.date(2025, 1, 13), dt.date(2025, 1, 14)]
    row = got.iloc[1]
    assert (row.instrument_id, row.open, row.close, row.high, row.low) == (2, 42.0, 43.0, 44.0, 41.0)
    assert (row.volume, row.n_bars, row.n_instruments, row.is_roll) == (10, 2, 2, True)
    assert got["low_volume"].tolist() == [False, False]
