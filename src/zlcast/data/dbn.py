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

Records are read as a NumPy view of the fixed-width DBN OHLCV records (56 bytes:
16-byte header, four int64 prices in units of 1e-9, uint64 volume), which is the
same layout in DBN versions 1-3; the metadata is decoded with ``databento_dbn``.
Prices are converted as ``int64 * 1e-9`` (bit-identical to ``futures_daily.parquet``).
"""

from __future__ import annotations

import os
import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path

import databento_dbn as dbn
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["DbnLoadError", "load_dbn_daily", "session_date", "write_futures_daily"]

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
    iid, ts = int(bars["instrument_id"].iat[i]), int(bars["ts_event"].iat[i])
    return f"instrument id {iid} at {pd.Timestamp(ts, tz='UTC').isoformat()}"


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
    end = meta.end if meta.end not in (None, dbn.UNDEF_TIMESTAMP) else None
    return bars.drop(columns="day"), end


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


def load_dbn_daily(paths: Sequence[Path]) -> pd.DataFrame:
    """Load hourly DBN files (or directories of them) into daily session rows.

    Parameters
    ----------
    paths : Sequence[Path]
        ``*.ohlcv-1h.dbn.zst`` files and/or directories containing them.

    Returns
    -------
    pd.DataFrame
        Columns and dtypes of ``futures_daily.parquet``, sorted by root, trade_date.

    Raises
    ------
    DbnLoadError
        Empty input, unreadable/corrupt/non-DBN file, schema other than
        ohlcv-1h, or a bar without a symbol mapping in its file.

    Notes
    -----
    Identical bars in several files (overlapping batches) count once. The
    session containing the latest metadata ``end`` of the files (i.e. still open
    when the data end) is dropped for every root; earlier sessions are kept.
    """
    loaded = [read_bars(p) for p in _expand(paths)]
    bars = pd.concat([b for b, _ in loaded], ignore_index=True).drop_duplicates()
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


def write_futures_daily(paths: Sequence[Path], out: Path) -> int:
    """Write ``load_dbn_daily(paths)`` to ``out`` atomically; return the row count.

    The parquet is written to a temporary file next to ``out`` and moved into
    place with :func:`os.replace`; if loading fails nothing is written.
    """
    out = Path(out)
    table = pa.Table.from_pandas(load_dbn_daily(paths), schema=SCHEMA, preserve_index=False)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return table.num_rows
