"""Copying a portal from one database to another, on either engine (`gkh server copy`): a move, not a clone.

Every table of the portal's schema is copied as it is (portal_settings with the portal's id included, tokens,
idempotency keys, throttle rows), parents before children, each table in one transaction of the target, all
of them read from one snapshot of the source. Then both sides are read again, ordered by primary key, and
each table's rows are counted and hashed in Python (`table_tally`): sha256 over a canonical encoding of every
value (integer, text, bytes, NULL and real each tagged and length-prefixed), so the same rows give the same
checksum whatever engine holds them.

The target is opened without a seed (the migrations make its schema and nothing else) and must hold no
rows but the portal id its first migration made, which the copy replaces with the source's. A SQLite target
is written to a temporary file beside it, renamed over it only when every table is equal: a failure leaves
nothing. A PostgreSQL target commits table by table: a failure after the first commit leaves it incomplete,
and CopyFailed says so. Afterwards the identity columns of a PostgreSQL target are moved past the copied ids
(the store's after_migration_step), so new rows get fresh ones.

The tables, their columns, primary keys and foreign keys are read from the schema the migrations make, built
in an in-memory SQLite database: one description of the schema, whichever engines the two sides run on.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from gkh.i18n import _
from gkh.server.db.dialect import SQLITE, Connection, PortalStore
from gkh.server.db.files import database_files, fsync_path, private_folder
from gkh.server.db.migrations import MIGRATIONS
from gkh.server.db.store import is_postgres_url, open_portal

SETTINGS = "portal_settings"
PORTAL_ID = "portal_id"  # the one row a new portal's first migration writes
BATCH = 500  # rows per executemany
TARGET_POOL_SIZE = 2


@dataclass(frozen=True)
class Table:
    """One table of the portal's schema: its columns in order, its primary key, the tables it refers to."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]  # the primary key's columns in key order (every column for a table without one)
    parents: tuple[str, ...]


@dataclass(frozen=True)
class Tally:
    """A table's rows as both sides compare them: how many, and the checksum of them in key order."""

    rows: int
    checksum: str


@dataclass(frozen=True)
class TableReport:
    table: str
    rows: int  # in the source
    checksum: str  # of the source's rows
    equal: bool  # the target holds as many rows, with the same checksum
    target_rows: int
    target_checksum: str


@dataclass(frozen=True)
class CopyResult:
    portal_id: str
    tables: list[TableReport]

    @property
    def equal(self) -> bool:
        return all(t.equal for t in self.tables)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def differing(self) -> list[str]:
        return [t.table for t in self.tables if not t.equal]


class CopyRefused(ValueError):
    """The target is no place for the copy (not empty, the source itself, in use); nothing was written to it."""

    def __init__(self, message: str, table: str | None = None):
        super().__init__(message)
        self.table = table


class TargetUnusable(Exception):
    """The target cannot be opened (no driver, unreachable, not a database); nothing was written to it."""


class CopyFailed(Exception):
    """A step of the copy failed (or was interrupted): `step` says which ("copying the table meters", in the
    language of the moment, as `reason` when it is the copy's own), `table`
    names the table when it was one. `incomplete`: tables were committed to a PostgreSQL target, which now
    holds part of the portal; otherwise the target was left as it was."""

    def __init__(self, step: str, reason: str, *, table: str | None = None, incomplete: bool,
                 interrupted: bool = False):
        super().__init__(_("{step} failed: {reason}").format(step=step, reason=reason))
        self.step = step
        self.table = table
        self.reason = reason
        self.incomplete = incomplete
        self.interrupted = interrupted


# --- the schema ------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def portal_tables() -> tuple[Table, ...]:
    """Every table the migrations make, parents before children (ties in the order they are created)."""
    conn = sqlite3.connect(":memory:")
    try:
        for step in MIGRATIONS:
            step.apply(conn, SQLITE)
        names = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY rowid")]
        tables = []
        for name in names:
            # (cid, name, type, notnull, default, pk: its place in the primary key, 0 if none)
            info = conn.execute(f"PRAGMA table_info({_quote(name)})").fetchall()
            columns = tuple(row[1] for row in info)
            key = tuple(row[1] for row in sorted((r for r in info if r[5]), key=lambda r: r[5])) or columns
            parents = tuple(dict.fromkeys(row[2] for row in conn.execute(f"PRAGMA foreign_key_list({_quote(name)})")))
            tables.append(Table(name, columns, key, parents))
    finally:
        conn.close()
    return _in_dependency_order(tables)


def _in_dependency_order(tables: Sequence[Table]) -> tuple[Table, ...]:
    placed: dict[str, Table] = {}
    waiting = list(tables)
    while waiting:
        ready = next((t for t in waiting if all(p in placed or p == t.name for p in t.parents)), None)
        if ready is None:
            raise ValueError(f"the portal's foreign keys go round in a circle: {', '.join(t.name for t in waiting)}")
        placed[ready.name] = ready
        waiting.remove(ready)
    return tuple(placed.values())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _select(table: Table) -> str:
    columns = ", ".join(_quote(c) for c in table.columns)
    order = ", ".join(_quote(c) for c in table.key)
    return f"SELECT {columns} FROM {_quote(table.name)} ORDER BY {order}"


def _insert(table: Table) -> str:
    columns = ", ".join(_quote(c) for c in table.columns)
    marks = ", ".join("?" for _ in table.columns)
    return f"INSERT INTO {_quote(table.name)} ({columns}) VALUES ({marks})"


# --- the checksum ----------------------------------------------------------------------------------------


def _encode(value: Any) -> bytes:
    """One value, tagged by its kind and length-prefixed: 1 and '1', '' and NULL never encode alike."""
    if value is None:
        return b"N"
    if isinstance(value, bool):  # no column holds one; an int would hide it
        raise TypeError("a boolean in a portal table")
    if isinstance(value, int):
        data = str(value).encode("ascii")
        tag = b"I"
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        tag = b"T"
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        tag = b"B"
    elif isinstance(value, float):
        data = value.hex().encode("ascii")
        tag = b"F"
    else:
        raise TypeError(f"cannot compare a {type(value).__name__} value across engines")
    return tag + str(len(data)).encode("ascii") + b":" + data


class _Hasher:
    def __init__(self, table: Table):
        self.rows = 0
        self._hash = hashlib.sha256()
        self._hash.update(("gkh-table-v1\0" + table.name + "\0" + "\0".join(table.columns) + "\0").encode())

    def add(self, values: Sequence[Any]) -> None:
        self.rows += 1
        self._hash.update(b"R" + str(len(values)).encode("ascii") + b":")
        for value in values:
            self._hash.update(_encode(value))

    def tally(self) -> Tally:
        return Tally(self.rows, self._hash.hexdigest())


def _batches(cursor: Any, size: int) -> Iterable[list[tuple[Any, ...]]]:
    while rows := cursor.fetchmany(size):
        yield [tuple(row) for row in rows]


def table_tally(conn: Connection, table: Table) -> Tally:
    """The table's row count and checksum, its rows read in primary-key order through `conn`."""
    hasher = _Hasher(table)
    for batch in _batches(conn.execute(_select(table)), BATCH):
        for values in batch:
            hasher.add(values)
    return hasher.tally()


def portal_tallies(store: PortalStore) -> dict[str, Tally]:
    """Every table's tally, from one snapshot of the store."""
    with store.read() as conn:
        return {table.name: table_tally(conn, table) for table in portal_tables()}


# --- the copy --------------------------------------------------------------------------------------------


def same_database(a: str | Path, b: str | Path) -> bool:
    """Whether two names are one database: one SQLite file (symlinks and hard links too) or one URL's text.
    Two URLs for one PostgreSQL database are caught later, by the portal id the target already holds."""
    if is_postgres_url(a) or is_postgres_url(b):
        return a == b
    first, second = Path(a).expanduser(), Path(b).expanduser()
    if os.path.realpath(first) == os.path.realpath(second):
        return True
    with suppress(OSError):
        return os.path.samefile(first, second)
    return False


def copy_portal(source: PortalStore, target: str | Path, now: datetime, *, batch: int = BATCH) -> CopyResult:
    """Copy the portal in `source` (open, at the current schema) to the database `target` names: a SQLite
    file's path or a `postgresql://` URL, created and migrated (without a seed) if need be.

    Returns the report of every table (`CopyResult.equal` tells whether each matched; a SQLite target is
    only put in place when they all do). Raises CopyRefused, TargetUnusable (nothing written) or CopyFailed.
    """
    portal_id = source.setting(PORTAL_ID)
    if portal_id is None:
        raise ValueError("the source has no portal id")  # the first migration gives every portal one
    if is_postgres_url(target):
        store = _open_target(target, now)
        try:
            _check_empty(store, portal_id)
            return _copy(source, store, portal_id, batch, committed_stays=True)
        finally:
            store.close()
    return _copy_to_sqlite_file(source, Path(target).expanduser(), portal_id, now, batch)


def _open_target(db: str | Path, now: datetime) -> PortalStore:
    try:
        return open_portal(db, now, seed=None, pool_size=TARGET_POOL_SIZE)
    except ImportError:
        raise TargetUnusable(_("it needs psycopg: pip install 'gkh[postgres]'")) from None
    except Exception as error:  # the driver's and the pool's errors, sqlite3's and the file system's
        reason = getattr(error, "strerror", None) or " ".join(str(error).split()) or type(error).__name__
        raise TargetUnusable(reason) from error


def _check_empty(target: PortalStore, portal_id: str) -> None:
    """CopyRefused unless every table is empty, portal_settings but for the portal id of a new portal."""
    with target.read() as conn:
        row = conn.execute(f"SELECT value FROM {SETTINGS} WHERE key = ?", (PORTAL_ID,)).fetchone()
        if row is not None and row[0] == portal_id:
            raise CopyRefused(_("it already holds the portal {portal}: it is the source itself, or a copy of "
                                "it").format(portal=portal_id))
        for table in portal_tables():
            if table.name == SETTINGS:
                continue
            if conn.execute(f"SELECT 1 FROM {_quote(table.name)} LIMIT 1").fetchone() is not None:
                raise CopyRefused(_("it is not empty: its table {table} holds rows").format(table=table.name),
                                  table.name)
        if conn.execute(f"SELECT 1 FROM {SETTINGS} WHERE key <> ? LIMIT 1", (PORTAL_ID,)).fetchone() is not None:
            raise CopyRefused(_("it is not empty: its table {table} holds settings").format(table=SETTINGS), SETTINGS)


def _copy(source: PortalStore, target: PortalStore, portal_id: str, batch: int, *,
          committed_stays: bool) -> CopyResult:
    """Every table, each in a transaction of the target, from one snapshot of the source; then the identity
    columns, then both sides' tallies compared."""
    tallies: dict[str, Tally] = {}
    committed = False
    step, current = _("reading the source"), None  # type: tuple[str, str | None]
    try:
        with source.read() as src:
            for table in portal_tables():
                step, current = _("copying the table {table}").format(table=table.name), table.name
                with target.write() as tx:
                    if table.name == SETTINGS:
                        tx.execute(f"DELETE FROM {SETTINGS}")  # the target's own new portal id: this is a move
                    tallies[table.name] = _copy_table(src, tx, table, batch)
                committed = True
        step, current = _("moving the identity columns past the copied ids"), None
        with target.write() as tx:
            target.after_migration_step(tx)  # PostgreSQL: each sequence past the copied ids
        step = _("comparing the copy with the source")
        copied = portal_tallies(target)
    except KeyboardInterrupt:
        raise CopyFailed(step, _("interrupted"), table=current, incomplete=committed and committed_stays,
                         interrupted=True) from None
    except Exception as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise CopyFailed(step, reason, table=current, incomplete=committed and committed_stays) from error
    return CopyResult(portal_id, [
        TableReport(name, tally.rows, tally.checksum, copied[name] == tally, copied[name].rows, copied[name].checksum)
        for name, tally in tallies.items()
    ])


def _copy_table(src: Connection, tx: Connection, table: Table, batch: int) -> Tally:
    hasher = _Hasher(table)
    insert = _insert(table)
    for rows in _batches(src.execute(_select(table)), batch):
        for values in rows:
            hasher.add(values)
        tx.executemany(insert, rows)
    return hasher.tally()


def _copy_to_sqlite_file(source: PortalStore, target: Path, portal_id: str, now: datetime,
                         batch: int) -> CopyResult:
    """Into a 0600 temporary file beside the target, renamed over it once every table is equal."""
    target = Path(os.path.realpath(target))  # a symlink's target is what gets replaced
    if target.exists():
        if not target.is_file():
            raise TargetUnusable(_("{target} is not a file").format(target=target))
        store = _open_target(target, now)  # an empty portal (or an empty file) may be replaced
        try:
            _check_empty(store, portal_id)
        finally:
            store.close()
        if any(path.exists() for path in database_files(target)[1:3]):  # -wal, -shm: left while it is open
            raise CopyRefused(_("it is open in another process (gkh server run?): stop that first"))
    else:
        try:
            private_folder(target.parent)
        except OSError as error:
            raise TargetUnusable(error.strerror or str(error)) from None
    temp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        store = _open_target(temp, now)
        try:
            result = _copy(source, store, portal_id, batch, committed_stays=False)
        finally:
            store.close()  # the last connection: SQLite checkpoints and removes the -wal and -shm
        if any(path.exists() for path in database_files(temp)[1:3]):
            raise CopyFailed(_("closing the copy"), _("SQLite left its write-ahead log beside it"), incomplete=False)
        if not result.equal:
            _remove(temp)
            return result
        fsync_path(temp)
        os.replace(temp, target)
    except BaseException:
        _remove(temp)
        raise
    _remove(temp)  # the temporary file's lock file (the file itself is the target now)
    fsync_path(target.parent)
    return result


def _remove(temp: Path) -> None:
    for path in database_files(temp):
        with suppress(OSError):
            os.unlink(path)


