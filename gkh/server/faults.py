"""Faults injected on purpose (issue 17), off unless asked for: `gkh server run --faults SPEC`, or GKH_FAULTS for
the server and the embedded portal alike. What a faulty network and a busy portal do to a client, so that its
retries can be proven to do every operation exactly once:

- `error=P`: answer 503 `unavailable` (Retry-After: 1) before doing anything;
- `drop=P`: do the work, commit it, then drop the connection without a byte of the answer;
- `cut=P`: do the work, then send the status, the headers and half the body, and drop the connection;
- `delay=P`: wait a moment (up to `pause` seconds, default 1) before doing the work;
- `seed=N`: the same faults for the same requests in the same order (default: drawn at start).

P is the share of requests (0–1; together at most 1), each request drawing one fault or none. Only the API
(`/api/v1/…`) is faulty: the acquirer's card page is the bank's, not the portal's.

How a connection is dropped depends on who serves the app: waitress is told the client went away (it then
closes the socket and writes nothing more); under gunicorn the request's socket is shut down; in this process (the
embedded portal) LocalTransport turns the ConnectionResetError into the requests error a dropped connection gives.
"""

from __future__ import annotations

import errno
import logging
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from gkh import protocol
from gkh.domain.errors import InvalidInput
from gkh.i18n import _

KINDS = ("error", "drop", "cut", "delay")
log = logging.getLogger("gkh.faults")


@dataclass(frozen=True)
class Faults:
    """The share of requests given each fault, the longest pause, and the random draw's seed."""

    error: float = 0.0
    drop: float = 0.0
    cut: float = 0.0
    delay: float = 0.0
    pause: float = 1.0
    seed: int | None = None

    def said(self) -> str:
        """For the loud start-up line: `drop 20 %, cut 10 %, …`."""
        return ", ".join(f"{kind} {getattr(self, kind) * 100:g} %" for kind in KINDS if getattr(self, kind))


def parse_faults(text: str, field: str = "--faults") -> Faults:
    """`drop=0.2,cut=0.1,error=0.1,delay=0.05[,pause=2][,seed=7]` → Faults; InvalidInput naming `field` and the
    part that is wrong."""
    values: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sign, value = part.partition("=")
        name = name.strip().lower()
        if not sign or name not in (*KINDS, "pause", "seed") or name in values:
            raise InvalidInput(_("{field}: {part} is not one of {names} given once as name=value").format(
                field=field, part=repr(part), names=", ".join((*KINDS, "pause", "seed"))), field)
        try:
            number: float = int(value) if name == "seed" else float(value)
        except ValueError:
            number = -1.0
        if name in KINDS and not 0 <= number <= 1 or name == "pause" and not 0 < number <= 60 \
                or name == "seed" and number < 0 or number != number:
            raise InvalidInput(_("{field}: {part}: a share of requests is 0–1, pause 0–60 seconds, seed a whole "
                                 "number").format(field=field, part=repr(part)), field)
        values[name] = number
    faults = Faults(**values)
    if sum(getattr(faults, kind) for kind in KINDS) > 1:
        raise InvalidInput(_("{field}: the shares add up to more than 1").format(field=field), field)
    if not any(getattr(faults, kind) for kind in KINDS):
        raise InvalidInput(_("{field}: no fault is given a share above 0").format(field=field), field)
    return faults


class FaultyApp:
    """The portal's WSGI app with faults injected into the API's requests."""

    def __init__(self, app: Callable, faults: Faults, sleep: Callable[[float], None] = time.sleep):
        self.app, self.faults, self.sleep = app, faults, sleep
        self._random = random.Random(faults.seed)
        self._lock = threading.Lock()  # one draw at a time: the same seed gives the same faults in order
        self.counts = dict.fromkeys(KINDS, 0)

    def _draw(self) -> tuple[str | None, float]:
        with self._lock:
            roll = self._random.random()
            pause = self._random.uniform(0, self.faults.pause)
            edge = 0.0
            for kind in KINDS:
                edge += getattr(self.faults, kind)
                if roll < edge:
                    self.counts[kind] += 1
                    return kind, pause
        return None, 0.0

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not environ.get("PATH_INFO", "").startswith(protocol.API_PREFIX + "/"):
            return self.app(environ, start_response)
        fault, pause = self._draw()
        if fault is not None:
            log.info("fault injected: %s %s %s", fault, environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
        if fault == "error":
            return _unavailable(start_response)
        if fault == "delay":
            self.sleep(pause)
        if fault not in ("drop", "cut"):
            return self.app(environ, start_response)
        answered: dict[str, Any] = {}

        def keep(status: str, headers: list, exc_info: Any = None) -> Callable[[bytes], None]:
            answered.update(status=status, headers=headers)
            return lambda data: None

        result = self.app(environ, keep)
        try:
            body = b"".join(result)  # the work is done and committed by now
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if fault == "drop" or len(body) < 2:  # an empty answer cannot be cut short: it is dropped
            _drop(environ)
        start_response(answered["status"], answered["headers"])
        return _cut(environ, body)


def _unavailable(start_response: Callable) -> list[bytes]:
    from gkh.server.http import error_document  # with Falcon: only once a fault is drawn

    request_id = secrets.token_hex(8)
    body = error_document("unavailable", _("the portal is unavailable (a fault injected on purpose); retry"), None,
                          request_id)
    start_response("503 Service Unavailable", [("Content-Type", "application/json"),
                                               ("Content-Length", str(len(body))), (protocol.RETRY_AFTER, "1"),
                                               (protocol.REQUEST_ID, request_id)])
    return [body]


def _cut(environ: dict, body: bytes) -> Iterator[bytes]:
    """Half the body (the status and headers, with the whole length, go first), then the connection dropped."""
    yield body[:len(body) // 2]
    _drop(environ)


def _drop(environ: dict) -> None:
    """Drop the request's connection: raises, so that the server writes nothing more."""
    if "waitress.client_disconnected" in environ:
        from waitress.channel import ClientDisconnected

        raise ClientDisconnected("a fault injected on purpose")
    sock = environ.get("gunicorn.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise ConnectionResetError(errno.ECONNRESET, "a fault injected on purpose")
