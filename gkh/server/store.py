"""The portal's SQLite store: schema versions, connections, and the transaction discipline.

One connection per thread, autocommit mode (isolation_level=None) with explicit transactions:
every write starts with BEGIN IMMEDIATE, so a read-then-write never meets "database is locked"
half-way; WAL lets readers go on while one writer works; foreign keys are on.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from gkh.paths import portal_files

BUSY_TIMEOUT_MS = 15_000
PRIVATE_FILE = 0o600  # the portal holds personal data: its files are its owner's alone
PRIVATE_FOLDER = 0o700


def stamp(moment: datetime) -> str:
    """A stored instant: UTC, seconds, so that text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def unstamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Store:
    """A portal database file; hands each thread its own connection."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self, *, commit: bool = True) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE); commit=False rolls back at the end (dry runs)."""
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT" if commit else "ROLLBACK")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot for everything a request reads."""
        conn = self.connection()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def setting(self, key: str) -> str | None:
        row = self.connection().execute("SELECT value FROM portal_settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


@dataclass(frozen=True)
class Migration:
    version: int
    statements: list[str]
    # Adds this version's part of the demo world to a demo portal (None: nothing to add).
    seed_demo: Callable[[sqlite3.Connection, datetime], None] | None = field(default=None)


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";\n") if s.strip()]


SCHEMA_V1 = _statements("""
CREATE TABLE portal_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('managing', 'supplier', 'inspectorate', 'authority')),
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    inn TEXT NOT NULL UNIQUE,
    ogrn TEXT NOT NULL,
    kpp TEXT,
    phone TEXT,
    email TEXT,
    address TEXT
);
CREATE TABLE houses (
    guid TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    town TEXT NOT NULL,
    search_key TEXT NOT NULL,
    oktmo TEXT NOT NULL,
    timezone TEXT NOT NULL DEFAULT 'Europe/Moscow',
    window_from INTEGER NOT NULL DEFAULT 15 CHECK (window_from BETWEEN 1 AND 31),
    window_to INTEGER NOT NULL DEFAULT 25 CHECK (window_to BETWEEN window_from AND 31),
    year_built INTEGER,
    floors INTEGER,
    entrances INTEGER,
    total_area TEXT,
    living_area TEXT,
    condition TEXT,
    energy_class TEXT,
    managing_org_id TEXT REFERENCES organisations(id)
);
CREATE TABLE common_meters (
    id INTEGER PRIMARY KEY,
    house_guid TEXT NOT NULL REFERENCES houses(guid),
    resource TEXT NOT NULL,
    serial TEXT NOT NULL,
    unit TEXT NOT NULL,
    verified_on TEXT
);
CREATE INDEX common_meters_house ON common_meters(house_guid);
CREATE TABLE flats (
    id INTEGER PRIMARY KEY,
    house_guid TEXT NOT NULL REFERENCES houses(guid),
    number TEXT NOT NULL,
    area TEXT NOT NULL,
    rooms INTEGER,
    UNIQUE (house_guid, number)
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL CHECK (role IN ('resident', 'staff', 'inspector', 'admin')),
    org_id TEXT REFERENCES organisations(id),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE owners (
    id INTEGER PRIMARY KEY,
    flat_id INTEGER NOT NULL REFERENCES flats(id),
    name TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    share_num INTEGER NOT NULL CHECK (share_num > 0),
    share_den INTEGER NOT NULL CHECK (share_den >= share_num),
    document TEXT
);
CREATE INDEX owners_flat ON owners(flat_id);
CREATE INDEX owners_user ON owners(user_id);
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    els TEXT NOT NULL UNIQUE,
    izhku TEXT NOT NULL UNIQUE,
    number TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    house_guid TEXT NOT NULL REFERENCES houses(guid),
    flat_id INTEGER REFERENCES flats(id),
    payer TEXT NOT NULL,
    area TEXT,
    opened_on TEXT NOT NULL,
    UNIQUE (org_id, number)
);
CREATE INDEX accounts_house ON accounts(house_guid, number);
CREATE TABLE account_links (
    user_id INTEGER NOT NULL REFERENCES users(id),
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    linked_at TEXT NOT NULL,
    PRIMARY KEY (user_id, account_id)
) WITHOUT ROWID;
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    renewed_at TEXT NOT NULL
);
CREATE INDEX tokens_user ON tokens(user_id);
CREATE TABLE idempotency_keys (
    user_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    lease_until TEXT,
    status INTEGER,
    response TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_created ON idempotency_keys(created_at)
""")


SCHEMA_V2 = _statements("""
CREATE TABLE meters (
    id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    serial TEXT NOT NULL,
    resource TEXT NOT NULL CHECK (resource IN ('cold_water', 'hot_water', 'electricity', 'gas', 'heat')),
    unit TEXT NOT NULL,
    zones TEXT NOT NULL,
    whole_digits INTEGER NOT NULL CHECK (whole_digits BETWEEN 1 AND 15),
    fraction_digits INTEGER NOT NULL CHECK (fraction_digits BETWEEN 0 AND 7),
    installed_on TEXT NOT NULL,
    verified_on TEXT NOT NULL,
    verification_due TEXT NOT NULL,
    UNIQUE (account_id, serial)
);
CREATE INDEX meters_account ON meters(account_id);
CREATE INDEX meters_serial ON meters(serial);
CREATE TABLE readings (
    id INTEGER PRIMARY KEY,
    meter_id TEXT NOT NULL REFERENCES meters(id),
    period TEXT NOT NULL,
    taken_on TEXT NOT NULL,
    reading_values TEXT NOT NULL,
    rollover INTEGER NOT NULL DEFAULT 0,
    submitted_by INTEGER REFERENCES users(id),
    submitted_at TEXT NOT NULL,
    UNIQUE (meter_id, period)
)
""")


# Failed attempts at guarded actions (signing in, linking an account), counted per key in a fixed window.
SCHEMA_V3 = _statements("""
CREATE TABLE throttle (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    failures INTEGER NOT NULL,
    window_start TEXT NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID
""")


SCHEMA_VERSION = 3  # the last migration's version: a database at it needs no lock and no migration


def migrations() -> list[Migration]:
    # The demo world is only needed while migrating (importing it costs ~70 ms a command otherwise).
    from gkh.server import demo, demo_meters

    return [Migration(1, SCHEMA_V1, demo.seed_v1), Migration(2, SCHEMA_V2, demo_meters.seed_v2),
            Migration(3, SCHEMA_V3)]


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (two first uses at once create one world)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    try:
        _tighten_fd(fd)  # the umask or an older gkh may have left it open to others
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def private_folder(folder: Path) -> None:
    """Create the folder with mode 0700 whatever the umask; an existing one is left as it is (GKH_HOME may be
    a folder the user shares on purpose: the command layer warns about it)."""
    if folder.is_dir():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=PRIVATE_FOLDER)
    except FileExistsError:
        if folder.is_dir():
            return  # another process made it a moment ago
        raise
    os.chmod(folder, PRIVATE_FOLDER)  # mkdir's mode is filtered by the umask


def tighten(path: Path) -> None:
    """Take group and others' bits off one of the portal's own files (missing, or not ours: left alone)."""
    try:
        info = os.stat(path)
        if stat.S_ISREG(info.st_mode) and info.st_mode & 0o077:
            os.chmod(path, stat.S_IMODE(info.st_mode) & ~0o077)
    except OSError:
        pass


def _tighten_fd(fd: int) -> None:
    mode = stat.S_IMODE(os.fstat(fd).st_mode)
    if mode & 0o077:
        with suppress(OSError):
            os.fchmod(fd, mode & ~0o077)


def _create_private_file(path: Path) -> None:
    """An empty file of mode 0600 (SQLite takes an empty file for a new database); an existing one is kept."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE)  # exactly 0600 whatever the umask
    finally:
        os.close(fd)


def open_portal(db_path: Path, now: datetime) -> Store:
    """Open the portal's database, creating it with the demo world on first use, migrating it if old."""
    private_folder(db_path.parent)
    _create_private_file(db_path)  # before SQLite opens it: its -wal and -shm take the main file's mode
    for path in portal_files(db_path):
        tighten(path)
    store = Store(db_path)
    conn = store.connection()
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return store  # the common case: no lock, nothing to do
    with file_lock(db_path.with_name(db_path.name + ".lock")):
        conn.execute("PRAGMA journal_mode = WAL")
        for migration in migrations():
            with store.write() as tx:
                if tx.execute("PRAGMA user_version").fetchone()[0] >= migration.version:
                    continue
                for statement in migration.statements:
                    tx.execute(statement)
                new_portal = migration.version == 1
                if migration.seed_demo and (new_portal or _is_demo(tx)):
                    migration.seed_demo(tx, now)
                tx.execute(f"PRAGMA user_version = {migration.version}")
    return store


def _is_demo(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM portal_settings WHERE key = 'demo'").fetchone()
    return bool(row and row[0] == "1")
