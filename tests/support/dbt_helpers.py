"""Helpers for tests that run dbt against a temporary DuckDB file (subprocess, like a user would)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from zlcast.serve.publish import read_manifest

REPO = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path:
    """The real data set: ``$ZL_SHARED_DATA`` or ``../shared/data`` beside the repository."""
    return Path(os.environ.get("ZL_SHARED_DATA", REPO.parent / "shared" / "data"))


def dbt_env(duckdb_path: Path, data_dir: Path | None = None, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of a dbt (or zlcast) subprocess on its own DuckDB file and data directory."""
    env = {k: v for k, v in os.environ.items() if k not in {"ZL_DATA_DIR"}}
    env["ZL_DUCKDB_PATH"] = str(duckdb_path)
    env.setdefault("ZL_PREIMPORT_AUTOGLUON", "false")
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    if data_dir is not None:
        env["ZL_DATA_DIR"] = str(data_dir)
    env.update(extra_env or {})
    return env


def dbt_argv(args: list[str], duckdb_path: Path) -> list[str]:
    """``dbt <args>`` with its target and log folders beside the DuckDB file (where publish finds run results)."""
    dbt = Path(sys.executable).parent / "dbt"
    target, logs = duckdb_path.parent / "target", duckdb_path.parent / "logs"
    return [str(dbt), *args, "--target-path", str(target), "--log-path", str(logs)]


def run_dbt(
    args: list[str],
    duckdb_path: Path,
    data_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``dbt <args>`` in the project directory with its own DuckDB file and data directory."""
    proc = subprocess.run(
        dbt_argv(args, duckdb_path),
        cwd=REPO,
        env=dbt_env(duckdb_path, data_dir, extra_env),
        capture_output=True,
        text=True,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
        )
    return proc


def publish_cli(db: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``python -m zlcast.serve.publish`` for a warehouse built by :func:`run_dbt` (target folder beside it)."""
    argv = ["--warehouse", str(db), "--target-path", str(db.parent / "target"), "--out", str(out), *extra]
    return subprocess.run(
        [sys.executable, "-m", "zlcast.serve.publish", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def publish_ok(db: Path, out: Path, *extra: str) -> dict[str, Any]:
    """Publish (the command must succeed) and return the manifest of the new current version."""
    proc = publish_cli(db, out, *extra)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return read_manifest(out / "current")


def read_table(duckdb_path: Path, sql: str) -> pd.DataFrame:
    """Run a query read-only against a built warehouse."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        return con.sql(sql).df()


def copy_warehouse(db: Path, dst: Path) -> Path:
    """Copy a built warehouse (DuckDB file, WAL) and its dbt target folder into ``dst``; return the new file.

    Tests that write (run dbt, publish from its run results) work on a copy of the session's demo build.
    """
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy2(db, dst / db.name)
    wal = db.with_name(db.name + ".wal")
    if wal.exists():
        shutil.copy2(wal, dst / wal.name)
    if (db.parent / "target").is_dir():
        shutil.copytree(db.parent / "target", dst / "target")
    return dst / db.name


def copy_data_dir(src: Path, dst: Path) -> Path:
    """Copy a data directory (for corrupting it in a test)."""
    shutil.copytree(src, dst)
    return dst


# The SQL side of `dbt build` (seeds, staging -> features and targets, with their dbt tests): what publish tests need.
SQL_SIDE_BUILD = ["build", "--select", "+fct_zl_features", "+fct_zl_targets"]

# Build the feature matrix (seeds + models, no tests): what the leakage and bad-input tests need.
BUILD_FEATURES = ["build", "--select", "+fct_zl_features", "--resource-type", "model", "--resource-type", "seed"]


def ci_vars(artifact_dir: Path, **extra: object) -> str:
    """dbt --vars for tests: the fast preset with a late OOF start and short AutoGluon time limits."""
    return json.dumps(
        {
            "forecast_oof_start": "2023-01-01",
            "forecast_time_limit_s": 10,
            "forecast_artifact_dir": str(artifact_dir),
            **extra,
        }
    )
