"""`zlcast refresh` stage by stage, with fake sources, build and publication (no dbt, no network).

What a failing, refused or killed refresh leaves behind is the point: the data directory and the published
forecast stay as they were, and the run record says why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from zlcast.data.refresh import DataDirectory, ExitCode, RefreshConfig, _lock, refresh
from zlcast.data.sources import FetchResult, SourceError

REPO = Path(__file__).resolve().parents[3]
RUN_DATE = dt.date(2025, 7, 2)


class AppendZL:
    """A source that appends one ZL session (same contract, +1 %) to the futures file, or fails."""

    name = "futures"

    def __init__(self, required: bool = True, fail: bool = False, factor: float = 1.01, sleep: float = 0.0) -> None:
        self.required, self.fail, self.factor, self.sleep = required, fail, factor, sleep

    def fetch(self, data_dir: Path, work_dir: Path, today: dt.date) -> FetchResult:
        if self.fail:
            raise SourceError("futures: hist.databento.com unreachable (ConnectionError) after 4 tries")
        bars = pd.read_parquet(data_dir / "futures_daily.parquet")
        last = bars[bars["root"] == "ZL"].iloc[-1].copy()
        last["trade_date"] = pd.Timestamp(last["trade_date"]) + pd.offsets.BDay(1)
        for c in ("open", "high", "low", "close"):
            last[c] = last[c] * self.factor
        last["is_roll"] = False
        out = pd.concat([bars, last.to_frame().T.astype(bars.dtypes)], ignore_index=True)
        out.to_parquet(work_dir / "futures_daily.parquet", index=False)
        time.sleep(self.sleep)
        return FetchResult(
            source=self.name, endpoint="fake://futures", files={"futures_daily.parquet": 1}, detail="ZL +1 session"
        )


class Nothing:
    """An optional source that finds nothing new, or fails."""

    name = "cftc"
    required = False

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def fetch(self, data_dir: Path, work_dir: Path, today: dt.date) -> FetchResult:
        if self.fail:
            raise SourceError("cftc: publicreporting.cftc.gov answered 503 after 4 tries")
        return FetchResult(source=self.name, endpoint="fake://cftc", files={}, detail="nothing new")


class Calls:
    """Fake build / publish / report stages that record their calls."""

    def __init__(self, build_ok: bool = True) -> None:
        self.build_ok = build_ok
        self.built: list[Path] = []
        self.published: list[str] = []

    def builder(self, config: RefreshConfig, data_dir: Path, log: Path) -> dict[str, Any]:
        self.built.append(data_dir)
        assert (data_dir / "futures_daily.parquet").is_file()
        log.write_text("fake dbt\n")
        return {"status": "success" if self.build_ok else "error", "log": str(log)}

    def publisher(self, config: RefreshConfig, data_dir: Path) -> str:
        self.published.append(str(data_dir))
        return f"v{len(self.published)}"

    def reporter(self, config: RefreshConfig) -> str:
        return "state/report/report.html"


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def setup(demo_dir: Path, tmp_path: Path) -> tuple[RefreshConfig, DataDirectory]:
    state = tmp_path / "state"
    data = DataDirectory(state / "data")
    data.seed(demo_dir, "20250701T000000-seed")
    config = RefreshConfig.in_state(state, data.path, RUN_DATE, project_dir=REPO)
    return config, data


def _run(config: RefreshConfig, sources: list[Any], calls: Calls) -> tuple[Any, str]:
    out = io.StringIO()
    record = refresh(
        config, sources, builder=calls.builder, publisher=calls.publisher, reporter=calls.reporter, out=out
    )
    return record, out.getvalue()


def test_a_new_session_is_built_published_committed_and_recorded(setup) -> None:
    config, data = setup
    before = data.current()
    calls = Calls()
    record, log = _run(config, [AppendZL(), Nothing()], calls)
    assert record.exit_code == ExitCode.PUBLISHED and record.status == "published"
    assert data.current() != before and data.current().name == record.data_version_after
    assert record.rows_added == {"futures_daily.parquet": 1} and record.published_version == "v1"
    bars = pd.read_parquet(data.path / "futures_daily.parquet")
    assert len(bars) == len(pd.read_parquet(before / "futures_daily.parquet")) + 1
    saved = json.loads((config.runs_dir / f"{record.stamp}.json").read_text())
    assert saved["sources"][0]["endpoint"] == "fake://futures" and saved["exit_code"] == 0
    for stage in ("lock", "fetch", "validate", "build", "publish", "commit", "report", "record"):
        assert any(line.startswith(stage) for line in log.splitlines()), stage


def test_a_failed_required_source_changes_nothing(setup) -> None:
    config, data = setup
    before, files = data.current(), _digest(data.current())
    calls = Calls()
    record, log = _run(config, [AppendZL(fail=True)], calls)
    assert record.exit_code == ExitCode.SOURCE_FAILED
    assert "futures: hist.databento.com unreachable" in record.reason and "unreachable" in log
    assert calls.built == [] and calls.published == []
    assert data.current() == before and _digest(before) == files
    assert not list(data.versions.glob(".work-*"))


def test_a_failed_optional_source_publishes_with_a_warning(setup) -> None:
    config, _ = setup
    record, _ = _run(config, [AppendZL(), Nothing(fail=True)], Calls())
    assert record.exit_code == ExitCode.PUBLISHED_WITH_WARNINGS
    assert any("optional source cftc failed" in w for w in record.warnings)


def test_data_failing_a_gate_is_neither_built_nor_published(setup) -> None:
    config, data = setup
    before = data.current()
    calls = Calls()
    record, _ = _run(config, [AppendZL(factor=0.01)], calls)
    assert record.exit_code == ExitCode.DATA_REJECTED and "root ZL" in record.reason
    assert calls.built == [] and calls.published == [] and data.current() == before


def test_a_failed_build_publishes_nothing_and_keeps_the_data_directory(setup) -> None:
    config, data = setup
    before = data.current()
    calls = Calls(build_ok=False)
    record, _ = _run(config, [AppendZL()], calls)
    assert record.exit_code == ExitCode.BUILD_FAILED and calls.published == []
    assert data.current() == before and record.build["status"] == "error"


def test_nothing_new_builds_nothing(setup) -> None:
    config, _ = setup
    calls = Calls()
    record, _ = _run(config, [Nothing()], calls)
    assert record.exit_code == ExitCode.PUBLISHED and record.status == "up to date" and calls.built == []


def test_two_refreshes_never_overlap(setup) -> None:
    config, data = setup
    before = data.current()
    with _lock(config.state_dir / "refresh.lock"):
        record, _ = _run(config, [AppendZL()], Calls())
    assert record.exit_code == ExitCode.LOCKED and "another refresh is running" in record.reason
    assert data.current() == before


def test_a_killed_refresh_leaves_the_data_directory_and_the_next_run_cleans_up(setup, tmp_path: Path) -> None:
    config, data = setup
    before, files = data.current(), _digest(data.current())
    script = f"""
import datetime as dt, sys
from pathlib import Path
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_refresh import AppendZL, Calls
from zlcast.data.refresh import RefreshConfig, refresh
config = RefreshConfig(data_dir=Path({str(config.data_dir)!r}), state_dir=Path({str(config.state_dir)!r}),
    run_date=dt.date(2025, 7, 2), runs_dir=Path({str(config.runs_dir)!r}),
    roots_seed=Path({str(config.roots_seed)!r}), macro_seed=Path({str(config.macro_seed)!r}))
print("started", flush=True)
calls = Calls()
refresh(config, [AppendZL(sleep=60)], builder=calls.builder, publisher=calls.publisher, reporter=None)
"""
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 60
    while not list(data.versions.glob(".work-*/futures_daily.parquet")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # the fake source is sleeping after writing its file
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert data.current() == before and _digest(before) == files
    assert list(data.versions.glob(".work-*"))  # the half-written version is still there ...
    record, _ = _run(config, [AppendZL()], Calls())  # ... and the next run (the lock died with the process) cleans up
    assert record.exit_code == ExitCode.PUBLISHED_WITH_WARNINGS
    assert any("unfinished data version of an earlier run" in w for w in record.warnings)
    assert not list(data.versions.glob(".work-*")) and data.current() != before


def test_a_plain_directory_is_not_managed_until_seeded(demo_dir: Path, tmp_path: Path) -> None:
    config = RefreshConfig(data_dir=demo_dir, state_dir=tmp_path, runs_dir=tmp_path / "runs")
    record, _ = _run(config, [AppendZL()], Calls())
    assert record.exit_code == ExitCode.ERROR and "--seed-from" in record.reason
