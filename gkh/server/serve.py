"""Serving the portal over HTTP with waitress, so that every refusal is the portal's JSON error.

The app's limits sit below waitress's, so for these the app answers first, with its JSON error,
its error code and `X-Request-Id`:
- a JSON body over 1 MiB (`http.MAX_JSON_BODY`): 413 `too_large`; waitress takes bodies up to
  MAX_REQUEST_BODY (room for file uploads, whose limits the app enforces too);
- a header field over 8 KiB, or all headers over 64 KiB (`http.MAX_HEADER_FIELD`, `MAX_HEADERS`):
  431 `headers_too_large`; waitress takes a request line and headers up to MAX_REQUEST_HEADERS;
- a path whose bytes are not UTF-8 (`%FF`): Falcon reads it with U+FFFD, so it is a route's 404.

What waitress still answers itself, because it refuses before there is a request the app could see
(PEP 3333 needs a parsed request line and headers; a body waitress will not read cannot be handed on):
- 400 a request line it cannot parse: not `METHOD target HTTP/x.y`, a lower-case method, or raw
  non-ASCII bytes in the target (`GET /\\xff`: waitress splits the target as ASCII);
- 400 a malformed header block: control bytes (other than tab) in a header, a bare CR or LF,
  a line without a colon, a folded first line, an invalid Content-Length, broken chunked encoding;
- 431 a request line and headers together over MAX_REQUEST_HEADERS;
- 413 a body over MAX_REQUEST_BODY (declared by Content-Length, or counted while de-chunking);
- 501 a Transfer-Encoding other than chunked;
- 500 an exception that escapes the app (its catch-all handler makes that a bug).
Those answers are rendered here in the portal's JSON error shape too (code by status, a fresh
`X-Request-Id`, field null), by a waitress error task of our own (`JsonErrorTask`). A connection that
stays idle past waitress's `channel_timeout` is closed without an answer.

Waitress warns "Task queue depth is N" for every request that waits for a thread; under load that is a
line per request, so the warning is let through at most once a minute (`OncePerInterval`).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import waitress
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask

from gkh import protocol
from gkh.server.http import MAX_HEADERS, MAX_JSON_BODY, error_code, error_document, refusal_message

MAX_REQUEST_BODY = 32 * 1024 * 1024
MAX_REQUEST_HEADERS = 1024 * 1024
assert MAX_JSON_BODY < MAX_REQUEST_BODY and MAX_HEADERS < MAX_REQUEST_HEADERS  # the app answers first


class JsonErrorTask(ErrorTask):
    """Waitress's own refusals in the portal's JSON error shape, instead of text/plain."""

    def execute(self) -> None:
        error = self.request.error
        request_id = secrets.token_hex(8)
        message = refusal_message(error.reason, error.body)
        body = error_document(error_code(error.code), message, None, request_id)
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend([("Content-Type", "application/json"), (protocol.REQUEST_ID, request_id)])
        self.set_close_on_finish()  # the request could not be read to its end: the connection is unusable
        self.content_length = len(body)
        self.write(body)


class _JsonErrorChannel(HTTPChannel):
    error_task_class = JsonErrorTask


class OncePerInterval(logging.Filter):
    """Lets a logger's records through at most once per interval; the next one let through says how many
    were held back."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.seconds = seconds
        self.clock = clock
        self._next = float("-inf")
        self._held = 0
        self._lock = threading.Lock()  # waitress logs from its serving thread and its workers

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            now = self.clock()
            if now < self._next:
                self._held += 1
                return False
            self._next = now + self.seconds
            held, self._held = self._held, 0
        if held:
            record.msg = f"{record.msg} ({held} more held back since the last one shown)"
        return True


QUEUE_WARNINGS = OncePerInterval(60)  # waitress's "Task queue depth" warning, at most once a minute


def _quiet_queue_warnings() -> None:
    queue_logger = logging.getLogger("waitress.queue")
    if QUEUE_WARNINGS not in queue_logger.filters:
        queue_logger.addFilter(QUEUE_WARNINGS)


def create_http_server(app, *, host: str, port: int, threads: int, **kw: Any):
    """waitress.create_server with the portal's limits, JSON refusals and fewer queue warnings; `kw` are more
    waitress adjustments."""
    _quiet_queue_warnings()
    server = waitress.create_server(app, host=host, port=port, threads=threads, max_request_body_size=MAX_REQUEST_BODY,
                                    max_request_header_size=MAX_REQUEST_HEADERS, **kw)
    # One listener, or several (a host name with an IPv4 and an IPv6 address) held in the server's map.
    listeners = [server] if isinstance(server, BaseWSGIServer) else list(server.map.values())
    for listener in listeners:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = _JsonErrorChannel
    return server
