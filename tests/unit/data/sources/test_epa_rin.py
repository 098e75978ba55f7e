"""EPA D6 RIN export source (:mod:`zlcast.data.sources.epa_rin`): a newer raw export dropped into the data
directory is adopted as it is; invalid or history-dropping exports are refused with one line."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from dbt_helpers import shared_data_dir

from zlcast.data.sources import SourceError
from zlcast.data.sources.epa_rin import EpaRinSource

HEADER = "Transfer Date by Week,Transfer Year,RIN Year,Fuel (D Code),QAP Service Type,RIN Price\n"
TODAY = dt.date(2025, 9, 15)


def export(path: Path, first: str, weeks: int, fuel: str = "D6") -> Path:
    """A raw EMTS export (quoted fields, ``$`` prices) with two rows per transfer week."""
    lines = [HEADER]
    for k, monday in enumerate(pd.date_range(first, periods=weeks, freq="W-MON")):
        y = monday.year
        lines.append(f'"{monday.month}/{monday.day}/{y}","{y}","{y}","{fuel}","Unverified","${0.5 + k / 100:.2f}"\n')
        lines.append(
            f'"{monday.month}/{monday.day}/{y}","{y}","{y - 1}","{fuel}","Unverified","${0.4 + k / 100:.2f}"\n'
        )
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    data.mkdir()
    export(data / "epa_rin_prices_d6.csv", "2025-01-06", 20)
    return data, tmp_path / "work"


def _work(data: Path, work: Path) -> None:
    shutil.copytree(data, work, dirs_exist_ok=True)


def test_without_an_export_there_is_nothing_to_do(tmp_path: Path) -> None:
    result = EpaRinSource().fetch(tmp_path, tmp_path, TODAY)
    assert result.files == {} and result.detail == "no EPA D6 export in the data directory"


def test_the_current_export_alone_is_checked_and_kept(dirs: tuple[Path, Path]) -> None:
    data, work = dirs
    result = EpaRinSource().fetch(data, work, TODAY)
    assert result.files == {} and "transfer weeks 2025-01-06 .. 2025-05-19, no newer export dropped" in result.detail


def test_a_newer_export_dropped_next_to_it_is_adopted_as_is(dirs: tuple[Path, Path]) -> None:
    data, work = dirs
    newer = export(data / "epa_rin_prices_d6 (1).csv", "2025-01-06", 26)
    _work(data, work)
    before = (data / "epa_rin_prices_d6.csv").read_bytes()
    result = EpaRinSource().fetch(data, work, TODAY)
    assert (work / "epa_rin_prices_d6.csv").read_bytes() == newer.read_bytes()  # no reshaping
    assert not (work / newer.name).exists()  # consumed
    assert (data / "epa_rin_prices_d6.csv").read_bytes() == before and newer.exists()  # data dir only read
    assert result.files == {"epa_rin_prices_d6.csv": 12}  # 6 more weeks, 2 rows each
    assert result.detail.startswith("adopted epa_rin_prices_d6 (1).csv as epa_rin_prices_d6.csv")


def test_an_older_export_is_ignored(dirs: tuple[Path, Path]) -> None:
    data, work = dirs
    export(data / "epa_rin_prices_d6_old.csv", "2025-01-06", 10)
    _work(data, work)
    result = EpaRinSource().fetch(data, work, TODAY)
    assert result.files == {} and "is not newer" in result.detail


def test_a_newer_export_that_drops_history_is_refused(dirs: tuple[Path, Path]) -> None:
    data, work = dirs
    export(data / "epa_rin_prices_d6_2025.csv", "2025-03-03", 20)
    with pytest.raises(SourceError, match=r"^epa_rin: epa_rin_prices_d6_2025.csv starts 2025-03-03, after"):
        EpaRinSource().fetch(data, work, TODAY)


def test_an_export_of_another_fuel_is_refused_with_its_problem(dirs: tuple[Path, Path]) -> None:
    data, work = dirs
    export(data / "epa_rin_prices_d6_new.csv", "2025-01-06", 30, fuel="D4")
    with pytest.raises(SourceError) as info:
        EpaRinSource().fetch(data, work, TODAY)
    assert str(info.value).startswith(
        "epa_rin: epa_rin_prices_d6_new.csv: column Fuel (D Code): not D6 (this input is EPA's D6 export) in 60 row(s)"
    )


@pytest.mark.realdata
def test_the_real_export_and_a_newer_copy(tmp_path: Path) -> None:
    real = shared_data_dir() / "epa_rin_prices_d6.csv"
    if not real.is_file():
        pytest.skip(f"{real} not found")
    data, work = tmp_path / "data", tmp_path / "work"
    data.mkdir()
    shutil.copyfile(real, data / "epa_rin_prices_d6.csv")
    text = real.read_text(encoding="utf-8")
    newer = text + '"7/7/2025","2025","2025","D6","Unverified","$1.04"\n'
    (data / "epa_rin_prices_d6_2025-08.csv").write_text(newer, encoding="utf-8")
    _work(data, work)
    result = EpaRinSource().fetch(data, work, TODAY)
    assert result.files == {"epa_rin_prices_d6.csv": 1}
    assert (work / "epa_rin_prices_d6.csv").read_text(encoding="utf-8") == newer
