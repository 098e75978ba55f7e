"""Databento source (:mod:`zlcast.data.sources.futures`): the official client over a replay or retrying session,
raw responses kept, and an incremental rebuild equal to a full load of every raw file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from dbn_synth import write_dbn
from dbt_helpers import shared_data_dir
from http_stub import StubServer, closed_port

from zlcast.data.dbn import load_dbn_daily, refresh_daily, session_end, session_start, write_futures_daily
from zlcast.data.sources import SourceError
from zlcast.data.sources.futures import RAW_DIR, DatabentoSource, read_roots
from zlcast.data.sources.transport import RetryPolicy, make_session, replay_session

REPO = Path(__file__).resolve().parents[4]
FAST = RetryPolicy(tries=4, backoff_factor=0.001, backoff_max=0.01, connect_timeout=1.0, read_timeout=2.0)
GET_RANGE = "https://hist.databento.com/v0/timeseries.get_range"


def _clock(ts: str) -> dt.datetime:
    return pd.Timestamp(ts, tz="UTC").to_pydatetime()


def _recording(folder: Path, dbn_file: Path) -> Path:
    """A replay folder answering Databento's get_range with ``dbn_file``."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(dbn_file, folder / "response.dbn.zst")
    manifest = {
        "responses": [
            {
                "method": "POST",
                "url": GET_RANGE,
                "form": {"dataset": "GLBX.MDP3", "schema": "ohlcv-1h", "stype_in": "continuous"},
                "file": "response.dbn.zst",
                "headers": {"Content-Type": "application/octet-stream"},
            }
        ]
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def _digest(folder: Path) -> dict[str, str]:
    """Every path under ``folder``: a file's sha256, or 'dir'."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(folder.rglob("*"))
    }


# --------------------------------------------------------------------------- real sample files


@pytest.fixture(scope="module")
def sample_files() -> list[Path]:
    folder = shared_data_dir() / "futures_hourly_sample"
    files = sorted(folder.glob("*.ohlcv-1h.dbn.zst"))
    if len(files) != 2:
        pytest.skip(f"the two sample DBN files are not in {folder}")
    return files


@pytest.mark.realdata
def test_refresh_with_the_february_file_equals_a_full_load_of_both(sample_files: list[Path], tmp_path: Path) -> None:
    jan, feb = sample_files
    data = tmp_path / "data"
    (data / RAW_DIR).mkdir(parents=True)
    shutil.copyfile(jan, data / RAW_DIR / jan.name)
    write_futures_daily([data / RAW_DIR], data / "futures_daily.parquet")
    work = tmp_path / "work"
    shutil.copytree(data, work)
    before = _digest(data)
    session = replay_session(_recording(tmp_path / "rec", feb))
    source = DatabentoSource(
        "db-KEY", session, read_roots(REPO / "seeds" / "futures_roots.csv"), clock=lambda: _clock("2025-03-03 23:30")
    )

    result = source.fetch(data, work, dt.date(2025, 3, 3))

    refreshed = pd.read_parquet(work / "futures_daily.parquet")
    pd.testing.assert_frame_equal(refreshed, load_dbn_daily(sample_files))
    pd.testing.assert_frame_equal(refreshed, load_dbn_daily([work / RAW_DIR], later_files_win=True))
    assert _digest(data) == before  # the data directory is only read
    raw_name = "glbx-mdp3-20250124T2300-20250303T2300.ohlcv-1h.dbn.zst"  # Fri 17:00 CST .. Mon 17:00 CST
    assert (work / RAW_DIR / raw_name).read_bytes() == feb.read_bytes()
    assert result.files[f"{RAW_DIR}/{raw_name}"] > 25_000  # records in the response
    assert result.files["futures_daily.parquet"] == len(refreshed) - len(
        pd.read_parquet(data / "futures_daily.parquet")
    )
    assert not [p for p in (work / RAW_DIR).iterdir() if p.name.startswith(".")]
    # the official request: dataset, schema, continuous symbols of every seeded root, end-exclusive UTC range
    form = session.replay.calls[0].form
    assert form["dataset"] == "GLBX.MDP3" and form["schema"] == "ohlcv-1h" and form["stype_in"] == "continuous"
    assert form["stype_out"] == "instrument_id" and form["encoding"] == "dbn" and form["compression"] == "zstd"
    assert form["symbols"].split(",")[:2] == ["10Y.v.0", "2YY.v.0"] and len(form["symbols"].split(",")) == 84
    assert form["start"] == "2025-01-24T23:00:00+00:00" and form["end"] == "2025-03-03T23:00:00+00:00"
    assert session.replay.calls[0].headers["Authorization"] == "***"
    assert "84 roots" in result.detail and "2025-01-27" in result.detail


@pytest.mark.realdata
def test_rebuilding_the_shared_parquet_from_the_samples_reproduces_its_rows(sample_files: list[Path]) -> None:
    shared = pd.read_parquet(shared_data_dir() / "futures_daily.parquet")
    first, last = dt.date(2025, 1, 2), dt.date(2025, 2, 28)
    rebuilt = refresh_daily(shared[shared["trade_date"] < first], sample_files, first)
    window = (rebuilt["trade_date"] >= first) & (rebuilt["trade_date"] <= last)
    expected = shared[(shared["trade_date"] >= first) & (shared["trade_date"] <= last)]
    pd.testing.assert_frame_equal(rebuilt[window].reset_index(drop=True), expected.reset_index(drop=True))


# --------------------------------------------------------------------------- synthetic N-day refresh

ROOTS = ["ZL", "ZS"]
IDS = {"ZL": (101, 102), "ZS": (201, 202)}  # front contract before / from 2025-03-12 (UTC date, as Databento maps)


def _true_bars(days: list[dt.date]) -> pd.DataFrame:
    """Hourly bars of two roots over ``days``: 20 bars from 3 h after each session's open (all on the session's
    UTC date), a roll on 2025-03-12 and a low-volume ZS session on 2025-03-13."""
    rows = []
    for k, day in enumerate(days):
        open_ = session_start(day)
        for h in range(3, 23):  # 3 hours after the open .. 22 h later: inside the session
            ts = open_ + pd.Timedelta(hours=h)
            for r, root in enumerate(ROOTS):
                iid = IDS[root][0] if ts.date() < dt.date(2025, 3, 12) else IDS[root][1]
                volume = 5 if (root == "ZS" and day == dt.date(2025, 3, 13)) else 100 + h
                rows.append((iid, ts, 50.0 + r * 900 + k + h / 100, volume))
    return pd.DataFrame(rows, columns=["iid", "ts", "px", "vol"])


def _mapping(start: pd.Timestamp, end: pd.Timestamp) -> dict[str, list[tuple[str, str, int]]]:
    a, b = start.date().isoformat(), (end + pd.Timedelta(days=1)).date().isoformat()
    switch = "2025-03-12"
    out = {}
    for root in ROOTS:
        old, new = IDS[root]
        out[f"{root}.v.0"] = [(min(a, switch), switch, old), (switch, max(b, "2025-03-12"), new)]
    return out


def _serve(bars: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, path: Path) -> Path:
    """Write the Databento response for [start, end) (what the API would return)."""
    window = bars[(bars["ts"] >= start) & (bars["ts"] < end)]
    return write_dbn(path, list(window.itertuples(index=False, name=None)), _mapping(start, end), start, end)


def _business_days(first: str, last: str) -> list[dt.date]:
    return [d.date() for d in pd.bdate_range(first, last)]


@pytest.fixture
def synthetic_history(tmp_path: Path) -> Iterator[tuple[Path, pd.DataFrame, list[dt.date]]]:
    """A data directory built from one raw file covering 2025-03-03 .. 03-07, and the true bars to 03-21."""
    days = _business_days("2025-03-03", "2025-03-21")
    bars = _true_bars(days)
    data = tmp_path / "data"
    (data / RAW_DIR).mkdir(parents=True)
    start, end = session_start(days[0]), session_end(dt.date(2025, 3, 7))
    _serve(bars, start, end, data / RAW_DIR / "glbx-mdp3-initial.ohlcv-1h.dbn.zst")
    write_futures_daily([data / RAW_DIR], data / "futures_daily.parquet")
    yield data, bars, days


def test_daily_refreshes_with_a_late_correction_equal_a_full_load(
    synthetic_history: tuple[Path, pd.DataFrame, list[dt.date]], tmp_path: Path
) -> None:
    data, bars, days = synthetic_history
    for n, today in enumerate([d for d in days if d > dt.date(2025, 3, 7)]):
        if today == dt.date(2025, 3, 14):  # a late correction of a bar two sessions back, and a removed bar
            target = bars["ts"] == session_start(dt.date(2025, 3, 12)) + pd.Timedelta(hours=5)
            bars.loc[target, "px"] += 0.5
            bars = bars.drop(bars.index[bars["ts"] == session_start(dt.date(2025, 3, 13)) + pd.Timedelta(hours=4)])
        work = tmp_path / f"work{n}"
        shutil.copytree(data, work)
        clock = session_end(today) + pd.Timedelta(minutes=40)
        source = DatabentoSource("k", make_session(), ROOTS, overlap_sessions=3, clock=lambda c=clock: c)
        _, start, end = source.window(pd.read_parquet(data / "futures_daily.parquet"), today)
        rec = tmp_path / f"rec{n}"
        rec.mkdir()
        source.session = replay_session(_recording(rec, _serve(bars, start, end, rec / "r.dbn.zst")))
        result = source.fetch(data, work, today)
        assert result.files["futures_daily.parquet"] == len(ROOTS)  # one new session per root
        shutil.rmtree(data)
        work.rename(data)  # what the orchestrator does after a good run

    refreshed = pd.read_parquet(data / "futures_daily.parquet")
    full = load_dbn_daily([data / RAW_DIR], later_files_win=True)
    pd.testing.assert_frame_equal(refreshed, full)
    # and equal to loading the final true bars at once (corrections applied, removed bar gone)
    truth = _serve(bars, session_start(days[0]), session_end(days[-1]), tmp_path / "truth.dbn.zst")
    pd.testing.assert_frame_equal(refreshed, load_dbn_daily([truth]))
    assert refreshed["is_roll"].sum() == len(ROOTS) and refreshed["low_volume"].sum() == 1
    assert len(list((data / RAW_DIR).glob("*.dbn.zst"))) == 1 + len(days) - 5


def test_nothing_to_fetch_before_the_session_closes(
    synthetic_history: tuple[Path, pd.DataFrame, list[dt.date]],
) -> None:
    data, _, _ = synthetic_history
    source = DatabentoSource("k", make_session(), ROOTS, overlap_sessions=1, clock=lambda: _clock("2025-03-06 22:00"))
    result = source.fetch(data, data.parent / "unused", dt.date(2025, 3, 6))
    assert result.files == {} and "nothing to fetch" in result.detail


# --------------------------------------------------------------------------- failures leave work_dir alone


def _source(session: object, key: str | None = "k", gateway: str | None = None) -> DatabentoSource:
    source = DatabentoSource(key, session, ROOTS, policy=FAST, clock=lambda: _clock("2025-03-10 23:30"))  # type: ignore[arg-type]
    if gateway:
        source.gateway = gateway
    return source


def test_missing_key_is_one_clear_line(synthetic_history: tuple[Path, pd.DataFrame, list[dt.date]]) -> None:
    data, _, _ = synthetic_history
    with pytest.raises(SourceError, match=r"^databento: DATABENTO_API_KEY is not set$"):
        _source(make_session(), key="").fetch(data, data, dt.date(2025, 3, 10))


def test_server_errors_are_retried_then_fail_leaving_work_dir_untouched(
    synthetic_history: tuple[Path, pd.DataFrame, list[dt.date]], tmp_path: Path
) -> None:
    data, _, _ = synthetic_history
    work = tmp_path / "work"
    shutil.copytree(data, work)
    before = _digest(work)
    body = b'{"detail": "An internal error occurred."}'
    with StubServer([(500, {"Content-Type": "application/json"}, body)]) as stub, pytest.raises(SourceError) as info:
        _source(make_session(FAST), gateway=stub.url).fetch(data, work, dt.date(2025, 3, 10))
    assert len(stub.seen) == FAST.tries and stub.seen[0].path == "/v0/timeseries.get_range"
    host = stub.url.removeprefix("http://")
    assert str(info.value) == (
        f"databento: HTTP 500 from {host}/v0/timeseries.get_range after 4 tries (An internal error occurred.)"
    )
    assert _digest(work) == before


def test_rate_limit_then_success(synthetic_history: tuple[Path, pd.DataFrame, list[dt.date]], tmp_path: Path) -> None:
    data, bars, _ = synthetic_history
    work = tmp_path / "work"
    shutil.copytree(data, work)
    source = _source(make_session(FAST))
    _, start, end = source.window(pd.read_parquet(data / "futures_daily.parquet"), dt.date(2025, 3, 10))
    dbn_bytes = _serve(bars, start, end, tmp_path / "r.dbn.zst").read_bytes()
    with StubServer([(429, {"Retry-After": "0"}, b"{}"), (200, {}, dbn_bytes)]) as stub:
        source.gateway = stub.url
        result = source.fetch(data, work, dt.date(2025, 3, 10))
    assert result.files["futures_daily.parquet"] == len(ROOTS) and len(stub.seen) == 2
    assert stub.seen[0].headers["Authorization"].startswith("Basic ")


def test_unreachable_host(synthetic_history: tuple[Path, pd.DataFrame, list[dt.date]], tmp_path: Path) -> None:
    data, _, _ = synthetic_history
    work = tmp_path / "work"
    shutil.copytree(data, work)
    shutil.rmtree(work / "raw")  # a data directory without raw files: no folder is left behind either
    before = _digest(work)
    with pytest.raises(SourceError) as info:
        _source(make_session(FAST), gateway=f"http://127.0.0.1:{closed_port()}").fetch(data, work, dt.date(2025, 3, 10))
    assert str(info.value).startswith("databento: 127.0.0.1:") and str(info.value).endswith("after 4 tries")
    assert "unreachable (ConnectionError" in str(info.value)
    assert _digest(work) == before


def test_a_recording_without_the_request_fails_loudly(
    synthetic_history: tuple[Path, pd.DataFrame, list[dt.date]], tmp_path: Path
) -> None:
    data, _, _ = synthetic_history
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "manifest.json").write_text('{"responses": []}', encoding="utf-8")
    with pytest.raises(SourceError, match=r"^databento: replay: no recorded response for POST https://hist"):
        _source(replay_session(tmp_path / "rec")).fetch(data, tmp_path, dt.date(2025, 3, 10))


def test_a_gap_between_the_data_and_the_response_is_refused(
    synthetic_history: tuple[Path, pd.DataFrame, list[dt.date]], tmp_path: Path
) -> None:
    data, bars, _ = synthetic_history
    work = tmp_path / "work"
    shutil.copytree(data, work)
    shutil.rmtree(work / RAW_DIR)  # no raw files: the rows before the response cannot be rebuilt
    shutil.rmtree(data / RAW_DIR)
    before = _digest(work)
    late = _serve(bars, session_start(dt.date(2025, 3, 7)), session_end(dt.date(2025, 3, 10)), tmp_path / "r.dbn.zst")
    source = _source(replay_session(_recording(tmp_path / "rec", late)))
    with pytest.raises(SourceError, match=r"^databento: cannot rebuild futures_daily.parquet \(raw files leave a gap"):
        source.fetch(data, work, dt.date(2025, 3, 10))
    assert _digest(work) == before


def test_the_cli_loads_refetched_raw_files_with_later_files_win(
    synthetic_history: tuple[Path, pd.DataFrame, list[dt.date]], tmp_path: Path
) -> None:
    from zlcast.cli import main

    data, bars, _ = synthetic_history
    start, end = session_start(dt.date(2025, 3, 6)), session_end(dt.date(2025, 3, 10))
    changed = bars.assign(px=bars["px"] + 0.25)
    _serve(changed, start, end, data / RAW_DIR / "glbx-mdp3-refetch.ohlcv-1h.dbn.zst")
    out = tmp_path / "f.parquet"
    assert main(["load-dbn", str(data / RAW_DIR), "--out", str(out)]) == 2  # different bars for the same hours
    assert main(["load-dbn", str(data / RAW_DIR), "--out", str(out), "--later-files-win"]) == 0
    loaded = pd.read_parquet(out).set_index(["root", "trade_date"])
    assert loaded.loc[("ZL", dt.date(2025, 3, 5)), "close"] == pytest.approx(52.22)  # first file (day 3, hour 22)
    assert loaded.loc[("ZL", dt.date(2025, 3, 6)), "close"] == pytest.approx(53.22 + 0.25)  # refetched
