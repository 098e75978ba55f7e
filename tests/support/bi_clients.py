"""BI clients the product does not use itself, for tests/integration/test_bi_clients.py.

`.ci/install_bi_clients.sh` installs them outside the product's virtual environment (default `state/bi_clients`,
git-ignored; `ZL_BI_CLIENTS_DIR` overrides): the DuckDB CLI 1.5.x from PyPI, and SQLAlchemy + duckdb-engine + DuckDB
1.x in a venv of their own. :func:`ensure_clients` runs the script once (a stamp makes later runs instant) and skips
the calling test only when the package index cannot be reached.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dbt_helpers import REPO

INSTALL_SCRIPT = REPO / ".ci" / "install_bi_clients.sh"

#: The README's recipes ("Reading the forecasts from BI tools"), with {catalog} / {path} for the catalog's path.
CLI_RECIPE = "duckdb -readonly {catalog}"
SQLALCHEMY_URI = "duckdb:///{path}?access_mode=read_only"
PYTHON_1X_RECIPE = 'duckdb.connect("{catalog}", read_only=True)'
PARQUET_RECIPE = "select * from '{folder}/zl_forecast.parquet'"

# A Superset-style reader: SQLAlchemy engine from the README's URI, reflection of the table list, then every table
# read in full (each row cast to text, so every value is decoded) on one connection; plus DuckDB 1.x directly.
# argv: catalog path, JSON list of tables. Prints one JSON object.
SQLALCHEMY_READER = r"""
import json, sys
import duckdb, duckdb_engine, sqlalchemy as sa

catalog, tables = sys.argv[1], json.loads(sys.argv[2])
uri = "duckdb:///" + catalog + "?access_mode=read_only"
engine = sa.create_engine(uri)
out = {"duckdb": duckdb.__version__, "duckdb_engine": duckdb_engine.__version__, "sqlalchemy": sa.__version__}
with engine.connect() as con:
    out["reflected"] = sorted(sa.inspect(con).get_table_names())
    out["access_mode"] = con.execute(sa.text("select current_setting('access_mode')")).scalar()
    out["version"] = con.execute(sa.text("select distinct version from zl_publish_info")).scalars().all()
    out["tables"] = {
        t: list(con.execute(sa.text(
            f'select count(*), coalesce(sum(length(cast(_r as varchar))), 0) from "{t}" as _r'
        )).one())
        for t in tables
    }
    out["zl_forecast"] = [
        [str(v) for v in row] for row in con.execute(sa.text("select * from zl_forecast order by all")).all()
    ]
engine.dispose()  # DuckDB refuses a second connection to the file with another configuration in one process
raw = duckdb.connect(catalog, read_only=True)
out["raw_duckdb_counts"] = {t: raw.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
raw.close()
print(json.dumps(out))
"""

# The polling tail of a reader script (run by the reader's own interpreter). It needs `held` (a connection kept
# for the reader's life), `open_fresh()` (a context manager giving a new connection), `sample(con, mode)`, `out`
# (results file), `stop` (stop file) and `PERIOD_S`; it appends one JSON line per sample, prints "ready" after
# the first round.
READER_LOOP = r"""
first = True
with out.open("a") as fh:
    while not stop.exists():
        try:
            with open_fresh() as fresh:
                results = [sample(held, "held"), sample(fresh, "fresh")]
        except Exception as exc:
            results = [{"mode": "open", "error": repr(exc)}]
        for r in results:
            fh.write(json.dumps(r) + "\n")
        fh.flush()
        if first:
            print("ready", flush=True)
            first = False
        time.sleep(PERIOD_S)
"""

# A long-lived SQLAlchemy reader for the concurrency test. argv: catalog path (through `current`), JSON list of
# tables, results file, stop file. Holds one connection for its whole life ("held") and opens a fresh engine
# connection every round ("fresh"); each round reads (version, row count of every table) in one query per mode.
SQLALCHEMY_LOOP = (
    r"""
import json, sys, time
from pathlib import Path
import sqlalchemy as sa

catalog, tables, out, stop = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
sql = sa.text("select (select min(version) from zl_publish_info) as version, "
              + ", ".join(f'(select count(*) from "{t}") as "{t}"' for t in tables))
engine = sa.create_engine("duckdb:///" + catalog + "?access_mode=read_only", poolclass=sa.pool.NullPool)

def sample(con, mode):
    try:
        row = con.execute(sql).one()
        return {"mode": mode, "version": row[0], "rows": dict(zip(tables, row[1:]))}
    except Exception as exc:
        return {"mode": mode, "error": repr(exc)}

held = engine.connect()
open_fresh = engine.connect
PERIOD_S = 0.1
"""
    + READER_LOOP
    + """held.close()
"""
)


@dataclass(frozen=True)
class Clients:
    """Paths of the installed clients.

    Attributes
    ----------
    root : Path
        Installation folder.
    duckdb_cli : Path
        The ``duckdb`` executable of the ``duckdb-cli`` PyPI package (DuckDB 1.5.x).
    sqlalchemy_python : Path
        Python of the venv holding SQLAlchemy, duckdb-engine and DuckDB 1.x.
    """

    root: Path
    duckdb_cli: Path
    sqlalchemy_python: Path


def clients_dir() -> Path:
    """Where the clients live: ``$ZL_BI_CLIENTS_DIR`` or ``state/bi_clients`` in the repository."""
    return Path(os.environ.get("ZL_BI_CLIENTS_DIR") or REPO / "state" / "bi_clients")


def client_env() -> dict[str, str]:
    """Environment of a client process: without the product's PYTHONPATH (its DuckDB 2 would shadow the client's)."""
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}


def _index_reachable() -> tuple[bool, str]:
    """Whether pip can reach the package index (asks it for the versions of duckdb-cli)."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "index", "versions", "duckdb-cli"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, repr(exc)
    return proc.returncode == 0 and "1.5." in proc.stdout, (proc.stdout + proc.stderr).strip()[-300:]


def ensure_clients() -> Clients:
    """Install the clients with ``.ci/install_bi_clients.sh`` if missing; skip when the index is unreachable.

    Returns
    -------
    Clients

    Raises
    ------
    AssertionError
        The installation failed although the package index answers.
    """
    root = clients_dir()
    clients = Clients(root, root / "duckdb-cli" / "bin" / "duckdb", root / "sqlalchemy" / "bin" / "python")
    proc = subprocess.run(
        ["bash", str(INSTALL_SCRIPT), str(root)],
        cwd=REPO,
        env=dict(client_env(), PYTHON=sys.executable),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if proc.returncode == 0 and clients.duckdb_cli.exists() and clients.sqlalchemy_python.exists():
        return clients
    reachable, detail = _index_reachable()
    if not reachable:
        pytest.skip(f"BI clients not installed: the package index is unreachable ({detail})")
    raise AssertionError(
        f"{INSTALL_SCRIPT.name} failed ({proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
    )


def cli_json(clients: Clients, catalog: str, sql: str, cwd: Path, timeout: float = 120) -> list[dict[str, Any]]:
    """Run the DuckDB CLI read-only on ``catalog`` (the README recipe) in ``cwd``; return its JSON rows.

    Parameters
    ----------
    clients
        Installed clients.
    catalog
        Path of ``catalog.duckdb`` as given on the command line.
    sql
        One statement.
    cwd
        Working directory of the CLI.
    timeout
        Seconds.

    Returns
    -------
    list of dict
    """
    argv = CLI_RECIPE.format(catalog=catalog).split()
    proc = subprocess.run(
        [str(clients.duckdb_cli), *argv[1:], "-json", "-c", sql],
        cwd=cwd,
        env=client_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"duckdb CLI failed ({proc.returncode}) in {cwd}: {proc.stderr.strip()[-2000:]}")
    text = proc.stdout.strip()
    return list(json.loads(text)) if text else []
