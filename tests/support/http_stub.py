"""A scripted HTTP server on 127.0.0.1 for transport tests (real sockets, real urllib3 retries; no network).

Each request takes the next reply of the script (the last one repeats). A reply is ``(status, headers, body)``,
``"drop"`` (close the connection without answering) or ``("sleep", seconds, reply)`` (answer late).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Reply = Any


@dataclass
class SeenRequest:
    """A request the stub received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    at: float = field(default_factory=time.monotonic)


class StubServer:
    """Context manager serving a script of replies; ``url`` is its base URL, ``seen`` the requests."""

    def __init__(self, script: Sequence[Reply]) -> None:
        self.script = list(script)
        self.seen: list[SeenRequest] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                return

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                stub.seen.append(
                    SeenRequest(self.command, parts.path, dict(parse_qsl(parts.query)), dict(self.headers), body)
                )
                reply = stub.script[min(len(stub.seen) - 1, len(stub.script) - 1)]
                if isinstance(reply, tuple) and reply and reply[0] == "sleep":
                    time.sleep(reply[1])
                    reply = reply[2]
                if reply == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, headers, content = reply
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = _answer
            do_POST = _answer

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:  # a client that gave up: quiet
                return

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> StubServer:
        self.thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A local port with nothing listening (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
