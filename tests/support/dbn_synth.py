"""Tiny Databento DBN files written with ``databento_dbn`` encoders (tests that must run without shared data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import databento_dbn as dbn
import pandas as pd
import pyarrow as pa


@dataclass
class _Interval:  # duck-typed databento_dbn MappingInterval
    start_date: dt.date
    end_date: dt.date
    symbol: str


@dataclass
class _Mapping:  # duck-typed databento_dbn SymbolMapping
    raw_symbol: str
    intervals: list[_Interval]


def ns(ts: str | pd.Timestamp) -> int:
    """Nanoseconds since the epoch of a UTC time."""
    t = pd.Timestamp(ts)
    return (t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")).value


def write_dbn(
    path: Path,
    bars: Sequence[tuple[int, str | pd.Timestamp, float, int]],
    mapping: dict[str, list[tuple[str, str, int]]],
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    schema: dbn.Schema = dbn.Schema.OHLCV_1H,
) -> Path:
    """Write a zstd DBN file; bars are (instrument_id, UTC time, price, volume); high = price + 1, low = price - 1.

    ``mapping`` maps a continuous symbol (``ZL.v.0``) to ``(start_date, end_date exclusive, instrument_id)``.
    """
    meta = dbn.Metadata(
        dataset="GLBX.MDP3",
        start=ns(start),
        end=ns(end),
        schema=schema,
        stype_in=dbn.SType.CONTINUOUS,
        stype_out=dbn.SType.INSTRUMENT_ID,
        symbols=list(mapping),
        mappings=[
            _Mapping(sym, [_Interval(dt.date.fromisoformat(a), dt.date.fromisoformat(b), str(i)) for a, b, i in ivs])
            for sym, ivs in mapping.items()
        ],
    )
    body = b"".join(
        bytes(
            dbn.OHLCVMsg(
                int(dbn.RType.OHLCV_1H),
                1,
                iid,
                ns(ts),
                round(px * 1e9),
                round((px + 1) * 1e9),
                round((px - 1) * 1e9),
                round(px * 1e9),
                vol,
            )
        )
        for iid, ts, px, vol in bars
    )
    with pa.output_stream(str(path), compression="zstd") as out:
        out.write(bytes(meta) + body)
    return path
