"""The published catalog read by clients the product does not use itself, as BI tools do, from another directory.

Clients (installed outside the product's venv by `.ci/install_bi_clients.sh`, see tests/support/bi_clients.py):
the DuckDB CLI 1.5.x from PyPI, and SQLAlchemy + duckdb-engine + DuckDB 1.x (how Superset-style tools connect; their
duckdb extras pin DuckDB < 2). Each starts in an unrelated temporary directory and opens
`<published>/current/catalog.duckdb` read-only with the README's recipe, and reads every published table (row counts
equal the manifest's), including while a second build and publish run. The publication is the session's demo build
published like `make build` does (`zlcast publish`).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from bi_clients import (
    CLI_RECIPE,
    PARQUET_RECIPE,
    PYTHON_1X_RECIPE,
    SQLALCHEMY_LOOP,
    SQLALCHEMY_READER,
    SQLALCHEMY_URI,
    Clients,
    cli_json,
    client_env,
    ensure_clients,
)
from dbt_helpers import REPO, SQL_SIDE_BUILD, copy_warehouse, publish_ok, run_dbt

from zlcast.data.demo_recording import cut_data_dir
from zlcast.serve.publish import (
    CATALOG_NAME,
    CATALOG_STORAGE_VERSION,
    FORMAT,
    open_published,
    prune_versions,
)

pytestmark = pytest.mark.dbt

#: The path the README gives (relative to the repository) for the catalog.
README_CATALOG = "state/published/current/catalog.duckdb"


# ----------------------------------------------------------------------------------------------- helpers


def _rows(manifest: dict[str, Any]) -> dict[str, int]:
    """Row count of every published table (zl_publish_info included: one row per table)."""
    rows = {t["name"]: int(t["rows"]) for t in manifest["tables"]}
    return rows | {"zl_publish_info": len(rows)}


def _every_table_sql(tables: list[str]) -> str:
    """One statement reading every table in full (each row cast to text): name, rows, characters."""
    return " union all ".join(
        f"select '{t}' as table_name, count(*) as n_rows, coalesce(sum(length(cast(_r as varchar))), 0) as n_chars "
        f'from "{t}" as _r'
        for t in tables
    )


def _cli_read(clients: Clients, catalog: str, tables: list[str], cwd: Path) -> tuple[str, dict[str, int]]:
    """(version, rows per table) read by the DuckDB CLI in ``cwd``; every table must decode to some text."""
    sql = f"select (select min(version) from zl_publish_info) as version, * from ({_every_table_sql(tables)})"
    rows = cli_json(clients, catalog, sql, cwd)
    assert all(int(r["n_chars"]) > 0 for r in rows), rows
    versions = {r["version"] for r in rows}
    assert len(versions) == 1, versions
    return versions.pop(), {r["table_name"]: int(r["n_rows"]) for r in rows}


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def clients() -> Clients:
    """The DuckDB CLI 1.5.x and the SQLAlchemy/duckdb-engine venv (installed once, outside the product's venv)."""
    return ensure_clients()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, sql_warehouse: Path) -> dict[str, Any]:
    """The session's demo build (a copy) published with `zlcast publish`: out dir, manifest, warehouse copy."""
    db = copy_warehouse(sql_warehouse, tmp_path_factory.mktemp("bi_build") / "wh")
    out = tmp_path_factory.mktemp("bi_published") / "published"
    return {"out": out, "manifest": publish_ok(db, out), "db": db}


@pytest.fixture()
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An unrelated, empty working directory (as a BI tool or a notebook has)."""
    return tmp_path_factory.mktemp("unrelated_cwd")


# ------------------------------------------------------------------------------------------------- tests


def test_catalog_holds_tables_in_a_storage_format_duckdb_1x_reads(published: dict[str, Any]) -> None:
    manifest = published["manifest"]
    assert manifest["format"] == FORMAT and manifest["catalog_storage_version"] == CATALOG_STORAGE_VERSION
    assert manifest["version"] == (published["out"] / "current").resolve().name
    names = {t["name"] for t in manifest["tables"]}
    assert {
        "zl_forecast",
        "zl_forecast_backtest",
        "zl_forecast_calibration",
        "zl_risk_scenarios",
        "zl_var_backtest",
        "zl_procurement_signal",
        "zl_driver_attribution",
        "fct_model_evaluation",
    } <= names
    con = open_published(published["out"])
    try:
        kinds = dict(con.execute("select table_name, table_type from information_schema.tables").fetchall())
        info = con.execute("select distinct version, format from zl_publish_info").fetchall()
        comment = con.execute(
            "select comment from duckdb_columns() where table_name = 'zl_forecast' and column_name = 'p50'"
        ).fetchone()
    finally:
        con.close()
    assert kinds == dict.fromkeys([*names, "zl_publish_info"], "BASE TABLE"), kinds
    assert info == [(manifest["version"], FORMAT)]
    assert comment is not None and "US cents/lb" in comment[0], "the dbt column docs are the catalog's comments"
    for table in manifest["tables"]:
        assert (published["out"] / "current" / table["file"]).is_file(), "Parquet files stay beside the catalog"


def test_duckdb_cli_1x_reads_every_published_table_from_another_directory(
    clients: Clients, published: dict[str, Any], elsewhere: Path
) -> None:
    catalog = str(published["out"] / "current" / CATALOG_NAME)
    version, rows = _cli_read(clients, catalog, list(_rows(published["manifest"])), elsewhere)
    assert (version, rows) == (published["manifest"]["version"], _rows(published["manifest"]))
    cli_version = subprocess.run([str(clients.duckdb_cli), "--version"], capture_output=True, text=True, check=True)
    assert cli_version.stdout.startswith("v1."), cli_version.stdout

    # The Parquet files beside the catalog, for tools that prefer files (README recipe, absolute folder).
    folder = str((published["out"] / "current").resolve())
    parquet = cli_json(
        clients, catalog, f"select count(*) as n from ({PARQUET_RECIPE.format(folder=folder)})", elsewhere
    )
    assert parquet == [{"n": rows["zl_forecast"]}]
    # A write is refused: the catalog is opened read-only.
    with pytest.raises(AssertionError, match=r"read-only"):
        cli_json(clients, catalog, "create table scratch as select 1 as x", elsewhere)


def test_sqlalchemy_duckdb_engine_reads_every_published_table_from_another_directory(
    clients: Clients, published: dict[str, Any], elsewhere: Path
) -> None:
    catalog = str(published["out"] / "current" / CATALOG_NAME)
    expected = _rows(published["manifest"])
    proc = subprocess.run(
        [str(clients.sqlalchemy_python), "-c", SQLALCHEMY_READER, catalog, json.dumps(list(expected))],
        cwd=elsewhere,
        env=client_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout)
    assert got["duckdb"].startswith("1."), "the client must be a DuckDB 1.x (like a BI driver pinning duckdb<2)"
    assert got["access_mode"] == "read_only"
    assert got["version"] == [published["manifest"]["version"]]
    assert set(expected) <= set(got["reflected"])
    assert {t: n for t, (n, _) in got["tables"].items()} == expected
    assert all(chars > 0 for _, chars in got["tables"].values())
    assert got["raw_duckdb_counts"] == expected
    # The same values as the product's own reader (DuckDB 2).
    con = open_published(published["out"])
    try:
        mine = [[str(v) for v in row] for row in con.execute("select * from zl_forecast order by all").fetchall()]
    finally:
        con.close()
    assert got["zl_forecast"] == mine


def test_readme_gives_the_recipes_these_tests_run() -> None:
    readme = (REPO / "README.md").read_text()
    recipes = [
        CLI_RECIPE.format(catalog=README_CATALOG),
        SQLALCHEMY_URI.format(path="/path/to/zl_forecast/" + README_CATALOG),
        PYTHON_1X_RECIPE.format(catalog=README_CATALOG),
        PARQUET_RECIPE.format(folder="state/published/current"),
        "open_published()",
    ]
    missing = [r for r in recipes if r not in readme]
    assert not missing, f"README.md lacks the tested recipe(s): {missing}"


def test_clients_read_consistent_versions_while_a_build_and_publish_run(
    clients: Clients, published: dict[str, Any], tmp_path: Path, demo_dir: Path
) -> None:
    """`dbt build && zlcast publish` (SQL side, on data a year shorter) while both clients read in a loop: every
    read is one whole version, a held connection keeps its version, and the old version is pruned only once the
    1.x clients holding it open let go."""
    out = tmp_path / "published"
    old = publish_ok(published["db"], out)
    tables = list(_rows(old))
    catalog = str(out / "current" / CATALOG_NAME)  # through the `current` symlink, as the README says
    cwd = tmp_path / "unrelated"
    cwd.mkdir()

    # A user with the DuckDB CLI open on the catalog (interactive session on a pipe).
    held_cli = subprocess.Popen(
        [str(clients.duckdb_cli), "-readonly", catalog, "-csv", "-noheader"],
        cwd=cwd,
        env=client_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert held_cli.stdin is not None and held_cli.stdout is not None

    def held_cli_version() -> str:
        held_cli.stdin.write("select min(version) from zl_publish_info;\n")  # type: ignore[union-attr]
        held_cli.stdin.flush()  # type: ignore[union-attr]
        return held_cli.stdout.readline().strip()  # type: ignore[union-attr]

    assert held_cli_version() == old["version"]

    results, stop = tmp_path / "sqlalchemy.jsonl", tmp_path / "stop"
    sqla = subprocess.Popen(
        [str(clients.sqlalchemy_python), "-c", SQLALCHEMY_LOOP, catalog, json.dumps(tables), str(results), str(stop)],
        cwd=cwd,
        env=client_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    cli_reads: list[tuple[str, dict[str, int]] | str] = []
    halt = threading.Event()

    def cli_loop() -> None:
        while not halt.is_set():
            try:
                cli_reads.append(_cli_read(clients, catalog, tables, cwd))
            except AssertionError as exc:
                cli_reads.append(str(exc))
            time.sleep(0.1)

    loop = threading.Thread(target=cli_loop, daemon=True)
    try:
        assert sqla.stdout is not None and sqla.stdout.readline().strip() == "ready", sqla.stderr
        loop.start()
        # `make build`'s line (dbt build && zlcast publish) on a copy of the warehouse, data a year shorter.
        db = copy_warehouse(published["db"], tmp_path / "wh2")
        data = cut_data_dir(demo_dir, tmp_path / "earlier", pd.Timestamp("2024-06-28"))
        run_dbt(SQL_SIDE_BUILD, db, data)
        reads_during_build = len(cli_reads)
        new = publish_ok(db, out, "--keep", "1")
        assert new["version"] != old["version"] and _rows(new) != _rows(old)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until both clients have seen the new version on fresh connections
            fresh = [json.loads(line) for line in results.read_text().splitlines()]
            if any(r.get("version") == new["version"] for r in fresh if r["mode"] == "fresh") and any(
                isinstance(r, tuple) and r[0] == new["version"] for r in cli_reads[reads_during_build:]
            ):
                break
            time.sleep(0.2)
        halt.set()
        loop.join(timeout=120)

        # The held connections (CLI session and SQLAlchemy) still read the old version; pruning keeps it for them.
        assert held_cli_version() == old["version"]
        kept = prune_versions(out, keep=1, grace_s=0)
        assert kept.kept.get(old["version"]) == "open by a reader", kept
    finally:
        halt.set()
        stop.touch()
        sqla.wait(timeout=60)
        held_cli.communicate(timeout=60)
    assert sqla.returncode == 0, sqla.stderr.read() if sqla.stderr else ""
    assert held_cli.returncode == 0
    assert prune_versions(out, keep=1, grace_s=0).removed == [old["version"]], "unused old version not pruned"

    expected = {old["version"]: _rows(old), new["version"]: _rows(new)}
    errors = [r for r in cli_reads if isinstance(r, str)]
    assert not errors, errors[:3]
    assert reads_during_build > 0, "the CLI never read while dbt was building"
    for version, rows in cli_reads:  # type: ignore[misc]
        assert rows == expected[version], (version, rows)
    assert cli_reads[0][0] == old["version"] and cli_reads[-1][0] == new["version"]  # type: ignore[index]

    sqla_reads = [json.loads(line) for line in results.read_text().splitlines()]
    assert not [r for r in sqla_reads if "error" in r], [r for r in sqla_reads if "error" in r][:3]
    for r in sqla_reads:
        assert r["rows"] == expected[r["version"]], r
    assert {r["version"] for r in sqla_reads if r["mode"] == "held"} == {old["version"]}
    fresh_versions = [r["version"] for r in sqla_reads if r["mode"] == "fresh"]
    assert fresh_versions[0] == old["version"] and fresh_versions[-1] == new["version"]
    switch = fresh_versions.index(new["version"])
    assert set(fresh_versions[switch:]) == {new["version"]}, "after the switch no reader may see the old version"
