"""Benchmark the forecast layer (L0 models) with dbt on a data directory.

Usage: python benchmarks/benchmark_forecast.py [DATA_DIR] [--threads N] [--preset fast] [--keep DIR]

1. builds the whole project on the data minus its last ZL session, with a fresh predictor store (cold: every
   walk-forward and live predictor is trained);
2. builds again on the full data (one more day) with the same store: the retrain policy keeps the live cutoff, so
   stored predictors are reused and only the new dates are predicted.
Prints per-model wall time, the L0 total and L0 wall span, and the peak RSS of each build (dbt plus its fit workers).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the benchmarks package

from benchmarks.harness import RssSampler  # noqa: E402
from zlcast.data.demo_recording import cut_data_dir  # noqa: E402

L0_PREFIXES = ("ml_specialist__", "ml_baseline_lightgbm", "ml_core_timeseries", "ml_cv_folds", "ml_rw_ewma")


def build(data: Path, work: Path, store: Path, threads: int, preset: str, label: str) -> None:
    env = dict(os.environ, ZL_DATA_DIR=str(data), ZL_DUCKDB_PATH=str(work / f"{label}.duckdb"))
    vars_ = json.dumps({"forecast_artifact_dir": str(store), "forecast_preset": preset})
    target = work / f"target_{label}"
    t0 = time.perf_counter()
    with open(work / f"{label}.stdout", "w") as log:
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "dbt"),
                "build",
                "--threads",
                str(threads),
                "--vars",
                vars_,
                "--target-path",
                str(target),
                "--log-path",
                str(work / "logs"),
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        sampler = RssSampler(proc.pid)  # RSS of the dbt process plus its fit workers, summed
        sampler.start()
        proc.wait()
        sampler.stop()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print((work / f"{label}.stdout").read_text()[-4000:])
        raise SystemExit(f"dbt build failed ({label})")
    res = json.loads((target / "run_results.json").read_text())["results"]
    times = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in res if r["unique_id"].startswith("model.")}
    l0 = {k: v for k, v in times.items() if k.startswith(L0_PREFIXES)}
    print(
        f"\n== {label}: dbt build wall {wall:7.1f} s, peak RSS {sampler.peak:7.0f} MiB (dbt + fit workers), "
        f"threads {threads}"
    )
    for name, t in sorted(l0.items(), key=lambda kv: -kv[1]):
        print(f"   {name:32s} {t:7.1f} s")
    print(f"   {'L0 models, summed model time':32s} {sum(l0.values()):7.1f} s")
    spans = [t for r in res if r["unique_id"].split(".")[-1] in l0 for t in r.get("timing", []) if t.get("started_at")]
    if spans:
        start = min(pd.Timestamp(t["started_at"]) for t in spans)
        end = max(pd.Timestamp(t["completed_at"]) for t in spans)
        print(f"   {'L0 layer wall (first start..last end)':32s} {(end - start).total_seconds():7.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "data_dir", nargs="?", default=os.environ.get("ZL_DATA_DIR", str(REPO.parent / "shared" / "data"))
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--keep", default=None, help="keep warehouses and store in this folder")
    args = parser.parse_args()
    data = Path(args.data_dir).resolve()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="zl_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    zl = pd.read_parquet(data / "futures_daily.parquet", filters=[("root", "=", "ZL")])
    dates = sorted(pd.to_datetime(zl["trade_date"]).unique())
    cut = cut_data_dir(data, work / "data_minus_1", pd.Timestamp(dates[-2]))
    store = work / "predictors"
    print(
        f"data {data}; cold build on data to {pd.Timestamp(dates[-2]).date()}, "
        f"warm build to {pd.Timestamp(dates[-1]).date()}"
    )
    build(cut, work, store, args.threads, args.preset, "cold")
    build(data, work, store, args.threads, args.preset, "warm_plus_one_day")
    print(f"\nwork folder: {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
