"""Publish the user-facing marts of a finished ``dbt build`` as an immutable, versioned snapshot for BI tools.

DuckDB allows one writer or many readers of a file, not both, so BI users never read the warehouse that
``dbt build`` writes. After a successful build, :func:`publish` copies the marts (read-only) into a new
version directory and switches a ``current`` symlink to it atomically::

    state/published/
      current -> versions/20261126T160203.123456Z-1a2b3c4d    relative symlink, replaced with os.replace
      versions/<UTC timestamp>-<content hash>/                immutable once renamed into place
        catalog.duckdb                                        every mart as a table (+ zl_publish_info), in
                                                              DuckDB storage format v1.0.0 (any 1.x or 2.x reads it)
        fct_zl_features.parquet, zl_forecast.parquet, ...     the same tables as Parquet, rows sorted (deterministic)
        manifest.json                                         version, tables, row counts, checksums, dbt invocation
      .publish.lock                                           one publisher at a time
      .readers/<version>                                      touched by open_published (retention hint)

Guarantees
----------
* Nothing is published unless the last dbt invocation was a finished ``dbt build`` in which no node
  failed, errored or was skipped (``target/run_results.json``, cross-checked with ``target/manifest.json``:
  a build killed mid-way leaves a newer manifest than its run results, and publishing is refused).
* A version is written to ``versions/.staging-*``, checked (row counts; the catalog's tables and the Parquet
  files hold the same rows; the catalog's storage version) and renamed into place before ``current`` moves,
  so a reader sees the old version or the new one, never a mix.
* Retention keeps the newest ``keep`` versions and never deletes the one ``current`` points to, one
  superseded less than ``grace_s`` seconds ago (a reader may have just resolved ``current`` to it), one
  opened with :func:`open_published` less than ``grace_s`` seconds ago (it touches ``.readers/<version>``),
  or one whose catalog a reader holds open (DuckDB clients, 1.x and 2.x, hold a shared ``fcntl`` lock on a
  file they open read-only, so an exclusive lock attempt tells; the lock is kept while the version is
  renamed away).

Reading
-------
``catalog.duckdb`` holds tables, not views over files: it needs no working directory, no
``file_search_path`` and no setting, and a connection keeps reading the version it opened (its file is
immutable) while newer versions are published. It is written with ``ATTACH ... (STORAGE_VERSION 'v1.0.0')``
because DuckDB 1.x clients (the DuckDB CLI 1.x, the Node client, BI drivers pinning ``duckdb<2``) cannot
read the default storage format of DuckDB 2. Open it read-only from anywhere:
``duckdb -readonly state/published/current/catalog.duckdb``, :func:`open_published`, or the SQLAlchemy
URI ``duckdb:////abs/path/state/published/current/catalog.duckdb?access_mode=read_only``. Table and column
comments carry the dbt docs (units included).

Command line: ``zlcast publish`` (see :func:`main`), or ``python -m zlcast.serve.publish``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import struct
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from zlcast import __version__

__all__ = [
    "CATALOG_NAME",
    "CATALOG_STORAGE_NUMBER",
    "CATALOG_STORAGE_VERSION",
    "DEFAULT_GRACE_S",
    "DEFAULT_KEEP",
    "DEFAULT_REQUIRE",
    "DEFAULT_TABLES",
    "FORMAT",
    "INFO_TABLE",
    "MANIFEST_NAME",
    "DbtInvocation",
    "PruneReport",
    "PublishConfig",
    "PublishError",
    "PublishResult",
    "add_arguments",
    "current_version",
    "fingerprint_sql",
    "main",
    "open_published",
    "prune_versions",
    "publish",
    "read_build_results",
    "read_manifest",
    "run",
    "set_current",
]

LOG = logging.getLogger("zlcast.serve.publish")

#: Marts BI users read, in publication order; names not built yet are skipped with a warning.
DEFAULT_TABLES: tuple[str, ...] = (
    "fct_zl_features",
    "fct_zl_targets",
    "fct_model_evaluation",
    "zl_forecast",
    "zl_forecast_backtest",
    "zl_forecast_calibration",
    "zl_risk_scenarios",
    "zl_risk_paths",
    "zl_var_backtest",
    "zl_procurement_signal",
    "zl_procurement_backtest",
    "zl_driver_attribution",
)
#: Marts that must exist: publishing fails without them.
DEFAULT_REQUIRE: tuple[str, ...] = ("fct_zl_features", "fct_zl_targets")
DEFAULT_KEEP = 3
#: Seconds a superseded version stays even when nobody holds it open.
DEFAULT_GRACE_S = 300.0
#: dbt commands whose run results may be published.
DEFAULT_ACCEPT_COMMANDS: tuple[str, ...] = ("build",)

CATALOG_NAME = "catalog.duckdb"
MANIFEST_NAME = "manifest.json"
CURRENT_LINK = "current"
VERSIONS_DIR = "versions"
LOCK_NAME = ".publish.lock"
READERS_DIR = ".readers"
INFO_TABLE = "zl_publish_info"
#: Layout of a version (manifest ``format``, ``zl_publish_info.format``); 2: the catalog holds tables.
FORMAT = "zlcast-published/2"
#: DuckDB storage format of ``catalog.duckdb``: the oldest the writer offers, which every DuckDB 1.x
#: (and 0.10) client reads; DuckDB 2's default format (storage number 69) is unreadable for 1.x clients.
CATALOG_STORAGE_VERSION = "v1.0.0"
#: Storage number DuckDB writes into the header of a file in that format (checked after writing).
CATALOG_STORAGE_NUMBER = 64

#: run_results statuses that block publication (``skipped`` follows an upstream failure in a build).
FAILED_STATUSES = frozenset({"error", "fail", "runtime error", "skipped"})
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_VERSION_RE = re.compile(r"^(?P<ts>\d{8}T\d{6}\.\d{6}Z)-(?P<hash>[0-9a-f]{8})$")
_TS_FORMAT = "%Y%m%dT%H%M%S.%fZ"
_MAX_LISTED = 25
_READ_ONLY_FILE = 0o444
_READ_ONLY_DIR = 0o555


class PublishError(ValueError):
    """Publication refused or failed; ``current`` and every published version are unchanged."""


@dataclass(frozen=True)
class PublishConfig:
    """What to publish, from where, to where.

    Attributes
    ----------
    warehouse : Path
        The DuckDB file ``dbt build`` wrote (opened read-only).
    target_path : Path
        dbt's target directory holding ``run_results.json`` and ``manifest.json`` of that build.
    out_dir : Path
        Publication root (``state/published``).
    tables : tuple of str
        Marts to export, bare (``fct_zl_features``, looked up in any schema, ``main`` first) or
        ``schema.table``. Names that do not exist are skipped with a warning.
    require : tuple of str
        Marts whose absence fails the publication.
    keep : int
        Versions to keep (the newest ones; ``current`` is always kept).
    grace_s : float
        A version superseded less than this many seconds ago is never deleted.
    data_dir : str
        The data directory the build read (recorded in the manifest).
    accept_commands : tuple of str
        dbt commands (``args.which`` in run_results.json) whose results may be published.
    lock_timeout_s : float
        Seconds to wait for another publisher to finish.
    """

    warehouse: Path
    target_path: Path = Path("target")
    out_dir: Path = Path("state/published")
    tables: tuple[str, ...] = DEFAULT_TABLES
    require: tuple[str, ...] = DEFAULT_REQUIRE
    keep: int = DEFAULT_KEEP
    grace_s: float = DEFAULT_GRACE_S
    data_dir: str = ""
    accept_commands: tuple[str, ...] = DEFAULT_ACCEPT_COMMANDS
    lock_timeout_s: float = 60.0


@dataclass(frozen=True)
class DbtInvocation:
    """The dbt invocation whose results are published.

    Attributes
    ----------
    invocation_id, command, generated_at, dbt_version : str
    status_counts : dict of str to int
        Number of nodes per run_results status.
    built : frozenset of str
        Unique ids of nodes that finished with ``success``.
    """

    invocation_id: str
    command: str
    generated_at: str
    dbt_version: str
    status_counts: dict[str, int]
    built: frozenset[str]


@dataclass(frozen=True)
class PruneReport:
    """Outcome of :func:`prune_versions`.

    Attributes
    ----------
    removed : list of str
        Version names deleted.
    kept : dict of str to str
        Version name -> why it was kept.
    """

    removed: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishResult:
    """Outcome of :func:`publish`.

    Attributes
    ----------
    version_dir : Path
        The new version directory (``current`` points to it).
    manifest : dict
        Its ``manifest.json``.
    skipped : list of str
        Requested marts that do not exist in the warehouse.
    pruned : PruneReport
    """

    version_dir: Path
    manifest: dict[str, Any]
    skipped: list[str]
    pruned: PruneReport


@dataclass(frozen=True)
class _Table:
    """A mart to export: requested name, warehouse schema and table name."""

    name: str
    schema: str
    table: str


# --------------------------------------------------------------------------------------------- dbt results


def _load_json(path: Path, what: str) -> dict[str, Any]:
    """Read a dbt artifact; a missing or unreadable file refuses publication."""
    try:
        return dict(json.loads(path.read_text()))
    except FileNotFoundError:
        raise PublishError(f"{path}: not found; run `dbt build` before publishing ({what})") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise PublishError(f"{path}: unreadable {what}: {exc}") from None


def _failure_lines(results: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return ``unique_id: status: first message line`` for every failed node."""
    lines = []
    for r in results:
        status = str(r.get("status", "")).lower()
        if status in FAILED_STATUSES:
            message = str(r.get("message") or "").strip().splitlines()
            failures = r.get("failures")
            detail = message[0] if message else ""
            if failures and str(failures) not in detail:
                detail = f"{detail} ({failures} failing rows)".strip()
            lines.append(f"{r.get('unique_id', '?')}: {status}{': ' + detail if detail else ''}")
    return lines


def read_build_results(target_path: Path, accept_commands: Sequence[str] = DEFAULT_ACCEPT_COMMANDS) -> DbtInvocation:
    """Read and check the results of the last dbt invocation.

    Parameters
    ----------
    target_path
        dbt's target directory.
    accept_commands
        dbt commands whose results may be published (``build``).

    Returns
    -------
    DbtInvocation

    Raises
    ------
    PublishError
        ``run_results.json`` is missing, is from another command, lists a failed, errored or skipped
        node (all of them are listed), or ``manifest.json`` belongs to a later invocation (the last dbt
        command was interrupted, e.g. a killed build, or was not a build).
    """
    path = target_path / "run_results.json"
    rr = _load_json(path, "dbt run results")
    meta = rr.get("metadata", {})
    invocation = str(meta.get("invocation_id", ""))
    command = str(rr.get("args", {}).get("which", ""))
    if command not in accept_commands:
        raise PublishError(
            f"{path}: the last finished dbt command was `{command or '?'}` (invocation "
            f"{invocation}), not {' or '.join(accept_commands)}; run `dbt build` first"
        )
    results = list(rr.get("results", []))
    failures = _failure_lines(results)
    if failures:
        listed = failures[:_MAX_LISTED] + (
            [f"... and {len(failures) - _MAX_LISTED} more"] if len(failures) > _MAX_LISTED else []
        )
        raise PublishError(
            f"{path}: dbt {command} {invocation} had {len(failures)} failed node(s); nothing "
            "published:\n  " + "\n  ".join(listed)
        )
    if not results:
        raise PublishError(f"{path}: dbt {command} {invocation} ran no node; nothing to publish")
    manifest_path = target_path / "manifest.json"
    if manifest_path.exists():
        later = str(_load_json(manifest_path, "dbt manifest").get("metadata", {}).get("invocation_id", ""))
        if later != invocation:
            raise PublishError(
                f"{manifest_path} is from dbt invocation {later}, newer than the run results ({invocation}): the "
                "last dbt command did not finish (killed?) or was not a build, so the warehouse may hold a "
                "partial build; rerun `dbt build`"
            )
    statuses = Counter(str(r.get("status", "")).lower() for r in results)
    built = frozenset(str(r.get("unique_id")) for r in results if str(r.get("status", "")).lower() == "success")
    return DbtInvocation(
        invocation,
        command,
        str(meta.get("generated_at", "")),
        str(meta.get("dbt_version", "")),
        dict(sorted(statuses.items())),
        built,
    )


# ------------------------------------------------------------------------------------------------- export


def _ident(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    """Quote an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def fingerprint_sql(relation: str) -> str:
    """SQL returning ``(n_rows, fingerprint)`` of a table or view, independent of row order.

    ``fingerprint`` is the sum of DuckDB's ``hash`` of each row, as text. Readers run it on a published
    view and compare with ``manifest.json`` to know which version they read.

    Parameters
    ----------
    relation
        A quoted relation name (``"fct_zl_features"``).

    Returns
    -------
    str
    """
    return (
        f"select count(*) as n_rows, coalesce(sum(hash(_zl_row)), 0)::varchar as fingerprint from {relation} as _zl_row"
    )


def _resolve_tables(
    con: duckdb.DuckDBPyConnection, names: Sequence[str], require: Sequence[str]
) -> tuple[list[_Table], list[str]]:
    """Find each requested mart in the warehouse; return (found, skipped)."""
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables where table_catalog = current_database()"
    ).fetchall()
    found, skipped = [], []
    for name in names:
        schema, _, table = name.rpartition(".")
        if not _NAME_RE.match(table) or (schema and not _NAME_RE.match(schema)):
            raise PublishError(f"table name {name!r}: use [schema.]table with letters, digits and underscores")
        hits = sorted(
            (s for s, t in rows if t == table and (not schema or s == schema)), key=lambda s: (s != "main", s)
        )
        if len(hits) > 1 and hits[0] != "main":
            raise PublishError(f"table {name!r} exists in schemas {', '.join(hits)}: name one as schema.table")
        if hits:
            found.append(_Table(table, hits[0], table))
        else:
            skipped.append(name)
    missing = [n for n in require if n in skipped]
    if missing:
        raise PublishError(f"required mart(s) not in the warehouse: {', '.join(missing)}")
    if len({t.name for t in found}) != len(found):
        raise PublishError("two requested marts share a table name; publish one of them")
    return found, skipped


def _export(con: duckdb.DuckDBPyConnection, table: _Table, dest: Path) -> int:
    """Write one mart to Parquet with its rows sorted (same rows -> same bytes); return its row count."""
    relation = f"{_ident(table.schema)}.{_ident(table.table)}"
    con.execute(
        f"copy (select * from {relation} order by all) to {_literal(str(dest))} (format parquet, compression zstd)"
    )
    row = con.execute(f"select count(*) from {relation}").fetchone()
    return int(row[0]) if row else 0


def _sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only, single-threaded (deterministic Parquet row groups)."""
    if not path.is_file():
        raise PublishError(f"{path}: warehouse not found; run `dbt build` first")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        raise PublishError(f"{path}: cannot open read-only (is a dbt build still writing it?): {exc}") from None
    con.execute("set threads = 1")
    return con


def _export_all(config: PublishConfig, staging: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Export every requested mart that exists into ``staging``; return (table entries, skipped names).

    Each mart becomes a Parquet file and a table of ``catalog.duckdb``, both read in one read-only session
    of the warehouse (so both hold the same build's rows).
    """
    with contextlib.closing(_open_warehouse(config.warehouse)) as con:
        names = [*config.tables, *(r for r in config.require if r not in config.tables)]
        tables, skipped = _resolve_tables(con, names, config.require)
        if not tables:
            raise PublishError("none of the requested marts exists in the warehouse; nothing to publish")
        entries = []
        for t in tables:
            file = staging / f"{t.name}.parquet"
            rows = _export(con, t, file)
            entries.append(
                {
                    "name": t.name,
                    "source": f"{t.schema}.{t.table}",
                    "file": file.name,
                    "rows": rows,
                    "bytes": file.stat().st_size,
                    "sha256": _sha256(file),
                }
            )
        _copy_tables(con, tables, staging / CATALOG_NAME)
    return entries, skipped


def _content_hash(entries: Sequence[Mapping[str, Any]]) -> str:
    """Short hash of the published content (table names and Parquet checksums)."""
    text = "".join(f"{e['name']}:{e['sha256']}\n" for e in sorted(entries, key=lambda e: e["name"]))
    return hashlib.sha256(text.encode()).hexdigest()[:8]


# ------------------------------------------------------------------------------------------------ catalog


@contextlib.contextmanager
def _attached_catalog(con: duckdb.DuckDBPyConnection, catalog: Path) -> Iterator[str]:
    """Attach ``catalog`` read-write in the old storage format (created if missing); yield its alias.

    Detaching checkpoints it: the file is complete, without a WAL, when the block ends.
    """
    alias = f"_zl_catalog_{uuid.uuid4().hex[:8]}"
    con.execute(
        f"attach {_literal(str(catalog))} as {alias} (read_write, storage_version {_literal(CATALOG_STORAGE_VERSION)})"
    )
    try:
        yield alias
    finally:
        con.execute(f"detach {alias}")


def _copy_tables(con: duckdb.DuckDBPyConnection, tables: Sequence[_Table], catalog: Path) -> None:
    """Create ``catalog`` with one table per mart, rows sorted as in its Parquet file."""
    with _attached_catalog(con, catalog) as alias:
        for t in tables:
            con.execute(
                f"create table {alias}.main.{_ident(t.name)} as "
                f"select * from {_ident(t.schema)}.{_ident(t.table)} order by all"
            )


def _dbt_docs(target_path: Path) -> dict[str, tuple[str, dict[str, str]]]:
    """Descriptions of the dbt models in ``target_path/manifest.json``: name -> (model doc, column -> doc).

    Best effort (an unreadable manifest gives no docs): the docs only become comments in the catalog.

    Parameters
    ----------
    target_path
        dbt's target directory.

    Returns
    -------
    dict
    """
    try:
        nodes = json.loads((target_path / "manifest.json").read_text()).get("nodes", {})
    except (OSError, json.JSONDecodeError):
        return {}
    docs: dict[str, tuple[str, dict[str, str]]] = {}
    for node in nodes.values():
        if node.get("resource_type") != "model":
            continue
        columns = {
            str(name): " ".join(str(c.get("description") or "").split())
            for name, c in (node.get("columns") or {}).items()
        }
        docs[str(node.get("name"))] = (" ".join(str(node.get("description") or "").split()), columns)
    return docs


def _write_info(
    staging: Path,
    entries: Sequence[Mapping[str, Any]],
    info: Mapping[str, str],
    docs: Mapping[str, tuple[str, Mapping[str, str]]],
) -> None:
    """Add the ``zl_publish_info`` table and the dbt docs (table and column comments) to ``catalog.duckdb``."""
    with contextlib.closing(duckdb.connect()) as con, _attached_catalog(con, staging / CATALOG_NAME) as alias:
        info_table = f"{alias}.main.{INFO_TABLE}"
        con.execute(
            f"create table {info_table} (version varchar, published_at varchar, dbt_invocation_id varchar, "
            "data_dir varchar, table_name varchar, n_rows bigint, sha256 varchar, format varchar, "
            "zlcast_version varchar, parquet_file varchar)"
        )
        con.executemany(
            f"insert into {info_table} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    info["version"],
                    info["published_at"],
                    info["dbt_invocation_id"],
                    info["data_dir"],
                    e["name"],
                    e["rows"],
                    e["sha256"],
                    FORMAT,
                    __version__,
                    e["file"],
                ]
                for e in entries
            ],
        )
        con.execute(
            f"comment on table {info_table} is "
            + _literal(
                "What this catalog holds: one row per published table (version = the published version, also in "
                "manifest.json; n_rows; sha256 of its Parquet file beside the catalog)."
            )
        )
        for e in entries:
            table_doc, column_docs = docs.get(e["name"], ("", {}))
            relation = f"{alias}.main.{_ident(e['name'])}"
            if table_doc:
                con.execute(f"comment on table {relation} is {_literal(table_doc)}")
            columns = {c[0] for c in con.execute(f"describe {relation}").fetchall()}
            for column, doc in column_docs.items():
                if doc and column in columns:
                    con.execute(f"comment on column {relation}.{_ident(column)} is {_literal(doc)}")


def _storage_number(path: Path) -> int:
    """Storage format number in a DuckDB file's main header (bytes 8-11 ``DUCK``, then a little-endian uint64)."""
    with path.open("rb") as fh:
        head = fh.read(20)
    if len(head) < 20 or head[8:12] != b"DUCK":
        raise PublishError(f"{path}: not a DuckDB database file")
    return int(struct.unpack("<Q", head[12:20])[0])


def _verify_catalog(staging: Path, entries: list[dict[str, Any]]) -> None:
    """Check the catalog against the Parquet files; add fingerprints and columns to the entries.

    Every table must have the warehouse's row count and the same rows (fingerprint) as its Parquet file,
    and the file must be in the storage format DuckDB 1.x clients read.
    """
    catalog = staging / CATALOG_NAME
    number = _storage_number(catalog)
    if number != CATALOG_STORAGE_NUMBER:
        raise PublishError(
            f"{catalog}: DuckDB {duckdb.__version__} wrote storage number {number} for STORAGE_VERSION "
            f"{CATALOG_STORAGE_VERSION!r}, expected {CATALOG_STORAGE_NUMBER} (readable by DuckDB 1.x clients)"
        )
    with contextlib.closing(duckdb.connect(str(catalog), read_only=True)) as con:
        for e in entries:
            row = con.execute(fingerprint_sql(_ident(e["name"]))).fetchone()
            n_rows, fp = (int(row[0]), str(row[1])) if row else (-1, "")
            if n_rows != e["rows"]:
                raise PublishError(f"{e['name']}: the published table has {n_rows} rows, the warehouse {e['rows']}")
            parquet = con.execute(fingerprint_sql(f"read_parquet({_literal(str(staging / e['file']))})")).fetchone()
            if parquet is None or (int(parquet[0]), str(parquet[1])) != (n_rows, fp):
                raise PublishError(f"{e['name']}: the catalog table and {e['file']} hold different rows")
            e["fingerprint"] = fp
            e["columns"] = [
                {"name": c[0], "type": c[1]} for c in con.execute(f"describe {_ident(e['name'])}").fetchall()
            ]


# --------------------------------------------------------------------------------------- files and locks


def _fsync_path(path: Path) -> None:
    """fsync a file or directory (best effort on file systems that refuse directory fsync)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:  # pragma: no cover - e.g. some network file systems
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write JSON (sorted keys) and fsync it."""
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    _fsync_path(path)


def _seal(version_dir: Path) -> None:
    """fsync every file and make the files read-only (an opened-by-mistake read-write connection fails)."""
    for f in version_dir.iterdir():
        _fsync_path(f)
        f.chmod(_READ_ONLY_FILE)
    _fsync_path(version_dir)


def _remove_tree(path: Path) -> None:
    """Delete a (possibly read-only) directory tree."""

    def _make_writable(func: Any, p: str, _exc: Any) -> None:
        os.chmod(os.path.dirname(p) or ".", 0o755)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(p, 0o644)
        func(p)

    with contextlib.suppress(FileNotFoundError):
        path.chmod(0o755)
        shutil.rmtree(path, onerror=_make_writable)


@contextlib.contextmanager
def _publish_lock(out_dir: Path, timeout_s: float) -> Iterator[None]:
    """Hold ``out_dir/.publish.lock`` exclusively (one publisher at a time)."""
    fd = os.open(out_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    raise PublishError(f"{out_dir / LOCK_NAME}: another publish is running") from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _exclusive_if_unused(catalog: Path) -> Iterator[bool]:
    """Try to lock a catalog exclusively; yield whether it worked (False: a reader holds it open).

    DuckDB takes a shared ``fcntl`` lock on a database file it opens read-only, so an exclusive lock fails
    while any reader holds the catalog. While the lock is held no reader can open it either.
    """
    if not catalog.exists():
        yield True
        return
    catalog.chmod(0o644)
    fd = os.open(catalog, os.O_RDWR)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            catalog.chmod(_READ_ONLY_FILE)
            yield False
            return
        yield True
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------------- versions and links


def _version_time(name: str) -> dt.datetime | None:
    """UTC publication time encoded in a version name (None if not a version name)."""
    m = _VERSION_RE.match(name)
    return dt.datetime.strptime(m["ts"], _TS_FORMAT).replace(tzinfo=dt.UTC) if m else None


def _versions(out_dir: Path) -> list[str]:
    """Version names under ``out_dir/versions``, oldest first."""
    root = out_dir / VERSIONS_DIR
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and _VERSION_RE.match(p.name))


def current_version(out_dir: Path = Path("state/published")) -> Path | None:
    """The version directory ``out_dir/current`` points to now (resolved), or None before the first publish.

    Parameters
    ----------
    out_dir
        Publication root.

    Returns
    -------
    Path or None
    """
    link = out_dir / CURRENT_LINK
    if not link.is_symlink() and not link.exists():
        return None
    return Path(os.path.realpath(link))


def read_manifest(version_dir: Path) -> dict[str, Any]:
    """Read a version's ``manifest.json``.

    Parameters
    ----------
    version_dir
        A version directory (or the ``current`` symlink).

    Returns
    -------
    dict
    """
    return dict(json.loads((version_dir / MANIFEST_NAME).read_text()))


def set_current(out_dir: Path, version: str) -> None:
    """Point ``out_dir/current`` at ``versions/<version>`` atomically (temp symlink + os.replace).

    :func:`publish` calls it for a new version; operators call it to roll back to a kept version.

    Parameters
    ----------
    out_dir
        Publication root.
    version
        Name of a directory under ``out_dir/versions``.

    Raises
    ------
    PublishError
        No such version.
    """
    if not _VERSION_RE.match(version) or not (out_dir / VERSIONS_DIR / version / CATALOG_NAME).is_file():
        raise PublishError(f"{out_dir / VERSIONS_DIR / version}: no such published version")
    tmp = out_dir / f".{CURRENT_LINK}-{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"
    os.symlink(os.path.join(VERSIONS_DIR, version), tmp)
    try:
        os.replace(tmp, out_dir / CURRENT_LINK)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_path(out_dir)


def _drop_leftovers(out_dir: Path) -> None:
    """Delete staging/trash directories and temp links of crashed publishers (call with the lock held)."""
    root = out_dir / VERSIONS_DIR
    for p in root.iterdir() if root.is_dir() else ():
        if p.name.startswith((".staging-", ".trash-")):
            _remove_tree(p)
    for p in out_dir.glob(f".{CURRENT_LINK}-*.tmp"):
        p.unlink(missing_ok=True)


def prune_versions(
    out_dir: Path, keep: int = DEFAULT_KEEP, grace_s: float = DEFAULT_GRACE_S, now: dt.datetime | None = None
) -> PruneReport:
    """Delete old versions, keeping the newest ``keep`` and every version that may be in use.

    Kept regardless of age: the version ``current`` points to; one superseded (by the next newer version)
    less than ``grace_s`` seconds ago; one opened with :func:`open_published` less than ``grace_s`` seconds
    ago (``.readers/<version>`` marker, best effort); one whose ``catalog.duckdb`` a reader holds open.

    Parameters
    ----------
    out_dir
        Publication root.
    keep
        Number of newest versions to keep (at least 1).
    grace_s
        Seconds a superseded version is kept.
    now
        Current UTC time (tests).

    Returns
    -------
    PruneReport
    """
    now = now or dt.datetime.now(dt.UTC)
    names = _versions(out_dir)
    current = current_version(out_dir)
    report = PruneReport()
    for i, name in enumerate(names):
        newer = names[i + 1] if i + 1 < len(names) else None
        superseded = _version_time(newer) if newer else None
        if len(names) - i <= max(keep, 1):
            report.kept[name] = f"among the newest {max(keep, 1)}"
        elif current is not None and current.name == name:
            report.kept[name] = "current"
        elif superseded is not None and (now - superseded).total_seconds() < grace_s:
            report.kept[name] = f"superseded less than {grace_s:g} s ago"
        elif _opened_within(out_dir, name, grace_s, now):
            report.kept[name] = f"opened less than {grace_s:g} s ago"
        elif not _delete_if_unused(out_dir / VERSIONS_DIR / name):
            report.kept[name] = "open by a reader"
        else:
            (out_dir / READERS_DIR / name).unlink(missing_ok=True)
            report.removed.append(name)
    return report


def _opened_within(out_dir: Path, name: str, grace_s: float, now: dt.datetime) -> bool:
    """Whether :func:`open_published` opened version ``name`` less than ``grace_s`` seconds before ``now``."""
    try:
        opened = dt.datetime.fromtimestamp((out_dir / READERS_DIR / name).stat().st_mtime, dt.UTC)
    except FileNotFoundError:
        return False
    return (now - opened).total_seconds() < grace_s


def _note_reader(out_dir: Path, version_dir: Path) -> None:
    """Touch ``out_dir/.readers/<version>`` (best effort: BI users may not write to the publication root)."""
    try:
        (out_dir / READERS_DIR).mkdir(exist_ok=True)
        (out_dir / READERS_DIR / version_dir.name).touch()
    except OSError:
        LOG.debug("publish: cannot record a reader of %s", version_dir.name)


def _delete_if_unused(version_dir: Path) -> bool:
    """Delete a version unless a reader holds its catalog open; return whether it was deleted."""
    trash = version_dir.with_name(f".trash-{version_dir.name}-{uuid.uuid4().hex[:8]}")
    with _exclusive_if_unused(version_dir / CATALOG_NAME) as unused:
        if not unused:
            return False
        version_dir.chmod(0o755)
        os.rename(version_dir, trash)
    _remove_tree(trash)
    return True


# ------------------------------------------------------------------------------------------------ publish


def _utc_now() -> dt.datetime:
    """Current UTC time."""
    return dt.datetime.now(dt.UTC)


def _iso(t: dt.datetime) -> str:
    """ISO 8601 UTC time with a ``Z`` suffix."""
    return t.isoformat().replace("+00:00", "Z")


def _manifest(
    config: PublishConfig,
    version: str,
    published_at: dt.datetime,
    dbt: DbtInvocation,
    entries: list[dict[str, Any]],
    skipped: list[str],
    content_hash: str,
) -> dict[str, Any]:
    """The manifest of a new version."""
    for e in entries:
        e["built_by_invocation"] = any(
            uid.split(".")[-1] == e["name"] and uid.startswith("model.") for uid in dbt.built
        )
    return {
        "format": FORMAT,
        "version": version,
        "published_at": _iso(published_at),
        "zlcast_version": __version__,
        "content_hash": content_hash,
        "dbt": {
            "invocation_id": dbt.invocation_id,
            "command": dbt.command,
            "generated_at": dbt.generated_at,
            "dbt_version": dbt.dbt_version,
            "status_counts": dbt.status_counts,
        },
        "data_dir": config.data_dir,
        "warehouse": str(config.warehouse),
        "catalog": CATALOG_NAME,
        "catalog_storage_version": CATALOG_STORAGE_VERSION,
        "catalog_duckdb_version": duckdb.__version__,
        "tables": entries,
        "skipped": skipped,
    }


def _build_version(config: PublishConfig, staging: Path, dbt: DbtInvocation) -> tuple[str, dict[str, Any], list[str]]:
    """Fill ``staging`` with Parquet files, catalog and manifest; return (version name, manifest, skipped)."""
    entries, skipped = _export_all(config, staging)
    if read_build_results(config.target_path, config.accept_commands).invocation_id != dbt.invocation_id:
        raise PublishError("a dbt command finished while publishing; nothing published, run `zlcast publish` again")
    for name in skipped:
        LOG.warning("publish: %s is not in the warehouse (not built yet?); skipped", name)
    content_hash = _content_hash(entries)
    published_at = _utc_now()
    version = f"{published_at.strftime(_TS_FORMAT)}-{content_hash}"
    _write_info(
        staging,
        entries,
        {
            "version": version,
            "published_at": _iso(published_at),
            "dbt_invocation_id": dbt.invocation_id,
            "data_dir": config.data_dir,
        },
        _dbt_docs(config.target_path),
    )
    _verify_catalog(staging, entries)
    manifest = _manifest(config, version, published_at, dbt, entries, skipped, content_hash)
    stale = [e["name"] for e in entries if not e["built_by_invocation"]]
    if stale:
        LOG.warning(
            "publish: %s not rebuilt by dbt invocation %s (partial selection?); published as an earlier "
            "build left them",
            ", ".join(stale),
            dbt.invocation_id,
        )
    manifest["catalog_sha256"] = _sha256(staging / CATALOG_NAME)
    _write_json(staging / MANIFEST_NAME, manifest)
    _seal(staging)
    return version, manifest, skipped


def publish(config: PublishConfig) -> PublishResult:
    """Publish the marts of the last successful ``dbt build`` as a new version and make it current.

    Parameters
    ----------
    config
        What to publish, from where, to where.

    Returns
    -------
    PublishResult

    Raises
    ------
    PublishError
        The build failed or was interrupted, a required mart is missing, the warehouse is being written,
        or writing the version failed. ``current`` and the published versions are then unchanged.
    """
    dbt = read_build_results(config.target_path, config.accept_commands)
    (config.out_dir / VERSIONS_DIR).mkdir(parents=True, exist_ok=True)
    with _publish_lock(config.out_dir, config.lock_timeout_s):
        _drop_leftovers(config.out_dir)
        staging = config.out_dir / VERSIONS_DIR / f".staging-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        staging.mkdir()
        try:
            version, manifest, skipped = _build_version(config, staging, dbt)
            final = config.out_dir / VERSIONS_DIR / version
            staging.chmod(0o755)  # renaming a directory needs write access to it
            os.rename(staging, final)
            final.chmod(_READ_ONLY_DIR)
            _fsync_path(final.parent)
        except BaseException:
            _remove_tree(staging)
            raise
        set_current(config.out_dir, version)
        pruned = prune_versions(config.out_dir, config.keep, config.grace_s)
    return PublishResult(final, manifest, skipped, pruned)


# ------------------------------------------------------------------------------------------------ readers


def open_published(out_dir: Path = Path("state/published"), read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the current published catalog read-only, pinned to the version ``current`` points to now.

    The symlink is resolved once: a later publish switches ``current`` but this connection keeps reading
    its own (immutable) version, which is never deleted while the connection is open. The catalog holds
    tables, so no working directory or ``file_search_path`` is involved (any DuckDB client can open
    ``state/published/current/catalog.duckdb`` directly; this function adds the pinning and the
    retention hint).

    Parameters
    ----------
    out_dir
        Publication root.
    read_only
        Must stay True for readers (the files are read-only anyway).

    Returns
    -------
    duckdb.DuckDBPyConnection
        Tables named like the marts, plus ``zl_publish_info``.

    Raises
    ------
    FileNotFoundError
        Nothing has been published yet.
    """
    version_dir = current_version(out_dir)
    if version_dir is None or not (version_dir / CATALOG_NAME).is_file():
        raise FileNotFoundError(f"{out_dir / CURRENT_LINK}: nothing published yet (run `zlcast publish`)")
    _note_reader(out_dir, version_dir)
    return duckdb.connect(str(version_dir / CATALOG_NAME), read_only=read_only)


# ---------------------------------------------------------------------------------------------------- CLI


def _names(text: str) -> tuple[str, ...]:
    """Split a comma-separated list of names."""
    return tuple(n.strip() for n in text.split(",") if n.strip())


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the options of ``zlcast publish`` to a parser (the ``zlcast`` CLI's subparser, or its own).

    Parameters
    ----------
    p
        Parser to extend.

    Returns
    -------
    argparse.ArgumentParser
        ``p``.
    """
    for flag, env, default, what in (
        ("--warehouse", "ZL_DUCKDB_PATH", "state/zl.duckdb", "DuckDB file of the build"),
        ("--target-path", "DBT_TARGET_PATH", "target", "dbt target directory with run_results.json"),
        ("--out", "ZL_PUBLISH_DIR", "state/published", "publication root"),
    ):
        p.add_argument(flag, default=os.environ.get(env) or default, help=f"{what} (default: ${env} or {default})")
    for flag, names, what in (
        ("--tables", DEFAULT_TABLES, "marts to publish"),
        ("--require", DEFAULT_REQUIRE, "marts that must exist"),
    ):
        p.add_argument(flag, type=_names, default=names, help=f"comma-separated {what} (default: {','.join(names)})")
    p.add_argument("--keep", type=int, default=DEFAULT_KEEP, help="versions to keep (default: %(default)s)")
    p.add_argument(
        "--grace-s",
        type=float,
        default=DEFAULT_GRACE_S,
        help="never delete a version superseded less than this many seconds ago (default: %(default)s)",
    )
    p.add_argument(
        "--data-dir",
        default=os.environ.get("ZL_DATA_DIR") or "",
        help="data directory of the build, for the manifest (default: $ZL_DATA_DIR, else the demo set)",
    )
    p.add_argument(
        "--accept-command",
        action="append",
        default=None,
        help="dbt command whose results may be published (repeatable; default: build)",
    )
    return p


def build_parser() -> argparse.ArgumentParser:
    """Stand-alone argument parser of ``zlcast publish``."""
    return add_arguments(argparse.ArgumentParser(prog="zlcast publish", description=__doc__.splitlines()[0]))


def config_from_args(args: argparse.Namespace) -> PublishConfig:
    """Turn parsed arguments into a :class:`PublishConfig`."""
    return PublishConfig(
        warehouse=Path(args.warehouse),
        target_path=Path(args.target_path),
        out_dir=Path(args.out),
        tables=tuple(args.tables),
        require=tuple(args.require),
        keep=args.keep,
        grace_s=args.grace_s,
        data_dir=args.data_dir or "state/demo_data (synthetic demo data)",
        accept_commands=tuple(args.accept_command or DEFAULT_ACCEPT_COMMANDS),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``zlcast publish``; return 0 when published, 2 when refused or failed (message on stderr).

    Parameters
    ----------
    argv
        Arguments after ``publish`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
    """
    return run(build_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Publish with parsed arguments (see :func:`add_arguments`); print the outcome; return the exit status.

    Parameters
    ----------
    args
        Parsed ``zlcast publish`` options.

    Returns
    -------
    int
        0 published, 2 refused or failed (the reason on stderr; nothing changed).
    """
    try:
        result = publish(config_from_args(args))
    except (PublishError, OSError, duckdb.Error) as exc:
        print(f"zlcast publish: {exc}", file=sys.stderr)
        return 2
    tables = ", ".join(f"{t['name']} ({t['rows']} rows)" for t in result.manifest["tables"])
    print(f"published {result.version_dir.name}: {tables}")
    print(f"{Path(args.out) / CURRENT_LINK} -> {VERSIONS_DIR}/{result.version_dir.name}")
    if result.skipped:
        print(f"skipped (not in the warehouse yet): {', '.join(result.skipped)}")
    if result.pruned.removed:
        print(f"removed old versions: {', '.join(result.pruned.removed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
