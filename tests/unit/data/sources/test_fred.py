"""FRED/ALFRED source (:mod:`zlcast.data.sources.fred`) against recorded responses in FRED's JSON format
(``tests/fixtures/sources/fred``) and a scripted local server for retries."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from http_stub import StubServer, closed_port

from zlcast.data.contract import validate_data_dir
from zlcast.data.sources import SourceError
from zlcast.data.sources.fred import FredSource, merge_vintages, read_series_file, vintage_windows
from zlcast.data.sources.transport import RetryPolicy, make_session, replay_session

REPO = Path(__file__).resolve().parents[4]
FIXTURES = REPO / "tests" / "fixtures" / "sources" / "fred"
FAST = RetryPolicy(tries=4, backoff_factor=0.001, backoff_max=0.01, connect_timeout=1.0, read_timeout=2.0)
TODAY = dt.date(2025, 7, 3)
NFCI_ALL = [  # what the full-history recording says, as first-published values
    ("2025-06-06", "-0.52341", "2025-06-18"),
    ("2025-06-06", "-0.52110", "2025-06-25"),
    ("2025-06-13", "-0.51020", "2025-06-18"),
    ("2025-06-13", "-0.50876", "2025-06-25"),
    ("2025-06-20", "-0.49555", "2025-06-25"),
    ("2025-06-20", "-0.49801", "2025-07-02"),
    ("2025-06-27", "-0.50123", "2025-07-02"),
]


def _frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["date", "value", "realtime_start"])


def _vintage_csv(series_id: str, rows: list[tuple[str, str, str]]) -> str:
    return "series_id,date,value,realtime_start\n" + "".join(f"{series_id},{d},{v},{r}\n" for d, v, r in rows)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    data, work = tmp_path / "data", tmp_path / "work"
    (data / "macro").mkdir(parents=True)
    (data / "macro" / "NFCI.csv").write_text(
        "series_id,date,value\nNFCI,2025-06-06,-0.52\nNFCI,2025-06-13,-0.51\n", encoding="utf-8"
    )
    return data, work


def _copy(data: Path, work: Path) -> None:
    shutil.copytree(data, work, dirs_exist_ok=True)


# --------------------------------------------------------------------------- pure helpers


def test_vintage_windows_stay_under_the_limit_and_cover_everything() -> None:
    dates = [f"2025-01-{d:02d}" for d in range(1, 8)]
    assert vintage_windows("1776-07-04", dates, 3) == [
        ("1776-07-04", "2025-01-03"),
        ("2025-01-04", "2025-01-06"),
        ("2025-01-07", "9999-12-31"),
    ]
    assert vintage_windows("2025-01-05", dates, 2000) == [("2025-01-05", "9999-12-31")]
    assert vintage_windows("2025-02-01", dates) == []


def test_merge_keeps_first_publications_and_revisions_only() -> None:
    old = _frame([("2025-06-06", "1.0", "2025-06-18"), ("2025-06-06", "1.1", "2025-06-25")])
    new = _frame(
        [
            ("2025-06-06", "1.1", "2025-07-02"),  # clipped period: the value already known
            ("2025-06-06", "1.0", "2025-07-09"),  # revised back to an earlier value: a real vintage
            ("2025-06-13", "2.00", "2025-07-02"),
            ("2025-06-13", "2.0", "2025-07-09"),  # same number, other text: not a revision
        ]
    )
    merged = merge_vintages(old, new)
    assert list(merged.itertuples(index=False, name=None)) == [
        ("2025-06-06", "1.0", "2025-06-18"),
        ("2025-06-06", "1.1", "2025-06-25"),
        ("2025-06-06", "1.0", "2025-07-09"),
        ("2025-06-13", "2.00", "2025-07-02"),
    ]


# --------------------------------------------------------------------------- replayed fetches


def test_first_refresh_replaces_a_latest_vintage_file_by_all_vintages(dirs: tuple[Path, Path]) -> None:
    data, work = dirs
    _copy(data, work)
    before = _digest(data)
    session = replay_session(FIXTURES)
    result = FredSource("KEY123", session, {"NFCI": "NFCI"}).fetch(data, work, TODAY)

    layout, rows = read_series_file(work / "macro" / "NFCI.csv")
    assert layout == "vintage"
    assert list(rows.itertuples(index=False, name=None)) == NFCI_ALL  # '.' (missing) not stored
    assert result.files == {"macro/NFCI.csv": len(NFCI_ALL)}
    assert result.source == "fred" and "KEY123" not in result.endpoint and "output_type=1" in result.endpoint
    assert "vintages to 2025-07-02" in result.detail
    assert _digest(data) == before
    vintage_call, obs_call = session.replay.calls
    assert vintage_call.url.startswith("https://api.stlouisfed.org/fred/series/vintagedates?")
    assert obs_call.params == {
        "realtime_start": "1776-07-04",
        "realtime_end": "9999-12-31",
        "observation_start": "2000-01-01",
        "output_type": "1",
        "limit": "100000",
        "offset": "0",
        "series_id": "NFCI",
        "api_key": "***",
        "file_type": "json",
    }


def test_incremental_refresh_asks_from_the_newest_vintage_and_adds_only_new_rows(dirs: tuple[Path, Path]) -> None:
    data, work = dirs
    (data / "macro" / "NFCI.csv").write_text(_vintage_csv("NFCI", NFCI_ALL[:5]), encoding="utf-8")
    _copy(data, work)
    session = replay_session(FIXTURES)
    result = FredSource("k", session, {"NFCI": "NFCI"}).fetch(data, work, TODAY)
    assert session.replay.calls[0].params["realtime_start"] == "2025-06-25"
    assert result.files == {"macro/NFCI.csv": 2}
    assert (work / "macro" / "NFCI.csv").read_text(encoding="utf-8") == _vintage_csv("NFCI", NFCI_ALL)

    # the same day again: no vintage after the newest known one, so no observations request and nothing written
    session = replay_session(FIXTURES)
    again = FredSource("k", session, {"NFCI": "NFCI"}).fetch(work, work, TODAY)
    assert again.files == {} and "nothing new" in again.detail
    assert [c.url.split("?")[0].rsplit("/", 1)[1] for c in session.replay.calls] == ["vintagedates"]


def test_vintages_published_after_today_are_left_for_later(dirs: tuple[Path, Path]) -> None:
    data, work = dirs
    _copy(data, work)
    FredSource("k", replay_session(FIXTURES), {"NFCI": "NFCI"}).fetch(data, work, dt.date(2025, 6, 30))
    _, rows = read_series_file(work / "macro" / "NFCI.csv")
    assert rows["realtime_start"].max() == "2025-06-25" and len(rows) == 5


def test_a_fred_download_is_replaced_by_the_series_file(dirs: tuple[Path, Path]) -> None:
    data, work = dirs
    (data / "macro" / "fredgraph.csv").write_text("observation_date,DGS10\n2025-06-26,4.26\n2025-06-27,.\n", "utf-8")
    _copy(data, work)
    result = FredSource("k", replay_session(FIXTURES), {"DGS10": "DGS10"}).fetch(data, work, TODAY)
    assert result.files == {"macro/DGS10.csv": 3}
    assert not (work / "macro" / "fredgraph.csv").exists() and (data / "macro" / "fredgraph.csv").exists()
    assert read_series_file(work / "macro" / "DGS10.csv")[0] == "vintage"


def test_written_files_pass_the_contract(dirs: tuple[Path, Path]) -> None:
    data, work = dirs
    _copy(data, work)
    FredSource("k", replay_session(FIXTURES), {"NFCI": "NFCI", "DGS10": "DGS10"}).fetch(data, work, TODAY)
    with pytest.raises(Exception) as info:  # futures/events are absent here; the macro files themselves are fine
        validate_data_dir(work, REPO / "seeds" / "futures_roots.csv", REPO / "seeds" / "macro_series.csv")
    assert "macro/NFCI.csv" not in str(info.value) and "macro/DGS10.csv" not in str(info.value)


def test_windows_and_pages_follow_freds_limits(tmp_path: Path) -> None:
    """Four vintage dates with a limit of two per request -> two windows; a page of two rows -> offsets."""
    data, work = tmp_path / "data", tmp_path / "work"
    (data / "macro").mkdir(parents=True)
    work.mkdir()
    dates = {"vintage_dates": ["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07"], "count": 4}
    obs = {
        ("1776-07-04", "0"): [("2025-01-01", "1", "2025-01-02"), ("2025-01-02", "2", "2025-01-03")],
        ("1776-07-04", "2"): [],
        ("2025-01-06", "0"): [("2025-01-01", "1", "2025-01-06"), ("2025-01-02", "2", "2025-01-06")],
        ("2025-01-06", "2"): [("2025-01-03", "3", "2025-01-06"), ("2025-01-06", "6", "2025-01-07")],
        ("2025-01-06", "4"): [],
    }
    counts = {"1776-07-04": 2, "2025-01-06": 4}
    responses = [{"url": "https://api.stlouisfed.org/fred/series/vintagedates", "file": "v.json"}]
    (tmp_path / "v.json").write_text(json.dumps(dates), encoding="utf-8")
    for (start, offset), rows in obs.items():
        name = f"o_{start}_{offset}.json"
        body = {
            "count": counts[start],
            "observations": [{"date": d, "value": v, "realtime_start": r, "realtime_end": "x"} for d, v, r in rows],
        }
        (tmp_path / name).write_text(json.dumps(body), encoding="utf-8")
        responses.append(
            {
                "url": "https://api.stlouisfed.org/fred/series/observations",
                "params": {"realtime_start": start, "offset": offset},
                "file": name,
            }
        )
    (tmp_path / "manifest.json").write_text(json.dumps({"responses": responses}), encoding="utf-8")
    session = replay_session(tmp_path)
    FredSource("k", session, {"X": "X"}, max_vintages=2).fetch(data, work, TODAY)
    windows = [(c.params["realtime_start"], c.params["realtime_end"]) for c in session.replay.calls[1:]]
    assert sorted(set(windows)) == [("1776-07-04", "2025-01-05"), ("2025-01-06", "9999-12-31")]
    _, rows = read_series_file(work / "macro" / "X.csv")
    assert list(rows.itertuples(index=False, name=None)) == [
        ("2025-01-01", "1", "2025-01-02"),
        ("2025-01-02", "2", "2025-01-03"),
        ("2025-01-03", "3", "2025-01-06"),
        ("2025-01-06", "6", "2025-01-07"),
    ]


# --------------------------------------------------------------------------- failures


def test_missing_key(dirs: tuple[Path, Path]) -> None:
    data, work = dirs
    with pytest.raises(SourceError, match=r"^fred: FRED_API_KEY is not set$"):
        FredSource(None, make_session(), {"NFCI": "NFCI"}).fetch(data, work, TODAY)
    with pytest.raises(SourceError, match=r"^fred-optional: FRED_API_KEY is not set$"):
        FredSource("", make_session(), {"NFCI": "NFCI"}, name="fred-optional", required=False).fetch(data, work, TODAY)


def test_freds_own_error_message_is_passed_on(dirs: tuple[Path, Path]) -> None:
    data, work = dirs
    with pytest.raises(SourceError) as info:
        FredSource("k", replay_session(FIXTURES), {"BADKEY": "BADKEY"}).fetch(data, work, TODAY)
    assert str(info.value).startswith(
        "fred: HTTP 400 from api.stlouisfed.org/fred/series/vintagedates for BADKEY "
        "(Bad Request. The value for variable api_key is not registered."
    )


def test_server_errors_after_retries_leave_work_dir_untouched(dirs: tuple[Path, Path]) -> None:
    data, work = dirs
    _copy(data, work)
    before = _digest(work)
    ok_dates = json.dumps({"count": 1, "vintage_dates": ["2025-07-02"]}).encode()
    ok_obs = json.dumps(
        {"count": 1, "observations": [{"date": "2025-06-27", "value": "1", "realtime_start": "2025-07-02"}]}
    )
    script = [(200, {}, ok_dates), (200, {}, ok_obs.encode()), (503, {"Retry-After": "0"}, b"Service Unavailable")]
    with StubServer(script) as stub:
        source = FredSource("k", make_session(FAST), {"NFCI": "NFCI", "DGS10": "DGS10"}, policy=FAST, base_url=stub.url)
        with pytest.raises(SourceError) as info:
            source.fetch(data, work, TODAY)
    host = stub.url.removeprefix("http://")
    assert str(info.value) == (
        f"fred: HTTP 503 from {host}/series/vintagedates for DGS10 after 4 tries (Service Unavailable)"
    )
    assert len(stub.seen) == 2 + FAST.tries
    assert _digest(work) == before  # NFCI was fetched, but nothing is written when DGS10 fails


def test_unreachable_host(dirs: tuple[Path, Path]) -> None:
    data, work = dirs
    source = FredSource(
        "SECRET", make_session(FAST), {"NFCI": "NFCI"}, policy=FAST, base_url=f"http://127.0.0.1:{closed_port()}"
    )
    with pytest.raises(SourceError) as info:
        source.fetch(data, work, TODAY)
    message = str(info.value)
    assert message.startswith("fred: 127.0.0.1:") and "unreachable (ConnectionError" in message
    assert message.endswith("after 4 tries") and "SECRET" not in message


def test_a_series_sharing_a_file_with_others_is_refused(dirs: tuple[Path, Path]) -> None:
    data, work = dirs
    (data / "macro" / "mixed.csv").write_text("series_id,date,value\nDGS10,2025-06-26,4.2\nDGS2,2025-06-26,3.9\n")
    with pytest.raises(SourceError, match=r"^fred: DGS10 is in macro/mixed.csv with other series"):
        FredSource("k", replay_session(FIXTURES), {"DGS10": "DGS10"}).fetch(data, work, TODAY)
