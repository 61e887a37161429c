"""The portal's PostgreSQL store (psycopg 3, a pool per process): what `Store` is for SQLite, for a portal that
several server processes share.

Imported only for a `postgresql://` URL (store.open_portal): the embedded `local://` portal never loads
psycopg. Connections come from a psycopg_pool.ConnectionPool sized by the caller, in autocommit mode with
explicit transactions as on SQLite: writes run SERIALIZABLE (dialect.POSTGRES.begin_write), reads in one
REPEATABLE READ, READ ONLY snapshot; every statement has a timeout. Rows read by column name and by position,
as sqlite3.Row does.

Writers of every thread and process run side by side; when PostgreSQL fails one for a concurrent one
(serialization failure, deadlock), `transact` runs its work again from the start, after a
short random pause that grows with each try, alone (first tries share an advisory lock, a try again takes it
whole: writers that lost take turns), up to MAX_ATTEMPTS times; then, as when no pooled connection
frees up or a statement runs out of time, the store raises Busy and nothing was changed.

Migrating: each step's transaction begins only once its connection holds the migrations' advisory lock
(session-level, released when the transaction has ended), so N workers starting at once apply every step once.
Not pg_advisory_xact_lock inside the step's transaction: a transaction begun before another worker's step
committed may keep the catalog as it was (a table looked up before, cached as missing), and would apply the
step again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool, PoolTimeout

from gkh.i18n import _
from gkh.server.db.dialect import POSTGRES, Busy, Connection
from gkh.server.db.migrations import SCHEMA_VERSION, Seed, migrate

STATEMENT_TIMEOUT_MS = 15_000
POOL_TIMEOUT_S = 15.0
CONNECT_TIMEOUT_S = 10
DEFAULT_POOL_SIZE = 4
MIGRATION_LOCK = 0x676B68_0001  # the advisory lock's key: "gkh", migrations
RETRY_LOCK = 0x676B68_0002  # shared by writers' first tries, alone for a try again (PostgresStore._in_turn)
MAX_ATTEMPTS = 10
FIRST_PAUSE_S = 0.002  # doubled after each failed try, up to LONGEST_PAUSE_S, then jittered ×0.5–1.5
LONGEST_PAUSE_S = 0.25
T = TypeVar("T")
RUN_AGAIN = (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)  # SQLSTATE 40001, 40P01


def retry_pause(attempt: int, jitter: Callable[[], float] = random.random) -> float:
    """Seconds to wait before try `attempt + 1`: random, so that the writers that failed together part."""
    return min(LONGEST_PAUSE_S, FIRST_PAUSE_S * 2 ** (attempt - 1)) * (0.5 + jitter())


class Row(tuple):
    """A row readable by column name and by position, as sqlite3.Row (dict(row) and keys() too)."""

    _names: dict[str, int]

    def __new__(cls, values: Sequence[Any], names: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Any:
    names: dict[str, int] = {}
    result = cursor.pgresult  # its names straight from libpq: cursor.description builds an object per column
    for i in range(result.nfields if result is not None else 0):
        names.setdefault(result.fname(i).decode(), i)  # the first of two equal names, as sqlite3.Row

    def make(values: Sequence[Any]) -> Row:
        return Row(values, names)

    return make


class PgConnection:
    """A pooled connection as the services use sqlite3's: execute / executemany with `?` placeholders.

    With `begin`, a transaction yet to begin: its BEGIN goes to the server in one message with the first
    statement (a pipeline), saving a round trip, and a transaction that ran no statement needs no COMMIT.
    """

    def __init__(self, conn: Any, begin: str | None = None):
        self.raw = conn
        self._begin = begin

    @property
    def begun(self) -> bool:
        return self._begin is None

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Any:
        # Always a sequence, even an empty one: psycopg then reads `%%` as the `%` it stands for.
        if self._begin is None:
            return self.raw.execute(POSTGRES.sql(sql), tuple(parameters))
        begin, self._begin = self._begin, None
        with self.raw.pipeline():
            self.raw.execute(begin)
            cursor = self.raw.execute(POSTGRES.sql(sql), tuple(parameters))
        return cursor

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        if self._begin is not None:
            begin, self._begin = self._begin, None
            self.raw.execute(begin)
        cursor = self.raw.cursor()
        cursor.executemany(POSTGRES.sql(sql), [tuple(p) for p in parameters])
        return cursor


    def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """COPY `rows` into `table` (Dialect.insert_rows on this engine): one stream, no statement to plan."""
        if self._begin is not None:
            begin, self._begin = self._begin, None
            self.raw.execute(begin)
        with self.raw.cursor(row_factory=tuple_row).copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


class PostgresStore:
    """A portal in a PostgreSQL database; hands each transaction a pooled connection."""

    dialect = POSTGRES

    def __init__(self, url: str, *, pool_size: int = DEFAULT_POOL_SIZE,
                 statement_timeout_ms: int = STATEMENT_TIMEOUT_MS):
        if pool_size < 1:
            raise ValueError(f"a pool holds at least one connection, not {pool_size}")
        self.url = url
        self.retries = 0  # transactions run again after a serialization failure or deadlock, since opening
        self._pool = ConnectionPool(
            url, min_size=1, max_size=pool_size, open=True, timeout=POOL_TIMEOUT_S, name="gkh",
            kwargs={"autocommit": True, "row_factory": _row_factory,
                    "options": f"-c statement_timeout={int(statement_timeout_ms)}"},
        )

    @contextmanager
    def _transaction(self, begin: str, *, commit: bool = True, raw: Any = None) -> Iterator[PgConnection]:
        with ExitStack() as stack:
            try:
                conn = raw if raw is not None else stack.enter_context(self._pool.connection())
            except PoolTimeout as error:
                raise Busy(_("no connection to the database freed up in {seconds} s").format(
                    seconds=format(POOL_TIMEOUT_S, "g"))) from error
            tx = PgConnection(conn, begin)
            try:
                yield tx
            except BaseException:
                if tx.begun:
                    with suppress(psycopg.Error):  # a broken connection: the pool drops it
                        conn.execute("ROLLBACK")
                raise
            if tx.begun:
                conn.execute("COMMIT" if commit else "ROLLBACK")

    @contextmanager
    def write(self, *, commit: bool = True) -> Iterator[PgConnection]:
        """A write transaction (SERIALIZABLE), tried once; commit=False rolls back."""
        with self._transaction(POSTGRES.begin_write, commit=commit) as conn:
            yield conn

    def transact(self, work: Callable[[Connection], T], *, commit: bool = True, row_locks: bool = False,
                 durable: bool = True) -> T:
        """`work(tx)` in a write transaction (SERIALIZABLE, or READ COMMITTED with `row_locks`), run again
        when PostgreSQL fails it for a concurrent one; Busy after MAX_ATTEMPTS tries or a statement timeout.
        Not `durable`: synchronous_commit off for this transaction alone."""
        begin = POSTGRES.begin_locking if row_locks else POSTGRES.begin_write
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with self._in_turn(attempt > 1) as raw, self._transaction(begin, commit=commit, raw=raw) as tx:
                    if not durable:
                        tx.execute("SET LOCAL synchronous_commit = off")
                    return work(tx)
            except RUN_AGAIN as error:
                if attempt == MAX_ATTEMPTS:
                    raise Busy(_("the change kept conflicting with concurrent ones ({tries} tries)").format(
                        tries=MAX_ATTEMPTS)) from error
                self.retries += 1
                time.sleep(retry_pause(attempt))
            except psycopg.errors.QueryCanceled as error:
                raise Busy(_("a statement ran out of time: {reason}").format(reason=error)) from error
        raise AssertionError("unreachable")

    @contextmanager
    def _in_turn(self, again: bool) -> Iterator[Any]:
        """A connection holding RETRY_LOCK for one try, taken before BEGIN so the transaction's snapshot is taken
        once its turn has come: shared by first tries (they run side by side), alone for a try again (it waits
        for the tries running to end, and new ones wait for it). A writer that lost to a concurrent one then
        runs by itself and cannot lose again; without the turn, 8 clients importing chunks into one house at
        once (each chunk's new meters numbered after the last) had 3 chunks in 286 Busy after 10 tries."""
        mode = "" if again else "_shared"
        try:
            with self._pool.connection() as raw:
                raw.execute(f"SELECT pg_advisory_lock{mode}({RETRY_LOCK})")
                try:
                    yield raw
                finally:
                    with suppress(psycopg.Error):  # a broken connection: the lock went with its session
                        raw.execute(f"SELECT pg_advisory_unlock{mode}({RETRY_LOCK})")
        except PoolTimeout as error:
            raise Busy(_("no connection to the database freed up in {seconds} s").format(
                seconds=format(POOL_TIMEOUT_S, "g"))) from error

    @contextmanager
    def read(self, *, snapshot: bool = True) -> Iterator[PgConnection]:
        """A read transaction: one consistent snapshot for everything a request reads; snapshot=False for a
        read of one statement (consistent by itself), which then costs one round trip."""
        if snapshot:
            with self._transaction(POSTGRES.begin_read) as conn:
                yield conn
            return
        try:
            with self._pool.connection() as raw:
                yield PgConnection(raw)
        except PoolTimeout as error:
            raise Busy(_("no connection to the database freed up in {seconds} s").format(
                seconds=format(POOL_TIMEOUT_S, "g"))) from error

    @contextmanager
    def migration_step(self) -> Iterator[PgConnection]:
        """A transaction begun once the migrations' advisory lock is held, released after it ends."""
        with self._pool.connection() as raw:
            raw.execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
            try:
                with self._transaction("BEGIN ISOLATION LEVEL READ COMMITTED", raw=raw) as conn:
                    yield conn
            finally:
                with suppress(psycopg.Error):
                    raw.execute(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")

    def after_migration_step(self, tx: Connection) -> None:
        """Move every identity column's sequence past the rows a step or its seed wrote with explicit ids."""
        columns = tx.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND is_identity = 'YES'"
        ).fetchall()
        for table, column in columns:
            tx.execute(f'SELECT setval(pg_get_serial_sequence(?, ?), coalesce(max("{column}"), 0) + 1, false)'
                       f' FROM "{table}"', (table, column))

    def setting(self, key: str) -> str | None:
        with self.read() as conn:
            row = conn.execute("SELECT value FROM portal_settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self._pool.close()


def open_postgres(url: str, now: datetime, seed: Seed | None = None, *,
                  pool_size: int = DEFAULT_POOL_SIZE) -> PostgresStore:
    """Open a portal's PostgreSQL database, migrating it (and seeding an empty one through `seed`) if old.

    One plain connection first: a database that cannot be used says the server's own reason (no such
    database, authentication failed) at once, where the pool would try again until its timeout."""
    psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S).close()
    store = PostgresStore(url, pool_size=pool_size)
    try:
        with store.read() as conn:
            current = POSTGRES.schema_version(conn)
        if current != SCHEMA_VERSION:
            migrate(store, now, seed)
    except BaseException:
        store.close()
        raise
    return store
