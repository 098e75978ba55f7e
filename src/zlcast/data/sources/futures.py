"""CME futures from Databento's Historical API through the official ``databento`` client.

Request: ``timeseries.get_range`` (``POST https://hist.databento.com/v0/timeseries.get_range``, HTTP basic auth
with the key as user name) for dataset ``GLBX.MDP3``, schema ``ohlcv-1h``, ``stype_in=continuous``,
``stype_out=instrument_id``, symbols ``<ROOT>.v.0`` for every root of ``seeds/futures_roots.csv``; ``start`` is
inclusive and ``end`` exclusive (Databento's convention), both full UTC timestamps.

Window: from the opening (17:00 Chicago time the business day before) of the session ``overlap_sessions``
sessions before the data's last date (a re-fetch that picks up late corrections) to the close of ``today``'s
session (17:00 Chicago time), or the current hour if earlier (the loader then drops the unfinished session).

The response (zstd DBN) is kept as ``raw/databento/glbx-mdp3-<start>-<end>.ohlcv-1h.dbn.zst`` (UTC,
``YYYYMMDDTHHMM``) and ``futures_daily.parquet`` is rebuilt with :func:`zlcast.data.dbn.refresh_daily`: rows
before the window from the existing parquet, rows in it from the raw files (the newer fetch wins), ``is_roll``
and ``low_volume`` recomputed against the previous rows, so the result equals a full load of all raw files.

The client makes its HTTP calls with module-level ``requests.post`` (no session, no retry, a fixed 100 s
timeout). :class:`SessionTimeseries` is the client's own ``TimeseriesHttpAPI`` (same request building,
validation, error classes and ``DBNStore``) whose transport is a given :class:`requests.Session`: the refresh's
session with timeouts and retries, or a replay session.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Sequence
from os import PathLike
from pathlib import Path

import databento as db
import pandas as pd
import requests
from databento.common.dbnstore import DBNStore
from databento.common.error import BentoClientError, BentoError, BentoServerError
from databento.common.http import check_backend_warnings, check_http_error
from databento.historical.api.timeseries import TimeseriesHttpAPI
from requests.auth import HTTPBasicAuth

from zlcast.data.dbn import DbnLoadError, dbn_range, refresh_daily, session_end, session_start, write_futures_frame
from zlcast.data.sources.base import FetchResult, SourceError, write_atomic
from zlcast.data.sources.transport import RetryPolicy, describe_failure

__all__ = [
    "DATASET",
    "ENDPOINT",
    "RAW_DIR",
    "DatabentoSource",
    "SessionTimeseries",
    "continuous_symbols",
    "raw_file_name",
    "read_roots",
]

DATASET = "GLBX.MDP3"
SCHEMA = "ohlcv-1h"
STYPE_IN = "continuous"
STYPE_OUT = "instrument_id"
GATEWAY = "https://hist.databento.com"
PATH = "/v0/timeseries.get_range"
ENDPOINT = f"{GATEWAY}{PATH}"
RAW_DIR = "raw/databento"
FUTURES_FILE = "futures_daily.parquet"
_CHUNK = 1 << 20


class SessionTimeseries(TimeseriesHttpAPI):
    """The client's time series API with its transport on a :class:`requests.Session`.

    Parameters
    ----------
    key : str
        Databento API key.
    gateway : str
        Historical gateway URL.
    session : requests.Session
        Transport (timeouts, retries, or a replay adapter).
    timeout : tuple of float
        (connect, read) timeout in seconds.
    """

    def __init__(self, key: str, gateway: str, session: requests.Session, timeout: tuple[float, float]) -> None:
        super().__init__(key=key, gateway=gateway)
        self._session = session
        self._timeout = timeout

    def _stream(
        self,
        url: str,
        data: dict[str, object | None],
        basic_auth: bool,
        path: PathLike[str] | str | None = None,
    ) -> DBNStore:
        """POST the request and stream the DBN response to ``path`` (required here)."""
        self._check_api_key()
        if path is None:
            raise ValueError("SessionTimeseries streams to a file: pass path=")
        with self._session.post(
            url=url,
            data=data,
            headers=self._headers,
            auth=HTTPBasicAuth(username=self._key, password="") if basic_auth else None,
            timeout=self._timeout,
            stream=True,
        ) as response:
            check_backend_warnings(response)
            check_http_error(response)
            with open(path, "xb") as writer:
                for chunk in response.iter_content(chunk_size=_CHUNK):
                    writer.write(chunk)
        return DBNStore.from_file(path)


def read_roots(roots_seed: Path) -> list[str]:
    """Roots of ``seeds/futures_roots.csv`` in file order.

    Raises
    ------
    SourceError
        If the seed is missing or has no ``root`` column.
    """
    try:
        with Path(roots_seed).open(newline="", encoding="utf-8") as fh:
            roots = [row["root"].strip() for row in csv.DictReader(fh)]
    except (OSError, KeyError) as exc:
        raise SourceError(f"databento: cannot read the roots seed {roots_seed} ({exc})") from exc
    if not roots:
        raise SourceError(f"databento: no roots in {roots_seed}")
    return roots


def continuous_symbols(roots: Sequence[str]) -> list[str]:
    """Databento's volume-ranked front-month continuous symbols ``<ROOT>.v.0``."""
    return [f"{root}.v.0" for root in roots]


def raw_file_name(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """File name of one fetch: ``glbx-mdp3-<start>-<end>.ohlcv-1h.dbn.zst`` (UTC, end exclusive)."""
    fmt = "%Y%m%dT%H%M"
    return f"glbx-mdp3-{start.tz_convert('UTC'):{fmt}}-{end.tz_convert('UTC'):{fmt}}.ohlcv-1h.dbn.zst"


def overlap_cutoff(trade_dates: pd.Series, overlap_sessions: int) -> dt.date:
    """First session re-fetched: the ``overlap_sessions``-th last distinct trade date (all roots)."""
    dates = sorted(pd.to_datetime(trade_dates).dt.date.unique())
    if not dates:
        raise SourceError(f"databento: {FUTURES_FILE} has no rows")
    return dates[-min(max(overlap_sessions, 1), len(dates))]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DatabentoSource:
    """Required source: ``futures_daily.parquet`` (and ``raw/databento/``) from Databento.

    Parameters
    ----------
    key : str or None
        ``DATABENTO_API_KEY`` (None or empty: :meth:`fetch` raises a one-line SourceError).
    session : requests.Session
        Transport (see :mod:`zlcast.data.sources.transport`).
    roots : Sequence[str]
        Product roots (``seeds/futures_roots.csv``).
    policy : RetryPolicy, optional
        Timeouts and number of tries (for messages and the client's timeout).
    overlap_sessions : int, optional
        Sessions re-fetched before the data's last date (late corrections). Default 5.
    clock : callable, optional
        Current UTC time (tests pin it).
    gateway : str, optional
        Historical API gateway (default ``https://hist.databento.com``).
    """

    name = "databento"
    required = True

    def __init__(
        self,
        key: str | None,
        session: requests.Session,
        roots: Sequence[str],
        policy: RetryPolicy | None = None,
        overlap_sessions: int = 5,
        clock: Callable[[], dt.datetime] = _utc_now,
        gateway: str = GATEWAY,
    ) -> None:
        self.key = key
        self.session = session
        self.roots = list(roots)
        self.policy = policy or RetryPolicy()
        self.overlap_sessions = overlap_sessions
        self.clock = clock
        self.gateway = gateway

    def window(self, existing: pd.DataFrame, today: dt.date) -> tuple[dt.date, pd.Timestamp, pd.Timestamp]:
        """The first re-fetched session and the request's ``[start, end)`` (UTC)."""
        cutoff = overlap_cutoff(existing["trade_date"], self.overlap_sessions)
        now = pd.Timestamp(self.clock()).tz_convert("UTC").floor("h")
        return cutoff, session_start(cutoff), min(session_end(today), now)

    def _client(self) -> db.Historical:
        client = db.Historical(key=self.key, gateway=self.gateway)
        client.timeseries = SessionTimeseries(str(self.key), self.gateway, self.session, self.policy.timeout)
        return client

    def _download(self, start: pd.Timestamp, end: pd.Timestamp, part: Path) -> None:
        """Stream the response of ``get_range`` to ``part``; SourceError with one line on failure."""
        url = f"{self.gateway}{PATH}"
        where = url.split("://", 1)[-1]
        try:
            self._client().timeseries.get_range(
                dataset=DATASET,
                start=start.to_pydatetime(),
                end=end.to_pydatetime(),
                symbols=continuous_symbols(self.roots),
                schema=SCHEMA,
                stype_in=STYPE_IN,
                stype_out=STYPE_OUT,
                path=part,
            )
        except (BentoClientError, BentoServerError) as exc:
            retried = exc.http_status in self.policy.statuses
            after = f" after {self.policy.tries} tries" if retried else ""
            raise SourceError(
                f"databento: HTTP {exc.http_status} from {where}{after} ({_one_line(exc.message or '')})"
            ) from exc
        except requests.RequestException as exc:
            raise SourceError(f"databento: {describe_failure(exc, url, self.policy.tries)}") from exc
        except (BentoError, ValueError, OSError) as exc:
            raise SourceError(f"databento: bad response from {where} ({_one_line(str(exc))})") from exc

    def fetch(self, data_dir: Path, work_dir: Path, today: dt.date) -> FetchResult:
        """Fetch the window, keep the raw response, rebuild ``futures_daily.parquet`` in ``work_dir``.

        Raises
        ------
        SourceError
            Missing key, unreachable host, HTTP error after retries, or raw files that cannot be loaded;
            ``work_dir`` is then unchanged.
        """
        if not self.key:
            raise SourceError("databento: DATABENTO_API_KEY is not set")
        try:
            existing = pd.read_parquet(Path(data_dir) / FUTURES_FILE)
        except (OSError, ValueError) as exc:
            raise SourceError(
                f"databento: cannot read {FUTURES_FILE} in {data_dir} ({_one_line(str(exc))}); "
                "build it once with `zlcast load-dbn`"
            ) from exc
        cutoff, start, end = self.window(existing, today)
        endpoint = f"{self.gateway}{PATH} {DATASET} {SCHEMA} stype_in={STYPE_IN}"
        if end <= start:
            return FetchResult(self.name, endpoint, {}, f"nothing to fetch (data to {existing['trade_date'].max()})")
        raw_dir = Path(work_dir) / RAW_DIR
        made = [d for d in (raw_dir.parent, raw_dir) if not d.exists()]  # removed again if the fetch fails
        raw_dir.mkdir(parents=True, exist_ok=True)
        final = raw_dir / raw_file_name(start, end)
        part = raw_dir / f".{final.name}.part"
        part.unlink(missing_ok=True)
        done = False
        try:
            self._download(start, end, part)
            others = [p for p in sorted(raw_dir.glob("*.ohlcv-1h.dbn.zst")) if p.name != final.name]
            try:
                frame = refresh_daily(existing, [*others, part], cutoff)
            except DbnLoadError as exc:
                raise SourceError(f"databento: cannot rebuild {FUTURES_FILE} ({_one_line(str(exc))})") from exc
            write_atomic(Path(work_dir) / FUTURES_FILE, lambda tmp: write_futures_frame(frame, tmp))
            part.replace(final)
            done = True
        finally:
            part.unlink(missing_ok=True)
            for folder in [] if done else reversed(made):
                folder.rmdir()
        return FetchResult(
            self.name,
            endpoint,
            {f"{RAW_DIR}/{final.name}": _records(final), FUTURES_FILE: _new_keys(existing, frame)},
            _detail(self.roots, frame, cutoff, final),
        )


def _one_line(text: str) -> str:
    """Collapse whitespace so a message stays on one line."""
    return " ".join(str(text).split())[:300]


def _records(path: Path) -> int:
    """Number of ohlcv-1h records in a raw file."""
    return len(DBNStore.from_file(path).to_ndarray())


def _new_keys(old: pd.DataFrame, new: pd.DataFrame) -> int:
    """Rows of ``new`` whose (root, trade_date) is not in ``old``."""
    before = set(zip(old["root"], pd.to_datetime(old["trade_date"]).dt.date, strict=True))
    after = set(zip(new["root"], pd.to_datetime(new["trade_date"]).dt.date, strict=True))
    return len(after - before)


def _detail(roots: Sequence[str], frame: pd.DataFrame, cutoff: dt.date, raw: Path) -> str:
    """One log line: roots, sessions rebuilt, raw file."""
    last = pd.to_datetime(frame["trade_date"]).max().date()
    first_last = f"{roots[0]}..{roots[-1]}" if roots else "no roots"
    span = dbn_range(raw)
    fetched = f"{pd.Timestamp(span[0], tz='UTC'):%Y-%m-%d %H:%M}..{pd.Timestamp(span[1], tz='UTC'):%Y-%m-%d %H:%M} UTC"
    return f"{first_last} {len(roots)} roots, sessions {cutoff}..{last} rebuilt, fetched {fetched}"
