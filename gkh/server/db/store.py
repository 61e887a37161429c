"""The portal's SQLite store: connections, the transaction discipline, and opening (creating, migrating) it.

One connection per thread, autocommit mode (isolation_level=None) with explicit transactions: every write
starts with BEGIN IMMEDIATE, so a read-then-write never meets "database is locked" half-way; WAL lets readers
go on while one writer works; foreign keys are on. Writers of one process queue on a lock per database file
before BEGIN IMMEDIATE: SQLite's busy handler sleeps and backs off (up to ~1 s a try) where a queue would
hand over at once. The busy timeout still bounds the wait for writers in other processes.
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeGuard, TypeVar, overload

from gkh.i18n import _
from gkh.server.db.dialect import SQLITE, Busy, Connection, PortalStore
from gkh.server.db.files import (
    PRIVATE_FILE,
    create_private_file,
    database_files,
    file_lock,
    fsync_path,
    lock_path,
    private_folder,
    tighten,
)
from gkh.server.db.migrations import SCHEMA_VERSION, Seed, migrate

log = logging.getLogger("gkh.server")

BUSY_TIMEOUT_MS = 15_000
# Every commit is on the disk before it is confirmed (the WAL synced at each commit): a confirmed payment or reading
# survives a power loss, not only a crash of the process as with NORMAL. Measured (benchmarks/durability.py): a
# commit ≈ 0.15 ms more; a reading submitted in-process 1.04 → 1.19 ms, a wallet payment 3.85 → 4.91 ms; a batch
# chunk is one commit. An Idempotency-Key's claim alone is committed NORMAL (transact(durable=False)).
SYNCHRONOUS = "FULL"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(db: str | Path) -> TypeGuard[str]:
    """Whether a database named by a path or URL is PostgreSQL (else it is a SQLite file's path)."""
    return isinstance(db, str) and db.startswith(POSTGRES_SCHEMES)


T = TypeVar("T")
_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(path: Path) -> threading.RLock:
    """The process's one writers' lock for a database file, whichever Store opened it."""
    with _WRITE_LOCKS_GUARD:
        # Re-entrant: a nested write fails in SQLite ("within a transaction") as it always did, never hangs.
        return _WRITE_LOCKS.setdefault(os.path.realpath(path), threading.RLock())


class Store:
    """A portal database file; hands each thread its own connection."""

    dialect = SQLITE

    def __init__(self, path: Path):
        self.path = path
        self.upgrade_copy: Path | None = None  # the copy open_portal wrote before migrating an older portal
        self._local = threading.local()
        self._write_lock = _write_lock(path)

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self, *, commit: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE), after this process's other writers; commit=False rolls back
        at the end (dry runs)."""
        conn = self.connection()
        if not self._write_lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            raise sqlite3.OperationalError("database is locked")  # as SQLite says when its busy timeout runs out
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT" if commit else "ROLLBACK")
        finally:
            self._write_lock.release()

    def transact(self, work: Callable[[Connection], T], *, commit: bool = True, row_locks: bool = False,
                 durable: bool = True) -> T:
        """`work(tx)` in a write transaction, once: BEGIN IMMEDIATE holds the whole database, so no concurrent
        writer can fail it. A writer of another process holding it past the busy timeout is Busy. Not `durable`:
        committed without waiting for the disk (the WAL is synced by the next durable commit or checkpoint)."""
        conn = self.connection()
        if not durable:
            conn.execute("PRAGMA synchronous = NORMAL")
        try:
            with self.write(commit=commit) as tx:
                return work(tx)
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise Busy(_("the database stayed locked by another writer: {reason}").format(reason=error)) from error
            raise
        finally:
            if not durable:
                conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")

    @contextmanager
    def read(self, *, snapshot: bool = True) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot for everything a request reads; snapshot=False for a
        read of one statement (consistent by itself)."""
        conn = self.connection()
        if not snapshot:
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def setting(self, key: str) -> str | None:
        with self.read() as conn:
            row = conn.execute("SELECT value FROM portal_settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def migration_step(self) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction (open_portal holds the file lock while it migrates)."""
        return self.write()

    def after_migration_step(self, tx: Connection) -> None:
        """Nothing to do on SQLite (PostgreSQL moves its identity columns past the rows a seed wrote)."""


@overload
def open_portal(db: Path, now: datetime, seed: Seed | None = None, *, pool_size: int = ...) -> Store: ...


@overload
def open_portal(db: str, now: datetime, seed: Seed | None = None, *, pool_size: int = ...) -> PortalStore: ...


def open_portal(db: Path | str, now: datetime, seed: Seed | None = None, *, pool_size: int = 4) -> PortalStore:
    """Open the portal's database, creating it on first use and migrating it if old: a `postgresql://` URL
    (psycopg, imported only then; a pool of `pool_size` connections), or a SQLite file's path.

    `seed` is called after each migration step, in its transaction, with the version just applied and `now`
    (the composition root passes the demo world's; a new portal opened with a seed is a demo portal).
    """
    if is_postgres_url(db):
        from gkh.server.db.postgres import open_postgres

        return open_postgres(db, now, seed, pool_size=pool_size)
    return _open_sqlite(Path(db), now, seed)


def _open_sqlite(db_path: Path, now: datetime, seed: Seed | None) -> Store:
    private_folder(db_path.parent)
    create_private_file(db_path)  # before SQLite opens it: its -wal and -shm take the main file's mode
    for path in database_files(db_path):
        tighten(path)
    store = Store(db_path)
    conn = store.connection()
    if SQLITE.schema_version(conn) == SCHEMA_VERSION:
        return store  # the common case: no lock, nothing to do
    with file_lock(lock_path(db_path)):
        conn.execute("PRAGMA journal_mode = WAL")
        old = SQLITE.schema_version(conn)  # again, under the lock: another process may have migrated it
        if 0 < old < SCHEMA_VERSION:
            store.upgrade_copy = _copy_before_upgrade(store, old)
            log.warning("%s is a portal of schema version %s: copied to %s before migrating it to %s",
                        db_path, old, store.upgrade_copy, SCHEMA_VERSION)
        migrate(store, now, seed)
    return store


def upgrade_copy_path(db_path: Path, version: int) -> Path:
    """Where the copy of a portal of schema `version` goes before it is migrated: portal.sqlite3.v11.bak."""
    return db_path.with_name(f"{db_path.name}.v{version}.bak")


def _copy_before_upgrade(store: Store, version: int) -> Path:
    """A consistent copy of the portal through SQLite's backup API, 0600, whole or not at all (a temporary file
    renamed into place), beside the database: what a failed or unwanted upgrade is undone from."""
    target = upgrade_copy_path(store.path, version)
    temp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        dest = sqlite3.connect(temp)
        try:
            store.connection().backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            dest.close()
        os.fsync(fd)
        os.replace(temp, target)
    except BaseException:
        for suffix in ("", "-journal", "-wal", "-shm"):
            if os.path.exists(f"{temp}{suffix}"):
                os.unlink(f"{temp}{suffix}")
        raise
    finally:
        os.close(fd)
    fsync_path(target.parent)
    return target


def portal_version(db: Path | str) -> int:
    """The schema version of the portal a database holds, without creating or migrating anything: 0 for a SQLite
    file that does not exist or is empty, or a PostgreSQL database without the portal's tables."""
    if is_postgres_url(db):
        import psycopg

        from gkh.server.db.dialect import POSTGRES
        from gkh.server.db.postgres import CONNECT_TIMEOUT_S, PgConnection

        with psycopg.connect(db, connect_timeout=CONNECT_TIMEOUT_S) as raw:
            return POSTGRES.schema_version(PgConnection(raw))
    path = Path(db)
    if not path.exists() or path.stat().st_size == 0:
        return 0
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return SQLITE.schema_version(conn)
    finally:
        conn.close()
