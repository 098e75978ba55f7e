"""Data sources of the daily refresh: each fetches what is new and writes complete files into a work folder.

See :mod:`zlcast.data.sources.base` for the contract of :class:`Source` and :class:`FetchResult`, and
:mod:`zlcast.data.sources.transport` for the HTTP session (timeouts, retries, replay).
"""

from __future__ import annotations

from zlcast.data.sources.base import FetchResult, Source, SourceError

__all__ = ["FetchResult", "Source", "SourceError"]
