"""The portal as a library: what `gkh server …` and the in-process transport open."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import sqlite3
import stat
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gkh.i18n import _
from gkh.paths import portal_db, portal_files
from gkh.server.db import (
    PRIVATE_FILE,
    Connection,
    PortalStore,
    Store,
    file_lock,
    fsync_path,
    lock_path,
    open_portal,
    portal_version,
    private_folder,
)
from gkh.server.db.store import is_postgres_url as is_postgres_url  # the door commands use
from gkh.server.faults import parse_faults as parse_faults  # the door commands use too
from gkh.server.proxies import TrustedProxies
from gkh.server.proxies import parse_trusted_proxies as parse_trusted_proxies  # and this one

if TYPE_CHECKING:
    from gkh.server.faults import Faults
    from gkh.server.receipts import Postman

_USERINFO_PASSWORD = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:@/?#]*):[^@/?#]*@")
_QUERY_PASSWORD = re.compile(r"(?P<key>[?&]password=)[^&#\s]*", re.IGNORECASE)


def mask_url(text: str) -> str:
    """`text` with every URL's password masked (`user:password@` → `user:***@`, `password=…` → `password=***`):
    what any message may show of a database URL."""
    text = _USERINFO_PASSWORD.sub(r"\g<scheme>\g<user>:***@", text)
    return _QUERY_PASSWORD.sub(r"\g<key>***", text)


def _without_password(url: str) -> str:
    text = _USERINFO_PASSWORD.sub(r"\g<scheme>\g<user>@", url)
    return re.sub(r"[?&]password=[^&#\s]*", "", text, flags=re.IGNORECASE)


def _quoted(text: str) -> str:
    """A shell word in single quotes (always: a URL is shown as one word whatever it holds)."""
    return "'" + text.replace("'", "'\"'\"'") + "'"


def pg_dump_command(url: str, file: Path) -> str:
    """The pg_dump command that backs up the portal at `url` to `file` (no password in it: pg_dump asks for it,
    or reads ~/.pgpass or PGPASSWORD)."""
    return f"pg_dump --format=custom --file {shlex.quote(str(file))} {_quoted(_without_password(url))}"


def recreate_commands(url: str) -> str:
    """The commands that start a PostgreSQL portal over: drop its database and create it empty."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    options = [f"-h {shlex.quote(parts.hostname)}" if parts.hostname else "",
               f"-p {parts.port}" if parts.port else "",
               f"-U {shlex.quote(unquote(parts.username))}" if parts.username else ""]
    where = " ".join(o for o in options if o)
    where = f"{where} " if where else ""
    target = shlex.quote(name) if name else "DBNAME"
    return f"dropdb {where}{target} && createdb {where}{target}"


class Portal:
    """An opened portal: its store (the data folder's portal.sqlite3, or the database `db` names: a SQLite
    file's path or a `postgresql://` URL) and its WSGI app."""

    def __init__(self, home: Path, now: datetime, db: str | Path | None = None, *, pool_size: int = 4,
                 outbox: Path | None = None):
        self.home = home
        self.db: str | Path = db if db is not None else portal_db(home)
        self.store: PortalStore = open_portal(self.db, now, seed=_seed_demo, pool_size=pool_size)
        # Where receipts that SMTP did not take are written for a person to open (until the app is built).
        self.outbox: Path = outbox if outbox is not None else home / "outbox"
        self._app = None
        self._postman: Postman | None = None
        self.faults: Faults | None = None  # faults injected on purpose into the API (gkh.server.faults), if asked
        self.proxies = TrustedProxies()  # the reverse proxies whose X-Forwarded-* it believes (gkh server run)

    @property
    def source(self) -> str:
        """What the portal is served from, as a person may read it: the file's path, or the masked URL."""
        return mask_url(self.db) if isinstance(self.db, str) else str(self.db)

    @property
    def postman(self) -> Postman:
        """What delivers the receipts: SMTP as the portal's settings and GKH_SMTP_* say, else the outbox folder.
        Settings that cannot be right raise InvalidInput naming the setting."""
        if self._postman is None:
            from gkh.server.receipts import MailSettings, Postman

            self._postman = Postman(MailSettings.load(self.store, os.environ), self.outbox)
        return self._postman

    def retry_receipts(self) -> Callable[[], None]:
        """While the portal serves: a daemon thread retrying the receipts' outbox every minute, when SMTP is set.
        Returns what stops it."""
        from gkh.server.receipts import start_retries

        stop = start_retries(self.postman, self.store)
        return stop.set if stop is not None else (lambda: None)

    @property
    def app(self):
        if self._app is None:
            from gkh.server.app import create_app

            self._app = create_app(self.store, self.postman, self.proxies)
            if self.faults is not None:
                from gkh.server.faults import FaultyApp

                self._app = FaultyApp(self._app, self.faults)
        return self._app

    def inject_faults(self, spec: str, field: str) -> str:
        """Make the app's API faulty as `spec` says (gkh.server.faults; InvalidInput naming `field`); returns the
        faults as people read them, for a loud line."""
        self.faults = parse_faults(spec, field)
        return self.faults.said()

    @property
    def portal_id(self) -> str:
        portal_id = self.store.setting("portal_id")
        if portal_id is None:  # the first migration gives every portal its id
            raise LookupError(f"{self.source} has no portal id")
        return portal_id

    @property
    def is_demo(self) -> bool:
        return self.store.setting("demo") == "1"

    def sign_in_demo_resident(self, now: datetime) -> dict:
        """Sign the demo resident in without a password: what POST /auth/token answers ({"token", "expires_at",
        "user"}). In-process only (no HTTP route does this); PermissionError on a portal that is not a demo."""
        from gkh.server.demo import DEMO_RESIDENT_LOGIN
        from gkh.server.services import session

        if not self.is_demo:
            raise PermissionError(_("this portal is not a demo portal: sign in with a login and password"))
        return session.sign_in_without_password(self.store, DEMO_RESIDENT_LOGIN, now)

    def demo_users(self) -> list[dict]:
        """The demo users with their fixed passwords, as `gkh server users` shows them ([] unless a demo)."""
        from gkh.server.demo import DEMO_USERS

        if not self.is_demo:
            return []
        return [{"login": u.login, "password": u.password, "role": u.role, "name": u.name,
                 "organisation": u.org_short_name, "description": u.description} for u in DEMO_USERS]

    def backup(self, target: Path, *, overwrite: bool = False) -> Path:
        """Write a consistent copy through SQLite's backup API (a file copy could tear a live WAL database),
        all or nothing: a 0600 temporary file beside the target, fsync, then one rename. Returns where it went
        (a symlink's target). Raises BackupRefused before touching anything when the target is no place for it."""
        if not isinstance(self.store, Store):
            raise BackupRefused(_("{db} is not a SQLite database: back it up with its own tools").format(
                db=self.source))
        target = self._backup_target(self.store, target, overwrite)
        temp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        try:
            os.fchmod(fd, PRIVATE_FILE)  # exactly 0600 whatever the umask: the copy holds the same personal data
            dest = sqlite3.connect(temp)
            try:
                self.store.connection().backup(dest)
                dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, not a WAL database
            finally:
                dest.close()
            os.fsync(fd)
            os.replace(temp, target)
        except BaseException:
            for suffix in ("", "-journal", "-wal", "-shm"):
                with suppress(OSError):
                    os.unlink(f"{temp}{suffix}")
            raise
        finally:
            os.close(fd)
        fsync_path(target.parent)  # the rename itself survives a crash
        return target

    @staticmethod
    def _backup_target(store: Store, target: Path, overwrite: bool) -> Path:
        """The real path to write (symlinks followed), or BackupRefused naming why not."""
        real = Path(os.path.realpath(target))
        for own in portal_files(store.path):
            if real == Path(os.path.realpath(own)) or (own.exists() and real.exists() and os.path.samefile(real, own)):
                raise BackupRefused(_("{target} is the live portal's {file}: choose a file outside the portal").format(
                    target=target, file=own.name))
        try:
            info = os.stat(real)
        except FileNotFoundError:
            if not real.parent.is_dir():
                raise BackupRefused(_("{target}: the folder {folder} does not exist: create it first").format(
                    target=target, folder=real.parent)) from None
            return real
        if not stat.S_ISREG(info.st_mode):
            raise BackupRefused(_("{target} is {kind}, not a regular file: choose a file path").format(
                target=target, kind=_kind(info.st_mode)))
        if not overwrite:
            raise BackupRefused(_("{target} already exists: choose another name or add --force").format(target=target))
        return real

    def close(self) -> None:
        self.store.close()


class PortalExists(ValueError):
    """`init_portal` on a database that already holds a portal: nothing was changed."""


def init_portal(db: str | Path, now: datetime, admin_login: str, admin_name: str, password: str) -> dict:
    """Create an empty portal (no demo world, no `demo` setting) at a SQLite file's path or a `postgresql://` URL,
    with its first admin (a password of their own, stored hashed: no change asked at sign-in).

    Returns {"portal_id", "source", "admin"} (the admin as GET /admin/users shows a user). Raises PortalExists,
    before changing anything, when the database already holds a portal; InvalidInput naming `login` or `name` for
    an admin the portal would refuse (checked before anything is created)."""
    from gkh.domain.users import normalize_login
    from gkh.server.passwords import hash_password
    from gkh.server.services import admin

    source = mask_url(db) if isinstance(db, str) else str(db)
    login = normalize_login(admin_login)
    if not admin_name.strip():
        from gkh.domain.errors import InvalidInput

        raise InvalidInput(_("{field} is required").format(field="name"), "name")
    if portal_version(db) > 0:
        raise PortalExists(_("{db} already holds a portal: nothing was changed").format(db=source))
    store = open_portal(db, now)  # no seed: no demo world
    try:
        try:
            user = admin.create_first_admin(store, login, admin_name, hash_password(password), now)
        except admin.PortalNotEmpty:
            raise PortalExists(_("{db} already holds a portal: nothing was changed").format(db=source)) from None
        return {"portal_id": store.setting("portal_id"), "source": source, "admin": user}
    finally:
        store.close()


def reset_portal(home: Path, db: Path | None = None) -> None:
    """Delete the portal's SQLite database (the data folder's, or `db`) so the next use creates a fresh demo
    world."""
    db = db if db is not None else portal_db(home)
    private_folder(db.parent)
    with file_lock(lock_path(db)):
        for path in portal_files(db)[:3]:  # not the lock file we hold
            if path.exists():
                os.remove(path)


def _seed_demo(conn: Connection, version: int, now: datetime) -> None:
    """The embedded portal is a demo portal: its store is seeded with the demo world as it migrates."""
    from gkh.server import demo  # needed only while migrating

    demo.seed(conn, version, now)


class BackupRefused(ValueError):
    """The backup's target is no place for a backup: the live database, a device, a folder, an existing file."""


def _kind(mode: int) -> str:
    kinds = {stat.S_IFDIR: _("a folder"), stat.S_IFCHR: _("a device"), stat.S_IFBLK: _("a device"),
             stat.S_IFIFO: _("a pipe"), stat.S_IFSOCK: _("a socket")}
    return kinds.get(stat.S_IFMT(mode), _("a special file"))


