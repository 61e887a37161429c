"""Shared fixtures: one seeded demo portal per test session, copied per test into a temporary home."""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from pathlib import Path

import pytest

from tests.helpers.demo import SEED_NOW
from tests.helpers.serving import stop_waitress

# Cheap password hashing for every portal the suite creates, subprocesses included (read when a hash is made).
os.environ["GKH_PASSWORD_COST"] = "4"


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory) -> Path:
    from gkh.server import demo
    from gkh.server.db import open_portal

    path = tmp_path_factory.mktemp("seed") / "portal.sqlite3"
    store = open_portal(path, SEED_NOW, seed=demo.seed)
    store.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture
def home(tmp_path, seeded_db, monkeypatch) -> Path:
    """A data folder holding a fresh copy of the demo portal (with its own portal id), set as GKH_HOME."""
    home = tmp_path / "home"
    home.mkdir()
    with sqlite3.connect(seeded_db) as src, sqlite3.connect(home / "portal.sqlite3") as dest:
        src.backup(dest)
        dest.execute("UPDATE portal_settings SET value = ? WHERE key = 'portal_id'", (secrets.token_hex(8),))
    src.close()
    dest.close()
    monkeypatch.setenv("GKH_HOME", str(home))
    monkeypatch.setenv("GKH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("GKH_NOW", "2026-11-20T12:00:00+03:00")
    return home


@pytest.fixture
def sqlite_portal(home):
    from gkh.server.local import Portal

    p = Portal(home, SEED_NOW)
    yield p
    p.close()


@pytest.fixture
def portal(sqlite_portal):
    """The demo portal of `home`, on SQLite (a module overrides it with portal_on_each_engine to run on both)."""
    return sqlite_portal


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL 15 cluster (tests.helpers.postgres) with a seeded demo portal as a template
    database; skips the test with the reason when none can be started."""
    from tests.helpers.postgres import TEMPLATE, Cluster, Unavailable

    try:
        cluster = Cluster()
    except Unavailable as error:
        pytest.skip(f"PostgreSQL: {error}")
    try:
        from gkh.server import demo
        from gkh.server.db import open_portal

        with cluster.admin() as conn:
            conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
        open_portal(cluster.url(TEMPLATE), SEED_NOW, seed=demo.seed, pool_size=1).close()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_portal(home, postgres_cluster):
    """The demo portal in a fresh PostgreSQL database (a copy of the session's template, its own portal id),
    its rows readable through tests.helpers.rows with `home`."""
    from gkh.server.app import create_app
    from gkh.server.db import open_portal
    from tests.helpers.postgres import PORTAL_URLS, TEMPLATE

    name = postgres_cluster.new_database(TEMPLATE)
    with postgres_cluster.admin(name) as conn:
        conn.execute("UPDATE portal_settings SET value = %s WHERE key = 'portal_id'", (secrets.token_hex(8),))
    url = postgres_cluster.url(name)
    p = PgPortal(open_portal(url, SEED_NOW, pool_size=4), create_app)
    PORTAL_URLS[home] = url
    yield p
    del PORTAL_URLS[home]
    p.close()
    postgres_cluster.drop_database(name)


class PgPortal:
    """What the tests use of gkh.server.local.Portal, for a portal on PostgreSQL."""

    def __init__(self, store, create_app):
        self.store = store
        self.app = create_app(store)

    @property
    def portal_id(self) -> str:
        return self.store.setting("portal_id")

    def close(self) -> None:
        self.store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def portal_on_each_engine(request):
    """The demo portal on SQLite, then on PostgreSQL (skipped where no cluster can be started)."""
    return request.getfixturevalue("sqlite_portal" if request.param == "sqlite" else "pg_portal")


@pytest.fixture
def http_portal(portal):
    """The portal served by waitress in a thread on a free loopback port; yields its base URL."""
    from gkh.server.serve import create_http_server

    server = create_http_server(portal.app, host="127.0.0.1", port=0, threads=4, asyncore_loop_timeout=0.05)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    stop_waitress(server)
    thread.join(timeout=5)
