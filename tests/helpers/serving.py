"""Serving in a test: a free loopback port, and stopping a waitress server that runs in a thread."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_waitress(server) -> None:
    """Close every channel from inside the serving loop (its trigger runs thunks there), so it ends."""

    def close_all() -> None:
        for channel in list(server._map.values()):
            channel.handle_close()

    try:
        server.trigger.pull_trigger(close_all)
    except OSError:  # the trigger is closed already: the loop has ended or is ending by itself
        pass
    server.task_dispatcher.shutdown()
