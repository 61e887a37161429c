"""What a test portal stored, read straight from its database: the `home` fixture's portal.sqlite3, or the
PostgreSQL database a test on that engine runs its portal in (tests.helpers.postgres.PORTAL_URLS)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def db(home: Path) -> sqlite3.Connection:
    """A connection to the portal in `home`, its rows readable by column name."""
    from tests.helpers.postgres import PORTAL_URLS, Rows

    if home in PORTAL_URLS:
        return Rows(PORTAL_URLS[home])  # type: ignore[return-value]  # used as sqlite3's: `?`, rows by name
    conn = sqlite3.connect(home / "portal.sqlite3")
    conn.row_factory = sqlite3.Row
    return conn


def stored(home: Path, meter: str, period: str | None = None) -> list[sqlite3.Row]:
    """The meter's stored readings (of one period, if given), oldest first."""
    sql, params = "SELECT * FROM readings WHERE meter_id = ?", [meter]
    if period:
        sql += " AND period = ?"
        params.append(period)
    with db(home) as conn:
        return conn.execute(sql + " ORDER BY period", params).fetchall()


def links(home: Path, login: str) -> list[str]:
    """The ELS numbers of the accounts linked to a user, in order."""
    return [r[0] for r in db(home).execute(
        "SELECT a.els FROM account_links l JOIN accounts a ON a.id = l.account_id "
        "JOIN users u ON u.id = l.user_id WHERE u.login = ? ORDER BY a.els", (login,))]


def rows(home: Path, sql: str, *params) -> list[tuple]:
    """What `sql` reads in the embedded portal's file in `home`, as plain tuples."""
    with sqlite3.connect(home / "portal.sqlite3") as conn:
        return conn.execute(sql, params).fetchall()


def write_lines(path: Path, lines: list[str], encoding: str = "cp1251", ending: str = "\r\n") -> Path:
    """A batch file as 1C and Excel write one: the lines in `encoding`, each ended by `ending`."""
    path.write_bytes("".join(line + ending for line in lines).encode(encoding))
    return path
