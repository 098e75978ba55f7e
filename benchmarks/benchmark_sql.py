"""Benchmark the SQL side (staging -> Big 8 features -> fct_zl_features/targets) on a data directory.

Usage: python benchmarks/benchmark_sql.py [DATA_DIR] [--repeat N]
DATA_DIR defaults to $ZL_DATA_DIR, else ../shared/data beside the repository.
Prints wall time and peak memory of `dbt build` (models + tests) and of `dbt run` (models only),
the feature layer's summed model time, per-model times, and per-bucket fill rates from 2012.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
SELECT = ["--select", "+fct_zl_features", "+fct_zl_targets"]


def _dbt(args: list[str], db: Path, data: Path) -> tuple[float, dict]:
    env = dict(os.environ, ZL_DUCKDB_PATH=str(db), ZL_DATA_DIR=str(data), ZL_PREIMPORT_AUTOGLUON="false")
    target = db.parent / "target"
    t0 = time.perf_counter()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            *args,
            *SELECT,
            "--target-path",
            str(target),
            "--log-path",
            str(db.parent / "logs"),
        ],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - t0
    return wall, json.loads((target / "run_results.json").read_text())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "data_dir", nargs="?", default=os.environ.get("ZL_DATA_DIR", str(REPO.parent / "shared" / "data"))
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = Path(args.data_dir).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        wall_build, build_results = _dbt(["build"], db, data)
        runs = [_dbt(["run"], db, data) for _ in range(args.repeat)]
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        best_wall, results = min(runs, key=lambda r: r[0])
        per_model = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results["results"]}
        feature_layer = sum(t for name, t in per_model.items() if name.startswith(("int_", "fct_")))
        print(f"data: {data}")
        print(f"dbt build (models + {len(build_results['results'])} nodes incl. tests): {wall_build:6.2f} s wall")
        print(
            f"dbt run   (models only, best of {args.repeat}):      {best_wall:6.2f} s wall (includes ~3 s dbt start-up)"
        )
        print(f"feature layer (int_* + fct_* model time):   {feature_layer:6.2f} s")
        print(f"peak memory of a dbt process:               {peak_mb:6.0f} MiB")
        for name, t in sorted(per_model.items(), key=lambda kv: -kv[1]):
            print(f"  {name:38s} {t:6.3f} s")
        with duckdb.connect(str(db), read_only=True) as con:
            f = con.sql("select * from fct_zl_features where trade_date >= '2012-01-01'").df()
        feats = [c for c in f.columns if "__" in c]
        print(f"\nfill rate from 2012 ({len(f)} ZL sessions), min over each bucket's features:")
        for bucket in sorted({c.split("__")[0] for c in feats}):
            cols = [c for c in feats if c.startswith(bucket + "__")]
            print(
                f"  {bucket:11s} {len(cols):2d} features  min {f[cols].notna().mean().min():.4f}  "
                f"mean {f[cols].notna().mean().mean():.4f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
