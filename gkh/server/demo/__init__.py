"""The demo world a new embedded portal is seeded with: its public constants, and the store's seed hook.

`world` holds what the README and the tests name (houses, organisations, users, accounts); `houses`,
`meters` and `bills` build each schema version's rows. The composition root (gkh.server.local) passes `seed` to
gkh.server.db.open_portal; nothing else of the portal knows the demo.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from gkh.server.demo.world import (
    DEMO_HOUSES,
    DEMO_ORGS,
    DEMO_OVERDUE_METER,
    DEMO_PETROVA_ACCOUNT,
    DEMO_PETROVA_FLAT,
    DEMO_RESIDENT_ACCOUNT_DETAILS,
    DEMO_RESIDENT_ACCOUNTS,
    DEMO_RESIDENT_FLAT,
    DEMO_RESIDENT_HOUSE,
    DEMO_RESIDENT_LOGIN,
    DEMO_USERS,
    H1_GUID,
    H2_GUID,
    H3_GUID,
    H4_GUID,
    H5_GUID,
    H6_ADDRESS,
    H6_GUID,
    ORG_ENERGO,
    ORG_GZHI_MOSCOW,
    ORG_GZHI_SVERDLOVSK,
    ORG_UK_EKB,
    ORG_UK_MOSCOW,
    PORTAL_NAME,
    SEED,
    DemoAccount,
    DemoHouse,
    DemoOrg,
    DemoUser,
)

__all__ = [
    "DEMO_HOUSES",
    "DEMO_ORGS",
    "DEMO_OVERDUE_METER",
    "DEMO_PETROVA_ACCOUNT",
    "DEMO_PETROVA_FLAT",
    "DEMO_RESIDENT_ACCOUNTS",
    "DEMO_RESIDENT_ACCOUNT_DETAILS",
    "DEMO_RESIDENT_FLAT",
    "DEMO_RESIDENT_HOUSE",
    "DEMO_RESIDENT_LOGIN",
    "DEMO_USERS",
    "H1_GUID",
    "H2_GUID",
    "H3_GUID",
    "H4_GUID",
    "H5_GUID",
    "H6_ADDRESS",
    "H6_GUID",
    "ORG_ENERGO",
    "ORG_GZHI_MOSCOW",
    "ORG_GZHI_SVERDLOVSK",
    "ORG_UK_EKB",
    "ORG_UK_MOSCOW",
    "PORTAL_NAME",
    "SEED",
    "DemoAccount",
    "DemoHouse",
    "DemoOrg",
    "DemoUser",
    "seed",
]


class Connection(Protocol):
    """The store's connection as the seed uses it (SQLite's or PostgreSQL's): SQL with `?` placeholders."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...


def seed(conn: Connection, version: int, now: datetime) -> None:
    """The store's seed hook: add the part of the demo world that schema `version` holds, in its transaction.

    Version 1 is applied only to a new database, so a new portal opened with this hook is a demo portal;
    later versions add their part only to a portal that is one (a real portal opened with it stays as it is).
    """
    # Imported here: building the world is needed only while migrating, and costs a command ~70 ms.
    if version == 1:
        from gkh.server.demo.houses import seed_v1

        seed_v1(conn, now)
    elif version == 2 and _is_demo(conn):
        from gkh.server.demo.meters import seed_v2

        seed_v2(conn, now)
    elif version == 6 and _is_demo(conn):
        from gkh.server.demo.bills import seed_v6

        seed_v6(conn, now)
    elif version == 7 and _is_demo(conn):
        from gkh.server.demo.payments import seed_v7

        seed_v7(conn, now)
    elif version == 8 and _is_demo(conn):
        from gkh.server.demo.meetings import seed_v8

        seed_v8(conn, now)
    elif version == 9 and _is_demo(conn):
        from gkh.server.demo.appeals import seed_v9

        seed_v9(conn, now)
    elif version == 10 and _is_demo(conn):
        from gkh.server.demo.outages import seed_v10

        seed_v10(conn, now)
    elif version == 11 and _is_demo(conn):
        from gkh.server.demo.newbuild import seed_v11

        seed_v11(conn, now)


def _is_demo(conn: Connection) -> bool:
    row = conn.execute("SELECT value FROM portal_settings WHERE key = 'demo'").fetchone()
    return bool(row and row[0] == "1")
