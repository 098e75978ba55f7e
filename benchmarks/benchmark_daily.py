"""The daily path on the real data: one new session from the sources to a new published version, per stage.

Usage: python benchmarks/benchmark_daily.py [DATA_DIR] --work DIR [--cut 2025-06-26] [--threads N]
       [--seed-predictors DIR]

1. Yesterday's data: DATA_DIR (default ../shared/data) cut at ``--cut`` (futures, macro observations, events and
   EPA transfer weeks after it dropped).
2. Two recordings (zlcast.data.demo_recording.write_recording) of the providers' responses for the next two real
   sessions: a Databento DBN file built from the real daily rows of the re-fetched window and the new session,
   FRED/ALFRED vintages of the real macro files (each value published the day before its release-lag date), the
   CFTC API.
3. Refresh 1 (not timed for the figure), in ``<work>/state``: seeds the managed data directory, converts the macro
   files to point-in-time vintages and, on a new ``--work``, builds the warehouse cold (every predictor fitted into
   ``<work>/state/predictors``; ``--seed-predictors`` copies a store of an earlier real-data build there first, so
   only the fits whose training data differ run). The state is then kept as ``<work>/after_refresh_1``.
4. Refresh 2 (the figure), in ``<work>/state`` again (same paths as the day before, as in production, so dbt's
   partial parse holds): the next session with stored predictors and the incremental models, from ``zlcast
   refresh`` start to the new published version; the fetch stage (network time in production) is shown apart.
   Per-stage seconds, the dbt nodes that took longest, and the peak RSS of the refresh process and its dbt build
   (each refresh runs in its own process).

Nothing here is a test; it prints figures. Rerunning with the same ``--work`` repeats refresh 2 on a fresh copy of
the state after refresh 1 (warehouse, data directory, publication and predictor store).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from zlcast.data.demo_recording import cut_data_dir, tables_from_data_dir, write_recording  # noqa: E402
from zlcast.data.refresh import DataDirectory, RefreshConfig, refresh  # noqa: E402
from zlcast.data.sources import default_sources, replay_session  # noqa: E402


def run_refresh(state: Path, recording: Path, run_date: dt.date, dbt_args: tuple[str, ...], cftc: bool) -> dict:
    """One refresh from a recording in its own process (as a scheduler runs it, so its peak RSS is its own).

    Prints its stage lines and returns its run record. ``cftc``: the data set carries a CFTC file (the real one
    does not: the CFTC source is left out, not failed).
    """
    job = {"state": str(state), "recording": str(recording), "run_date": str(run_date), "dbt_args": list(dbt_args)}
    proc = subprocess.run(
        [sys.executable, __file__, "--one-refresh", json.dumps({**job, "cftc": cftc})],
        capture_output=True,
        text=True,
        check=False,
    )
    print(proc.stdout, end="")
    runs = sorted((state / "runs").glob("*.json"))
    if proc.returncode not in (0, 3) or not runs:
        raise SystemExit(f"refresh failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(runs[-1].read_text())


def one_refresh(job: dict) -> int:
    """The body of :func:`run_refresh` (``--one-refresh JSON``)."""
    state = Path(job["state"])
    config = RefreshConfig.in_state(
        state, state / "data", dt.date.fromisoformat(job["run_date"]), project_dir=REPO, dbt_args=tuple(job["dbt_args"])
    )
    sources = default_sources({"ZL_SEEDS_DIR": str(REPO / "seeds")}, session=replay_session(Path(job["recording"])))
    sources = [src for src in sources if job["cftc"] or src.name != "cftc"]
    out = io.StringIO()
    record = refresh(config, sources, out=out)
    print(out.getvalue(), end="")
    return int(record.exit_code)


def slowest_nodes(target: Path, n: int = 12) -> list[tuple[str, float]]:
    """The dbt nodes of the last invocation that took longest."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    times = sorted(((r["unique_id"].split(".")[-1], float(r["execution_time"])) for r in results), key=lambda x: -x[1])
    return times[:n]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data_dir", nargs="?", default=str(REPO.parent / "shared" / "data"))
    p.add_argument("--work", help="working folder (kept: a rerun reuses refresh 1)")
    p.add_argument("--cut", default="2025-06-26", help="last date of yesterday's data")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--seed-predictors", default=None, help="predictor store copied in before refresh 1")
    p.add_argument("--one-refresh", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one_refresh:
        return one_refresh(json.loads(args.one_refresh))
    if not args.work:
        p.error("--work is required")
    os.chdir(REPO)
    src, work = Path(args.data_dir), Path(args.work).resolve()
    cut = pd.Timestamp(args.cut)
    tables = tables_from_data_dir(src)
    seed = REPO / "seeds" / "macro_series.csv"
    cftc = (src / "cftc_cot.csv").is_file()
    if not cftc:
        print(f"{src} has no cftc_cot.csv: the refreshes run without the (optional) CFTC source")
    live = work / "state"  # where both refreshes run (the same paths each day, as in production)
    snapshot = work / "after_refresh_1"
    threads = ("--threads", str(args.threads)) if args.threads else ()
    dbt_args = ("--vars", json.dumps({"forecast_artifact_dir": str(live / "predictors")}), *threads)
    if not (snapshot / "zl.duckdb").is_file():
        shutil.rmtree(work, ignore_errors=True)
        if args.seed_predictors:
            shutil.copytree(args.seed_predictors, live / "predictors")
        yesterday = cut_data_dir(src, work / "yesterday", cut)
        rec1 = write_recording(tables, cut.date(), work / "recording_1", seed, data_dir=yesterday)
        DataDirectory(live / "data").seed(yesterday, "yesterday")
        print(f"== refresh 1 (cold build, point-in-time macro conversion): {cut.date()} -> {rec1.run_date}")
        first = run_refresh(live, rec1.folder, rec1.run_date, dbt_args, cftc)
        print(f"   exit {first['exit_code']}, stages {first['stages']}")
        shutil.copytree(live, snapshot, symlinks=True)
    rec_day = json.loads(sorted((snapshot / "runs").glob("*.json"))[-1].read_text())["run_date"]
    shutil.rmtree(live, ignore_errors=True)
    shutil.copytree(snapshot, live, symlinks=True)  # the state after refresh 1, predictor store included
    rec2 = write_recording(tables, dt.date.fromisoformat(rec_day), work / "recording_2", seed, data_dir=live / "data")
    print(f"\n== refresh 2 (the figure: one new session, stored predictors): {rec_day} -> {rec2.run_date}")
    second = run_refresh(live, rec2.folder, rec2.run_date, dbt_args, cftc)
    s = second["stages"]
    to_publish = sum(s.get(k, 0.0) for k in ("lock", "fetch", "validate", "build", "publish"))
    print(f"\nexit code {second['exit_code']}; status {second['status']}; warnings {len(second['warnings'])}")
    print(
        f"from refresh start to the new published version: {to_publish:.1f} s "
        f"({to_publish - s.get('fetch', 0.0):.1f} s without the fetch stage); whole run {s['total']:.1f} s"
    )
    for k in ("lock", "fetch", "validate", "build", "publish", "commit", "report"):
        print(f"  {k:<9} {s.get(k, 0.0):6.1f} s")
    print(f"peak RSS (refresh process and its dbt build): {second['peak_rss_mib']:.0f} MiB")
    print("slowest dbt nodes of the build:")
    for name, secs in slowest_nodes(live / "target"):
        print(f"  {secs:6.2f} s  {name}")
    return 0 if second["exit_code"] in (0, 3) else 1


if __name__ == "__main__":
    sys.exit(main())
