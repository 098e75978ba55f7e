"""One-command benchmark: the product's forecast skill against peers and the random walk; dbt stage timings.

Usage
-----
    python benchmarks/run_benchmark.py --data-dir ../shared/data --start 2020-01-02 --end 2025-06-30 \
        [--warehouse state/real.duckdb] [--out benchmark_out/] [--timings]

Scores ``zl_ensemble`` (and the best L0 models) from a built warehouse -- built here with ``dbt build`` into a
temporary DuckDB when ``--warehouse`` is not given -- and the peers (EWMA and empirical random walks, statsforecast
AutoETS with conformal intervals, AutoGluon-TS on ZL alone, the LightGBM baseline) on the same origins. Writes
``benchmark.md``, ``scores.csv``, ``var_backtest.csv``, ``skill_coverage.png`` (and ``timings.csv`` with
``--timings``) to ``--out``. On the reference window the EWMA random walk's 20-day pinball must be 0.02275 ± 0.00005;
the script exits with status 1 when it is not (``--no-rw-check`` turns the check off, e.g. for other data).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the benchmarks package

from benchmarks.harness import (  # noqa: E402
    PEERS,
    REFERENCE_RW20,
    REFERENCE_WINDOW,
    AutoGluonPeerSettings,
    BenchmarkConfig,
    Progress,
    display_path,
    report_markdown,
    run_benchmark,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line arguments.

    Parameters
    ----------
    argv : list of str, optional

    Returns
    -------
    argparse.Namespace
    """
    default_data = os.environ.get("ZL_DATA_DIR") or str(REPO.parent / "shared" / "data")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path(default_data),
        help="data directory (default $ZL_DATA_DIR or ../shared/data)",
    )
    p.add_argument("--start", default=str(REFERENCE_WINDOW[0].date()), help="first origin (inclusive)")
    p.add_argument("--end", default=str(REFERENCE_WINDOW[1].date()), help="last origin (inclusive)")
    p.add_argument(
        "--warehouse", type=Path, default=None, help="built DuckDB warehouse (read-only); default: build one"
    )
    p.add_argument("--out", type=Path, default=Path("benchmark_out"), help="report folder")
    p.add_argument("--timings", action="store_true", help="time a full dbt build and a second one with no new data")
    p.add_argument("--no-product", action="store_true", help="score the peers only (no warehouse, no dbt)")
    p.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated peers from {','.join(PEERS)}")
    p.add_argument("--n-best-l0", type=int, default=3, help="best L0 models scored beside the ensemble")
    p.add_argument("--ag-time-limit", type=int, default=300, help="seconds per yearly AutoGluon-TS fit")
    p.add_argument("--ag-models", default="Naive,SeasonalNaive,ETS,Theta,RecursiveTabular")
    p.add_argument("--ag-context", type=int, default=512, help="rows of context per AutoGluon-TS origin")
    p.add_argument("--ets-windows", type=int, default=20, help="conformal windows of the AutoETS peer")
    p.add_argument("--threads", type=int, default=1, help="dbt threads (1: exact per-stage peak memory)")
    p.add_argument("--dbt-vars", default="{}", help='extra dbt --vars as JSON, e.g. \'{"forecast_preset": "fast"}\'')
    p.add_argument("--artifact-dir", type=Path, default=None, help="predictor store of dbt builds (default: fresh)")
    p.add_argument("--work-dir", type=Path, default=None, help="keep dbt builds here (default: temporary)")
    p.add_argument("--no-rw-check", action="store_true", help="skip the reference check of the random walk")
    return p.parse_args(argv)


def config_from_args(a: argparse.Namespace) -> BenchmarkConfig:
    """Benchmark settings from the command line.

    Parameters
    ----------
    a : argparse.Namespace

    Returns
    -------
    BenchmarkConfig
    """
    start, end = pd.Timestamp(a.start), pd.Timestamp(a.end)
    on_reference = (start, end) == REFERENCE_WINDOW
    return BenchmarkConfig(
        data_dir=a.data_dir,
        start=start,
        end=end,
        out_dir=a.out,
        warehouse=a.warehouse,
        product=not a.no_product,
        timings=a.timings,
        peers=tuple(s.strip() for s in a.peers.split(",") if s.strip()),
        n_best_l0=a.n_best_l0,
        autogluon=AutoGluonPeerSettings(
            models=tuple(s.strip() for s in a.ag_models.split(",") if s.strip()),
            time_limit_s=a.ag_time_limit,
            context_length=a.ag_context,
        ),
        ets_windows=a.ets_windows,
        project_dir=REPO,
        work_dir=a.work_dir,
        dbt_threads=a.threads,
        dbt_vars=json.loads(a.dbt_vars),
        artifact_dir=a.artifact_dir,
        rw_check=None if a.no_rw_check or not on_reference else REFERENCE_RW20,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report.

    Parameters
    ----------
    argv : list of str, optional

    Returns
    -------
    int
        0, or 1 when the reference check fails.
    """
    args = parse_args(argv)
    cfg = config_from_args(args)
    result = run_benchmark(cfg, Progress())
    print()
    print(report_markdown(result, cfg))
    print("files: " + ", ".join(display_path(p) for p in result.files.values()))
    check = result.rw_check
    if check is not None and not check["passed"]:
        print(
            f"REFERENCE CHECK FAILED: rw_ewma_normal 20-day pinball {check['value']:.6f} is not "
            f"{check['expected']:.5f} ± {check['tol']:.5f}",
            file=sys.stderr,
        )
        return 1
    if check is not None:
        print(
            f"reference check passed: rw_ewma_normal 20-day pinball {check['value']:.6f} "
            f"(expected {check['expected']:.5f} ± {check['tol']:.5f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
