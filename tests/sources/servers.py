"""A tiny HTTP server on 127.0.0.1 for tests: files with Range support, JSON routes.

Tests register byte payloads and handlers by path; nothing leaves the machine.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Handler = Callable[["RequestView"], tuple[int, dict[str, str], bytes]]


class RequestView:
    """What a route handler sees of a request."""

    def __init__(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: bytes
    ) -> None:
        self.method, self.path, self.query, self.headers, self.body = (
            method,
            path,
            query,
            headers,
            body,
        )

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


class LocalHttpServer:
    """A threaded HTTP server with registered routes; a context manager."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, Range
        self.truncate: dict[str, list[int]] = {}  # path -> bytes sent by the next GETs
        self.no_length: set[str] = set()  # file paths served without Content-Length
        self.token_check: Callable[[str, dict[str, list[str]]], bool] | None = None
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer._serve(self, "GET")

            def do_HEAD(self) -> None:
                outer._serve(self, "HEAD")

            def do_POST(self) -> None:
                outer._serve(self, "POST")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> LocalHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def add_json(self, path: str, payload: Any) -> None:
        self.routes[path] = lambda req: (
            200,
            {"Content-Type": "application/json"},
            json.dumps(payload).encode(),
        )

    def _serve(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        query = parse_qs(parts.query)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        self.requests.append((method, parts.path, h.headers.get("Range")))
        if (
            self.token_check is not None
            and parts.path in self.files
            and not self.token_check(parts.path, query)
        ):
            return self._reply(h, 403, {"Content-Type": "text/plain"}, b"expired token", method)
        if parts.path in self.files:
            return self._serve_file(h, method, parts.path)
        route = self.routes.get(parts.path)
        if route is None:
            return self._reply(h, 404, {"Content-Type": "text/plain"}, b"not found", method)
        status, headers, payload = route(RequestView(method, parts.path, query, h.headers, body))
        return self._reply(h, status, headers, payload, method)

    def _serve_file(self, h: BaseHTTPRequestHandler, method: str, path: str) -> None:
        data = self.files[path]
        status, start, end = 200, 0, len(data) - 1
        rng = h.headers.get("Range")
        if rng and rng.startswith("bytes="):
            first, _, last = rng[len("bytes=") :].partition("-")
            start = int(first) if first else max(len(data) - int(last), 0)
            end = min(int(last), len(data) - 1) if (first and last) else len(data) - 1
            if start >= len(data):
                return self._reply(h, 416, {"Content-Range": f"bytes */{len(data)}"}, b"", method)
            status = 206
        chunk = data[start : end + 1]
        headers = {
            "Content-Type": "application/octet-stream",
            "Accept-Ranges": "bytes",
            "Content-Length": str(len(chunk)),
        }
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        if path in self.no_length:  # the body ends when the connection closes
            del headers["Content-Length"]
        cuts = self.truncate.get(path) if method == "GET" else None
        cut = cuts.pop(0) if cuts else None
        h.send_response(status)
        for key, value in headers.items():
            h.send_header(key, value)
        h.end_headers()
        if method == "HEAD":
            return None
        h.wfile.write(chunk if cut is None else chunk[:cut])
        if cut is not None:
            h.close_connection = True
        return None

    @staticmethod
    def _reply(
        h: BaseHTTPRequestHandler, status: int, headers: dict[str, str], payload: bytes, method: str
    ) -> None:
        h.send_response(status)
        for key, value in headers.items():
            h.send_header(key, value)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        if method != "HEAD":
            h.wfile.write(payload)
