"""Tiny Databento DBN files (tests that must run without shared data), written by the demo recording's encoder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import databento_dbn as dbn
import pandas as pd

from zlcast.data.demo_recording import MappingInterval, SymbolMapping, write_ohlcv_dbn


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
    frame = pd.DataFrame(
        [{"iid": iid, "ts": ns(ts), "o": px, "h": px + 1, "l": px - 1, "c": px, "v": vol} for iid, ts, px, vol in bars],
        columns=["iid", "ts", "o", "h", "l", "c", "v"],
    )
    mappings = [
        SymbolMapping(
            sym, [MappingInterval(dt.date.fromisoformat(a), dt.date.fromisoformat(b), str(i)) for a, b, i in ivs]
        )
        for sym, ivs in mapping.items()
    ]
    return write_ohlcv_dbn(path, frame, mappings, ns(start), ns(end), schema)
