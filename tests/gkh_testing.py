"""What tests share beyond fixtures (a module of its own: `conftest` names clash between folders)."""

import socket
from datetime import UTC, datetime

# The instant the session's seeded demo portal was created at; its history ends the month before.
SEED_NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
