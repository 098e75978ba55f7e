"""CFTC Commitments of Traders for soybean oil: managed money long/short from the CFTC's public reporting API.

The CFTC publishes the COT reports on its Socrata portal; dataset ``72hh-3qpy`` is the disaggregated report,
futures only (``https://publicreporting.cftc.gov/resource/72hh-3qpy.json``, SoQL query parameters ``$select``,
``$where``, ``$order``, ``$limit``, ``$offset``; an optional app token in the ``X-App-Token`` header raises the
throttling limits). Soybean oil is contract market code ``007601`` (SOYBEAN OIL - CHICAGO BOARD OF TRADE); the
fields used are ``report_date_as_yyyy_mm_dd`` (the Tuesday of the positions), ``m_money_positions_long_all`` and
``m_money_positions_short_all`` (contracts).

The file written is the optional input ``cftc_cot.csv`` with header
``report_date,managed_money_net,managed_money_long,managed_money_short`` (net = long - short), one row per
report date. The SQL uses a report from its Friday release (report date + 3 days). A refresh asks for the report
dates from four weeks before the newest one in the file (the CFTC corrects recent reports now and then); the
fetched rows replace those dates.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import requests

from zlcast.data.sources.base import FetchResult, SourceError, write_text_atomic
from zlcast.data.sources.transport import RetryPolicy, describe_failure, error_message

__all__ = ["DATASET_ID", "DOMAIN", "FILE", "HEADER", "SOYBEAN_OIL_CODE", "CftcCotSource", "parse_rows"]

DOMAIN = "https://publicreporting.cftc.gov"
DATASET_ID = "72hh-3qpy"  # Commitments of Traders - Disaggregated Futures Only
SOYBEAN_OIL_CODE = "007601"  # SOYBEAN OIL - CHICAGO BOARD OF TRADE
FILE = "cftc_cot.csv"
HEADER = ("report_date", "managed_money_net", "managed_money_long", "managed_money_short")
_DATE = "report_date_as_yyyy_mm_dd"
_LONG = "m_money_positions_long_all"
_SHORT = "m_money_positions_short_all"
_SELECT = f"{_DATE},cftc_contract_market_code,market_and_exchange_names,{_LONG},{_SHORT}"


def parse_rows(rows: Any) -> pd.DataFrame:
    """Socrata rows -> columns of ``cftc_cot.csv``, sorted by report date.

    Parameters
    ----------
    rows : Any
        The decoded JSON body (a list of objects with text fields).

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`HEADER` (report_date as ISO text, integer positions).

    Raises
    ------
    ValueError
        If the body is not a list of rows with a date and both positions, or a report date repeats.
    """
    if not isinstance(rows, list):
        raise ValueError("not a JSON list of rows")
    try:
        frame = pd.DataFrame(
            {
                "report_date": [str(r[_DATE])[:10] for r in rows],
                "managed_money_long": [int(str(r[_LONG])) for r in rows],
                "managed_money_short": [int(str(r[_SHORT])) for r in rows],
            }
        )
    except KeyError as exc:
        raise ValueError(f"a row has no field {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise ValueError(f"a position is not an integer ({exc})") from exc
    if len(frame) and not frame["report_date"].str.match(r"^\d{4}-\d{2}-\d{2}$").all():
        raise ValueError(f"{_DATE} is not an ISO date in {frame['report_date'].iloc[0]!r}")
    if frame["report_date"].duplicated().any():
        raise ValueError(f"report date {frame['report_date'][frame['report_date'].duplicated()].iloc[0]} repeats")
    frame["managed_money_net"] = frame["managed_money_long"] - frame["managed_money_short"]
    return frame[list(HEADER)].sort_values("report_date").reset_index(drop=True)


class CftcCotSource:
    """Optional source: ``cftc_cot.csv`` (soybean oil managed money) from the CFTC's public reporting API.

    Parameters
    ----------
    session : requests.Session
        Transport (see :mod:`zlcast.data.sources.transport`).
    app_token : str, optional
        Socrata app token (``CFTC_APP_TOKEN``); not needed, raises the throttling limits.
    policy : RetryPolicy, optional
        Number of tries (for messages).
    start : str, optional
        First report date of a first fetch (no file yet).
    overlap_days : int, optional
        Days before the newest report date in the file that are fetched again.
    base_url : str, optional
        Portal root (tests point it at a local server).
    page : int, optional
        Rows per request (``$limit``).
    """

    name = "cftc"
    required = False

    def __init__(
        self,
        session: requests.Session,
        app_token: str | None = None,
        policy: RetryPolicy | None = None,
        start: str = "2010-01-01",
        overlap_days: int = 28,
        base_url: str = DOMAIN,
        page: int = 5000,
    ) -> None:
        self.session = session
        self.app_token = app_token
        self.policy = policy or RetryPolicy()
        self.start = start
        self.overlap_days = overlap_days
        self.base_url = base_url.rstrip("/")
        self.page = page

    @property
    def url(self) -> str:
        """The dataset's SODA endpoint."""
        return f"{self.base_url}/resource/{DATASET_ID}.json"

    def _get(self, params: dict[str, str]) -> Any:
        where = self.url.split("://", 1)[-1]
        headers = {"X-App-Token": self.app_token} if self.app_token else {}
        try:
            response = self.session.get(self.url, params=params, headers=headers)
        except requests.RequestException as exc:
            raise SourceError(f"{self.name}: {describe_failure(exc, self.url, self.policy.tries)}") from exc
        if response.status_code != 200:
            after = f" after {self.policy.tries} tries" if response.status_code in self.policy.statuses else ""
            raise SourceError(
                f"{self.name}: HTTP {response.status_code} from {where}{after} ({error_message(response, 'message')})"
            )
        try:
            return response.json()
        except ValueError as exc:
            raise SourceError(f"{self.name}: bad response from {where} (not JSON)") from exc

    def reports(self, since: str, today: dt.date) -> pd.DataFrame:
        """Soybean oil reports with a report date from ``since`` to ``today`` (all pages)."""
        rows: list[Any] = []
        while True:
            params = {
                "$select": _SELECT,
                "$where": (
                    f"cftc_contract_market_code='{SOYBEAN_OIL_CODE}' AND {_DATE} >= '{since}T00:00:00.000' "
                    f"AND {_DATE} <= '{today.isoformat()}T00:00:00.000'"
                ),
                "$order": _DATE,
                "$limit": str(self.page),
                "$offset": str(len(rows)),
            }
            chunk = self._get(params)
            if not isinstance(chunk, list):
                raise SourceError(f"{self.name}: bad response from {self.url.split('://', 1)[-1]} (not a list)")
            rows += chunk
            if len(chunk) < self.page:
                break
        try:
            return parse_rows(rows)
        except ValueError as exc:
            raise SourceError(f"{self.name}: bad response from {self.url.split('://', 1)[-1]} ({exc})") from exc

    def fetch(self, data_dir: Path, work_dir: Path, today: dt.date) -> FetchResult:
        """Fetch new and recent reports and write ``cftc_cot.csv`` into ``work_dir``.

        Raises
        ------
        SourceError
            Unreachable host, HTTP error after retries, malformed rows, or no soybean oil row at all.
        """
        old = _read_existing(Path(data_dir) / FILE)
        since = self.start
        if len(old):
            newest = dt.date.fromisoformat(old["report_date"].max())
            since = (newest - dt.timedelta(days=self.overlap_days)).isoformat()
        fresh = self.reports(since, today)
        endpoint = f"{self.url.split('://', 1)[-1]} (COT disaggregated futures only, SOYBEAN OIL {SOYBEAN_OIL_CODE})"
        if not len(fresh) and not len(old):
            raise SourceError(f"{self.name}: no soybean oil rows ({SOYBEAN_OIL_CODE}) in dataset {DATASET_ID}")
        merged = pd.concat([old[~old["report_date"].isin(fresh["report_date"])], fresh], ignore_index=True)
        merged = merged.sort_values("report_date").reset_index(drop=True)[list(HEADER)]
        added = int((~merged["report_date"].isin(old["report_date"])).sum())
        changed = len(old) != len(merged) or not merged.astype(str).equals(old.astype(str).reset_index(drop=True))
        files = {}
        if changed:
            write_text_atomic(Path(work_dir) / FILE, merged.to_csv(index=False, lineterminator="\n"))
            files[FILE] = added
        last = merged["report_date"].iloc[-1] if len(merged) else "none"
        detail = f"soybean oil managed money, reports {since}..{today}: {len(fresh)} fetched, {added} new, last {last}"
        return FetchResult(self.name, endpoint, files, detail)


def _read_existing(path: Path) -> pd.DataFrame:
    """The current ``cftc_cot.csv`` with the columns of :data:`HEADER` (long/short empty if the file has none)."""
    if not path.is_file():
        return pd.DataFrame({c: pd.Series(dtype=str if c == "report_date" else "Int64") for c in HEADER})
    frame = pd.read_csv(path, dtype={"report_date": str})
    for column in HEADER:
        if column not in frame.columns:
            frame[column] = pd.NA
    frame["report_date"] = pd.to_datetime(frame["report_date"]).dt.strftime("%Y-%m-%d")
    return frame[list(HEADER)].astype(dict.fromkeys(HEADER[1:], "Int64"))
