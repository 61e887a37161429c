"""Waitress's "Task queue depth" warning is logged at most once a minute, however deep the queue."""

from __future__ import annotations

import logging

from gkh.server.serve import QUEUE_WARNINGS, OncePerInterval, create_http_server
from tests.helpers.serving import stop_waitress


def record(message: str = "Task queue depth is %d", *args) -> logging.LogRecord:
    return logging.LogRecord("waitress.queue", logging.WARNING, __file__, 1, message, args or (3,), None)


def test_one_record_a_minute_then_how_many_were_held_back():
    clock = [1000.0]
    once = OncePerInterval(60, clock=lambda: clock[0])
    assert once.filter(record())
    clock[0] += 59
    assert not once.filter(record()) and not once.filter(record())
    clock[0] += 1
    shown = record()
    assert once.filter(shown)
    assert shown.getMessage() == "Task queue depth is 3 (2 more held back since the last one shown)"
    clock[0] += 61
    assert once.filter(later := record()) and later.getMessage() == "Task queue depth is 3"


def test_serving_installs_the_filter_once(portal):
    servers = [create_http_server(portal.app, host="127.0.0.1", port=0, threads=1) for _ in range(2)]
    assert logging.getLogger("waitress.queue").filters.count(QUEUE_WARNINGS) == 1
    for server in servers:
        stop_waitress(server)
        server.close()
