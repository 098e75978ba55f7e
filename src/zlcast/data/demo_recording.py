"""The providers' next responses for the demo data set: what ``make daily-demo`` refreshes from, offline.

:func:`write_demo_recording` writes a replay folder (:mod:`zlcast.data.sources.transport`) that answers the
requests ``zlcast refresh`` makes on the session(s) after the demo set's last date, in each provider's documented
format, continuing the demo paths (:func:`zlcast.data.demo_data.simulate_demo_tables` simulates past the last
date written):

* **Databento** ``timeseries.get_range``: one DBN file (``ohlcv-1h``, ``stype_in=continuous``, zstd) with hourly
  bars of every demo root from a few sessions before the last date (the source re-fetches them) to the new
  session(s); each session's bars aggregate, by the loader's session rule, to that session's demo daily row.
* **FRED/ALFRED** ``series/vintagedates`` and ``series/observations`` (``output_type=1``) for every FRED series of
  the macro seed: one vintage per observation, published the day before its release-lag date (so a value enters
  the features exactly when the release-lag rule lets it: the demo's history does not move when a refresh
  converts the macro files to the point-in-time layout); windows of at most 2,000 vintage dates, with
  ``realtime_start`` clipped to the window as FRED does.
* **CFTC** (Socrata, dataset ``72hh-3qpy``): the weekly soybean-oil reports released by the run date.

The numbers are synthetic like the demo set; the formats are the providers'.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import databento_dbn as dbn
import numpy as np
import pandas as pd
import pyarrow as pa

from zlcast.data.contract import MACRO_DIR
from zlcast.data.dbn import session_end, session_start
from zlcast.data.demo_data import DemoTables, simulate_demo_tables
from zlcast.data.sources.fred import (
    EARLIEST_REALTIME,
    LATEST_REALTIME,
    MAX_VINTAGES_PER_REQUEST,
    read_series_file,
    vintage_windows,
)

__all__ = [
    "DemoRecording",
    "MappingInterval",
    "SymbolMapping",
    "cut_data_dir",
    "lag_release_date",
    "tables_from_data_dir",
    "write_demo_recording",
    "write_ohlcv_dbn",
    "write_recording",
]

GET_RANGE = "https://hist.databento.com/v0/timeseries.get_range"
FRED = "https://api.stlouisfed.org/fred/series"
CFTC = "https://publicreporting.cftc.gov/resource/72hh-3qpy.json"
_OVERLAP_SESSIONS = 7  # the Databento source re-fetches 5; the recording covers a little more


@dataclass(frozen=True)
class DemoRecording:
    """Where the recording is and what it adds.

    Attributes
    ----------
    folder : Path
        The replay folder (``manifest.json`` and the response files).
    run_date : datetime.date
        The last new session: pass it as ``zlcast refresh --today``.
    new_sessions : tuple of datetime.date
        ZL sessions after the demo set's last date that the recording adds.
    """

    folder: Path
    run_date: dt.date
    new_sessions: tuple[dt.date, ...]


def lag_release_date(observation: pd.Series, lag_days: int, lag_months: int, isodow: int | None) -> pd.Series:
    """First date a value may be used by the release-lag rule of ``int_macro__as_of_release``.

    Parameters
    ----------
    observation : pandas.Series
        Observation dates (datetime64).
    lag_days, lag_months : int
        ``release_lag_days`` and ``release_lag_months`` of the macro seed.
    isodow : int or None
        ``release_isodow``: the release moves forward to this ISO weekday (1 = Monday).

    Returns
    -------
    pandas.Series
        Release dates (datetime64).
    """
    released = pd.to_datetime(observation) + pd.DateOffset(months=int(lag_months)) + pd.Timedelta(days=int(lag_days))
    if isodow is None:
        return released
    shift = (7 + int(isodow) - (released.dt.dayofweek + 1)) % 7
    return released + pd.to_timedelta(shift, unit="D")


# ------------------------------------------------------------------------------------------------- Databento
def _ns(ts: pd.Timestamp) -> int:
    return int(pd.Timestamp(ts).tz_convert("UTC").value)


def _bars(rows: pd.DataFrame) -> list[tuple[int, int, float, float, float, float, int]]:
    """Hourly bars (instrument, ts, open, high, low, close, volume) that aggregate to each daily row.

    A session's bars open on the hours from 00:00 UTC of its date (18:00/19:00 Chicago the evening before, inside
    the session), so a UTC day never holds two sessions' bars and the daily symbol mapping stays unambiguous. The
    first bar opens at the day's open and reaches its high, the last one closes at its close and reaches its low.
    """
    out = []
    iids = rows["instrument_id"].to_numpy(dtype="int64")
    days = pd.to_datetime(rows["trade_date"]).to_numpy(dtype="datetime64[ns]")
    opens, highs, lows, closes = (rows[c].to_numpy(dtype="float64") for c in ("open", "high", "low", "close"))
    volumes, n_bars = rows["volume"].to_numpy(dtype="int64"), rows["n_bars"].to_numpy(dtype="int64")
    for i in range(len(rows)):
        n = int(min(max(n_bars[i], 1), 21))
        midnight = pd.Timestamp(days[i]).tz_localize("UTC")
        path = np.linspace(opens[i], closes[i], n + 1)
        vols = np.full(n, volumes[i] // n, dtype="int64")
        vols[-1] += volumes[i] - vols.sum()
        for k in range(n):
            o, c = float(path[k]), float(path[k + 1])
            hi = float(highs[i]) if k == 0 else max(o, c)
            lo = float(lows[i]) if k == n - 1 else min(o, c)
            out.append(
                (int(iids[i]), _ns(midnight + pd.Timedelta(hours=k)), o, max(hi, o, c), min(lo, o, c), c, int(vols[k]))
            )
    return out


@dataclass
class MappingInterval:
    """One interval of a symbol mapping (duck-types ``databento_dbn.MappingInterval``; end date exclusive)."""

    start_date: dt.date
    end_date: dt.date
    symbol: str


@dataclass
class SymbolMapping:
    """A continuous symbol's instrument ids over time (duck-types ``databento_dbn.SymbolMapping``)."""

    raw_symbol: str
    intervals: list[MappingInterval]


def _mappings(bars: pd.DataFrame) -> list[SymbolMapping]:
    """Per root, the instrument id of every UTC day holding its bars (the continuous symbol's daily mapping)."""
    out = []
    for root, g in bars.groupby("root", sort=True):
        days = g.assign(day=pd.to_datetime(g["ts"], utc=True).dt.date).drop_duplicates("day")[["day", "iid"]]
        intervals = [MappingInterval(d, d + dt.timedelta(days=1), str(i)) for d, i in zip(days["day"], days["iid"])]
        out.append(SymbolMapping(f"{root}.v.0", intervals))
    return out


def write_ohlcv_dbn(
    path: Path,
    bars: pd.DataFrame,
    mappings: Sequence[SymbolMapping],
    start_ns: int,
    end_ns: int,
    schema: dbn.Schema = dbn.Schema.OHLCV_1H,
) -> Path:
    """Write OHLCV bars as a zstd DBN file of ``ohlcv-1h`` records, as the historical API returns them.

    Parameters
    ----------
    path : Path
        Output file (folders created).
    bars : pandas.DataFrame
        ``iid`` (instrument id), ``ts`` (bar open, ns since the epoch, UTC), ``o, h, l, c`` (prices in the
        root's quote unit), ``v`` (volume), in file order.
    mappings : sequence of SymbolMapping
        Continuous symbol -> instrument id intervals (the metadata's symbology).
    start_ns, end_ns : int
        The request's time range (ns, UTC).
    schema : databento_dbn.Schema
        Schema named in the metadata (the records are always ``ohlcv-1h``).

    Returns
    -------
    Path
        ``path``.
    """
    ints = {c: bars[c].to_numpy(dtype="int64") for c in ("iid", "ts", "v")}
    fixed = {c: np.round(bars[c].to_numpy(dtype="float64") * 1e9).astype("int64") for c in ("o", "h", "l", "c")}
    meta = dbn.Metadata(
        dataset="GLBX.MDP3",
        start=int(start_ns),
        end=int(end_ns),
        schema=schema,
        stype_in=dbn.SType.CONTINUOUS,
        stype_out=dbn.SType.INSTRUMENT_ID,
        symbols=[m.raw_symbol for m in mappings],
        mappings=cast(Any, list(mappings)),  # duck-typed SymbolMapping records
    )
    record = int(dbn.RType.OHLCV_1H)
    body = b"".join(
        bytes(
            dbn.OHLCVMsg(
                record,
                1,
                int(ints["iid"][i]),
                int(ints["ts"][i]),
                int(fixed["o"][i]),
                int(fixed["h"][i]),
                int(fixed["l"][i]),
                int(fixed["c"][i]),
                int(ints["v"][i]),
            )
        )
        for i in range(len(bars))
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pa.output_stream(str(path), compression="zstd") as out:
        out.write(bytes(meta) + body)
    return path


def _write_dbn(path: Path, rows: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> None:
    """Write the hourly bars of ``rows`` (daily rows of every root) as a zstd DBN file of ``ohlcv-1h`` records."""
    bars = []
    for root, g in rows.groupby("root", sort=True):
        for iid, ts, o, h, lo, c, v in _bars(g):
            bars.append({"root": str(root), "iid": iid, "ts": ts, "o": o, "h": h, "l": lo, "c": c, "v": v})
    frame = pd.DataFrame(bars).sort_values(["ts", "root"], kind="stable")
    write_ohlcv_dbn(path, frame, _mappings(frame), _ns(start), _ns(end))


# ------------------------------------------------------------------------------------------------------ FRED
def _fred_rows(frame: pd.DataFrame, decimals: int | None, seed_row: pd.Series, run_date: dt.date) -> pd.DataFrame:
    obs = frame.assign(date=pd.to_datetime(frame["date"]))
    isodow = None if pd.isna(seed_row["release_isodow"]) else int(seed_row["release_isodow"])
    release = lag_release_date(
        obs["date"], int(seed_row["release_lag_days"]), int(seed_row["release_lag_months"]), isodow
    )
    rows = pd.DataFrame(
        {
            "date": obs["date"].dt.strftime("%Y-%m-%d"),
            "value": obs["value"].astype(str)
            if decimals is None
            else obs["value"].map(lambda v: f"{float(v):.{decimals}f}"),
            "realtime_start": (release - pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d"),
        }
    )
    return rows[rows["realtime_start"] <= run_date.isoformat()].reset_index(drop=True)


def _fred_json(folder: Path, name: str, body: dict[str, Any], endpoint: str, params: dict[str, str]) -> dict[str, Any]:
    """Write one FRED JSON response under ``fred/`` and return its replay entry."""
    file = f"fred/{name}.json"
    (folder / file).write_text(json.dumps(body))
    return {
        "method": "GET",
        "url": f"{FRED}/{endpoint}",
        "params": params,
        "file": file,
        "headers": {"Content-Type": "application/json"},
    }


def _resume_vintage(data_dir: Path | None, series_id: str) -> str:
    """Where the FRED client resumes for a series: the newest vintage its file holds, or FRED's earliest date."""
    path = None if data_dir is None else Path(data_dir) / MACRO_DIR / f"{series_id}.csv"
    if path is None or not path.is_file():
        return EARLIEST_REALTIME
    layout, known = read_series_file(path)
    return str(known["realtime_start"].max()) if layout == "vintage" and len(known) else EARLIEST_REALTIME


def _fred_responses(series_id: str, rows: pd.DataFrame, folder: Path, since: str) -> list[dict[str, Any]]:
    """The vintage dates and the observation windows (as :func:`vintage_windows` asks for them from ``since``)."""
    vintages = sorted(rows["realtime_start"].unique())
    entries: list[dict[str, Any]] = []
    body = {
        "realtime_start": EARLIEST_REALTIME,
        "realtime_end": LATEST_REALTIME,
        "order_by": "vintage_date",
        "sort_order": "asc",
        "count": len(vintages),
        "offset": 0,
        "limit": 10_000,
        "vintage_dates": vintages,
    }
    entries.append(_fred_json(folder, f"{series_id}_vintagedates", body, "vintagedates", {"series_id": series_id}))
    for i, (ws, we) in enumerate(vintage_windows(since, vintages, MAX_VINTAGES_PER_REQUEST)):
        live = rows[rows["realtime_start"] <= we]  # every vintage runs to 9999-12-31: all overlap later windows
        obs = [
            {"realtime_start": max(r, ws), "realtime_end": we, "date": d, "value": v}
            for d, v, r in zip(live["date"], live["value"], live["realtime_start"])
        ]
        body = {
            "realtime_start": ws,
            "realtime_end": we,
            "observation_start": "2000-01-01",
            "observation_end": LATEST_REALTIME,
            "units": "lin",
            "output_type": 1,
            "file_type": "json",
            "order_by": "observation_date",
            "sort_order": "asc",
            "count": len(obs),
            "offset": 0,
            "limit": 100_000,
            "observations": obs,
        }
        params = {"series_id": series_id, "realtime_start": ws}
        entries.append(_fred_json(folder, f"{series_id}_observations_{i}", body, "observations", params))
    return entries


# ------------------------------------------------------------------------------------------------------ CFTC
def _cftc_rows(cot: pd.DataFrame, run_date: dt.date) -> list[dict[str, str]]:
    released = cot[pd.to_datetime(cot["report_date"]) + pd.Timedelta(days=3) <= pd.Timestamp(run_date)]
    return [
        {
            "report_date_as_yyyy_mm_dd": f"{d}T00:00:00.000",
            "cftc_contract_market_code": "007601",
            "market_and_exchange_names": "SOYBEAN OIL - CHICAGO BOARD OF TRADE",
            "m_money_positions_long_all": str(int(lo)),
            "m_money_positions_short_all": str(int(sh)),
        }
        for d, lo, sh in zip(released["report_date"], released["managed_money_long"], released["managed_money_short"])
    ]


# ------------------------------------------------------------------------------------------------------ entry
def cut_data_dir(src: Path, dst: Path, cutoff: pd.Timestamp) -> Path:
    """Copy a data directory keeping the rows dated on or before ``cutoff`` (the directory as of that close).

    Futures by ``trade_date``, macro files by ``date``, events by ``event_date``, the optional CFTC file by
    ``report_date`` and the optional EPA export by its transfer week. Publication lags are the warehouse's business.

    Parameters
    ----------
    src, dst : Path
        Source data directory; destination (created).
    cutoff : pandas.Timestamp
        Last date kept.

    Returns
    -------
    Path
        ``dst``.
    """
    src, dst = Path(src), Path(dst)
    (dst / "macro").mkdir(parents=True, exist_ok=True)
    fut = pd.read_parquet(src / "futures_daily.parquet")
    fut[pd.to_datetime(fut["trade_date"]) <= cutoff].to_parquet(dst / "futures_daily.parquet", index=False)
    dated: list[tuple[str, str, str | None]] = [
        (f"macro/{f.name}", "date", None) for f in (src / "macro").glob("*.csv")
    ]
    dated += [("trade_policy_events.csv", "event_date", None), ("cftc_cot.csv", "report_date", None)]
    dated += [("epa_rin_prices_d6.csv", "Transfer Date by Week", "%m/%d/%Y")]
    for name, column, fmt in dated:
        if (src / name).is_file():
            rows = pd.read_csv(src / name, dtype=str)
            rows[pd.to_datetime(rows[column], format=fmt) <= cutoff].to_csv(dst / name, index=False)
    return dst


def tables_from_data_dir(data_dir: Path) -> DemoTables:
    """A data directory's futures, macro series, events and CFTC file as tables (values of the macro files as text).

    Used to record the providers' responses for sessions of a real data set (the daily benchmark).

    Parameters
    ----------
    data_dir : Path

    Returns
    -------
    DemoTables
        ``macro`` maps file name -> (frame with ``series_id, date, value`` text, ``None`` decimals).
    """
    data_dir = Path(data_dir)
    futures = pd.read_parquet(data_dir / "futures_daily.parquet")
    macro: dict[str, tuple[pd.DataFrame, int | None]] = {}
    for path in sorted((data_dir / "macro").glob("*.csv")):
        frame = pd.read_csv(path, dtype=str)
        if list(frame.columns[:3]) == ["series_id", "date", "value"]:
            macro[path.name] = (frame[["series_id", "date", "value"]], None)
    events = pd.read_csv(data_dir / "trade_policy_events.csv", dtype=str)
    cot_path = data_dir / "cftc_cot.csv"
    cot = (
        pd.read_csv(cot_path)
        if cot_path.is_file()
        else pd.DataFrame(columns=["report_date", "managed_money_net", "managed_money_long", "managed_money_short"])
    )
    return DemoTables(futures=futures, macro=macro, events=events, cot=cot)


def write_recording(
    tables: DemoTables,
    last_known: dt.date,
    folder: Path,
    macro_seed: Path,
    sessions: int = 1,
    data_dir: Path | None = None,
) -> DemoRecording:
    """Write the replay folder that answers a refresh of the data known at ``last_known`` with the next sessions.

    Parameters
    ----------
    tables : DemoTables
        Tables that run past ``last_known`` (the simulation, or a real data set).
    last_known : datetime.date
        The last date of the data directory being refreshed.
    folder : Path
        Output folder (created; response files are overwritten).
    macro_seed : Path
        ``seeds/macro_series.csv`` (release lags and FRED ids).
    sessions : int
        New ZL sessions to add.
    data_dir : Path, optional
        The data directory the refresh starts from. FRED is asked for vintages from the newest one each series
        file holds (from FRED's earliest real-time date when it holds none); the recording answers those requests.

    Returns
    -------
    DemoRecording
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    last = pd.Timestamp(last_known)
    futures = tables.futures.assign(trade_date=pd.to_datetime(tables.futures["trade_date"]))
    zl = sorted(futures.loc[futures["root"] == "ZL", "trade_date"].unique())
    new = [pd.Timestamp(d) for d in zl if pd.Timestamp(d) > last][: max(int(sessions), 1)]
    if not new:
        raise ValueError(f"the tables have no ZL session after {last_known}")
    run_date = new[-1].date()
    before = [pd.Timestamp(d) for d in sorted(futures["trade_date"].unique()) if pd.Timestamp(d) <= last]
    first = before[-_OVERLAP_SESSIONS]
    window = futures[(futures["trade_date"] >= first) & (futures["trade_date"] <= new[-1])]
    entries: list[dict[str, Any]] = []
    dbn_file = f"databento/glbx-mdp3-{first.date()}-{run_date}.ohlcv-1h.dbn.zst"
    _write_dbn(folder / dbn_file, window, session_start(first.date()), session_end(run_date))
    entries.append(
        {
            "method": "POST",
            "url": GET_RANGE,
            "form": {"dataset": "GLBX.MDP3", "schema": "ohlcv-1h"},
            "file": dbn_file,
            "headers": {"Content-Type": "application/octet-stream"},
        }
    )
    (folder / "fred").mkdir(exist_ok=True)
    series_seed = pd.read_csv(macro_seed, dtype={"fred_id": str})
    seed_rows = {
        str(r["series_id"]): r for _, r in series_seed.iterrows() if isinstance(r["fred_id"], str) and r["fred_id"]
    }
    for frame, decimals in tables.macro.values():
        for key, g in frame.groupby("series_id", sort=True):
            row = seed_rows.get(str(key))
            if row is None:
                continue
            since = _resume_vintage(data_dir, str(key))
            entries += _fred_responses(str(row["fred_id"]), _fred_rows(g, decimals, row, run_date), folder, since)
    (folder / "cftc").mkdir(exist_ok=True)
    (folder / "cftc" / "soybean_oil.json").write_text(json.dumps(_cftc_rows(tables.cot, run_date)))
    entries.append(
        {
            "method": "GET",
            "url": CFTC,
            "file": "cftc/soybean_oil.json",
            "headers": {"Content-Type": "application/json;charset=utf-8"},
        }
    )
    manifest = {
        "description": "Provider responses (Databento DBN from the daily rows, FRED/ALFRED vintages, CFTC) for the "
        f"session(s) {', '.join(str(d.date()) for d in new)} after {last_known}; run "
        f"`zlcast refresh --replay <this folder> --today {run_date}`.",
        "responses": entries,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (folder / "run_date").write_text(f"{run_date}\n")
    return DemoRecording(folder, run_date, tuple(d.date() for d in new))


def write_demo_recording(
    folder: Path,
    macro_seed: Path,
    sessions: int = 1,
    seed: int = 20240601,
    start: str = "2016-01-04",
    end: str = "2025-06-30",
) -> DemoRecording:
    """Write the replay folder that continues the demo data set (:func:`write_recording` of the simulation).

    Parameters
    ----------
    folder : Path
        Output folder.
    macro_seed : Path
        ``seeds/macro_series.csv``.
    sessions : int
        New ZL sessions to add (at most the spare simulated days allow).
    seed, start, end : int, str, str
        The demo set's arguments (:func:`zlcast.data.demo_data.write_demo_data`).

    Returns
    -------
    DemoRecording
    """
    tables = simulate_demo_tables(seed, start, end)
    return write_recording(tables, dt.date.fromisoformat(end), folder, macro_seed, sessions)
