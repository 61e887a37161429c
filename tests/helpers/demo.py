"""The demo world as the tests name it: when the shared seed was made, the demo resident's meters, passwords."""

from __future__ import annotations

from datetime import UTC, datetime

# The instant the session's seeded demo portal was created at; its history ends the month before.
SEED_NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

# The demo resident's (ivanov's) meters at ул. Ленина, д. 5: cold and hot water on 77ЕЖ532838, electricity
# (T1 T2 T3) on 77ИВ845392. The seed numbers them; gkh.server.demo does not name them.
COLD, HOT, POWER = "M-000023", "M-000024", "M-000452"


def password_of(login: str) -> str:
    """A demo user's fixed password."""
    from gkh.server.demo import DEMO_USERS

    return next(u.password for u in DEMO_USERS if u.login == login)
