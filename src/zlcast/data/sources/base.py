"""What every source has in common: its result, its error, its protocol, and safe writes into the work folder.

A source's :meth:`Source.fetch` reads the current files of ``data_dir`` (never writes there) and writes complete,
updated files into ``work_dir`` under the same relative paths. ``work_dir`` starts as a copy of ``data_dir``
made by the orchestrator, so a source rewrites only the files it owns, and every file is written atomically
(temporary file + :func:`os.replace`) once everything it needs has been fetched: a source that fails leaves
``work_dir`` as it found it.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

__all__ = ["FetchResult", "Source", "SourceError", "write_atomic", "write_text_atomic"]


@dataclass(frozen=True)
class FetchResult:
    """What one source fetched (for the run record and the log).

    Attributes
    ----------
    source : str
        Source name (``databento``, ``fred``, ``fred-optional``, ``cftc``, ``epa_rin``).
    endpoint : str
        What was called (host/path/dataset); never a key.
    files : dict of str to int
        Data-dir-relative path of every file written -> rows added (new rows, 0 if none).
    detail : str
        One line for the log.
    """

    source: str
    endpoint: str
    files: dict[str, int] = field(default_factory=dict)
    detail: str = ""


class SourceError(RuntimeError):
    """A source failed; the message is one line naming the source and the cause."""


@runtime_checkable
class Source(Protocol):
    """A data source the refresh calls.

    Attributes
    ----------
    name : str
        Short name used in messages and the run record.
    required : bool
        A required source that fails stops the refresh before the build; an optional one is reported.
    """

    name: str
    required: bool

    def fetch(self, data_dir: Path, work_dir: Path, today: dt.date) -> FetchResult:
        """Fetch what is new up to ``today`` and write the updated files into ``work_dir``.

        Raises
        ------
        SourceError
            With one line naming the source and the cause.
        """
        ...


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write a file atomically: ``write(tmp)`` fills a temporary file next to ``path``, then it replaces ``path``.

    Parameters
    ----------
    path : Path
        Destination (its folder is created if needed).
    write : callable
        Called with the temporary path; must create the file there.

    Notes
    -----
    If ``write`` raises, the temporary file is removed and ``path`` is unchanged.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text to ``path`` atomically (see :func:`write_atomic`)."""
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
