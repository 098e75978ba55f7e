"""Data sources of the daily refresh: each fetches what is new and writes complete files into a work folder.

=================  ========  ==========================================================  ========================
source             required  writes (data-dir relative)                                  key (environment)
=================  ========  ==========================================================  ========================
``databento``      yes       ``raw/databento/*.ohlcv-1h.dbn.zst``, ``futures_daily.parquet``  ``DATABENTO_API_KEY``
``fred``           yes       ``macro/<SERIES>.csv`` (ALFRED vintages), required series     ``FRED_API_KEY``
``fred-optional``  no        ``macro/<SERIES>.csv``, the optional FRED series (NFCI, ...)  ``FRED_API_KEY``
``cftc``           no        ``cftc_cot.csv``                                              ``CFTC_APP_TOKEN`` (opt.)
``epa_rin``        no        ``epa_rin_prices_d6.csv`` (a newer export dropped in the dir)  none (no API)
=================  ========  ==========================================================  ========================

See :mod:`zlcast.data.sources.base` for the contract of :class:`Source` and :class:`FetchResult`, and
:mod:`zlcast.data.sources.transport` for the HTTP session (timeouts, retries, replay).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from pathlib import Path

import requests

from zlcast.data.sources.base import FetchResult, Source, SourceError
from zlcast.data.sources.cftc import CftcCotSource
from zlcast.data.sources.epa_rin import EpaRinSource
from zlcast.data.sources.fred import FredSource
from zlcast.data.sources.futures import DatabentoSource, read_roots
from zlcast.data.sources.transport import RetryPolicy, is_replay, make_session, replay_session

__all__ = [
    "CftcCotSource",
    "DatabentoSource",
    "EpaRinSource",
    "FetchResult",
    "FredSource",
    "RetryPolicy",
    "Source",
    "SourceError",
    "default_sources",
    "fred_series",
    "make_session",
    "replay_session",
]

#: Placeholder key in replay mode (recordings never hold keys; the requests must still carry one).
REPLAY_KEY = "replay"


def fred_series(macro_seed: Path) -> tuple[dict[str, str], dict[str, str]]:
    """FRED series of ``seeds/macro_series.csv``: (required, optional), each series id -> FRED id.

    Series with an empty ``fred_id`` (not on FRED) are left out.

    Raises
    ------
    SourceError
        If the seed cannot be read.
    """
    try:
        with Path(macro_seed).open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise SourceError(f"fred: cannot read the macro seed {macro_seed} ({exc})") from exc
    required: dict[str, str] = {}
    optional: dict[str, str] = {}
    for row in rows:
        fred_id = (row.get("fred_id") or "").strip()
        if fred_id:
            target = required if (row.get("required") or "").strip().lower() == "true" else optional
            target[row["series_id"].strip()] = fred_id
    return required, optional


def default_sources(env: Mapping[str, str] = os.environ, session: requests.Session | None = None) -> list[Source]:
    """The sources of ``zlcast refresh``, in the order to run them.

    Parameters
    ----------
    env : Mapping[str, str], optional
        Environment: ``DATABENTO_API_KEY``, ``FRED_API_KEY``, optional ``CFTC_APP_TOKEN``, optional
        ``ZL_SEEDS_DIR`` (default ``seeds``, relative to the project directory the command runs in).
    session : requests.Session, optional
        Transport shared by every source; default :func:`make_session` (4 tries, backoff, timeouts). Pass
        :func:`replay_session` to answer from a recorded folder; then a missing key is replaced by a placeholder.

    Returns
    -------
    list of Source
        databento (required), fred (required series, required), fred-optional, cftc, epa_rin (optional).
        A missing key does not fail here: that source's ``fetch`` raises a one-line :class:`SourceError`.
    """
    policy = RetryPolicy()
    session = session if session is not None else make_session(policy)
    replay = is_replay(session)

    def key(name: str) -> str | None:
        value = (env.get(name) or "").strip()
        return value or (REPLAY_KEY if replay else None)

    seeds = Path(env.get("ZL_SEEDS_DIR") or "seeds")
    required, optional = fred_series(seeds / "macro_series.csv")
    fred_key = key("FRED_API_KEY")
    return [
        DatabentoSource(key("DATABENTO_API_KEY"), session, read_roots(seeds / "futures_roots.csv"), policy),
        FredSource(fred_key, session, required, name="fred", required=True, policy=policy),
        FredSource(fred_key, session, optional, name="fred-optional", required=False, policy=policy),
        CftcCotSource(session, (env.get("CFTC_APP_TOKEN") or "").strip() or None, policy),
        EpaRinSource(),
    ]
