"""Shared fixtures: one seeded demo portal per test session, copied per test into a temporary home; the
portal-backed tests on both engines.

The engine: a test that uses `portal` (or anything built on it: `http_portal`, the API's `sign_in`, the
services' `store`), or the `engine` fixture itself, runs once per engine, its id saying which: `[sqlite]`,
then `[postgres]` (a fresh database copied from the session's template in a throwaway PostgreSQL 15 cluster,
tests.helpers.postgres). `--engine sqlite|postgres|both` (default both) chooses; `--engine sqlite` also
deselects every test that needs PostgreSQL itself (marked `postgres`). A test marked `sqlite_only` (the
embedded local:// portal, the SQLite file, its modes, WAL and backup) runs on SQLite alone whatever is chosen.
Where no cluster can be started the PostgreSQL half skips with the reason, or fails when
GKH_REQUIRE_POSTGRES=1 (CI).
"""

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
# The suite reads English whatever the machine's locale (LANG=ru_RU.UTF-8 would turn messages Russian);
# tests of the Russian side set GKH_LANG=ru themselves.
os.environ["GKH_LANG"] = "en"
# No test writes the user's own state folder (a payment's kept key): a folder under a file cannot be made, so a
# test that forgot `home` (which gives each test a state folder of its own) fails instead.
os.environ["GKH_STATE_DIR"] = os.path.join(os.devnull, "gkh-state")

ENGINES = ("sqlite", "postgres")


def pytest_addoption(parser) -> None:
    parser.addoption("--engine", choices=(*ENGINES, "both"), default="both",
                     help="the database engines the portal-backed tests run on (default: both); "
                          "sqlite also deselects the tests that need PostgreSQL itself")


def chosen_engines(config) -> tuple[str, ...]:
    choice = config.getoption("engine")
    return ENGINES if choice == "both" else (choice,)


def pytest_generate_tests(metafunc) -> None:
    """Every test that needs the `engine` fixture (through `portal` or directly) runs once per chosen engine,
    unless it is marked sqlite_only or parametrizes `engine` itself."""
    if "engine" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("sqlite_only"):
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
        if "engine" in ([n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)):
            return
    metafunc.parametrize("engine", [
        pytest.param(engine, id=engine, marks=[pytest.mark.postgres] if engine == "postgres" else [])
        for engine in chosen_engines(metafunc.config)
    ], indirect=True)


def pytest_collection_modifyitems(config, items) -> None:
    """A test that needs the cluster, or runs on "postgres" by a parameter of its own, is marked postgres;
    `--engine sqlite` deselects those, `--engine postgres` the tests a parameter of their own puts on SQLite."""
    engines = chosen_engines(config)
    deselected = []
    for item in items:
        own = getattr(item, "callspec", None) and item.callspec.params.get("engine")
        if ("postgres_cluster" in getattr(item, "fixturenames", ()) or own == "postgres") \
                and item.get_closest_marker("postgres") is None:
            item.add_marker(pytest.mark.postgres)
        if (item.get_closest_marker("postgres") is not None and "postgres" not in engines) \
                or (own in ENGINES and own not in engines):
            deselected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        gone = set(deselected)
        items[:] = [item for item in items if item not in gone]


@pytest.fixture
def engine(request) -> str:
    """The engine of this test's portal: its parameter, or "sqlite" for a test marked sqlite_only."""
    return getattr(request, "param", "sqlite")


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
    monkeypatch.setenv("GKH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("GKH_NOW", "2026-11-20T12:00:00+03:00")
    return home


@pytest.fixture
def sqlite_portal(home):
    from gkh.server.local import Portal

    p = Portal(home, SEED_NOW)
    yield p
    p.close()


@pytest.fixture
def portal(engine, request):
    """The demo portal of `home` on the test's engine: `sqlite_portal`, or `pg_portal`."""
    return request.getfixturevalue("sqlite_portal" if engine == "sqlite" else "pg_portal")


def postgres_required() -> bool:
    """GKH_REQUIRE_POSTGRES=1 (CI): no PostgreSQL cluster is a failure, not a skip."""
    return os.environ.get("GKH_REQUIRE_POSTGRES", "").strip() not in ("", "0")


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL 15 cluster (tests.helpers.postgres) with a seeded demo portal as a template
    database; skips the test with the reason when none can be started (fails, when GKH_REQUIRE_POSTGRES=1)."""
    from tests.helpers.postgres import TEMPLATE, Cluster, Unavailable

    try:
        cluster = Cluster()
    except Unavailable as error:
        if postgres_required():
            pytest.fail(f"PostgreSQL: {error} (GKH_REQUIRE_POSTGRES=1: the PostgreSQL half must run)", pytrace=False)
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
def pg_database(home, postgres_cluster) -> str:
    """The URL of a fresh PostgreSQL database holding the demo portal (a copy of the session's template, with
    its own portal id), its rows readable through tests.helpers.rows with `home`; dropped in the background after
    the test."""
    from tests.helpers.postgres import PORTAL_URLS, TEMPLATE

    name = postgres_cluster.copy_of(TEMPLATE)
    with postgres_cluster.admin(name) as conn:
        conn.execute("UPDATE portal_settings SET value = %s WHERE key = 'portal_id'", (secrets.token_hex(8),))
    url = postgres_cluster.url(name)
    PORTAL_URLS[home] = url
    yield url
    del PORTAL_URLS[home]
    postgres_cluster.discard(name)


@pytest.fixture
def pg_portal(home, pg_database):
    """The demo portal of `home`, its store in a fresh PostgreSQL database (`pg_database`)."""
    p = PgPortal(home, pg_database)
    yield p
    p.close()


class PgPortal:
    """What the tests use of gkh.server.local.Portal, for a portal on PostgreSQL; its store and app are plain
    attributes a test may replace (with a store of a larger pool, say)."""

    def __init__(self, home: Path, url: str):
        from gkh.server.app import create_app
        from gkh.server.db import open_portal

        self.home, self.db = home, url
        self.store = open_portal(url, SEED_NOW, pool_size=4)
        self.app = create_app(self.store)

    @property
    def portal_id(self) -> str:
        return self.store.setting("portal_id")

    @property
    def is_demo(self) -> bool:
        return self.store.setting("demo") == "1"

    def sign_in_demo_resident(self, now):
        from gkh.server.local import Portal

        return Portal.sign_in_demo_resident(self, now)  # type: ignore[arg-type]  # the same store, the same rule

    def demo_users(self) -> list[dict]:
        from gkh.server.local import Portal

        return Portal.demo_users(self)  # type: ignore[arg-type]

    def close(self) -> None:
        self.store.close()


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
