"""What tests share beyond fixtures (a module of its own: `conftest` names clash between folders)."""

import socket
from datetime import UTC, datetime

# The instant the session's seeded demo portal was created at; its history ends the month before.
SEED_NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


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
