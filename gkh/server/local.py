"""The portal as a library: what `gkh server …` and the in-process transport open."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from gkh.paths import portal_db
from gkh.server import auth
from gkh.server.store import Store, file_lock, open_portal


class Portal:
    """An opened portal under a data folder: its store and its WSGI app."""

    def __init__(self, home: Path, now: datetime):
        self.home = home
        self.store: Store = open_portal(portal_db(home), now)
        self._app = None

    @property
    def app(self):
        if self._app is None:
            from gkh.server.app import create_app

            self._app = create_app(self.store)
        return self._app

    @property
    def portal_id(self) -> str:
        return self.store.setting("portal_id")

    @property
    def is_demo(self) -> bool:
        return self.store.setting("demo") == "1"

    def demo_resident_token(self, now: datetime) -> tuple[str, datetime]:
        """A token for the demo resident, without a password; in-process only (no HTTP route does this)."""
        from gkh.server.demo import DEMO_RESIDENT_LOGIN

        if not self.is_demo:
            raise PermissionError("this portal is not a demo portal: sign in with a login and password")
        with self.store.write() as tx:
            user_id = tx.execute("SELECT id FROM users WHERE login = ?", (DEMO_RESIDENT_LOGIN,)).fetchone()[0]
            return auth.issue_token(tx, user_id, now)

    def backup(self, target: Path) -> None:
        """A consistent copy through SQLite's backup API (a file copy could tear a live WAL database)."""
        with sqlite3.connect(target) as dest:
            self.store.connection().backup(dest)
        dest.close()

    def close(self) -> None:
        self.store.close()


def reset_portal(home: Path) -> None:
    """Delete the portal's database so the next use creates a fresh demo world."""
    db = portal_db(home)
    db.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(db.with_name(db.name + ".lock")):
        for suffix in ("", "-wal", "-shm"):
            path = db.with_name(db.name + suffix)
            if path.exists():
                os.remove(path)
