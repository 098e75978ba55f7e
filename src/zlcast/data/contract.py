"""Input data contract: validate a data directory before dbt reads it.

A data directory has the layout of the shared market data set::

    futures_daily.parquet          one row per (root, trade_date)
    macro/*.csv                    one of three layouts (see below)
    trade_policy_events.csv        header ``event_date,event,direction,source``
    epa_rin_prices_d6.csv          optional: EPA EMTS D6 RIN price export, as exported (:func:`check_epa_rin_export`)
    cftc_cot.csv                   optional: columns report_date, managed_money_net (:func:`check_cftc_cot`)

Macro file layouts (:func:`macro_layout`), one series per file:

* ``series_id,date,value``: the latest vintage (values as revised up to the download); the models use each
  value from the release date of seed ``macro_series`` (release-lag rule);
* ``series_id,date,value,realtime_start``: ALFRED vintages (point in time), one row per value and the date
  FRED first published it; several rows per date when the value was revised;
* ``observation_date,<SERIES_ID>``: FRED's own CSV download (``.`` or empty = missing), a latest vintage.

Other files (``rins.csv``, ``futures_hourly_sample/``, ``raw/`` ...) are ignored.

:func:`validate_data_dir` checks every file, collects all problems and raises one
:class:`DataContractError` listing them (file, column and up to five example rows per
problem). Checks are vectorised (DuckDB for the parquet file, pyarrow for the CSV files),
so the real 248k-row data set validates in well under a second.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

__all__ = [
    "CFTC_COT_FILE",
    "DEFAULT_MAX_GAP_DAYS",
    "EPA_RIN_FILE",
    "EPA_RIN_HEADER",
    "EVENTS_FILE",
    "EVENTS_HEADER",
    "EVENT_DIRECTIONS",
    "FUTURES_COLUMNS",
    "FUTURES_FILE",
    "KNOWN_SPARSE_HISTORY",
    "MACRO_DIR",
    "MACRO_HEADER",
    "MACRO_LAYOUTS",
    "VINTAGE_HEADER",
    "ContractReport",
    "DataContractError",
    "RootCoverage",
    "SeriesCoverage",
    "check_cftc_cot",
    "check_epa_rin_export",
    "macro_layout",
    "validate_data_dir",
]

FUTURES_FILE = "futures_daily.parquet"
MACRO_DIR = "macro"
EVENTS_FILE = "trade_policy_events.csv"

MACRO_HEADER: tuple[str, ...] = ("series_id", "date", "value")
VINTAGE_HEADER: tuple[str, ...] = (*MACRO_HEADER, "realtime_start")
FRED_DOWNLOAD_DATE = "observation_date"
#: Macro file layouts: name -> description (used in messages and in ``zlcast validate``).
MACRO_LAYOUTS: Mapping[str, str] = {
    "vintage": "point in time (ALFRED vintages, used from realtime_start + 1 day)",
    "latest": "latest vintage (used from the release-lag date of seed macro_series)",
    "fred_download": "FRED CSV download, latest vintage (release-lag rule)",
}
_SERIES_TOKEN = r"^[A-Za-z0-9_.]+$"

EPA_RIN_FILE = "epa_rin_prices_d6.csv"
#: Header of EPA's EMTS "RIN Trades and Price Information" export, as exported (fields quoted in the rows).
EPA_RIN_HEADER: tuple[str, ...] = (
    "Transfer Date by Week",
    "Transfer Year",
    "RIN Year",
    "Fuel (D Code)",
    "QAP Service Type",
    "RIN Price",
)
EPA_QAP_TYPES: frozenset[str] = frozenset({"Unverified", "Q-RIN"})
CFTC_COT_FILE = "cftc_cot.csv"
EVENTS_HEADER: tuple[str, ...] = ("event_date", "event", "direction", "source")
EVENT_DIRECTIONS: frozenset[str] = frozenset({"escalation", "de-escalation"})

#: Required parquet columns and their dtype family.
FUTURES_COLUMNS: Mapping[str, str] = {
    "root": "string",
    "trade_date": "date",
    "instrument_id": "integer",
    "open": "floating",
    "high": "floating",
    "low": "floating",
    "close": "floating",
    "volume": "integer",
    "n_bars": "integer",
    "is_roll": "boolean",
    "n_instruments": "integer",
    "low_volume": "boolean",
}
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")

#: A required root may not skip more than this many calendar days between two consecutive
#: sessions. The real data's largest gap for the required roots (outside the sparse history
#: below) is 5 days (a holiday Monday after a weekend, or Christmas/New Year); five missing
#: business days always make a gap of at least 8 days.
DEFAULT_MAX_GAP_DAYS = 7

#: Roots whose early history is known to be sparse: gaps that END before the date are
#: reported as warnings, not errors. 6L (Brazilian real) has only 99-241 sessions a year in
#: 2010-2014 in the real data (volume-ranked mapping on a thin market), with gaps of 21 days
#: (2010-06-15 -> 2010-07-06) and 11 days (2011-08-18 -> 2011-08-29); from 2012 on its largest
#: gap is 6 days.
KNOWN_SPARSE_HISTORY: Mapping[str, date] = {"6L": date(2012, 1, 1)}

_MAX_EXAMPLES = 5
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_NUMBER = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"
_FRED_MISSING = frozenset({"", "."})


class DataContractError(ValueError):
    """A data directory violates the input contract.

    Parameters
    ----------
    problems : Sequence[str]
        One line per problem, each naming the file, the column and example rows.
    data_dir : Path or None
        The validated directory (used in the message only).

    Attributes
    ----------
    problems : tuple[str, ...]
        The individual problems, in the order they were found.
    """

    def __init__(self, problems: Sequence[str], data_dir: Path | None = None) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        where = f" in {data_dir}" if data_dir is not None else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"data contract violated{where}: {len(self.problems)} problem(s)\n{lines}")


@dataclass(frozen=True)
class RootCoverage:
    """Coverage of one futures root.

    Attributes
    ----------
    root : str
        Product root.
    rows : int
        Number of sessions.
    first_date, last_date : date
        First and last trade date.
    """

    root: str
    rows: int
    first_date: date
    last_date: date


@dataclass(frozen=True)
class SeriesCoverage:
    """Coverage of one macro series.

    Attributes
    ----------
    series_id : str
        Series id.
    file : str
        File (relative to the data directory) holding the series.
    rows : int
        Number of valid observations (distinct observation dates).
    first_date, last_date : date
        First and last observation date.
    layout : str
        ``vintage``, ``latest`` or ``fred_download`` (see :data:`MACRO_LAYOUTS`).
    vintages : int
        Rows of a vintage file (values including revisions); equal to ``rows`` otherwise.
    """

    series_id: str
    file: str
    rows: int
    first_date: date
    last_date: date
    layout: str = "latest"
    vintages: int = 0


@dataclass(frozen=True)
class ContractReport:
    """Summary of a data directory that passed :func:`validate_data_dir`.

    Attributes
    ----------
    data_dir : Path
        The validated directory.
    futures_rows : int
        Rows of ``futures_daily.parquet``.
    futures_first_date, futures_last_date : date or None
        Trade-date range over all roots (None when the file has no rows).
    roots : tuple[RootCoverage, ...]
        Per-root coverage, sorted by root.
    macro_rows : int
        Valid observations over all macro files.
    macro_series : tuple[SeriesCoverage, ...]
        Per-series coverage, sorted by series id.
    event_rows : int
        Rows of ``trade_policy_events.csv``.
    optional_files : tuple of str
        One line per optional file present and valid (``epa_rin_prices_d6.csv: 2158 rows, weeks ...``).
    events_first_date, events_last_date : date or None
        Event-date range (None when the file has no rows).
    warnings : tuple[str, ...]
        Non-fatal findings (unknown macro series, known sparse history, ...).
    """

    data_dir: Path
    futures_rows: int
    futures_first_date: date | None
    futures_last_date: date | None
    roots: tuple[RootCoverage, ...]
    macro_rows: int
    macro_series: tuple[SeriesCoverage, ...]
    event_rows: int
    events_first_date: date | None
    events_last_date: date | None
    warnings: tuple[str, ...] = field(default_factory=tuple)
    optional_files: tuple[str, ...] = field(default_factory=tuple)

    @property
    def macro_first_date(self) -> date | None:
        """First observation date over all macro series (None without series)."""
        return min((s.first_date for s in self.macro_series), default=None)

    @property
    def macro_last_date(self) -> date | None:
        """Last observation date over all macro series (None without series)."""
        return max((s.last_date for s in self.macro_series), default=None)

    def macro_layout_line(self) -> str:
        """One line saying which macro series are point in time and which are latest vintages."""
        groups: dict[str, list[str]] = {}
        for s in self.macro_series:
            groups.setdefault(s.layout, []).append(s.series_id)
        parts = [
            f"{MACRO_LAYOUTS[k]}: {', '.join(v)}" for k, v in sorted(groups.items(), key=lambda kv: kv[0] != "vintage")
        ]
        return f"{MACRO_DIR}/ layouts: " + ("; ".join(parts) if parts else "no series")

    def summary(self) -> str:
        """Return a short human-readable summary (several lines).

        Returns
        -------
        str
            Row counts, date ranges and warnings.
        """
        lines = [
            f"{FUTURES_FILE}: {self.futures_rows} rows, {len(self.roots)} roots, "
            f"{self.futures_first_date} .. {self.futures_last_date}",
            f"{MACRO_DIR}/: {self.macro_rows} observations, {len(self.macro_series)} series, "
            f"{self.macro_first_date} .. {self.macro_last_date}",
            self.macro_layout_line(),
            f"{EVENTS_FILE}: {self.event_rows} events, {self.events_first_date} .. {self.events_last_date}",
            *self.optional_files,
        ]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


# --------------------------------------------------------------------------------------
# seeds
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _RootsSeed:
    label: str
    roots: frozenset[str]
    required: tuple[str, ...]
    nonpositive_allowed: frozenset[str]


@dataclass(frozen=True)
class _MacroSeed:
    label: str
    series: frozenset[str]
    required: tuple[str, ...]


def _seed_label(path: Path) -> str:
    """Return ``<parent>/<name>`` of a seed file for messages (e.g. ``seeds/futures_roots.csv``)."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _read_seed(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    """Read a small seed CSV into dicts, checking that ``columns`` are present.

    Raises
    ------
    DataContractError
        If the file is missing or lacks a column.
    """
    label = _seed_label(path)
    if not path.is_file():
        raise DataContractError([f"{label}: seed file not found"])
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise DataContractError([f"{label}: missing column(s) {', '.join(missing)}"])
        return [dict(row) for row in reader]


def _is_true(text: str | None) -> bool:
    """Parse a seed boolean (``true``/``false``, case-insensitive)."""
    return (text or "").strip().lower() in {"true", "t", "1", "yes"}


def _load_roots_seed(path: Path) -> _RootsSeed:
    rows = _read_seed(path, ["root", "price_unit", "used_by_features", "nonpositive_allowed"])
    return _RootsSeed(
        label=_seed_label(path),
        roots=frozenset(r["root"].strip() for r in rows),
        required=tuple(sorted(r["root"].strip() for r in rows if _is_true(r["used_by_features"]))),
        nonpositive_allowed=frozenset(r["root"].strip() for r in rows if _is_true(r["nonpositive_allowed"])),
    )


def _load_macro_seed(path: Path) -> _MacroSeed:
    rows = _read_seed(path, ["series_id", "required"])
    return _MacroSeed(
        label=_seed_label(path),
        series=frozenset(r["series_id"].strip() for r in rows),
        required=tuple(sorted(r["series_id"].strip() for r in rows if _is_true(r["required"]))),
    )


# --------------------------------------------------------------------------------------
# futures_daily.parquet
# --------------------------------------------------------------------------------------

_FAMILY_CHECKS: Mapping[str, Callable[[pa.DataType], bool]] = {
    "string": lambda t: (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_string_view(t)
        or (pa.types.is_dictionary(t) and (pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)))
    ),
    "date": lambda t: pa.types.is_date(t),
    "integer": pa.types.is_integer,
    "floating": pa.types.is_floating,
    "boolean": pa.types.is_boolean,
}


def _schema_problems(schema: pa.Schema, file: str) -> list[str]:
    """Return problems with missing columns or wrong dtype families."""
    problems = []
    names = set(schema.names)
    missing = [c for c in FUTURES_COLUMNS if c not in names]
    if missing:
        problems.append(f"{file}: missing required column(s): {', '.join(missing)}")
    for column, family in FUTURES_COLUMNS.items():
        if column in names and not _FAMILY_CHECKS[family](schema.field(column).type):
            problems.append(f"{file}: column {column}: dtype {schema.field(column).type} is not of family {family}")
    return problems


def _examples(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> tuple[int, list[str]]:
    """Run a query returning ``(n_total, example)`` rows; return the count and the examples.

    The query must select a total count (e.g. ``count(*) over ()``) and one text column,
    and is limited to :data:`_MAX_EXAMPLES` rows.
    """
    rows = con.execute(f"select * from ({sql}) limit {_MAX_EXAMPLES}", list(params)).fetchall()
    if not rows:
        return 0, []
    return int(rows[0][0]), [str(r[1]) for r in rows]


def _fmt(n: int, examples: Sequence[str], unit: str = "row(s)") -> str:
    """Format a count and example rows as ``N row(s): a; b`` (``e.g.`` when truncated)."""
    more = ", e.g. " if n > len(examples) else ": "
    return f"{n} {unit}{more}{'; '.join(examples)}"


_KEY = "coalesce(root, '<null root>') || ' ' || coalesce(strftime(trade_date, '%Y-%m-%d'), '<null date>')"


@dataclass(frozen=True)
class _RowCheck:
    """A row-level rule on table ``f``: rows matching ``where`` violate it.

    Attributes
    ----------
    what : str
        Message after the file name (``column close: NaN/inf price``).
    where : str
        SQL predicate selecting the offending rows.
    detail : str
        SQL text expression appended to the row key in the examples ('' for none).
    params : tuple
        Query parameters of ``where``.
    """

    what: str
    where: str
    detail: str = "''"
    params: tuple[Any, ...] = ()


def _row_checks(seed: _RootsSeed) -> list[_RowCheck]:
    """Return the row-level futures rules (nulls, NaN/inf, signs, bar consistency)."""
    checks = [_RowCheck(f"column {c}: null values", f"{c} is null") for c in FUTURES_COLUMNS]
    checks += [_RowCheck(f"column {c}: NaN/inf price", f"not isfinite({c})", f"' {c}=' || {c}") for c in PRICE_COLUMNS]
    detail = ", ".join(f"case when {c} <= 0 then '{c}=' || {c} end" for c in PRICE_COLUMNS)
    checks += [
        _RowCheck(
            f"columns open/high/low/close: non-positive price for a root whose nonpositive_allowed is false "
            f"in {seed.label}",
            f"({' or '.join(f'{c} <= 0' for c in PRICE_COLUMNS)}) and root not in (select unnest(?::varchar[]))",
            f"' (' || concat_ws(', ', {detail}) || ')'",
            (sorted(seed.nonpositive_allowed) or [""],),
        ),
        _RowCheck("columns high/low: high < low", "high < low", "' (high=' || high || ', low=' || low || ')'"),
        _RowCheck(
            "columns open/close: outside the [low, high] range",
            "not (high < low) and (open > high or open < low or close > high or close < low)",
            "' (open=' || open || ', high=' || high || ', low=' || low || ', close=' || close || ')'",
        ),
        _RowCheck("column volume: negative volume", "volume < 0", "' volume=' || volume"),
    ]
    return checks


def _row_problems(con: duckdb.DuckDBPyConnection, checks: Sequence[_RowCheck], file: str) -> list[str]:
    """Run row-level rules (one counting scan, examples only for violated rules)."""
    counts = con.execute(
        "select " + ", ".join(f"count(*) filter (where {c.where})" for c in checks) + " from f",
        [p for c in checks for p in c.params],
    ).fetchone()
    problems = []
    for check, count in zip(checks, counts or (), strict=True):
        if count:
            _, ex = _examples(
                con,
                f"select 0, {_KEY} || {check.detail} from f where {check.where} order by root, trade_date",
                check.params,
            )
            problems.append(f"{file}: {check.what} in {_fmt(int(count), ex)}")
    return problems


def _duplicate_problems(con: duckdb.DuckDBPyConnection, file: str) -> list[str]:
    """Return a problem listing duplicate (root, trade_date) keys."""
    n, ex = _examples(
        con,
        f"select count(*) over (), {_KEY} || ' (' || n || ' rows)' from "
        "(select root, trade_date, count(*) as n from f group by all having count(*) > 1) order by root, trade_date",
    )
    return [f"{file}: duplicate (root, trade_date) rows: {_fmt(n, ex, 'key(s)')}"] if n else []


def _root_problems(con: duckdb.DuckDBPyConnection, seed: _RootsSeed, file: str) -> list[str]:
    """Return problems for roots missing from the seed and required roots absent from the file."""
    problems = []
    n, ex = _examples(
        con,
        "select count(*) over (), root || ' (' || count(*) || ' rows)' from f "
        "where root is not null and root not in (select unnest(?::varchar[])) group by root order by root",
        [sorted(seed.roots) or [""]],
    )
    if n:
        problems.append(
            f"{file}: column root: unknown root(s) {'; '.join(ex)}{' ...' if n > len(ex) else ''}: "
            f"add it to {seed.label} with its price unit"
        )
    present = {r[0] for r in con.execute("select distinct root from f").fetchall()}
    absent = [r for r in seed.required if r not in present]
    if absent:
        problems.append(
            f"{file}: column root: required root(s) absent: {', '.join(absent)} (used_by_features=true in {seed.label})"
        )
    return problems


def _gap_findings(
    con: duckdb.DuckDBPyConnection,
    seed: _RootsSeed,
    max_gap_days: int,
    known_sparse: Mapping[str, date],
    file: str,
) -> tuple[list[str], list[str]]:
    """Find "missing days" of required roots; return (problems, warnings for known sparse history)."""
    gaps = con.execute(
        """
        select root, prev, trade_date, datediff('day', prev, trade_date) as gap from (
            select root, trade_date, lag(trade_date) over (partition by root order by trade_date) as prev
            from f where root in (select unnest(?::varchar[])) and trade_date is not null
        ) where datediff('day', prev, trade_date) > ? order by root, prev
        """,
        [list(seed.required) or [""], max_gap_days],
    ).fetchall()
    hard = [g for g in gaps if not (g[0] in known_sparse and g[2] < known_sparse[g[0]])]
    soft = [g for g in gaps if g not in hard]
    problems = []
    if hard:
        worst = sorted(hard, key=lambda g: (-g[3], g[0], g[1]))[:_MAX_EXAMPLES]
        ex = [f"{r} {p:%Y-%m-%d} -> {t:%Y-%m-%d} ({d} days)" for r, p, t, d in worst]
        problems.append(
            f"{file}: column trade_date: missing days: required root(s) {', '.join(sorted({g[0] for g in hard}))} "
            f"have gaps of more than {max_gap_days} calendar days between consecutive sessions: "
            f"{_fmt(len(hard), ex, 'gap(s)')}"
        )
    warnings = []
    for root in sorted({g[0] for g in soft}):
        mine = [g for g in soft if g[0] == root]
        largest = max(mine, key=lambda g: g[3])
        warnings.append(
            f"{file}: {root} has {len(mine)} gap(s) of more than {max_gap_days} days before "
            f"{known_sparse[root]:%Y-%m-%d} (known sparse history), largest "
            f"{largest[1]:%Y-%m-%d} -> {largest[2]:%Y-%m-%d} ({largest[3]} days)"
        )
    return problems, warnings


def _stale_warnings(con: duckdb.DuckDBPyConnection, seed: _RootsSeed, max_gap_days: int, file: str) -> list[str]:
    """Warn about required roots that end well before the file's last trade date."""
    stale = con.execute(
        "select root, max(trade_date), (select max(trade_date) from f) from f "
        "where root in (select unnest(?::varchar[])) group by root "
        "having datediff('day', max(trade_date), (select max(trade_date) from f)) > ? order by root",
        [list(seed.required) or [""], max_gap_days],
    ).fetchall()
    return [
        f"{file}: required root {root} ends {last:%Y-%m-%d}, the file ends {end:%Y-%m-%d}" for root, last, end in stale
    ]


def _futures_value_problems(
    con: duckdb.DuckDBPyConnection,
    seed: _RootsSeed,
    max_gap_days: int,
    known_sparse: Mapping[str, date],
    file: str,
) -> tuple[list[str], list[str]]:
    """Run every value check on table ``f``; return (problems, warnings)."""
    problems = _row_problems(con, _row_checks(seed), file)
    problems += _duplicate_problems(con, file)
    problems += _root_problems(con, seed, file)
    gap_problems, warnings = _gap_findings(con, seed, max_gap_days, known_sparse, file)
    return problems + gap_problems, warnings + _stale_warnings(con, seed, max_gap_days, file)


def _check_futures(
    data_dir: Path, seed: _RootsSeed, max_gap_days: int, known_sparse: Mapping[str, date]
) -> tuple[list[str], list[str], int, tuple[RootCoverage, ...]]:
    """Validate ``futures_daily.parquet``; return (problems, warnings, rows, per-root coverage)."""
    file = FUTURES_FILE
    path = data_dir / file
    if not path.is_file():
        return [f"{file}: file not found in {data_dir}"], [], 0, ()
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as exc:
        return [f"{file}: not a readable parquet file ({exc})"], [], 0, ()
    problems = _schema_problems(schema, file)
    if problems:
        return problems, [], 0, ()
    with duckdb.connect(":memory:") as con:
        cols = ", ".join(f'"{c}"' for c in FUTURES_COLUMNS)
        con.execute(f"create table f as select {cols} from read_parquet(?)", [str(path)])
        value_problems, warnings = _futures_value_problems(con, seed, max_gap_days, known_sparse, file)
        coverage = tuple(
            RootCoverage(root=r, rows=int(n), first_date=a, last_date=b)
            for r, n, a, b in con.execute(
                "select root, count(*), min(trade_date), max(trade_date) from f "
                "where root is not null group by root order by root"
            ).fetchall()
        )
        (n_rows,) = con.execute("select count(*) from f").fetchone() or (0,)
    return value_problems, warnings, int(n_rows), coverage


# --------------------------------------------------------------------------------------
# CSV files
# --------------------------------------------------------------------------------------


def _header_problem(path: Path, label: str, expected: Sequence[str]) -> str | None:
    """Return a problem if the first line of ``path`` is not exactly ``expected`` joined by commas."""
    with path.open("rb") as fh:
        first = fh.readline()
    if not first:
        return f"{label}: empty file (expected header {','.join(expected)!r})"
    try:
        header = first.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        return f"{label}: header is not UTF-8 text (expected {','.join(expected)!r})"
    if header != ",".join(expected):
        return f"{label}: wrong header: found {header!r}, expected {','.join(expected)!r}"
    return None


@dataclass(frozen=True)
class _TextCsv:
    """A CSV file read with every column as text.

    Attributes
    ----------
    columns : Mapping[str, pyarrow.StringArray]
        The well-formed rows, per column.
    lines : numpy.ndarray
        1-based line number in the file of each well-formed row.
    bad_lines : list[int]
        Line numbers of rows with the wrong number of fields (skipped).
    """

    columns: Mapping[str, pa.Array]
    lines: np.ndarray
    bad_lines: list[int]

    def __len__(self) -> int:
        return len(self.lines)


def _read_text_csv(path: Path, columns: Sequence[str]) -> _TextCsv:
    """Read a CSV whose header was already checked, every column as text."""
    bad: list[int] = []

    def handler(row: Any) -> str:
        bad.append(int(row.number) if row.number is not None else -1)  # 1-based line in the file
        return "skip"

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(skip_rows=1, column_names=list(columns), use_threads=False),
        parse_options=pacsv.ParseOptions(invalid_row_handler=handler, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in columns}, strings_can_be_null=False),
    )
    # Data rows are lines 2.. (no quoted newlines), minus the skipped invalid rows.
    lines = np.arange(2, 2 + table.num_rows + len(bad))
    if bad:
        lines = lines[~np.isin(lines, bad)]
    return _TextCsv({c: table[c].combine_chunks() for c in columns}, lines[: table.num_rows], bad)


def _bad_field_problem(label: str, csv_file: _TextCsv, n_columns: int) -> list[str]:
    """Return a problem naming the lines with the wrong number of fields."""
    if not csv_file.bad_lines:
        return []
    ex = [f"line {n}" for n in csv_file.bad_lines[:_MAX_EXAMPLES]]
    return [f"{label}: wrong number of fields (expected {n_columns}) in {_fmt(len(csv_file.bad_lines), ex)}"]


def _np_mask(values: Any) -> np.ndarray:
    """Convert an arrow boolean array (nulls count as False) to a numpy mask."""
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=np.bool_)


def _line_examples(csv_file: _TextCsv, mask: np.ndarray, column: str) -> str:
    """Format rows selected by ``mask`` as ``N row(s): line L: 'value'; ...``."""
    idx = np.flatnonzero(mask)
    values = csv_file.columns[column].take(pa.array(idx[:_MAX_EXAMPLES])).to_pylist()
    ex = [
        f"line {int(line)}: {value!r}" for line, value in zip(csv_file.lines[idx[:_MAX_EXAMPLES]], values, strict=True)
    ]
    return _fmt(len(idx), ex)


def _iso_dates(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Parse ISO ``YYYY-MM-DD`` strings; return (valid mask, ``datetime64[D]`` values, NaT where invalid).

    Each distinct string is parsed once (a vintage file repeats its dates hundreds of times).
    """
    distinct = pc.unique(values)
    parsed = pc.strptime(distinct, format="%Y-%m-%d", unit="s", error_is_null=True)
    # Arrow normalises impossible days (2020-02-30 -> 2020-03-01): require an exact round trip.
    ok = _np_mask(
        pc.and_(
            pc.match_substring_regex(distinct, _ISO_DATE), pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), distinct)
        )
    )
    days = np.where(ok, np.asarray(parsed.to_numpy(zero_copy_only=False), dtype="datetime64[D]"), np.datetime64("NaT"))
    position = np.asarray(pc.index_in(values, value_set=distinct).to_numpy(zero_copy_only=False), dtype=np.int64)
    return ok[position], days[position]


def macro_layout(header: Sequence[str]) -> str | None:
    """Layout of a macro CSV from its header fields (None when unknown).

    Returns
    -------
    str or None
        ``latest`` (``series_id,date,value``), ``vintage`` (``series_id,date,value,realtime_start``),
        ``fred_download`` (``observation_date,<SERIES_ID>``).
    """
    fields = tuple(f.strip() for f in header)
    if fields == MACRO_HEADER:
        return "latest"
    if fields == VINTAGE_HEADER:
        return "vintage"
    if len(fields) == 2 and fields[0] == FRED_DOWNLOAD_DATE and re.match(_SERIES_TOKEN, fields[1]):
        return "fred_download"
    return None


def _macro_header(path: Path, label: str) -> tuple[str | None, list[str], str | None]:
    """Read the header of a macro file; return (layout, fields, problem)."""
    with path.open("rb") as fh:
        first = fh.readline()
    expected = (
        f"expected {','.join(MACRO_HEADER)!r} (latest vintage), {','.join(VINTAGE_HEADER)!r} (ALFRED vintages) "
        f"or '{FRED_DOWNLOAD_DATE},<SERIES_ID>' (FRED download)"
    )
    if not first:
        return None, [], f"{label}: empty file ({expected})"
    try:
        text = first.decode("utf-8").removeprefix("\ufeff").rstrip("\r\n")
    except UnicodeDecodeError:
        return None, [], f"{label}: header is not UTF-8 text ({expected})"
    fields = [f.strip().strip('"') for f in text.split(",")]
    layout = macro_layout(fields)
    if layout is None:
        return None, fields, f"{label}: wrong header: found {text!r}, {expected}"
    return layout, fields, None


def _duplicate_observations(valid: pd.DataFrame, label: str, key: Sequence[str] = ("series_id", "date")) -> list[str]:
    """Return a problem listing duplicate keys of one file with their lines."""
    key = list(key)
    dup = valid.duplicated(key, keep=False)
    if not dup.any():
        return []
    groups = valid[dup].groupby(key, sort=True)["line"].apply(list)
    ex = [
        " ".join(
            f"{v:%Y-%m-%d}" if isinstance(v, pd.Timestamp) else str(v) for v in (k if isinstance(k, tuple) else (k,))
        )
        + f" (lines {', '.join(map(str, ls))})"
        for k, ls in groups.head(_MAX_EXAMPLES).items()
    ]
    return [f"{label}: duplicate ({', '.join(key)}) rows: {_fmt(len(groups), ex, 'key(s)')}"]


def _no_rows() -> pd.DataFrame:
    """Return an empty frame of valid macro observations."""
    return pd.DataFrame(columns=["series_id", "date", "value", "realtime_start", "line", "file", "layout"])


def _check_macro_file(path: Path, label: str, seed: _MacroSeed) -> tuple[list[str], list[str], pd.DataFrame]:
    """Validate one macro CSV (any layout); return (problems, warnings, valid rows with file, line, layout)."""
    layout, fields, header = _macro_header(path, label)
    if header or layout is None:
        return [header or f"{label}: unknown layout"], [], _no_rows()
    try:
        data = _read_text_csv(path, fields)
    except pa.ArrowInvalid as exc:
        return [f"{label}: not readable as CSV ({exc})"], [], _no_rows()
    problems = _bad_field_problem(label, data, len(fields))
    warnings: list[str] = []
    if layout == "fred_download":
        sid = pa.array([fields[1]] * len(data), pa.string())
        date_col, value_col = FRED_DOWNLOAD_DATE, fields[1]
    else:
        sid = pc.utf8_trim_whitespace(data.columns["series_id"])
        date_col, value_col = "date", "value"

    blank_id = _np_mask(pc.equal(sid, ""))
    if blank_id.any():
        problems.append(f"{label}: column series_id: empty series_id in {_line_examples(data, blank_id, 'series_id')}")
    stem = path.stem
    if layout != "fred_download" and (stem in seed.series or stem in pc.unique(sid).to_pylist()):
        other = ~blank_id & _np_mask(pc.not_equal(sid, stem))
        if other.any():
            problems.append(
                f"{label}: column series_id: not equal across the file (file holds {stem!r}) in "
                f"{_line_examples(data, other, 'series_id')}"
            )

    date_ok, dates = _iso_dates(data.columns[date_col])
    if (~date_ok).any():
        problems.append(
            f"{label}: column {date_col}: non-ISO date (expected YYYY-MM-DD) in "
            f"{_line_examples(data, ~date_ok, date_col)}"
        )
    keep = date_ok & ~blank_id
    realtime = np.full(len(data), np.datetime64("NaT"), dtype="datetime64[D]")
    if layout == "vintage":
        rt_ok, realtime = _iso_dates(data.columns["realtime_start"])
        if (~rt_ok).any():
            problems.append(
                f"{label}: column realtime_start: non-ISO date (expected YYYY-MM-DD) in "
                f"{_line_examples(data, ~rt_ok, 'realtime_start')}"
            )
        keep &= rt_ok

    text = pc.utf8_trim_whitespace(data.columns[value_col])
    missing = _np_mask(pc.is_in(text, value_set=pa.array(sorted(_FRED_MISSING))))
    numeric = _np_mask(pc.match_substring_regex(text, _NUMBER))
    bad_value = ~numeric & ~missing
    if bad_value.any():
        problems.append(
            f"{label}: column {value_col}: non-numeric value in {_line_examples(data, bad_value, value_col)}"
        )
    if missing.any():
        warnings.append(
            f"{label}: column {value_col}: {int(missing.sum())} FRED missing marker(s) ('.' or blank), "
            "dropped by staging"
        )

    keep &= numeric
    keep_arrow = pa.array(keep)
    valid = pd.DataFrame(
        {
            "series_id": sid.filter(keep_arrow).to_numpy(zero_copy_only=False),
            "date": dates[keep],
            "value": pc.cast(text.filter(keep_arrow), pa.float64()).to_numpy(zero_copy_only=False),
            "realtime_start": realtime[keep],
            "line": data.lines[keep],
            "file": label,
            "layout": layout,
        }
    )
    key = ("series_id", "date", "realtime_start") if layout == "vintage" else ("series_id", "date")
    dup_problems = _duplicate_observations(valid, label, key)
    if dup_problems:
        problems += dup_problems
        valid = valid[~valid.duplicated(list(key), keep="first")]
    for unknown in sorted(set(pc.unique(sid.filter(keep_arrow)).to_pylist()) - seed.series):
        warnings.append(f"{label}: unknown series_id {unknown!r} (not in {seed.label}); not used by the models")
    return problems, warnings, valid


def _check_macro(data_dir: Path, seed: _MacroSeed) -> tuple[list[str], list[str], tuple[SeriesCoverage, ...], int]:
    """Validate every ``macro/*.csv``; return (problems, warnings, coverage, rows)."""
    macro_dir = data_dir / MACRO_DIR
    if not macro_dir.is_dir():
        return [f"{MACRO_DIR}/: directory not found in {data_dir}"], [], (), 0
    problems: list[str] = []
    warnings: list[str] = []
    frames = []
    for path in sorted(macro_dir.glob("*.csv")):
        p, w, valid = _check_macro_file(path, f"{MACRO_DIR}/{path.name}", seed)
        problems += p
        warnings += w
        frames.append(valid)
    frames = [frame for frame in frames if len(frame)]
    vintage_rows = pd.concat(frames, ignore_index=True) if frames else _no_rows()
    allrows = vintage_rows.drop_duplicates(["file", "series_id", "date"])  # one row per observation and file
    across = allrows[allrows.duplicated(["series_id", "date"], keep=False)]
    if not across.empty:
        groups = across.groupby(["series_id", "date"], sort=True)
        ex = [
            f"{s} {d:%Y-%m-%d} in " + ", ".join(f"{f} line {ln}" for f, ln in zip(g["file"], g["line"], strict=True))
            for (s, d), g in list(groups)[:_MAX_EXAMPLES]
        ]
        problems.append(
            f"{MACRO_DIR}/: duplicate (series_id, date) across files: {groups.ngroups} key(s), e.g. {'; '.join(ex)}"
        )
    present = set(allrows["series_id"])
    absent = [s for s in seed.required if s not in present]
    if absent:
        problems.append(
            f"{MACRO_DIR}/: column series_id: required series absent: {', '.join(absent)} "
            f"(required=true in {seed.label})"
        )
    coverage: tuple[SeriesCoverage, ...] = ()
    if not allrows.empty:
        agg = allrows.groupby("series_id", sort=True).agg(
            file=("file", "first"),
            rows=("date", "size"),
            first_date=("date", "min"),
            last_date=("date", "max"),
            layout=("layout", "first"),
        )
        vintages = vintage_rows.groupby("series_id").size()
        coverage = tuple(
            SeriesCoverage(
                str(s),
                str(r.file),
                int(r.rows),
                pd.Timestamp(r.first_date).date(),
                pd.Timestamp(r.last_date).date(),
                str(r.layout),
                int(vintages.get(s, r.rows)),
            )
            for s, r in agg.iterrows()
        )
    return problems, warnings, coverage, len(allrows)


def _check_events(data_dir: Path) -> tuple[list[str], list[str], int, date | None, date | None]:
    """Validate ``trade_policy_events.csv``; return (problems, warnings, rows, first, last date)."""
    label = EVENTS_FILE
    path = data_dir / label
    if not path.is_file():
        return [f"{label}: file not found in {data_dir}"], [], 0, None, None
    header = _header_problem(path, label, EVENTS_HEADER)
    if header:
        return [header], [], 0, None, None
    try:
        data = _read_text_csv(path, EVENTS_HEADER)
    except pa.ArrowInvalid as exc:
        return [f"{label}: not readable as CSV ({exc})"], [], 0, None, None
    problems = _bad_field_problem(label, data, len(EVENTS_HEADER))
    ok, dates = _iso_dates(data.columns["event_date"])
    if (~ok).any():
        problems.append(
            f"{label}: column event_date: non-ISO date (expected YYYY-MM-DD) in "
            f"{_line_examples(data, ~ok, 'event_date')}"
        )
    bad_dir = ~_np_mask(pc.is_in(data.columns["direction"], value_set=pa.array(sorted(EVENT_DIRECTIONS))))
    if bad_dir.any():
        problems.append(
            f"{label}: column direction: not one of {sorted(EVENT_DIRECTIONS)} in "
            f"{_line_examples(data, bad_dir, 'direction')}"
        )
    blank = _np_mask(pc.equal(pc.utf8_trim_whitespace(data.columns["event"]), ""))
    if blank.any():
        problems.append(f"{label}: column event: empty description in {_line_examples(data, blank, 'event')}")
    valid = dates[ok]
    first = pd.Timestamp(valid.min()).date() if len(valid) else None
    last = pd.Timestamp(valid.max()).date() if len(valid) else None
    warnings = [] if len(data) else [f"{label}: no events"]
    return problems, warnings, len(data), first, last


# --------------------------------------------------------------------------------------
# optional files
# --------------------------------------------------------------------------------------


def _rows_fmt(frame: pd.DataFrame, mask: Any, column: str) -> str:
    """``N row(s): line L: 'value'; ...`` for rows of a pandas frame read with a header (line = index + 2)."""
    idx = np.flatnonzero(np.asarray(mask, dtype=bool))
    ex = [f"line {i + 2}: {frame[column].iloc[i]!r}" for i in idx[:_MAX_EXAMPLES]]
    return _fmt(len(idx), ex)


def check_epa_rin_export(path: Path, label: str = EPA_RIN_FILE) -> tuple[list[str], list[str], str]:
    """Validate an EPA EMTS D6 RIN price export in its raw layout (no reshaping).

    Parameters
    ----------
    path : Path
        The CSV as exported: header :data:`EPA_RIN_HEADER`, dates M/D/YYYY (the Monday of the transfer week),
        years, fuel code D6, QAP service type, price text with a ``$``.
    label : str, optional
        Name used in messages.

    Returns
    -------
    tuple of (list of str, list of str, str)
        Problems, warnings (unknown QAP service types are ignored by the models) and a one-line summary.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        return [f"{label}: not readable as CSV ({' '.join(str(exc).split())})"], [], ""
    if tuple(frame.columns) != EPA_RIN_HEADER:
        return (
            [
                f"{label}: wrong header: found {','.join(frame.columns)!r}, expected the EPA EMTS export header "
                f"{','.join(EPA_RIN_HEADER)!r}"
            ],
            [],
            "",
        )
    problems: list[str] = []
    warnings: list[str] = []
    text = frame.apply(lambda c: c.str.strip())
    week = pd.to_datetime(text["Transfer Date by Week"], format="%m/%d/%Y", errors="coerce")
    bad = week.isna()
    if bad.any():
        problems.append(
            f"{label}: column Transfer Date by Week: not a M/D/YYYY date in "
            f"{_rows_fmt(frame, bad, 'Transfer Date by Week')}"
        )
    not_monday = ~bad & (week.dt.dayofweek != 0)
    if not_monday.any():
        problems.append(
            f"{label}: column Transfer Date by Week: not a Monday in "
            f"{_rows_fmt(frame, not_monday, 'Transfer Date by Week')}"
        )
    years = {}
    for column in ("Transfer Year", "RIN Year"):
        years[column] = pd.to_numeric(text[column].where(text[column].str.fullmatch(r"\d{4}")), errors="coerce")
        if years[column].isna().any():
            problems.append(f"{label}: column {column}: not a year in {_rows_fmt(frame, years[column].isna(), column)}")
    far = ~bad & (
        (years["Transfer Year"] < week.dt.year) | (years["Transfer Year"] > (week + pd.Timedelta(days=6)).dt.year)
    )
    if far.any():
        problems.append(
            f"{label}: column Transfer Year: not the year of the transfer week in "
            f"{_rows_fmt(frame, far, 'Transfer Year')}"
        )
    other_fuel = text["Fuel (D Code)"] != "D6"
    if other_fuel.any():
        problems.append(
            f"{label}: column Fuel (D Code): not D6 (this input is EPA's D6 export) in "
            f"{_rows_fmt(frame, other_fuel, 'Fuel (D Code)')}"
        )
    price_ok = text["RIN Price"].str.fullmatch(r"\$\d{1,3}(,\d{3})*(\.\d+)?")
    if (~price_ok).any():
        problems.append(
            f"{label}: column RIN Price: not a dollar price like '$1.02' in {_rows_fmt(frame, ~price_ok, 'RIN Price')}"
        )
    unknown = ~text["QAP Service Type"].isin(sorted(EPA_QAP_TYPES))
    if unknown.any():
        warnings.append(
            f"{label}: column QAP Service Type: not one of {sorted(EPA_QAP_TYPES)} (rows ignored) in "
            f"{_rows_fmt(frame, unknown, 'QAP Service Type')}"
        )
    key = ["Transfer Date by Week", "Transfer Year", "RIN Year", "QAP Service Type"]
    dup = text.duplicated(key, keep=False)
    if dup.any():
        problems.append(
            f"{label}: duplicate (transfer week, transfer year, RIN year, QAP service type) rows in "
            f"{_rows_fmt(frame, dup, 'Transfer Date by Week')}"
        )
    first, last = week.min(), week.max()
    summary = (
        f"{label}: {len(frame)} rows (EPA D6 RIN export), transfer weeks {first:%Y-%m-%d} .. {last:%Y-%m-%d}"
        if len(frame) and not bad.all()
        else f"{label}: no rows"
    )
    return problems, warnings, summary


def check_cftc_cot(path: Path, label: str = CFTC_COT_FILE) -> tuple[list[str], str]:
    """Validate the optional ``cftc_cot.csv`` (columns report_date, managed_money_net; more columns allowed).

    Returns
    -------
    tuple of (list of str, str)
        Problems and a one-line summary.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        return [f"{label}: not readable as CSV ({' '.join(str(exc).split())})"], ""
    missing = [c for c in ("report_date", "managed_money_net") if c not in frame.columns]
    if missing:
        return [f"{label}: missing column(s) {', '.join(missing)} (header found: {','.join(frame.columns)!r})"], ""
    problems = []
    dates = pd.to_datetime(frame["report_date"], format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        problems.append(f"{label}: column report_date: non-ISO date in {_rows_fmt(frame, dates.isna(), 'report_date')}")
    net = pd.to_numeric(frame["managed_money_net"], errors="coerce")
    if net.isna().any():
        problems.append(
            f"{label}: column managed_money_net: non-numeric value in "
            f"{_rows_fmt(frame, net.isna(), 'managed_money_net')}"
        )
    dup = frame["report_date"].duplicated(keep=False)
    if dup.any():
        problems.append(f"{label}: duplicate report_date in {_rows_fmt(frame, dup, 'report_date')}")
    summary = f"{label}: {len(frame)} reports, {dates.min():%Y-%m-%d} .. {dates.max():%Y-%m-%d}" if len(frame) else ""
    return problems, summary


def _check_optional(data_dir: Path) -> tuple[list[str], list[str], list[str]]:
    """Validate the optional files present; return (problems, warnings, summary lines)."""
    problems: list[str] = []
    warnings: list[str] = []
    lines: list[str] = []
    if (data_dir / EPA_RIN_FILE).is_file():
        p, w, line = check_epa_rin_export(data_dir / EPA_RIN_FILE)
        problems, warnings = problems + p, warnings + w
        lines += [line] if line and not p else []
    if (data_dir / CFTC_COT_FILE).is_file():
        p, line = check_cftc_cot(data_dir / CFTC_COT_FILE)
        problems += p
        lines += [line] if line and not p else []
    return problems, warnings, lines


# --------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------


def validate_data_dir(
    data_dir: Path,
    roots_seed: Path,
    macro_seed: Path,
    *,
    max_gap_days: int = DEFAULT_MAX_GAP_DAYS,
    known_sparse: Mapping[str, date] = KNOWN_SPARSE_HISTORY,
) -> ContractReport:
    """Validate a data directory against the input contract.

    Parameters
    ----------
    data_dir : Path
        Directory with ``futures_daily.parquet``, ``macro/*.csv`` and ``trade_policy_events.csv``.
    roots_seed : Path
        ``seeds/futures_roots.csv`` (columns root, price_unit, used_by_features, nonpositive_allowed).
    macro_seed : Path
        ``seeds/macro_series.csv`` (columns series_id, required).
    max_gap_days : int, optional
        Largest allowed number of calendar days between consecutive sessions of a required root.
    known_sparse : Mapping[str, date], optional
        Roots whose gaps ending before the given date are warnings instead of errors.

    Returns
    -------
    ContractReport
        Row counts, date ranges and warnings.

    Raises
    ------
    DataContractError
        Listing every problem found (file, column, up to five example rows each).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataContractError([f"{data_dir}: data directory not found"])
    roots = _load_roots_seed(Path(roots_seed))
    macro = _load_macro_seed(Path(macro_seed))

    f_problems, f_warnings, f_rows, coverage = _check_futures(data_dir, roots, max_gap_days, known_sparse)
    m_problems, m_warnings, series, m_rows = _check_macro(data_dir, macro)
    e_problems, e_warnings, e_rows, e_first, e_last = _check_events(data_dir)
    o_problems, o_warnings, o_lines = _check_optional(data_dir)

    problems = f_problems + m_problems + e_problems + o_problems
    if problems:
        raise DataContractError(problems, data_dir)
    return ContractReport(
        data_dir=data_dir,
        futures_rows=f_rows,
        futures_first_date=min((c.first_date for c in coverage), default=None),
        futures_last_date=max((c.last_date for c in coverage), default=None),
        roots=coverage,
        macro_rows=m_rows,
        macro_series=series,
        event_rows=e_rows,
        events_first_date=e_first,
        events_last_date=e_last,
        warnings=tuple(f_warnings + m_warnings + e_warnings + o_warnings),
        optional_files=tuple(o_lines),
    )
