"""Serving the portal with several processes: gunicorn's pre-fork master and `workers` processes of `threads`
threads each (`gkh server run --workers N`; Unix only, gunicorn forks).

The master opens the database once before forking (migrating it, seeding an empty one) and closes it; every
worker then opens its own store after the fork (a pool of `pool_size` connections on PostgreSQL: a pool must
never cross a fork), so the processes share nothing but the database, which holds the portal id, settings,
idempotency claims and throttles. Imported only for `--workers`: the embedded CLI never loads gunicorn.

The portal's limits are the app's, as under waitress: gunicorn's header limits are raised to the app's
total (64 KiB a field, 100 fields), so that the app answers a field over 8 KiB with its JSON 431 naming it.
What gunicorn still refuses itself (a request line over 8190 bytes: 414, a malformed request line or header
block: 400, a field over 64 KiB: 431) is written in the portal's JSON error shape instead of gunicorn's HTML
page (`_write_json_error`, set in each worker).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import gunicorn.util
from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

from gkh import protocol
from gkh.server.http import MAX_HEADERS, error_code, error_document, refusal_message

# What opens a worker's portal after the fork: its WSGI app and what closes it.
OpenApp = Callable[[], tuple[Any, Callable[[], None]]]

GRACEFUL_TIMEOUT_S = 10
WORKER_TIMEOUT_S = 60  # a worker silent this long is restarted (a request's statements time out in 15 s)


def _write_json_error(sock: Any, status: int, reason: str, message: str) -> None:
    """gunicorn.util.write_error, in the portal's JSON error shape."""
    request_id = secrets.token_hex(8)
    text = refusal_message(reason, message)
    body = error_document(error_code(status), text, None, request_id)
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"{protocol.REQUEST_ID}: {request_id}\r\nContent-Length: {len(body)}\r\n\r\n")
    gunicorn.util.write_nonblock(sock, head.encode("latin-1") + body)


class PortalWorker(ThreadWorker):
    """gunicorn's threaded worker, answering its own refusals with the portal's JSON error."""

    def init_process(self) -> None:
        gunicorn.util.write_error = _write_json_error  # this worker process's gunicorn only
        super().init_process()


class PortalServer(BaseApplication):
    """gunicorn serving the portal: `open_app` runs in each worker after the fork; `on_ready(host, port)` in
    the master once it listens (port 0 picks a free one)."""

    def __init__(self, open_app: OpenApp, *, host: str, port: int, workers: int, threads: int,
                 on_ready: Callable[[str, int], None]):
        self.open_app = open_app
        self.on_ready = on_ready
        self.settings = {
            "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
            "workers": workers,
            "threads": threads,
            "worker_class": PortalWorker,
            "timeout": WORKER_TIMEOUT_S,
            "graceful_timeout": GRACEFUL_TIMEOUT_S,
            "limit_request_line": 8190,  # gunicorn's maximum; longer is its 414
            "limit_request_fields": 100,
            # Up to all the app takes (http.MAX_HEADERS), so that the app's 431 names a field over 8 KiB.
            "limit_request_field_size": MAX_HEADERS,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "gkh-portal",
            "when_ready": self._when_ready,
            "worker_exit": self._worker_exit,
            "control_socket_disable": True,  # gunicorn ≥ 25's control socket: nothing of ours uses it
        }
        self._close: Callable[[], None] | None = None
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.settings.items():
            if value is not None and name in self.cfg.settings:  # an older gunicorn lacks some
                self.cfg.set(name, value)

    def load(self) -> Any:
        app, self._close = self.open_app()
        return app

    def _when_ready(self, arbiter: Any) -> None:
        host, port = arbiter.LISTENERS[0].sock.getsockname()[:2]
        self.on_ready(host, port)

    def _worker_exit(self, arbiter: Any, worker: Any) -> None:
        if self._close is not None:
            self._close()
