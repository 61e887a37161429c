"""The store's migrations: numbered, named steps applied once; the demo world only through the seed hook."""

from __future__ import annotations

import re
import sqlite3

from gkh.paths import portal_files
from gkh.server import demo
from gkh.server.db import MIGRATIONS, SCHEMA_VERSION, database_files, open_portal
from tests.helpers.demo import SEED_NOW


def tables(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def count(path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_every_step_has_a_number_and_a_name():
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert all(re.fullmatch(rf"m{m.version:03d}_[a-z_]+", m.name) for m in MIGRATIONS)
    assert SCHEMA_VERSION == MIGRATIONS[-1].version


def test_a_portal_opened_without_a_seed_has_the_schema_and_an_id_but_no_world(tmp_path):
    store = open_portal(tmp_path / "portal.sqlite3", SEED_NOW)
    assert {"portal_settings", "accounts", "meters", "throttle"} <= tables(store.path)
    assert re.fullmatch(r"[0-9a-f]{16}", store.setting("portal_id"))
    assert store.setting("demo") is None
    assert count(store.path, "houses") == count(store.path, "users") == 0
    store.close()


def test_a_new_portal_opened_with_the_demo_seed_is_a_demo_portal(tmp_path):
    store = open_portal(tmp_path / "portal.sqlite3", SEED_NOW, seed=demo.seed)
    assert store.setting("demo") == "1"
    # The five houses and the new build with no flats yet (schema v11).
    assert count(store.path, "houses") == len(demo.DEMO_HOUSES) + 1 and count(store.path, "meters") > 0
    store.close()


def test_an_older_demo_portal_gets_the_later_parts_of_the_world(tmp_path):
    store = open_portal(tmp_path / "portal.sqlite3", SEED_NOW, seed=demo.seed)
    meters, readings = count(store.path, "meters"), count(store.path, "readings")
    with store.write() as tx:  # back to schema v1, as a portal made before meters existed
        tx.execute("DROP TABLE readings")
        tx.execute("DROP TABLE meters")
        tx.execute("DROP TABLE throttle")
        tx.execute("PRAGMA user_version = 1")
    store.close()
    store = open_portal(store.path, SEED_NOW, seed=demo.seed)
    assert (count(store.path, "meters"), count(store.path, "readings")) == (meters, readings)
    assert "throttle" in tables(store.path)
    store.close()


def test_an_older_real_portal_is_migrated_but_never_seeded(tmp_path):
    store = open_portal(tmp_path / "portal.sqlite3", SEED_NOW)
    with store.write() as tx:
        tx.execute("DROP TABLE readings")
        tx.execute("DROP TABLE meters")
        tx.execute("DROP TABLE throttle")
        tx.execute("PRAGMA user_version = 1")
    store.close()
    store = open_portal(store.path, SEED_NOW, seed=demo.seed)
    assert {"meters", "readings", "throttle"} <= tables(store.path)
    assert count(store.path, "meters") == 0 and store.setting("demo") is None
    store.close()


def test_a_step_runs_once(tmp_path):
    store = open_portal(tmp_path / "portal.sqlite3", SEED_NOW, seed=demo.seed)
    portal_id = store.setting("portal_id")
    store.close()
    store = open_portal(store.path, SEED_NOW, seed=demo.seed)
    assert store.setting("portal_id") == portal_id and count(store.path, "users") == len(demo.DEMO_USERS)
    store.close()


def test_the_store_and_the_command_line_name_the_same_portal_files(tmp_path):
    db = tmp_path / "portal.sqlite3"
    assert database_files(db) == portal_files(db)


def step(name: str):
    return next(m for m in MIGRATIONS if m.name.endswith(name))


def test_the_serial_key_step_folds_as_the_domain_does():
    from gkh.domain import identifiers
    from gkh.server.db import migrations

    # The step keeps its own copy (a step is history; the store's room knows nothing of the rules): the same.
    assert migrations._V4_FOLD == identifiers._FOLD


def test_the_serial_key_step_keys_the_meters_there_are(tmp_path):
    from gkh.domain.identifiers import serial_key

    store = open_portal(tmp_path / "portal.sqlite3", SEED_NOW, seed=demo.seed)
    with store.write() as tx:  # the meters table as it was before the step, two serials as people write them
        tx.execute("DROP INDEX meters_serial_key")
        tx.execute("ALTER TABLE meters DROP COLUMN serial_key")
        tx.execute("CREATE INDEX meters_serial ON meters(serial)")
        tx.execute("UPDATE meters SET serial = ' xb\u201321-000001 ' WHERE id = 'M-000001'")
        tx.execute("UPDATE meters SET serial = 'эл-19-000002' WHERE id = 'M-000002'")
    with store.write() as tx:
        step("_meter_serial_key").apply(tx, store.dialect)
    with sqlite3.connect(store.path) as conn:
        keys = dict(conn.execute("SELECT id, serial_key FROM meters"))
        serials = dict(conn.execute("SELECT id, serial FROM meters"))
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert keys["M-000001"] == "ХВ-21-000001" and keys["M-000002"] == "ЭЛ-19-000002"
    assert keys == {meter: serial_key(serial) for meter, serial in serials.items()}
    assert "meters_serial_key" in indexes and "meters_serial" not in indexes
    store.close()
