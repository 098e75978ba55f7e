"""Fault tests of `zlcast publish`: concurrent readers, killed and failing builds, determinism, retention.

Each test builds the SQL side (seeds, staging -> features and targets, with their dbt tests) on demo data in
its own temporary folder and publishes with the command line, like `dbt build && zlcast publish` would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from bi_clients import READER_LOOP
from dbt_helpers import (
    REPO,
    SQL_SIDE_BUILD,
    copy_data_dir,
    copy_warehouse,
    dbt_env,
    publish_cli,
    publish_ok,
    read_table,
    run_dbt,
)

from zlcast.data.demo_recording import cut_data_dir
from zlcast.serve.publish import (
    CATALOG_NAME,
    PublishConfig,
    PublishError,
    current_version,
    fingerprint_sql,
    open_published,
    prune_versions,
    publish,
    read_build_results,
    set_current,
)

pytestmark = pytest.mark.dbt

TABLES = ("fct_zl_features", "fct_zl_targets")

# A BI reader: holds one connection to the published catalog for its whole life ("held") and opens a fresh one
# every round ("fresh"); every 50 ms it fingerprints every table in one query and appends a JSON line.
READER = (
    r"""
import contextlib, json, sys, time
from pathlib import Path
from zlcast.serve.publish import fingerprint_sql, open_published

root, out, stop, tables = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4].split(",")
sql = ("select (select version from zl_publish_info limit 1) as version, * from "
       + " cross join ".join(f"({fingerprint_sql(t)}) as {t}" for t in tables))

def sample(con, mode):
    try:
        row = con.execute(sql).fetchone()
        return {"mode": mode, "version": row[0], "values": [str(v) for v in row[1:]]}
    except Exception as exc:
        return {"mode": mode, "error": repr(exc)}

held = open_published(root)
open_fresh = lambda: contextlib.closing(open_published(root))
PERIOD_S = 0.05
"""
    + READER_LOOP
)


# ----------------------------------------------------------------------------------------------- helpers


def _snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root``: symlink target, file sha256, or 'dir'."""
    snap = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            snap[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            snap[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            snap[rel] = "dir"
    return snap


def _signature(manifest: dict) -> tuple[str, ...]:
    """(rows, fingerprint) of every published table, in TABLES order: what the reader measures."""
    by_name = {t["name"]: t for t in manifest["tables"]}
    return tuple(v for name in TABLES for v in (str(by_name[name]["rows"]), by_name[name]["fingerprint"]))


def _table_fingerprints(db: Path) -> dict[str, tuple[int, str]]:
    """(rows, content fingerprint) of every table in the warehouse's main schema."""
    names = read_table(db, "select table_name from duckdb_tables() where schema_name = 'main'")["table_name"]
    return {n: tuple(read_table(db, fingerprint_sql(f'"{n}"')).iloc[0]) for n in names}


def _wait_for_version(results_file: Path, version: str, timeout_s: float = 120) -> None:
    """Wait until the reader has seen ``version`` on a fresh connection a few times."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lines = results_file.read_text().splitlines()
        if sum(1 for line in lines if f'"version": "{version}"' in line and '"fresh"' in line) >= 5:
            return
        time.sleep(0.1)
    raise AssertionError(f"the reader never saw version {version} on a fresh connection")


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo_data(demo_dir: Path) -> Path:
    """The deterministic demo data set (the session's)."""
    return demo_dir


@pytest.fixture(scope="module")
def earlier_data(tmp_path_factory: pytest.TempPathFactory, demo_data: Path) -> Path:
    """The demo data as it was a year earlier: a build on it gives different marts."""
    return cut_data_dir(demo_data, tmp_path_factory.mktemp("publish_earlier"), pd.Timestamp("2024-06-28"))


@pytest.fixture(scope="module")
def build_a(tmp_path_factory: pytest.TempPathFactory, sql_warehouse: Path) -> Path:
    """Warehouse of a successful `dbt build` of the whole project on the demo data (a copy of the session's, with
    its target/ beside it)."""
    return copy_warehouse(sql_warehouse, tmp_path_factory.mktemp("publish_a"))


@pytest.fixture(scope="module")
def build_b(tmp_path_factory: pytest.TempPathFactory, earlier_data: Path) -> Path:
    """Warehouse of a successful SQL-side `dbt build` on the earlier data."""
    db = tmp_path_factory.mktemp("publish_b") / "zl.duckdb"
    run_dbt(SQL_SIDE_BUILD, db, earlier_data)
    return db


# ------------------------------------------------------------------------------------------------- tests


def test_reader_sees_whole_old_or_whole_new_version_while_a_new_one_is_published(
    tmp_path: Path, build_a: Path, build_b: Path
) -> None:
    out = tmp_path / "published"
    old = publish_ok(build_a, out)
    results_file, stop = tmp_path / "reader.jsonl", tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(out), str(results_file), str(stop), ",".join(TABLES)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stderr is not None
        assert reader.stdout.readline().strip() == "ready", reader.stderr.read()
        time.sleep(0.5)
        new = publish_ok(build_b, out, "--keep", "1", "--grace-s", "0")  # would delete the old one if unused
        old_dir_after_publish = (out / "versions" / old["version"]).is_dir()
        _wait_for_version(results_file, new["version"])
    finally:
        stop.touch()
        reader.wait(timeout=60)
    assert reader.returncode == 0, reader.stderr.read() if reader.stderr else ""
    results = [json.loads(line) for line in results_file.read_text().splitlines()]
    assert not [r for r in results if "error" in r], [r for r in results if "error" in r][:5]

    versions = {old["version"]: _signature(old), new["version"]: _signature(new)}
    assert _signature(old) != _signature(new)
    for r in results:  # never a mix: every answer is one version's exact (rows, fingerprint) set
        assert tuple(r["values"]) == versions[r["version"]], r
    held = [r["version"] for r in results if r["mode"] == "held"]
    fresh = [r["version"] for r in results if r["mode"] == "fresh"]
    assert set(held) == {old["version"]}, "a connection opened before the publish must keep its version"
    assert fresh[0] == old["version"] and fresh[-1] == new["version"]
    switch = fresh.index(new["version"])
    assert set(fresh[switch:]) == {new["version"]}, "after the switch no reader may see the old version again"
    assert old_dir_after_publish, "pruning deleted a version a reader held open"
    assert prune_versions(out, keep=1, grace_s=0).removed == [old["version"]], "unused old version not pruned"


def test_build_killed_mid_way_leaves_published_outputs_unchanged(
    tmp_path: Path, build_a: Path, earlier_data: Path
) -> None:
    db = copy_warehouse(build_a, tmp_path / "wh")
    out = tmp_path / "published"
    publish_ok(db, out)
    before = _snapshot(out)
    tables_before = _table_fingerprints(db)
    pidfile = tmp_path / "dbt.pid"
    dbt = Path(sys.executable).parent / "dbt"
    # `make build`'s line: dbt build && zlcast publish (dbt in the background only to learn its pid).
    script = (
        f'"{dbt}" {" ".join(SQL_SIDE_BUILD)} --target-path "{db.parent / "target"}" '
        f'--log-path "{db.parent / "logs"}" & echo $! > "{pidfile}"; wait $! && '
        f'"{sys.executable}" -m zlcast.serve.publish --warehouse "{db}" --target-path "{db.parent / "target"}" '
        f'--out "{out}"'
    )
    pipeline = subprocess.Popen(
        ["sh", "-c", script],
        cwd=REPO,
        env=dbt_env(db, earlier_data),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen = []
    assert pipeline.stdout is not None
    for line in pipeline.stdout:
        seen.append(line)
        if "OK created sql table model" in line:  # the model layer has started writing the warehouse
            os.kill(int(pidfile.read_text()), signal.SIGKILL)
            break
    rest = pipeline.communicate(timeout=300)[0]
    assert pipeline.returncode != 0, "dbt finished before it was killed:\n" + "".join(seen[-20:]) + rest

    tables_after = _table_fingerprints(db)
    assert tables_after["fct_zl_features"] == tables_before["fct_zl_features"], "the kill came too late"
    assert tables_after != tables_before, "the kill came before any model was rebuilt"
    assert _snapshot(out) == before

    manual = publish_cli(db, out)  # an operator publishing by hand after the crash is refused too
    assert manual.returncode == 2 and "did not finish" in manual.stderr, manual.stdout + manual.stderr
    assert _snapshot(out) == before


def test_build_whose_data_tests_fail_is_not_published(tmp_path: Path, build_a: Path, demo_data: Path) -> None:
    db = copy_warehouse(build_a, tmp_path / "wh")
    out = tmp_path / "published"
    publish_ok(db, out)
    before = _snapshot(out)
    # A typo in the EPA RIN export ($12.40 for $1.24 a RIN) passes the input contract (a dollar price) and the
    # plausibility gates (futures only) but fails a dbt data test (D6 price within 0..10 USD).
    bad = copy_data_dir(demo_data, tmp_path / "bad")
    header = "Transfer Date by Week,Transfer Year,RIN Year,Fuel (D Code),QAP Service Type,RIN Price\n"
    weeks = [("1/8/2024", "$0.62"), ("1/15/2024", "$0.60"), ("1/22/2024", "$12.40")]
    rows = "".join(f'"{w}","2024","2024","D6","Unverified","{p}"\n' for w, p in weeks)
    (bad / "epa_rin_prices_d6.csv").write_text(header + rows, encoding="utf-8")

    build = run_dbt(SQL_SIDE_BUILD, db, bad, check=False)
    assert build.returncode != 0, build.stdout[-3000:]
    results = json.loads((db.parent / "target" / "run_results.json").read_text())["results"]
    failed = [r["unique_id"] for r in results if r["status"] == "fail"]
    assert failed and all(uid.startswith("test.") for uid in failed), build.stdout[-3000:]

    refused = publish_cli(db, out)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert all(uid in refused.stderr for uid in failed), refused.stderr
    assert _snapshot(out) == before


def test_refusal_lists_every_failed_errored_or_skipped_node(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    statuses = {
        "model.p.ok": "success",
        "model.p.broken": "error",
        "test.p.range": "fail",
        "model.p.downstream": "skipped",
        "test.p.fine": "pass",
        "test.p.soft": "warn",
    }
    run_results = {
        "metadata": {"invocation_id": "abc", "generated_at": "2026-01-01T00:00:00Z"},
        "args": {"which": "build"},
        "results": [
            {"unique_id": u, "status": s, "message": f"{s} message", "failures": 3 if s == "fail" else None}
            for u, s in statuses.items()
        ],
    }
    (target / "run_results.json").write_text(json.dumps(run_results))
    with pytest.raises(PublishError) as err:
        read_build_results(target)
    message = str(err.value)
    assert "3 failed node(s)" in message
    assert all(uid in message for uid in ("model.p.broken", "test.p.range", "model.p.downstream"))
    assert not any(uid in message for uid in ("model.p.ok", "test.p.fine", "test.p.soft"))

    run_results["results"] = [r for r in run_results["results"] if r["status"] in {"success", "pass", "warn"}]
    (target / "run_results.json").write_text(json.dumps(run_results))
    assert read_build_results(target).invocation_id == "abc"
    run_results["args"]["which"] = "test"
    (target / "run_results.json").write_text(json.dumps(run_results))
    with pytest.raises(PublishError, match="not build"):
        read_build_results(target)
    with pytest.raises(PublishError, match="not found"):
        read_build_results(tmp_path / "no_target")


def test_publishing_the_same_warehouse_twice_gives_identical_parquet_checksums(tmp_path: Path, build_a: Path) -> None:
    out = tmp_path / "published"
    config = PublishConfig(
        warehouse=build_a, target_path=build_a.parent / "target", out_dir=out, tables=TABLES, data_dir="demo"
    )
    first, second = publish(config), publish(config)
    assert first.version_dir != second.version_dir
    assert first.manifest["content_hash"] == second.manifest["content_hash"]
    for a, b in zip(first.manifest["tables"], second.manifest["tables"], strict=True):
        assert (a["name"], a["sha256"], a["rows"], a["fingerprint"]) == (
            b["name"],
            b["sha256"],
            b["rows"],
            b["fingerprint"],
        )
        assert (first.version_dir / a["file"]).read_bytes() == (second.version_dir / b["file"]).read_bytes()
        assert hashlib.sha256((second.version_dir / b["file"]).read_bytes()).hexdigest() == b["sha256"]


def test_published_folder_still_reads_after_it_is_moved(tmp_path: Path, build_a: Path) -> None:
    out = tmp_path / "published"
    manifest = publish_ok(build_a, out)
    moved = tmp_path / "elsewhere" / "published"
    moved.parent.mkdir()
    shutil.move(out, moved)
    con = open_published(moved)
    try:
        for table in manifest["tables"]:
            n_rows, fingerprint = con.execute(fingerprint_sql(f'"{table["name"]}"')).fetchone()
            assert (n_rows, fingerprint) == (table["rows"], table["fingerprint"])
    finally:
        con.close()
    n_info = read_table(moved / "current" / CATALOG_NAME, "select count(*) as n from zl_publish_info")["n"].iloc[0]
    assert n_info == len(manifest["tables"])


def test_retention_keeps_newest_current_recently_superseded_and_recently_opened_versions(
    tmp_path: Path, build_a: Path
) -> None:
    out = tmp_path / "published"
    config = PublishConfig(
        warehouse=build_a, target_path=build_a.parent / "target", out_dir=out, tables=TABLES, keep=10
    )
    names = [publish(config).version_dir.name for _ in range(4)]
    assert prune_versions(out, keep=1, grace_s=3600).removed == [], "recently superseded versions were deleted"
    set_current(out, names[1])
    open_published(out).close()  # a reader opens names[1] ...
    set_current(out, names[0])  # ... then an operator rolls back to the oldest
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)  # every version superseded long ago by then
    reader_marker = out / ".readers" / names[1]
    os.utime(reader_marker, (later.timestamp() - 60, later.timestamp() - 60))  # ... opened a minute before
    report = prune_versions(out, keep=1, grace_s=300, now=later)
    assert report.removed == [names[2]]
    assert report.kept == {names[0]: "current", names[1]: "opened less than 300 s ago", names[3]: "among the newest 1"}
    assert current_version(out) == (out / "versions" / names[0]).resolve()
    with pytest.raises(PublishError, match="no such published version"):
        set_current(out, names[2])
