"""Recordings of the providers' next responses (:mod:`zlcast.data.demo_recording`) answer what the clients ask."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from zlcast.data.demo_recording import cut_data_dir, tables_from_data_dir, write_recording
from zlcast.data.sources import SourceError
from zlcast.data.sources.fred import FredSource, read_series_file
from zlcast.data.sources.futures import DatabentoSource, read_roots
from zlcast.data.sources.transport import replay_session

REPO = Path(__file__).resolve().parents[3]
SEED = REPO / "seeds" / "macro_series.csv"


def _fred(recording: Path) -> FredSource:
    return FredSource("k", replay_session(recording), {"DGS10": "DGS10"})


def _fetch(recording: Path, data: Path, out: Path, today: dt.date) -> Path:
    """One FRED refresh of ``data`` into a copy at ``out``."""
    shutil.copytree(data, out)
    _fred(recording).fetch(data, out, today)
    return out


def test_cut_data_dir_keeps_every_file_up_to_the_cutoff(demo_dir: Path, tmp_path: Path) -> None:
    cutoff = pd.Timestamp("2024-03-28")
    cut = cut_data_dir(demo_dir, tmp_path / "cut", cutoff)
    assert sorted(p.name for p in cut.rglob("*.csv")) == sorted(p.name for p in demo_dir.rglob("*.csv"))
    assert pd.to_datetime(pd.read_parquet(cut / "futures_daily.parquet")["trade_date"]).max() == cutoff
    assert pd.to_datetime(pd.read_csv(cut / "cftc_cot.csv")["report_date"]).max() <= cutoff
    assert pd.to_datetime(pd.read_csv(cut / "macro" / "DGS10.csv")["date"]).max() <= cutoff


def test_a_second_refresh_resumes_from_the_newest_vintage_and_the_recording_answers_it(
    demo_dir: Path, tmp_path: Path
) -> None:
    tables = tables_from_data_dir(demo_dir)
    zl = tables.futures.loc[tables.futures["root"] == "ZL", "trade_date"]
    day0 = pd.Timestamp(sorted(pd.to_datetime(zl).unique())[-3])
    yesterday = cut_data_dir(demo_dir, tmp_path / "d0", day0)

    rec1 = write_recording(tables, day0.date(), tmp_path / "r1", SEED, data_dir=yesterday)
    after1 = _fetch(rec1.folder, yesterday, tmp_path / "d1", rec1.run_date)
    layout, known = read_series_file(after1 / "macro" / "DGS10.csv")
    assert layout == "vintage" and len(known)
    newest = str(known["realtime_start"].max())

    # a recording that assumes a first refresh (full history from FRED's earliest date) does not answer the resume
    blind = write_recording(tables, rec1.run_date, tmp_path / "blind", SEED)
    with pytest.raises(SourceError, match="no recorded response"):
        _fetch(blind.folder, after1, tmp_path / "d2_blind", blind.run_date)

    rec2 = write_recording(tables, rec1.run_date, tmp_path / "r2", SEED, data_dir=after1)
    source = _fred(rec2.folder)
    after2 = tmp_path / "d2"
    shutil.copytree(after1, after2)
    result = source.fetch(after1, after2, rec2.run_date)
    observations = [c for c in source.session.replay.calls if c.url.split("?")[0].endswith("/observations")]
    assert [c.params["realtime_start"] for c in observations] == [newest]
    _, rows = read_series_file(after2 / "macro" / "DGS10.csv")
    assert result.files == {"macro/DGS10.csv": len(rows) - len(known)} and len(rows) > len(known)
    assert rows["date"].max() > known["date"].max()


def test_a_monday_session_after_a_friday_reaches_the_futures_file(demo_dir: Path, tmp_path: Path) -> None:
    tables = tables_from_data_dir(demo_dir)
    days = [pd.Timestamp(d) for d in sorted(pd.to_datetime(tables.futures["trade_date"]).unique())]
    friday = max(d for d in days[:-1] if d.dayofweek == 4)
    monday = days[days.index(friday) + 1]
    yesterday = cut_data_dir(demo_dir, tmp_path / "d0", friday)
    rec = write_recording(tables, friday.date(), tmp_path / "rec", SEED, data_dir=yesterday)
    assert rec.new_sessions == (monday.date(),)
    after = tmp_path / "d1"
    shutil.copytree(yesterday, after)
    roots = read_roots(REPO / "seeds" / "futures_roots.csv")
    DatabentoSource("k", replay_session(rec.folder), roots).fetch(yesterday, after, rec.run_date)
    bars = pd.read_parquet(after / "futures_daily.parquet")
    zl = bars[bars["root"] == "ZL"].assign(trade_date=lambda f: pd.to_datetime(f["trade_date"]))
    assert zl["trade_date"].max() == monday
    expected = tables.futures[
        (tables.futures["root"] == "ZL") & (pd.to_datetime(tables.futures["trade_date"]) == monday)
    ]
    assert zl.loc[zl["trade_date"] == monday, "close"].to_numpy() == pytest.approx(expected["close"].to_numpy())
