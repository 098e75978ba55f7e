"""FRED series as point-in-time vintages from ALFRED, through FRED's documented REST API.

For each series: ``GET https://api.stlouisfed.org/fred/series/vintagedates`` (the dates on which FRED published
new or revised values), then ``GET .../fred/series/observations`` with ``realtime_start``/``realtime_end`` and
``output_type=1`` (observations by real-time period): every row is a value together with the first day it was
the published value. FRED refuses more than 2,000 vintage dates in one request, so the real-time range is cut
into windows of at most :data:`MAX_VINTAGES_PER_REQUEST` vintage dates; FRED clips a row's ``realtime_start``
to the window's start, so rows that only repeat the value already known for the same observation are dropped
when merging (:func:`merge_vintages`). Pages of 100,000 rows are followed with ``offset``.

The file written is ``macro/<SERIES_ID>.csv`` with header ``series_id,date,value,realtime_start`` (the
point-in-time layout of :mod:`zlcast.data.contract`): one row per value and the day FRED first published it,
sorted by date and realtime_start; missing markers (``.``) are not stored. A series held in the latest-vintage
layout (``series_id,date,value``) or as FRED's own CSV download is replaced by its vintages on the first
refresh (a full history fetch); later refreshes ask only for the vintages since the newest one in the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import requests

from zlcast.data.contract import MACRO_DIR, VINTAGE_HEADER, macro_layout
from zlcast.data.sources.base import FetchResult, SourceError, write_text_atomic
from zlcast.data.sources.transport import RetryPolicy, describe_failure, error_message

__all__ = [
    "API",
    "EARLIEST_REALTIME",
    "LATEST_REALTIME",
    "MAX_VINTAGES_PER_REQUEST",
    "FredSource",
    "merge_vintages",
    "read_series_file",
    "vintage_windows",
]

API = "https://api.stlouisfed.org/fred"
EARLIEST_REALTIME = "1776-07-04"  # FRED's "earliest" real-time date
LATEST_REALTIME = "9999-12-31"  # FRED's "latest" real-time date
MAX_VINTAGES_PER_REQUEST = 2000  # FRED: "This exceeds the maximum number of vintage dates allowed (2000)"
OBSERVATIONS_PAGE = 100_000  # FRED's largest `limit` for series/observations
VINTAGEDATES_PAGE = 10_000  # FRED's largest `limit` for series/vintagedates
_COLUMNS = ["date", "value", "realtime_start"]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=str) for c in _COLUMNS})


def read_series_file(path: Path) -> tuple[str, pd.DataFrame]:
    """Read one macro file of any layout.

    Returns
    -------
    tuple of (str, pandas.DataFrame)
        The layout (``vintage``, ``latest``, ``fred_download``) and the rows as text columns date, value,
        realtime_start ('' outside the vintage layout), missing markers dropped.

    Raises
    ------
    ValueError
        If the header is not one of the macro layouts.
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    layout = macro_layout(list(frame.columns))
    if layout is None:
        raise ValueError(f"{path.name}: unknown macro layout {list(frame.columns)}")
    if layout == "fred_download":
        frame = pd.DataFrame({"date": frame.iloc[:, 0], "value": frame.iloc[:, 1], "realtime_start": ""})
    elif layout == "latest":
        frame = frame.assign(realtime_start="")
    frame = frame[~frame["value"].str.strip().isin(["", "."])]
    return layout, frame[_COLUMNS].reset_index(drop=True)


def _series_of(path: Path) -> set[str]:
    """Series ids a macro file holds (header for a FRED download, column series_id otherwise)."""
    try:
        head = pd.read_csv(path, dtype=str, nrows=0)
        layout = macro_layout(list(head.columns))
        if layout == "fred_download":
            return {str(head.columns[1])}
        if layout is None:
            return set()
        return set(pd.read_csv(path, dtype=str, usecols=["series_id"])["series_id"].str.strip())
    except (OSError, ValueError, pd.errors.ParserError):
        return set()


def merge_vintages(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Merge fetched vintage rows into the known ones.

    Parameters
    ----------
    old, new : pandas.DataFrame
        Columns date, value, realtime_start (text, ISO dates). ``new`` wins on an equal (date, realtime_start).

    Returns
    -------
    pandas.DataFrame
        Sorted by date and realtime_start; a row whose value equals the previous vintage of the same date is
        dropped (a real-time period clipped to a request's start, or a re-fetch), so each row is the first day
        a value was published.
    """
    both = pd.concat([old[_COLUMNS].assign(_new=0), new[_COLUMNS].assign(_new=1)], ignore_index=True)
    both = both.sort_values(["date", "realtime_start", "_new"], kind="stable")
    both = both.drop_duplicates(["date", "realtime_start"], keep="last")
    number = pd.to_numeric(both["value"], errors="coerce")
    repeat = (both["date"] == both["date"].shift()) & (number == number.shift())
    return both[~repeat.to_numpy()][_COLUMNS].reset_index(drop=True)


def vintage_windows(
    since: str, vintage_dates: Sequence[str], per_request: int = MAX_VINTAGES_PER_REQUEST
) -> list[tuple[str, str]]:
    """Real-time windows ``(realtime_start, realtime_end)`` with at most ``per_request`` vintage dates each.

    Parameters
    ----------
    since : str
        First real-time day wanted (ISO).
    vintage_dates : Sequence[str]
        Vintage dates on or after ``since``, ascending.
    per_request : int, optional
        FRED's limit (2,000).

    Returns
    -------
    list of tuple of str
        Consecutive windows from ``since`` to ``9999-12-31``; empty when there is no vintage date.
    """
    dates = [d for d in vintage_dates if d >= since]
    if not dates:
        return []
    starts = dates[::per_request]
    starts[0] = min(since, starts[0])
    ends = [(dt.date.fromisoformat(s) - dt.timedelta(days=1)).isoformat() for s in starts[1:]] + [LATEST_REALTIME]
    return list(zip(starts, ends, strict=True))


class FredSource:
    """Point-in-time FRED series (ALFRED vintages) into ``macro/<SERIES_ID>.csv``.

    Parameters
    ----------
    key : str or None
        ``FRED_API_KEY`` (None or empty: :meth:`fetch` raises a one-line SourceError).
    session : requests.Session
        Transport (see :mod:`zlcast.data.sources.transport`).
    series : Mapping[str, str]
        Series id in the data directory -> FRED series id (equal for every FRED series of the seed).
    name : str, optional
        ``fred`` (the required series) or ``fred-optional``.
    required : bool, optional
        Whether a failure stops the refresh.
    policy : RetryPolicy, optional
        Number of tries (for messages).
    observation_start : str, optional
        First observation date kept (the data set starts in 2000).
    base_url : str, optional
        FRED API root (tests point it at a local server).
    max_vintages : int, optional
        Vintage dates per observations request (FRED allows 2,000).
    """

    def __init__(
        self,
        key: str | None,
        session: requests.Session,
        series: Mapping[str, str],
        name: str = "fred",
        required: bool = True,
        policy: RetryPolicy | None = None,
        observation_start: str = "2000-01-01",
        base_url: str = API,
        max_vintages: int = MAX_VINTAGES_PER_REQUEST,
    ) -> None:
        self.key = key
        self.session = session
        self.series = dict(series)
        self.name = name
        self.required = required
        self.policy = policy or RetryPolicy()
        self.observation_start = observation_start
        self.base_url = base_url.rstrip("/")
        self.max_vintages = max_vintages

    # ------------------------------------------------------------------ HTTP

    def _get(self, path: str, params: Mapping[str, str], series_id: str) -> dict[str, Any]:
        """GET a FRED endpoint as JSON; SourceError with one line on any failure."""
        url = f"{self.base_url}/{path}"
        where = url.split("://", 1)[-1]
        query = {**params, "series_id": series_id, "api_key": str(self.key), "file_type": "json"}
        try:
            response = self.session.get(url, params=query)
        except requests.RequestException as exc:
            raise SourceError(f"{self.name}: {describe_failure(exc, url, self.policy.tries)}") from exc
        if response.status_code != 200:
            after = f" after {self.policy.tries} tries" if response.status_code in self.policy.statuses else ""
            raise SourceError(
                f"{self.name}: HTTP {response.status_code} from {where} for {series_id}{after} "
                f"({error_message(response, 'error_message')})"
            )
        try:
            body = response.json()
        except ValueError as exc:
            raise SourceError(f"{self.name}: bad response from {where} for {series_id} (not JSON)") from exc
        if not isinstance(body, dict):
            raise SourceError(f"{self.name}: bad response from {where} for {series_id} (not a JSON object)")
        return body

    def _paged(self, path: str, params: Mapping[str, str], key: str, page: int, series_id: str) -> list[Any]:
        """All items of a paged FRED list (``count``/``offset``/``limit``)."""
        items: list[Any] = []
        while True:
            body = self._get(path, {**params, "limit": str(page), "offset": str(len(items))}, series_id)
            chunk = body.get(key)
            if not isinstance(chunk, list):
                raise SourceError(f"{self.name}: bad response from {path} for {series_id} (no {key!r} list)")
            items += chunk
            if not chunk or len(items) >= int(body.get("count", len(items))):
                return items

    def vintages(self, fred_id: str, since: str, today: dt.date) -> pd.DataFrame:
        """Rows (date, value, realtime_start) of every vintage published from ``since`` to ``today``.

        Raises
        ------
        SourceError
            On any failed request or malformed response.
        """
        dates = self._paged(
            "series/vintagedates",
            {"realtime_start": since, "realtime_end": LATEST_REALTIME},
            "vintage_dates",
            VINTAGEDATES_PAGE,
            fred_id,
        )
        frames = []
        published = [str(d) for d in dates if str(d) <= today.isoformat()]
        if not any(d > since for d in published):
            return _empty()  # nothing published after the newest vintage already known
        for start, end in vintage_windows(since, published, self.max_vintages):
            rows = self._paged(
                "series/observations",
                {
                    "realtime_start": start,
                    "realtime_end": end,
                    "observation_start": self.observation_start,
                    "output_type": "1",
                },
                "observations",
                OBSERVATIONS_PAGE,
                fred_id,
            )
            frames.append(_observation_frame(rows, self.name, fred_id))
        out = pd.concat(frames, ignore_index=True) if frames else _empty()
        out = out[(out["value"].str.strip() != ".") & (out["realtime_start"] <= today.isoformat())]
        return out.reset_index(drop=True)

    # ------------------------------------------------------------------ refresh

    def fetch(self, data_dir: Path, work_dir: Path, today: dt.date) -> FetchResult:
        """Fetch new vintages of every series and write ``macro/<SERIES_ID>.csv`` files into ``work_dir``.

        Every series is fetched before anything is written, so a failure leaves ``work_dir`` unchanged.

        Raises
        ------
        SourceError
            Missing key, unreachable host, HTTP error after retries, malformed response, or a series that
            sits in a file holding other series.
        """
        if not self.key:
            raise SourceError(f"{self.name}: FRED_API_KEY is not set")
        macro = Path(data_dir) / MACRO_DIR
        holders = {p: _series_of(p) for p in sorted(macro.glob("*.csv"))} if macro.is_dir() else {}
        staged: dict[str, tuple[pd.DataFrame, int, list[Path]]] = {}
        newest: list[str] = []
        for series_id, fred_id in self.series.items():
            own = macro / f"{series_id}.csv"
            elsewhere = [p for p, ids in holders.items() if series_id in ids and p != own]
            crowded = [p for p in elsewhere if len(holders[p]) > 1]
            if crowded:
                raise SourceError(
                    f"{self.name}: {series_id} is in {MACRO_DIR}/{crowded[0].name} with other series; "
                    f"move it to {MACRO_DIR}/{series_id}.csv"
                )
            source = own if own.is_file() else (elsewhere[0] if elsewhere else None)
            layout, old = read_series_file(source) if source is not None else ("latest", _empty())
            known = old if layout == "vintage" else _empty()
            since = known["realtime_start"].max() if len(known) else EARLIEST_REALTIME
            fetched = self.vintages(fred_id, since, today)
            if layout != "vintage" and not len(fetched):
                raise SourceError(f"{self.name}: FRED returned no vintages for {fred_id}")
            if layout == "vintage" and not len(fetched):
                continue  # nothing published since the newest vintage in the file
            merged = merge_vintages(known, fetched)
            keys = set(zip(known["date"], known["realtime_start"], strict=True))
            added = sum(1 for k in zip(merged["date"], merged["realtime_start"], strict=True) if k not in keys)
            if layout == "vintage" and not added:
                continue
            staged[series_id] = (merged, added, [p for p in elsewhere if p != own])
            if len(merged):
                newest.append(merged["realtime_start"].max())
        files = {}
        for series_id, (rows, added, stale) in staged.items():
            target = Path(work_dir) / MACRO_DIR / f"{series_id}.csv"
            write_text_atomic(target, _to_csv(series_id, rows))
            for path in stale:
                (Path(work_dir) / MACRO_DIR / path.name).unlink(missing_ok=True)
            files[f"{MACRO_DIR}/{series_id}.csv"] = added
        detail = (
            f"{len(self.series)} series ({', '.join(self.series)}), {len(staged)} updated, "
            f"{sum(files.values())} new vintage rows" + (f", vintages to {max(newest)}" if newest else ", nothing new")
        )
        endpoint = f"{self.base_url.split('://', 1)[-1]}/series/observations (ALFRED vintages, output_type=1)"
        return FetchResult(self.name, endpoint, files, detail)


def _observation_frame(rows: list[Any], name: str, fred_id: str) -> pd.DataFrame:
    """Check and tabulate FRED observation rows."""
    try:
        frame = pd.DataFrame(
            {
                "date": [str(r["date"]) for r in rows],
                "value": [str(r["value"]) for r in rows],
                "realtime_start": [str(r["realtime_start"]) for r in rows],
            }
        )
    except (KeyError, TypeError) as exc:
        raise SourceError(f"{name}: bad response for {fred_id} (observation without {exc})") from exc
    iso = r"^\d{4}-\d{2}-\d{2}$"
    bad = ~(frame["date"].str.match(iso) & frame["realtime_start"].str.match(iso))
    if bad.any():
        raise SourceError(f"{name}: bad response for {fred_id} (non-ISO date {frame[bad].iloc[0].to_dict()})")
    return frame


def _to_csv(series_id: str, rows: pd.DataFrame) -> str:
    """The vintage-layout CSV text of one series."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(VINTAGE_HEADER)
    writer.writerows(
        (series_id, d, v, r) for d, v, r in zip(rows["date"], rows["value"], rows["realtime_start"], strict=True)
    )
    return out.getvalue()
