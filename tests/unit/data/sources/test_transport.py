"""Sessions with timeouts and retries, one-line failures, and the replay adapter (:mod:`zlcast.data.sources.transport`).

Retries run against a scripted server on 127.0.0.1 (real sockets and urllib3 retries, no network) with tiny
backoff factors, so every test takes well under a second unless it checks a wait.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
from http_stub import StubServer, closed_port

from zlcast.data.sources.transport import (
    ReplayMissError,
    RetryPolicy,
    describe_failure,
    is_replay,
    make_session,
    redact,
    replay_session,
)

FAST = RetryPolicy(tries=4, backoff_factor=0.001, backoff_max=0.01, connect_timeout=1.0, read_timeout=1.0)


def test_429_then_200_is_retried_and_succeeds() -> None:
    script = [(429, {"Retry-After": "0"}, b"slow down"), (200, {"Content-Type": "application/json"}, b'{"ok": 1}')]
    with StubServer(script) as stub:
        response = make_session(FAST).get(f"{stub.url}/fred/series/observations", params={"series_id": "DGS10"})
    assert response.status_code == 200 and response.json() == {"ok": 1}
    assert len(stub.seen) == 2 and stub.seen[1].query == {"series_id": "DGS10"}


def test_5xx_is_retried_until_the_tries_run_out_and_the_last_response_is_returned() -> None:
    with StubServer([(500, {}, b"boom")]) as stub:
        response = make_session(FAST).get(f"{stub.url}/x")
    assert response.status_code == 500
    assert len(stub.seen) == FAST.tries


def test_post_is_retried_too_and_the_body_is_sent_again() -> None:
    with StubServer([(503, {"Retry-After": "0"}, b""), (200, {}, b"DBN")]) as stub:
        response = make_session(FAST).post(f"{stub.url}/v0/timeseries.get_range", data={"dataset": "GLBX.MDP3"})
    assert response.content == b"DBN"
    assert [r.body for r in stub.seen] == [b"dataset=GLBX.MDP3"] * 2


def test_backoff_grows_between_tries() -> None:
    policy = RetryPolicy(tries=4, backoff_factor=0.05, backoff_max=1.0, connect_timeout=1.0, read_timeout=1.0)
    with StubServer([(502, {}, b"")]) as stub:
        make_session(policy).get(f"{stub.url}/x")
    gaps = [b.at - a.at for a, b in zip(stub.seen, stub.seen[1:], strict=False)]
    # urllib3: no wait before the first retry, then factor * 2 ** (n - 1): 0.1 s, 0.2 s
    assert gaps[1] >= 0.09 and gaps[2] >= 0.19
    assert gaps[2] > gaps[1]


def test_retry_after_is_honoured_but_capped() -> None:
    policy = RetryPolicy(tries=2, backoff_factor=0.001, backoff_max=1.0, connect_timeout=1.0, read_timeout=1.0)
    with StubServer([(429, {"Retry-After": "3600"}, b""), (200, {}, b"ok")]) as stub:
        started = time.monotonic()
        response = make_session(policy).get(f"{stub.url}/x")
        waited = time.monotonic() - started
    assert response.status_code == 200
    assert 0.9 <= waited < 5  # Retry-After 3600 s capped at backoff_max (1 s)


def test_unreachable_host_is_one_line_after_all_tries() -> None:
    url = f"http://127.0.0.1:{closed_port()}/fred/series/observations?series_id=X&api_key=SECRET"
    with pytest.raises(requests.ConnectionError) as info:
        make_session(FAST).get(url)
    line = describe_failure(info.value, url, FAST.tries)
    assert line.startswith("127.0.0.1:") and "unreachable (ConnectionError:" in line and line.endswith("after 4 tries")
    assert "SECRET" not in line and "\n" not in line


def test_dropped_connections_are_retried() -> None:
    with StubServer(["drop", "drop", (200, {}, b"ok")]) as stub:
        response = make_session(FAST).get(f"{stub.url}/x")
    assert response.text == "ok" and len(stub.seen) == 3


def test_read_timeout_is_applied_by_default_and_reported() -> None:
    policy = RetryPolicy(tries=2, backoff_factor=0.001, backoff_max=0.01, connect_timeout=1.0, read_timeout=0.2)
    with StubServer([("sleep", 0.6, (200, {}, b"late"))]) as stub:
        with pytest.raises(requests.RequestException) as info:
            make_session(policy).get(f"{stub.url}/x")
        line = describe_failure(info.value, f"{stub.url}/x", policy.tries)
    assert len(stub.seen) == 2
    assert line.endswith("after 2 tries") and "timed out" in line.lower(), line


def test_redact_hides_keys_and_tokens() -> None:
    assert redact("https://h/p?series_id=X&api_key=abc123&x=1") == "https://h/p?series_id=X&api_key=***&x=1"
    assert redact("$$app_token=zz-secret") == "$$app_token=***"


# --------------------------------------------------------------------------- replay


def _recording(tmp_path: Path, responses: list[dict[str, object]], files: dict[str, bytes]) -> Path:
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    (tmp_path / "manifest.json").write_text(json.dumps({"responses": responses}), encoding="utf-8")
    return tmp_path


def test_replay_answers_by_method_url_and_a_subset_of_the_query(tmp_path: Path) -> None:
    rec = _recording(
        tmp_path,
        [
            {
                "method": "GET",
                "url": "https://api.stlouisfed.org/fred/series/observations",
                "params": {"series_id": "NFCI"},
                "file": "fred/nfci.json",
                "headers": {"Content-Type": "application/json"},
            },
            {"method": "GET", "url": "https://api.stlouisfed.org/fred/series/observations", "status": 429},
        ],
        {"fred/nfci.json": b'{"observations": []}'},
    )
    session = replay_session(rec)
    assert is_replay(session) and not is_replay(make_session())
    ok = session.get(
        "https://api.stlouisfed.org/fred/series/observations",
        params={"series_id": "NFCI", "api_key": "SECRET", "file_type": "json"},
    )
    assert ok.status_code == 200 and ok.json() == {"observations": []}
    other = session.get("https://api.stlouisfed.org/fred/series/observations", params={"series_id": "DGS10"})
    assert other.status_code == 429
    assert [c.params.get("series_id") for c in session.replay.calls] == ["NFCI", "DGS10"]
    assert session.replay.calls[0].params["api_key"] == "***" and "SECRET" not in session.replay.calls[0].url


def test_replay_matches_form_bodies_and_streams_files(tmp_path: Path) -> None:
    rec = _recording(
        tmp_path,
        [
            {
                "method": "POST",
                "url": "https://hist.databento.com/v0/timeseries.get_range",
                "form": {"dataset": "GLBX.MDP3"},
                "file": "db/x.dbn.zst",
            }
        ],
        {"db/x.dbn.zst": b"\x28\xb5\x2f\xfd" + b"x" * 5000},
    )
    session = replay_session(rec)
    with session.post(
        "https://hist.databento.com/v0/timeseries.get_range", data={"dataset": "GLBX.MDP3", "start": "s"}, stream=True
    ) as response:
        body = b"".join(response.iter_content(1024))
    assert len(body) == 5004 and session.replay.calls[0].form["start"] == "s"


def test_replay_fails_loudly_on_an_unknown_request(tmp_path: Path) -> None:
    rec = _recording(tmp_path, [], {})
    with pytest.raises(ReplayMissError) as info:
        replay_session(rec).get("https://publicreporting.cftc.gov/resource/x.json", params={"api_key": "SECRET"})
    message = str(info.value)
    assert "no recorded response for GET https://publicreporting.cftc.gov/resource/x.json" in message
    assert "manifest.json" in message and "SECRET" not in message
    assert describe_failure(info.value, "https://publicreporting.cftc.gov/resource/x.json", 4) == message


def test_replay_manifest_problems_are_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"manifest\.json not found"):
        replay_session(tmp_path)
    _recording(tmp_path, [{"url": "https://x/y", "file": "missing.json"}], {})
    with pytest.raises(FileNotFoundError, match=r"missing file 'missing\.json'"):
        replay_session(tmp_path)
