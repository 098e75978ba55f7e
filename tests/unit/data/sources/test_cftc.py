"""CFTC COT source (:mod:`zlcast.data.sources.cftc`) against recorded SODA responses
(``tests/fixtures/sources/cftc``) and a scripted local server."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from http_stub import StubServer, closed_port

from zlcast.data.sources import SourceError
from zlcast.data.sources.cftc import CftcCotSource, parse_rows
from zlcast.data.sources.transport import RetryPolicy, make_session, replay_session

REPO = Path(__file__).resolve().parents[4]
FIXTURES = REPO / "tests" / "fixtures" / "sources" / "cftc"
FAST = RetryPolicy(tries=3, backoff_factor=0.001, backoff_max=0.01, connect_timeout=1.0, read_timeout=2.0)


def test_first_fetch_then_refresh_with_a_correction(tmp_path: Path) -> None:
    data, work = tmp_path / "data", tmp_path / "work"
    data.mkdir()
    work.mkdir()
    session = replay_session(FIXTURES)
    first = CftcCotSource(session, app_token="TOKEN").fetch(data, work, dt.date(2025, 6, 13))
    frame = pd.read_csv(work / "cftc_cot.csv")
    assert list(frame.columns) == ["report_date", "managed_money_net", "managed_money_long", "managed_money_short"]
    assert frame["report_date"].tolist()[0] == "2025-05-06" and len(frame) == 6
    assert (frame["managed_money_net"] == frame["managed_money_long"] - frame["managed_money_short"]).all()
    assert first.files == {"cftc_cot.csv": 6} and first.source == "cftc"
    call = session.replay.calls[0]
    assert call.headers["X-App-Token"] == "***"  # sent, never recorded
    assert call.params["$order"] == "report_date_as_yyyy_mm_dd" and "007601" in call.params["$where"]

    later = CftcCotSource(replay_session(FIXTURES)).fetch(work, work, dt.date(2025, 6, 27))
    frame = pd.read_csv(work / "cftc_cot.csv")
    assert later.files == {"cftc_cot.csv": 2}  # 06-17 and 06-24
    assert frame["report_date"].tolist()[-1] == "2025-06-24" and len(frame) == 8
    corrected = frame.set_index("report_date").loc["2025-06-03"]
    assert corrected["managed_money_short"] == 40107 and corrected["managed_money_net"] == 104211 - 40107


def test_rows_are_checked() -> None:
    with pytest.raises(ValueError, match="no field"):
        parse_rows([{"report_date_as_yyyy_mm_dd": "2025-06-03T00:00:00.000"}])
    with pytest.raises(ValueError, match="not an integer"):
        parse_rows(
            [
                {
                    "report_date_as_yyyy_mm_dd": "2025-06-03T00:00:00.000",
                    "m_money_positions_long_all": "1.5e3",
                    "m_money_positions_short_all": "1",
                }
            ]
        )
    with pytest.raises(ValueError, match="not a JSON list"):
        parse_rows({"error": True})


def test_socrata_errors_and_retries(tmp_path: Path) -> None:
    body = (FIXTURES / "error_400_no_such_column.json").read_bytes()
    with StubServer([(400, {"Content-Type": "application/json"}, body)]) as stub, pytest.raises(SourceError) as info:
        CftcCotSource(make_session(FAST), policy=FAST, base_url=stub.url).fetch(tmp_path, tmp_path, dt.date.today())
    host = stub.url.removeprefix("http://")
    assert str(info.value).startswith(f"cftc: HTTP 400 from {host}/resource/72hh-3qpy.json (No such column:")
    assert len(stub.seen) == 1  # a 400 is not retried

    rows = json.loads((FIXTURES / "soybean_oil_2025-05-06_2025-06-10.json").read_text(encoding="utf-8"))
    script = [(429, {"Retry-After": "0"}, b""), (200, {}, json.dumps(rows).encode())]
    with StubServer(script) as stub:
        result = CftcCotSource(make_session(FAST), policy=FAST, base_url=stub.url).fetch(
            tmp_path, tmp_path, dt.date(2025, 6, 13)
        )
    assert result.files == {"cftc_cot.csv": 6} and len(stub.seen) == 2


def test_unreachable_host_and_nothing_written(tmp_path: Path) -> None:
    source = CftcCotSource(make_session(FAST), policy=FAST, base_url=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(SourceError) as info:
        source.fetch(tmp_path, tmp_path, dt.date(2025, 6, 13))
    assert str(info.value).startswith("cftc: 127.0.0.1:") and str(info.value).endswith("after 3 tries")
    assert list(tmp_path.iterdir()) == []


def test_an_empty_answer_without_history_is_an_error(tmp_path: Path) -> None:
    no_rows = r"^cftc: no soybean oil rows \(007601\) in dataset 72hh-3qpy$"
    with StubServer([(200, {}, b"[]")]) as stub, pytest.raises(SourceError, match=no_rows):
        CftcCotSource(make_session(FAST), policy=FAST, base_url=stub.url).fetch(tmp_path, tmp_path, dt.date.today())
