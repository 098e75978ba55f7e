"""HTTP transport of the sources: one session factory (timeouts, retries with backoff) and a replay mode.

:func:`make_session` returns a :class:`requests.Session` whose adapter retries connection errors, read errors
and HTTP 429/500/502/503/504 with exponential backoff (urllib3 :class:`~urllib3.util.retry.Retry`, honouring
``Retry-After`` up to a cap) and that applies a default (connect, read) timeout to every request. FRED/ALFRED,
the CFTC and the Databento client (see :mod:`zlcast.data.sources.futures`) all go through it.

:func:`replay_session` returns a session that answers from files in a recorded folder instead of the network
(``zlcast refresh --replay DIR``, tests). The folder holds a ``manifest.json``::

    {"responses": [
      {"method": "GET", "url": "https://api.stlouisfed.org/fred/series/observations",
       "params": {"series_id": "NFCI"}, "file": "fred/NFCI_observations.json",
       "status": 200, "headers": {"Content-Type": "application/json"}},
      {"method": "POST", "url": "https://hist.databento.com/v0/timeseries.get_range",
       "form": {"dataset": "GLBX.MDP3", "schema": "ohlcv-1h"}, "file": "databento/feb.dbn.zst"}
    ]}

A request matches an entry when the method and the URL without its query are equal and every ``params``
(query) and ``form`` (form-encoded body) item of the entry equals the request's (a subset match, so a recording
does not depend on dates or keys). The first matching entry answers (``status`` default 200, ``file`` default an
empty body); a request that matches no entry raises :class:`ReplayMissError`, naming the request (with any
``api_key`` redacted) and the manifest.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3 import HTTPResponse
from urllib3.util.retry import Retry

__all__ = [
    "MANIFEST",
    "RETRY_STATUSES",
    "RecordedCall",
    "ReplayAdapter",
    "ReplayMissError",
    "RetryPolicy",
    "TimeoutSession",
    "describe_failure",
    "error_message",
    "is_replay",
    "make_session",
    "redact",
    "replay_session",
]

MANIFEST = "manifest.json"
#: HTTP statuses retried with backoff: rate limiting and transient server errors.
RETRY_STATUSES: tuple[int, ...] = (429, 500, 502, 503, 504)
_SECRET = re.compile(r"(api_key|key|token|app_token)=[^&\s'\"]+", re.IGNORECASE)


def redact(text: str) -> str:
    """Replace the value of every ``api_key=``/``token=`` style query item in ``text`` by ``***``.

    Parameters
    ----------
    text : str
        A URL or an error message that may contain one.

    Returns
    -------
    str
        The text without secrets.
    """
    return _SECRET.sub(lambda m: f"{m.group(1)}=***", text)


@dataclass(frozen=True)
class RetryPolicy:
    """Timeouts and retries of one session.

    Attributes
    ----------
    tries : int
        Attempts per request in total (first try included).
    backoff_factor : float
        urllib3 backoff: the n-th retry waits ``backoff_factor * 2 ** (n - 1)`` seconds (capped).
    backoff_max : float
        Longest wait between two tries, seconds (also caps ``Retry-After``).
    connect_timeout, read_timeout : float
        Seconds to connect, and to wait for each chunk of the response.
    statuses : tuple of int
        HTTP statuses that are retried.
    """

    tries: int = 4
    backoff_factor: float = 1.0
    backoff_max: float = 60.0
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    statuses: tuple[int, ...] = RETRY_STATUSES

    @property
    def timeout(self) -> tuple[float, float]:
        """The (connect, read) timeout passed to requests."""
        return (self.connect_timeout, self.read_timeout)

    def retry(self) -> Retry:
        """Return the urllib3 retry configuration of this policy.

        GET and POST are both retried: every request the sources make is a read (Databento's
        ``timeseries.get_range`` is a POST that changes nothing). The last failing response is
        returned rather than raised (``raise_on_status=False``) so the caller can name its status.
        """
        n = max(self.tries - 1, 0)
        return Retry(
            total=n,
            connect=n,
            read=n,
            status=n,
            other=0,
            redirect=5,
            backoff_factor=self.backoff_factor,
            backoff_max=self.backoff_max,
            status_forcelist=self.statuses,
            allowed_methods=frozenset({"GET", "POST", "HEAD"}),
            raise_on_status=False,
            respect_retry_after_header=True,
            retry_after_max=max(int(self.backoff_max), 1),
        )


class TimeoutSession(requests.Session):
    """A session that applies a default timeout to requests made without one.

    Parameters
    ----------
    timeout : tuple of float
        (connect, read) seconds.
    """

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """Send a request with the session's timeout unless the caller gave one."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


def make_session(policy: RetryPolicy | None = None) -> requests.Session:
    """Return a session with the policy's timeouts and retries mounted for http and https.

    Parameters
    ----------
    policy : RetryPolicy, optional
        Defaults to :class:`RetryPolicy` (4 tries, backoff 1 s doubling up to 60 s, timeouts 10 s / 120 s).

    Returns
    -------
    requests.Session
    """
    policy = policy or RetryPolicy()
    session = TimeoutSession(policy.timeout)
    adapter = HTTPAdapter(max_retries=policy.retry())
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "zlcast-refresh/0.1 (python-requests)"
    return session


# --------------------------------------------------------------------------------------
# failures as one line
# --------------------------------------------------------------------------------------


def describe_failure(exc: requests.RequestException, url: str, tries: int) -> str:
    """One line describing a failed request, without secrets.

    Parameters
    ----------
    exc : requests.RequestException
        The exception raised by requests.
    url : str
        The URL that was called (the query is dropped).
    tries : int
        Attempts made (from the session's policy).

    Returns
    -------
    str
        ``"<host> unreachable (ConnectionError: ...) after 4 tries"``,
        ``"<host> timed out (ReadTimeout) after 4 tries"`` or ``"<host/path> failed (...)"``.
    """
    parts = urlsplit(url)
    host = parts.netloc or url
    if isinstance(exc, ReplayMissError):
        return str(exc)
    reason = _root_cause(exc)
    if isinstance(exc, requests.Timeout):
        return f"{host} timed out ({type(exc).__name__}: {reason}) after {tries} tries"
    if isinstance(exc, requests.ConnectionError):
        return f"{host} unreachable ({type(exc).__name__}: {reason}) after {tries} tries"
    return f"{host}{parts.path} failed ({type(exc).__name__}: {reason})"


def error_message(response: requests.Response, key: str) -> str:
    """The provider's error message (JSON field ``key``) or the start of the body, on one line.

    Parameters
    ----------
    response : requests.Response
        A failed response.
    key : str
        Where the provider puts its message (FRED ``error_message``, Socrata ``message``).

    Returns
    -------
    str
        At most 200 characters.
    """
    try:
        body = response.json()
        text = str(body.get(key, body)) if isinstance(body, dict) else str(body)
    except ValueError:
        text = response.text or response.reason or ""
    return " ".join(text.split())[:200]


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error, short and without secrets."""
    reason: Any = exc.args[0] if exc.args else exc
    reason = getattr(reason, "reason", reason)  # urllib3 MaxRetryError -> its reason
    text = str(reason)
    text = re.sub(r"<[^>]+>: ", "", text)  # drop '<urllib3.connection.HTTPSConnection object at 0x..>: '
    text = re.sub(r"\s+", " ", text).strip()
    return redact(text)[:200] or type(exc).__name__


# --------------------------------------------------------------------------------------
# replay
# --------------------------------------------------------------------------------------


class ReplayMissError(requests.RequestException):
    """A request in replay mode that no recorded response answers."""


@dataclass(frozen=True)
class RecordedCall:
    """A request seen by a :class:`ReplayAdapter` (for tests and logs).

    Attributes
    ----------
    method, url : str
        Method and full URL (secrets redacted).
    params, form : dict of str to str
        Query items and form-encoded body items (secrets kept out: ``api_key`` is redacted).
    headers : dict of str to str
        Request headers (``Authorization`` redacted).
    """

    method: str
    url: str
    params: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Entry:
    method: str
    url: str
    params: Mapping[str, str]
    form: Mapping[str, str]
    file: Path | None
    status: int
    headers: Mapping[str, str]

    def matches(self, method: str, base: str, params: Mapping[str, str], form: Mapping[str, str]) -> bool:
        return (
            self.method == method
            and self.url == base
            and all(params.get(k) == v for k, v in self.params.items())
            and all(form.get(k) == v for k, v in self.form.items())
        )


def _load_manifest(recorded_dir: Path) -> list[_Entry]:
    """Read ``manifest.json`` of a recorded folder into entries (files resolved, checked to exist)."""
    path = recorded_dir / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"replay: {path} not found") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"replay: {path} is not valid JSON ({exc})") from exc
    entries = []
    for i, item in enumerate(raw.get("responses", [])):
        file = recorded_dir / item["file"] if item.get("file") else None
        if file is not None and not file.is_file():
            raise FileNotFoundError(f"replay: {path} entry {i} names a missing file {item['file']!r}")
        entries.append(
            _Entry(
                method=str(item.get("method", "GET")).upper(),
                url=_base_url(str(item["url"])),
                params={str(k): str(v) for k, v in item.get("params", {}).items()},
                form={str(k): str(v) for k, v in item.get("form", {}).items()},
                file=file,
                status=int(item.get("status", 200)),
                headers={str(k): str(v) for k, v in item.get("headers", {}).items()},
            )
        )
    return entries


def _base_url(url: str) -> str:
    """The URL without query and fragment."""
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, p.path, "", ""))


def _form(body: Any, content_type: str) -> dict[str, str]:
    """Decode a form-encoded request body (other bodies give no items)."""
    if body is None or "application/x-www-form-urlencoded" not in content_type:
        return {}
    text = body.decode("utf-8") if isinstance(body, bytes) else str(body)
    return dict(parse_qsl(text, keep_blank_values=True))


def _phrase(status: int) -> str:
    """The standard reason phrase of an HTTP status ('' when unknown)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class ReplayAdapter(BaseAdapter):
    """A requests transport adapter that answers from a recorded folder (see the module docstring).

    Parameters
    ----------
    recorded_dir : Path
        Folder with ``manifest.json`` and the response files.

    Attributes
    ----------
    calls : list of RecordedCall
        Every request seen, in order.
    """

    def __init__(self, recorded_dir: Path) -> None:
        super().__init__()
        self.recorded_dir = Path(recorded_dir)
        self.entries = _load_manifest(self.recorded_dir)
        self.calls: list[RecordedCall] = []
        self._http = HTTPAdapter()

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        """Answer ``request`` from the recording or raise :class:`ReplayMissError`."""
        url = str(request.url)
        method = str(request.method).upper()
        params = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
        form = _form(request.body, str(request.headers.get("Content-Type", "")))
        secret = {"authorization", "x-app-token"}
        headers = {k: ("***" if k.lower() in secret else v) for k, v in request.headers.items()}
        self.calls.append(
            RecordedCall(
                method,
                redact(url),
                {k: ("***" if k == "api_key" else v) for k, v in params.items()},
                form,
                headers,
            )
        )
        base = _base_url(url)
        for entry in self.entries:
            if entry.matches(method, base, params, form):
                body = entry.file.read_bytes() if entry.file is not None else b""
                raw = HTTPResponse(
                    body=io.BytesIO(body),
                    headers={"Content-Length": str(len(body)), **entry.headers},
                    status=entry.status,
                    reason=_phrase(entry.status),
                    preload_content=False,
                    decode_content=False,
                )
                return self._http.build_response(request, raw)
        extra = f" with form {form}" if form else ""
        raise ReplayMissError(
            f"replay: no recorded response for {method} {redact(url)}{extra} in {self.recorded_dir / MANIFEST}",
            request=request,
        )

    def close(self) -> None:
        """Nothing to release."""
        self._http.close()


class ReplaySession(TimeoutSession):
    """A session answering from a recorded folder; :attr:`replay` is its adapter.

    Parameters
    ----------
    recorded_dir : Path
        Folder with ``manifest.json``.
    timeout : tuple of float
        Default (connect, read) timeout (irrelevant for replay, kept for the same call path).
    """

    def __init__(self, recorded_dir: Path, timeout: tuple[float, float] = RetryPolicy().timeout) -> None:
        super().__init__(timeout)
        self.replay = ReplayAdapter(recorded_dir)
        self.mount("https://", self.replay)
        self.mount("http://", self.replay)


def replay_session(recorded_dir: Path | str) -> ReplaySession:
    """Return a session answering every request from ``recorded_dir`` (see the module docstring).

    Parameters
    ----------
    recorded_dir : Path or str
        Folder with ``manifest.json`` and the response files.

    Returns
    -------
    ReplaySession
        Its ``replay.calls`` lists the requests made.

    Raises
    ------
    FileNotFoundError
        If the manifest or a file it names is missing.
    """
    return ReplaySession(Path(recorded_dir))


def is_replay(session: requests.Session | None) -> bool:
    """Whether ``session`` answers from a recording (then no API key is needed)."""
    return isinstance(session, ReplaySession)
