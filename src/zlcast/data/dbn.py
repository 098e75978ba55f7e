"""Databento DBN hourly bars -> daily futures sessions (``futures_daily.parquet``).

Input: ``*.ohlcv-1h.dbn.zst`` files of dataset GLBX.MDP3 requested with continuous
symbols (``ZL.v.0``) and ``stype_out = instrument_id``. Each file's metadata maps
every continuous symbol to instrument ids over daily intervals ``[start_date,
end_date)``; a bar's ``instrument_id`` is mapped to its root (``ZL.v.0`` -> ``ZL``)
through the mapping of the file it came from, using the bar's UTC date.

Session rule: ``ts_event`` is the bar's opening time (UTC). It is converted to
America/Chicago local time (daylight-saving aware); a bar opening at or after
17:00 Chicago time belongs to the next calendar day's session, and a Saturday or
Sunday session date moves to the following Monday. Per (root, trade_date) the
session uses the instrument id with the largest summed volume (ties: the id with
the latest bar, then the larger id); bars of other ids only count in
``n_instruments``. Sessions therefore partition time: the session of date D ends
at 17:00 Chicago time on D. When the file set's metadata ``end`` (exclusive) falls
inside a session, that session had not closed when the data ended; it is dropped
(e.g. data ending 2025-12-16 00:00 UTC cut the session of 2025-12-16).

Incremental refresh (:func:`refresh_daily`): rows before a cut-off session come from the existing
``futures_daily.parquet``; rows from the cut-off on are rebuilt from the raw files that cover them, where a
file wins over files that start before it (``later_files_win``: a re-fetch of the last sessions replaces
their bars, late corrections and removals included); ``is_roll`` and ``low_volume``, which depend on
previous rows, are recomputed for the rebuilt rows against the rows before them. When the raw files are the
ones the existing rows were built from, the result equals :func:`load_dbn_daily` of all raw files.

Records are read as a NumPy view of the fixed-width DBN OHLCV records (56 bytes:
16-byte header, four int64 prices in units of 1e-9, uint64 volume), which is the
same layout in DBN versions 1-3; the metadata is decoded with ``databento_dbn``.
Prices are converted as ``int64 * 1e-9`` (bit-identical to ``futures_daily.parquet``).
"""

from __future__ import annotations

import datetime as dt
import os
import struct
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import databento_dbn as dbn
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "DbnLoadError",
    "dbn_range",
    "load_dbn_daily",
    "refresh_daily",
    "session_date",
    "session_end",
    "session_start",
    "write_futures_daily",
    "write_futures_frame",
]

CHICAGO = "America/Chicago"
GLOB = "*.ohlcv-1h.dbn.zst"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_NS_PER_DAY = 86_400 * 10**9
_PRICES = ["open", "high", "low", "close"]
_RECORD = [
    ("length", "u1"),
    ("rtype", "u1"),
    ("publisher_id", "<u2"),
    ("instrument_id", "<u4"),
    ("ts_event", "<u8"),
    ("open", "<i8"),
    ("high", "<i8"),
    ("low", "<i8"),
    ("close", "<i8"),
    ("volume", "<u8"),
]
#: Arrow schema of ``futures_daily.parquet`` (all columns non-null).
SCHEMA = pa.schema(
    [
        pa.field(name, typ, nullable=False)
        for name, typ in [
            ("root", pa.string()),
            ("trade_date", pa.date32()),
            ("instrument_id", pa.int64()),
            *((c, pa.float64()) for c in _PRICES),
            ("volume", pa.int64()),
            ("n_bars", pa.int32()),
            ("is_roll", pa.bool_()),
            ("n_instruments", pa.int32()),
            ("low_volume", pa.bool_()),
        ]
    ]
)


class DbnLoadError(ValueError):
    """A DBN input cannot be loaded (missing, corrupt, wrong schema, unmapped bar)."""


def session_date(ts_utc: pd.Series) -> pd.Series:
    """Session (trade) date of bars opening at ``ts_utc``.

    Parameters
    ----------
    ts_utc : pd.Series
        Bar opening times: tz-aware datetimes, naive datetimes taken as UTC, or
        int64 nanoseconds since the epoch (UTC).

    Returns
    -------
    pd.Series
        ``datetime64[ns]`` dates at midnight (naive), same index, named ``trade_date``.
    """
    ts = pd.to_datetime(ts_utc, utc=True)
    local = ts.dt.tz_convert(CHICAGO)
    day = local.dt.tz_localize(None).dt.normalize()
    day = day + pd.to_timedelta((local.dt.hour >= 17).astype("int64"), unit="D")
    weekday = day.dt.dayofweek
    shift = np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))
    return (day + pd.to_timedelta(shift, unit="D")).rename("trade_date")


def session_start(day: dt.date) -> pd.Timestamp:
    """First instant (UTC) whose bars belong to the session of ``day`` (a weekday).

    The session of a Tuesday..Friday opens at 17:00 Chicago time the day before; Monday's session takes every
    bar from Friday 17:00 Chicago time on (the weekend rule of :func:`session_date`).

    Parameters
    ----------
    day : datetime.date
        A session date (Monday..Friday).

    Returns
    -------
    pandas.Timestamp
        tz-aware UTC timestamp.
    """
    prev = day - dt.timedelta(days=1)
    while prev.weekday() >= 5:
        prev -= dt.timedelta(days=1)
    return pd.Timestamp(dt.datetime.combine(prev, dt.time(17)), tz=CHICAGO).tz_convert("UTC")


def session_end(day: dt.date) -> pd.Timestamp:
    """End (exclusive, UTC) of the session of ``day``: 17:00 Chicago time on ``day``."""
    return pd.Timestamp(dt.datetime.combine(day, dt.time(17)), tz=CHICAGO).tz_convert("UTC")


def _expand(paths: Sequence[Path]) -> list[Path]:
    """Files named in ``paths``; directories contribute their ``*.ohlcv-1h.dbn.zst``."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(p.glob(GLOB))
            if not found:
                raise DbnLoadError(f"{p}: directory contains no {GLOB} files")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise DbnLoadError(f"{p}: no such file or directory")
    if not files:
        raise DbnLoadError("no DBN input files given")
    return files


def _decompress(path: Path) -> bytes:
    """Raw DBN bytes of ``path`` (zstd-compressed or plain DBN)."""
    raw = path.read_bytes()
    if raw[:3] == b"DBN":
        return raw
    if raw[:4] != _ZSTD_MAGIC:
        raise DbnLoadError(f"{path}: not a zstd-compressed DBN file")
    try:
        return pa.input_stream(pa.py_buffer(raw), compression="zstd").read()
    except (OSError, pa.ArrowException) as exc:
        raise DbnLoadError(f"{path}: corrupt or truncated zstd data ({exc})") from exc


def _read_records(path: Path) -> tuple[dbn.Metadata, np.ndarray]:
    """Decode the metadata and view the OHLCV-1h records of one file."""
    data = _decompress(path)
    if data[:3] != b"DBN" or len(data) < 8:
        raise DbnLoadError(f"{path}: not a DBN stream (bad header)")
    body_at = 8 + struct.unpack_from("<I", data, 4)[0]
    try:
        meta = dbn.Metadata.decode(data[:body_at])
    except (dbn.DBNError, ValueError) as exc:
        raise DbnLoadError(f"{path}: cannot decode DBN metadata ({exc})") from exc
    if meta.schema != dbn.Schema.OHLCV_1H:
        raise DbnLoadError(f"{path}: schema is {meta.schema}, expected ohlcv-1h")
    dtype = np.dtype(_RECORD + ([("ts_out", "<u8")] if meta.ts_out else []))
    body = memoryview(data)[body_at:]
    if len(body) % dtype.itemsize:
        raise DbnLoadError(f"{path}: truncated record data ({len(body)} bytes)")
    rec = np.frombuffer(body, dtype=dtype)
    bad = (rec["length"] * 4 != dtype.itemsize) | (rec["rtype"] != int(dbn.RType.OHLCV_1H))
    if bad.any():
        raise DbnLoadError(f"{path}: record {int(np.argmax(bad))} is not an ohlcv-1h record")
    return meta, rec


def _mapping(meta: dbn.Metadata, path: Path) -> pd.DataFrame:
    """Mapping intervals as rows (root, instrument_id, start, end) in UTC epoch days."""
    rows = []
    for symbol, intervals in meta.mappings.items():
        for iv in intervals:
            try:
                iid = int(iv["symbol"])
            except ValueError as exc:
                raise DbnLoadError(f"{path}: mapping of {symbol} is not an instrument id") from exc
            rows.append((symbol.split(".")[0], iid, iv["start_date"], iv["end_date"]))
    frame = pd.DataFrame(rows, columns=["root", "instrument_id", "start", "end"])
    for col in ("start", "end"):
        frame[col] = (pd.to_datetime(frame[col]) - pd.Timestamp(0)).dt.days
    return frame


def _first_bar(bars: pd.DataFrame, mask: np.ndarray) -> str:
    """Describe the first bar selected by ``mask`` for an error message."""
    i = int(np.argmax(mask))
    iid = int(bars["instrument_id"].to_numpy()[i])
    ts = int(bars["ts_event"].to_numpy()[i])
    return f"instrument id {iid} at {pd.Timestamp(ts, tz='UTC').isoformat()}"


def _meta_time(value: int | None) -> int | None:
    """A metadata timestamp in ns, or None when not recorded."""
    return None if value in (None, dbn.UNDEF_TIMESTAMP) else int(value)  # type: ignore[arg-type]


def _read_metadata(path: Path) -> dbn.Metadata:
    """Decode only the metadata of a DBN file (streams the start of zstd data)."""
    raw = path.open("rb")
    with raw:
        head = raw.read(4)
        raw.seek(0)
        stream = pa.input_stream(raw, compression="zstd") if head == _ZSTD_MAGIC else pa.PythonFile(raw, mode="r")
        try:
            prefix = stream.read(8)
            if prefix[:3] != b"DBN" or len(prefix) < 8:
                raise DbnLoadError(f"{path}: not a DBN stream (bad header)")
            body = stream.read(struct.unpack_from("<I", prefix, 4)[0])
            return dbn.Metadata.decode(prefix + body)
        except (OSError, pa.ArrowException, dbn.DBNError, ValueError) as exc:
            if isinstance(exc, DbnLoadError):
                raise
            raise DbnLoadError(f"{path}: cannot decode DBN metadata ({exc})") from exc


def dbn_range(path: Path) -> tuple[int, int]:
    """Time range ``[start, end)`` (ns UTC) a DBN file covers, from its metadata.

    When the metadata has no start or end, the first bar, and one hour after the last bar (an ohlcv-1h bar
    covers one hour).

    Raises
    ------
    DbnLoadError
        If the file cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        raise DbnLoadError(f"{path}: no such file")
    meta = _read_metadata(path)
    start, end = _meta_time(meta.start), _meta_time(meta.end)
    if start is None or end is None:
        ts = _read_records(path)[1]["ts_event"]
        start = start if start is not None else (int(ts.min()) if len(ts) else 0)
        end = end if end is not None else (int(ts.max()) + 3_600 * 10**9 if len(ts) else start)
    return start, end


def read_bars(path: Path) -> tuple[pd.DataFrame, int | None]:
    """Bars of one file with their root, and the file's metadata end (ns, exclusive).

    Returns
    -------
    tuple of (pd.DataFrame, int or None)
        Columns root, instrument_id, ts_event (int64 ns UTC), open, high, low,
        close (float64), volume (int64); the end is ``None`` when not recorded.
    """
    meta, rec = _read_records(path)
    bars = pd.DataFrame(
        {
            "instrument_id": rec["instrument_id"].astype("int64"),
            "ts_event": rec["ts_event"].astype("int64"),
            **{c: rec[c] * 1e-9 for c in _PRICES},  # as futures_daily.parquet
            "volume": rec["volume"].astype("int64"),
        }
    )
    bars["day"] = bars["ts_event"] // _NS_PER_DAY
    hits = bars[["instrument_id", "day"]].reset_index().merge(_mapping(meta, path), on="instrument_id")
    hits = hits[(hits["day"] >= hits["start"]) & (hits["day"] < hits["end"])]
    hits = hits.drop_duplicates(["index", "root"])
    ambiguous = bars.index.isin(hits.loc[hits["index"].duplicated(), "index"])
    if ambiguous.any():
        raise DbnLoadError(f"{path}: {_first_bar(bars, ambiguous)} maps to several roots")
    unmapped = ~bars.index.isin(hits["index"])
    if unmapped.any():
        raise DbnLoadError(f"{path}: {_first_bar(bars, unmapped)} has no symbol mapping")
    bars["root"] = hits.set_index("index")["root"].reindex(bars.index)
    return bars.drop(columns="day"), _meta_time(meta.end)


def _daily(bars: pd.DataFrame) -> pd.DataFrame:
    """Aggregate mapped, session-dated bars to one row per (root, trade_date)."""
    key = ["root", "trade_date"]
    n_inst = bars.groupby(key)["instrument_id"].nunique().rename("n_instruments")
    per_id = bars.groupby([*key, "instrument_id"], as_index=False).agg(vol=("volume", "sum"), last=("ts_event", "max"))
    per_id = per_id.sort_values([*key, "vol", "last", "instrument_id"], ascending=[True, True, False, False, False])
    chosen = per_id.drop_duplicates(key)[[*key, "instrument_id"]]
    used = bars.merge(chosen, on=[*key, "instrument_id"]).sort_values([*key, "ts_event"])
    daily = used.groupby(key, sort=True).agg(
        instrument_id=("instrument_id", "first"),
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume=("volume", "sum"),
        n_bars=("ts_event", "size"),
    )
    return daily.join(n_inst).reset_index()


def _flags(daily: pd.DataFrame) -> pd.DataFrame:
    """Add is_roll and low_volume (per root, rows sorted by trade_date)."""
    by_root = daily.groupby("root", sort=False)
    prev = by_root["instrument_id"].shift(1)
    daily["is_roll"] = prev.notna() & (prev != daily["instrument_id"])
    median = by_root["volume"].transform(lambda v: v.shift(1).rolling(21, min_periods=5).median())
    daily["low_volume"] = (daily["volume"] < 0.1 * median).to_numpy(bool)  # NaN -> False
    return daily


def _superseded(bars: Sequence[pd.DataFrame], ranges: Sequence[tuple[int, int]]) -> list[pd.DataFrame]:
    """Drop, from each file's bars, those inside the range of a file that starts later (or equal, listed later).

    Files are ordered by (start, end), ties in the given order; a file's range ``[start, end)`` replaces
    every bar of the files before it in that order.
    """
    order = sorted(range(len(bars)), key=lambda i: (ranges[i][0], ranges[i][1], i))
    kept = []
    for pos, i in enumerate(order):
        ts = bars[i]["ts_event"].to_numpy()
        keep = np.ones(len(ts), dtype=bool)
        for j in order[pos + 1 :]:
            start, end = ranges[j]
            keep &= ~((ts >= start) & (ts < end))
        kept.append(bars[i][keep])
    return kept


def load_dbn_daily(paths: Sequence[Path], *, later_files_win: bool = False) -> pd.DataFrame:
    """Load hourly DBN files (or directories of them) into daily session rows.

    Parameters
    ----------
    paths : Sequence[Path]
        ``*.ohlcv-1h.dbn.zst`` files and/or directories containing them.
    later_files_win : bool, optional
        Overlapping files (re-fetches): each file's metadata range ``[start, end)`` replaces the bars of the
        files that start before it (ties: the file listed later). Default False: overlapping files must hold
        identical bars.

    Returns
    -------
    pd.DataFrame
        Columns and dtypes of ``futures_daily.parquet``, sorted by root, trade_date.

    Raises
    ------
    DbnLoadError
        Empty input, unreadable/corrupt/non-DBN file, schema other than
        ohlcv-1h, a bar without a symbol mapping in its file, or (without
        ``later_files_win``) different bars for the same instrument and hour.

    Notes
    -----
    Identical bars in several files (overlapping batches) count once. The
    session containing the latest metadata ``end`` of the files (i.e. still open
    when the data end) is dropped for every root; earlier sessions are kept.
    """
    files = _expand(paths)
    loaded = [read_bars(p) for p in files]
    frames = [b for b, _ in loaded]
    if later_files_win:
        frames = _superseded(frames, [dbn_range(p) for p in files])
    bars = pd.concat(frames, ignore_index=True).drop_duplicates()
    clash = bars.duplicated(["instrument_id", "ts_event"]).to_numpy()
    if clash.any():
        raise DbnLoadError(f"conflicting bars for {_first_bar(bars, clash)} in {list(map(str, paths))}")
    bars["trade_date"] = session_date(bars["ts_event"])
    daily = _daily(bars)
    ends = [e for _, e in loaded if e is not None]
    if ends:  # drop sessions still open when the data ended
        cut = session_date(pd.Series([max(ends)])).iloc[0]
        daily = daily[daily["trade_date"] != cut].reset_index(drop=True)
    daily = _flags(daily)
    daily["trade_date"] = daily["trade_date"].dt.date
    return daily.astype({"n_bars": "int32", "n_instruments": "int32"})[SCHEMA.names]


@dataclass(frozen=True)
class _Coverage:
    files: list[Path]
    start: int
    end: int


def _covering_files(raw_files: Sequence[Path], start: int) -> _Coverage:
    """The raw files reaching past ``start`` (ns), checked to cover ``[start, latest end)`` without a gap."""
    ranges = {Path(p): dbn_range(p) for p in raw_files}
    used = [p for p, (_, e) in ranges.items() if e > start]
    if not used:
        raise DbnLoadError(f"no raw file covers the sessions from {pd.Timestamp(start, tz='UTC')} on")
    covered = start
    for p in sorted(used, key=lambda q: ranges[q][0]):
        a, e = ranges[p]
        if a > covered:
            raise DbnLoadError(
                f"raw files leave a gap {pd.Timestamp(covered, tz='UTC')} .. {pd.Timestamp(a, tz='UTC')} "
                f"(UTC) before {p.name}: the sessions in it cannot be rebuilt"
            )
        covered = max(covered, e)
    return _Coverage(used, start, covered)


def refresh_daily(existing: pd.DataFrame, raw_files: Sequence[Path], cutoff: dt.date) -> pd.DataFrame:
    """Rebuild the sessions from ``cutoff`` on from raw files; keep the rows before it.

    Parameters
    ----------
    existing : pd.DataFrame
        Current ``futures_daily.parquet`` rows.
    raw_files : Sequence[Path]
        Raw DBN files, in fetch order (a file wins over files that start before it; ties: the later one).
        The files reaching past the start of the ``cutoff`` session must cover it to their latest end.
    cutoff : datetime.date
        First session rebuilt.

    Returns
    -------
    pd.DataFrame
        Columns and dtypes of ``futures_daily.parquet``, sorted by root, trade_date; ``is_roll`` and
        ``low_volume`` of the rebuilt rows computed against the rows before them.

    Raises
    ------
    DbnLoadError
        If the raw files leave a gap after the cut-off or cannot be loaded.
    """
    coverage = _covering_files(raw_files, session_start(cutoff).value)
    fresh = load_dbn_daily(coverage.files, later_files_win=True)
    fresh = fresh[pd.to_datetime(fresh["trade_date"]) >= pd.Timestamp(cutoff)]
    keep = existing[pd.to_datetime(existing["trade_date"]) < pd.Timestamp(cutoff)]
    both = pd.concat([keep[SCHEMA.names], fresh], ignore_index=True)
    both["trade_date"] = pd.to_datetime(both["trade_date"])
    both = both.sort_values(["root", "trade_date"], kind="stable").reset_index(drop=True)
    rebuilt = (both["trade_date"] >= pd.Timestamp(cutoff)).to_numpy()
    flags = _flags(both[["root", "trade_date", "instrument_id", "volume"]].copy())
    for column in ("is_roll", "low_volume"):
        both.loc[rebuilt, column] = flags.loc[rebuilt, column]
    both["trade_date"] = both["trade_date"].dt.date
    return both.astype(
        {
            "instrument_id": "int64",
            "volume": "int64",
            "n_bars": "int32",
            "n_instruments": "int32",
            "is_roll": bool,
            "low_volume": bool,
        }
    )[SCHEMA.names]


def write_futures_frame(frame: pd.DataFrame, out: Path) -> int:
    """Write rows with the ``futures_daily.parquet`` schema to ``out`` atomically; return the row count.

    The parquet is written to a temporary file next to ``out`` and moved into place with
    :func:`os.replace`; if writing fails ``out`` is unchanged.
    """
    out = Path(out)
    table = pa.Table.from_pandas(frame[SCHEMA.names], schema=SCHEMA, preserve_index=False)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return table.num_rows


def write_futures_daily(paths: Sequence[Path], out: Path, *, later_files_win: bool = False) -> int:
    """Write ``load_dbn_daily(paths)`` to ``out`` atomically; return the row count.

    If loading fails nothing is written.
    """
    return write_futures_frame(load_dbn_daily(paths, later_files_win=later_files_win), out)
