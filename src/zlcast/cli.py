"""Command line of the zlcast package: ``zlcast <command>``.

Commands
--------
load-dbn PATH... --out FILE [--later-files-win]
    Build ``futures_daily.parquet`` from Databento ``*.ohlcv-1h.dbn.zst`` files or folders (``--later-files-win``
    for the overlapping raw responses a refresh keeps in ``raw/databento/``).
demo-data [--out DIR] [--seed N] [--recording DIR [--sessions N]]
    Write the deterministic synthetic demo data set (and the providers' recorded responses for the next session).
validate [DIR]
    Check a data directory against the input contract and the plausibility gates (default: ``$ZL_DATA_DIR``).
refresh [--data-dir DIR] [--seed-from DIR] [--replay DIR]
    The daily service: fetch from the sources, validate, ``dbt build``, publish, report (exit codes in
    :mod:`zlcast.data.refresh`).
report
    Render a self-contained HTML report with PNG charts (``state/report/report.html``).
publish
    Publish the marts of the last successful ``dbt build`` to ``state/published/current`` (read-only for BI).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_DEMO_DIR = Path("state/demo_data")


def _load_dbn(args: argparse.Namespace) -> int:
    from zlcast.data.dbn import write_futures_daily

    n = write_futures_daily([Path(p) for p in args.paths], Path(args.out), later_files_win=args.later_files_win)
    print(f"wrote {n} rows to {args.out}")
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    from zlcast.data.demo_data import write_demo_data

    out = write_demo_data(Path(args.out), seed=args.seed)
    print(f"demo data set (synthetic) in {out}")
    if args.recording:
        from zlcast.data.demo_recording import write_demo_recording

        rec = write_demo_recording(Path(args.recording), Path(args.macro_seed), args.sessions, seed=args.seed)
        print(
            f"recorded provider responses for {', '.join(map(str, rec.new_sessions))} in {rec.folder} "
            f"(zlcast refresh --replay {rec.folder} --today {rec.run_date})"
        )
    return 0


def _validate(args: argparse.Namespace) -> int:
    from zlcast.data.gates import check_data_dir

    data_dir = Path(args.data_dir or os.environ.get("ZL_DATA_DIR") or DEFAULT_DEMO_DIR)
    report, gates = check_data_dir(data_dir, Path(args.roots_seed), Path(args.macro_seed))
    print(
        f"{data_dir}: OK ({report.futures_rows} futures rows, {report.macro_rows} macro rows, "
        f"{report.event_rows} events; plausibility gates passed)"
    )
    print(report.macro_layout_line())
    for line in report.optional_files:
        print(line)
    for warning in (*report.warnings, *gates.warnings):
        print(f"warning: {warning}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``zlcast`` command."""
    parser = argparse.ArgumentParser(prog="zlcast", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("load-dbn", help="Databento DBN files -> futures_daily.parquet")
    p.add_argument("paths", nargs="+", help="*.ohlcv-1h.dbn.zst files or folders holding them")
    p.add_argument("--out", required=True, help="output parquet path (written atomically)")
    p.add_argument(
        "--later-files-win",
        action="store_true",
        help="overlapping files (refresh re-fetches, raw/databento/): a file's range replaces the bars of files "
        "that start before it, instead of failing on different bars",
    )
    p.set_defaults(func=_load_dbn)

    p = sub.add_parser("demo-data", help="write the synthetic demo data set")
    p.add_argument("--out", default=str(DEFAULT_DEMO_DIR))
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--recording", default=None, help="also write the recorded responses of the next session(s)")
    p.add_argument("--sessions", type=int, default=1, help="new sessions in the recording")
    p.add_argument("--macro-seed", default="seeds/macro_series.csv")
    p.set_defaults(func=_demo_data)

    p = sub.add_parser("validate", help="check a data directory against the input contract")
    p.add_argument("data_dir", nargs="?", default=None)
    p.add_argument("--roots-seed", default="seeds/futures_roots.csv")
    p.add_argument("--macro-seed", default="seeds/macro_series.csv")
    p.set_defaults(func=_validate)

    from zlcast.data import refresh

    p = sub.add_parser("refresh", help="fetch the day's data, validate, dbt build, publish and report")
    refresh.add_arguments(p)
    p.set_defaults(func=refresh.run)

    from zlcast.serve import publish

    p = sub.add_parser("publish", help="publish the marts of the last successful dbt build to state/published/current")
    publish.add_arguments(p)
    p.set_defaults(func=publish.run)

    from zlcast.serve import report

    p = sub.add_parser("report", help="render the HTML forecast report with PNG charts")
    report.add_arguments(p)
    p.set_defaults(func=report.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; errors print one message and exit with status 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, FileNotFoundError, FileExistsError) as exc:
        print(f"zlcast {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
