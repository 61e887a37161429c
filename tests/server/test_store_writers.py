"""Writers of one process queue on the store's lock before BEGIN IMMEDIATE; other processes meet the busy timeout."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from gkh.server.db import Store, open_portal
from gkh.server.db import store as store_module
from tests.helpers.demo import SEED_NOW

pytestmark = pytest.mark.sqlite_only  # the SQLite store's writers, its lock and busy timeout


@pytest.fixture
def db_path(tmp_path):
    store = open_portal(tmp_path / "portal.sqlite3", SEED_NOW)
    store.close()
    return store.path


def test_a_second_writer_waits_for_the_first_to_commit(db_path):
    first, second = Store(db_path), Store(db_path)  # two stores of one file share the lock
    order: list[str] = []
    inside = threading.Event()

    def write_later() -> None:
        inside.wait()
        with second.write() as tx:
            order.append("second")
            tx.execute("INSERT INTO portal_settings (key, value) VALUES ('second', '2')")

    thread = threading.Thread(target=write_later)
    thread.start()
    with first.write() as tx:
        inside.set()
        time.sleep(0.2)  # the second writer is queued meanwhile, not busy-waiting inside SQLite
        order.append("first")
        tx.execute("INSERT INTO portal_settings (key, value) VALUES ('first', '1')")
    thread.join(timeout=10)
    assert order == ["first", "second"]
    assert second.setting("second") == "2"
    for store in (first, second):
        store.close()


def test_a_rolled_back_write_lets_the_next_writer_in(db_path):
    store = Store(db_path)
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.execute("INSERT INTO portal_settings (key, value) VALUES ('gone', '1')")
        raise RuntimeError("the work failed")
    with store.write(commit=False) as tx:  # a dry run
        tx.execute("INSERT INTO portal_settings (key, value) VALUES ('dry', '1')")
    assert store.setting("gone") is None and store.setting("dry") is None
    done = []
    thread = threading.Thread(target=lambda: done.append(Store(db_path).setting("portal_id")))
    thread.start()
    thread.join(timeout=5)
    assert done and done[0]
    store.close()


def test_a_writer_queued_too_long_is_told_the_database_is_locked(db_path, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 100)
    holder, waiter = Store(db_path), Store(db_path)
    failed: list[Exception] = []

    def write() -> None:
        try:
            with waiter.write():
                pass
        except sqlite3.OperationalError as error:
            failed.append(error)

    with holder.write():
        thread = threading.Thread(target=write)
        thread.start()
        thread.join(timeout=5)
    assert [str(e) for e in failed] == ["database is locked"]
    holder.close()


def test_every_commit_waits_for_the_disk_but_a_claims(db_path):
    """synchronous = FULL (a confirmed change survives a power cut, not only a crash), except in a transaction
    asked not to be durable (an Idempotency-Key's claim), after which the connection is FULL again."""
    store = Store(db_path)
    conn = store.connection()
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    during = store.transact(lambda tx: tx.execute("PRAGMA synchronous").fetchone()[0], durable=False)
    assert during == 1  # NORMAL
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    with pytest.raises(ZeroDivisionError):
        store.transact(lambda tx: 1 / 0, durable=False)
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    store.close()
