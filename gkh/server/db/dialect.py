"""What differs between the two engines the portal runs on, SQLite and PostgreSQL 15+, in one small object.

The services and migrations write SQL in the subset both accept: `?` placeholders, `INSERT … ON CONFLICT …
DO NOTHING / DO UPDATE` for insert-or-ignore and upsert (SQLite ≥ 3.24), `RETURNING` (SQLite ≥ 3.35), row
values compared as `(a, b) > (?, ?)`, JSON built and parsed in Python rather than with an engine's JSON
functions. What cannot be written once lives here:

- placeholders: the PostgreSQL store turns `?` into psycopg's `%s` (`Dialect.sql`);
- the schema's DDL: `INTEGER PRIMARY KEY` (SQLite's rowid alias) is an identity column on PostgreSQL, INTEGER
  is 64-bit there as on SQLite, TEXT compares byte by byte (COLLATE "C", SQLite's BINARY) so that every
  ORDER BY and row-value comparison answers in the same order, `WITHOUT ROWID` is SQLite's alone, BLOB is
  bytea (`Dialect.ddl`);
- finding a substring (the address search key): `instr` / `strpos` (`Dialect.contains`);
- transactions and locks: SQLite takes the database's write lock at BEGIN IMMEDIATE; PostgreSQL runs writes
  SERIALIZABLE (retried on serialization failures by its store), or READ COMMITTED for a write that decides
  only on rows it locks, and locks the rows a read decides on with FOR UPDATE (`begin_write`,
  `begin_locking`, `begin_read`, `for_update`);
- where the schema's version is kept: SQLite's PRAGMA user_version, a one-row table on PostgreSQL.

Nothing here imports an engine's driver.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol, TypeVar

# Parameters in one statement: SQLite takes 32 766, PostgreSQL 65 535.
MAX_PARAMETERS = 30_000


class Connection(Protocol):
    """What the portal uses of a connection (sqlite3's, or the PostgreSQL store's adapter): SQL with `?`."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...


# A row, readable by column name and by position (sqlite3.Row, or the PostgreSQL store's Row).
Row = Any
T = TypeVar("T")


class Busy(Exception):
    """The database could not run a transaction in time: writers kept conflicting (serialization failures
    past the retries), no connection was free, or a statement ran out of time. Nothing was changed; the same
    request may succeed a moment later (the app answers 503 with Retry-After)."""


class PortalStore(Protocol):
    """A portal's store on either engine, as the services, the app and the migrations use it."""

    dialect: Dialect

    def read(self, *, snapshot: bool = True) -> AbstractContextManager[Connection]:
        """A read transaction: one consistent snapshot for everything a request reads; snapshot=False for a
        read of one statement (consistent by itself), which on PostgreSQL costs one round trip, not three."""
        ...

    def write(self, *, commit: bool = True) -> AbstractContextManager[Connection]:
        """A write transaction; commit=False rolls back at the end (dry runs). Tried once: the services
        change rows through `transact`."""
        ...

    def transact(self, work: Callable[[Connection], T], *, commit: bool = True, row_locks: bool = False,
                 durable: bool = True) -> T:
        """`work(tx)` in a write transaction, run again from the start (a bounded number of times) when the
        engine fails it for a concurrent one; its result. Fully isolated (SERIALIZABLE on PostgreSQL) unless
        `row_locks`: a work that decides only on rows it has locked (INSERT … ON CONFLICT, SELECT … FOR
        UPDATE, conditional UPDATE) needs no more, and never meets a serialization failure. Raises Busy when
        it cannot be done in time. Its commit is on the disk before transact returns unless not `durable` (what
        a power loss may take back harmlessly, such as an Idempotency-Key's claim: a retry claims it again)."""
        ...

    def migration_step(self) -> AbstractContextManager[Connection]:
        """The transaction one migration step (and its seed) runs in, alone among the store's processes."""
        ...

    def after_migration_step(self, tx: Connection) -> None: ...

    def setting(self, key: str) -> str | None: ...

    def close(self) -> None: ...

_PG_VERSION_TABLE = "gkh_schema_version"


@dataclass(frozen=True)
class Dialect:
    name: str  # "sqlite" | "postgres"
    begin_write: str
    begin_locking: str  # a write that decides only on rows it has locked
    begin_read: str
    for_update: str  # appended to a SELECT whose rows a write transaction goes on to change

    def sql(self, text: str) -> str:
        """The statement in the engine's own placeholder style."""
        return _pyformat(text) if self.name == "postgres" else text

    def ddl(self, statement: str) -> str:
        """A CREATE statement written for SQLite, as this engine takes it."""
        return _postgres_ddl(statement) if self.name == "postgres" else statement

    def contains(self, column: str) -> str:
        """A condition: `column` holds the text of the next parameter (case-sensitive, no wildcards)."""
        function = "strpos" if self.name == "postgres" else "instr"
        return f"{function}({column}, ?) > 0"

    def any_of(self, column: str, values: Sequence[Any]) -> tuple[str, list]:
        """A condition that `column` is one of `values` (not empty), and its parameters: an IN list on SQLite; on
        PostgreSQL one array parameter (`= ANY(?)`), whose statement is parsed and planned once however long the
        list (a chunk's 1000 account numbers as 1000 parameters cost ~10 ms there)."""
        if self.name == "postgres":
            return f"{column} = ANY(?)", [list(values)]
        return f"{column} IN ({','.join('?' * len(values))})", list(values)

    def insert_rows(self, tx: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """INSERT the `rows` (all as wide as `columns`) into `table` as one bulk operation: on PostgreSQL a COPY
        (twice as fast as a multi-row INSERT; a statement a row, even pipelined, is slower still); on SQLite
        multi-row INSERTs, as few as the parameters allow (one for a chunk of 1000)."""
        if not rows:
            return
        if self.name == "postgres":
            tx.copy_rows(table, columns, rows)  # type: ignore[attr-defined]  # the PostgreSQL store's connection
            return
        per = max(1, MAX_PARAMETERS // len(columns))
        mark = "(" + ",".join("?" * len(columns)) + ")"
        for start in range(0, len(rows), per):
            part = rows[start:start + per]
            tx.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {','.join([mark] * len(part))}",
                       [value for row in part for value in row])

    def schema_version(self, conn: Connection) -> int:
        """The last migration step applied to the database (0: none)."""
        if self.name == "sqlite":
            return conn.execute("PRAGMA user_version").fetchone()[0]
        if not conn.execute(f"SELECT to_regclass('{_PG_VERSION_TABLE}') IS NOT NULL").fetchone()[0]:
            return 0
        row = conn.execute(f"SELECT version FROM {_PG_VERSION_TABLE}").fetchone()
        return row[0] if row else 0

    def set_schema_version(self, conn: Connection, version: int) -> None:
        if self.name == "sqlite":
            conn.execute(f"PRAGMA user_version = {int(version)}")
            return
        conn.execute(f"CREATE TABLE IF NOT EXISTS {_PG_VERSION_TABLE} (version INTEGER NOT NULL)")
        conn.execute(f"DELETE FROM {_PG_VERSION_TABLE}")
        conn.execute(f"INSERT INTO {_PG_VERSION_TABLE} (version) VALUES (?)", (version,))


SQLITE = Dialect("sqlite", begin_write="BEGIN IMMEDIATE", begin_locking="BEGIN IMMEDIATE", begin_read="BEGIN",
                 for_update="")
POSTGRES = Dialect("postgres", begin_write="BEGIN ISOLATION LEVEL SERIALIZABLE",
                   begin_locking="BEGIN ISOLATION LEVEL READ COMMITTED",
                   begin_read="BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", for_update=" FOR UPDATE")


@lru_cache(maxsize=512)
def _pyformat(text: str) -> str:
    # The portal's SQL never holds a literal ? or %: every value is a parameter.
    return text.replace("%", "%%").replace("?", "%s")


_DDL_RULES = [
    (re.compile(r"\bINTEGER PRIMARY KEY\b"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bTEXT\b"), 'TEXT COLLATE "C"'),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    (re.compile(r"\)\s*WITHOUT ROWID\s*$"), ")"),
]


def _postgres_ddl(statement: str) -> str:
    for pattern, replacement in _DDL_RULES:
        statement = pattern.sub(replacement, statement)
    return statement
