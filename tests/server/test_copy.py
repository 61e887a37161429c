"""Copying a portal between databases (gkh.server.db.copy): SQLite → PostgreSQL → SQLite gives the same portal,
row for row; the copy keeps working on PostgreSQL (fresh ids after the copied ones); a target that is not empty
is refused untouched; the checksum tells a changed row; a failure leaves a SQLite target as it was and says
that a PostgreSQL one is incomplete.

The PostgreSQL half needs the session's throwaway cluster (tests.helpers.postgres) and skips where none can be
started."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import falcon.testing
import pytest

from gkh.server.db import copy as db_copy
from gkh.server.db import open_portal
from gkh.server.db.copy import (
    CopyFailed,
    CopyRefused,
    Table,
    copy_portal,
    portal_tables,
    portal_tallies,
    same_database,
    table_tally,
)
from tests.helpers.demo import COLD, SEED_NOW, password_of

TOKEN_HASH = "f" * 64


@pytest.fixture
def source(home):
    """The demo portal of `home`, with a row in each of the tables the demo world leaves empty (a token, an
    idempotency key, a throttle row, a payment with its bill and receipt, a closed period) and awkward values:
    NULLs, an empty string, quotes, a backslash, bytes that are no text."""
    with sqlite3.connect(home / "portal.sqlite3") as conn:
        conn.execute("INSERT INTO tokens (token_hash, user_id, created_at, expires_at, renewed_at)"
                     " VALUES (?, 1, '2026-11-01T00:00:00+00:00', '2027-02-01T00:00:00+00:00',"
                     " '2026-11-01T00:00:00+00:00')", (TOKEN_HASH,))
        conn.execute("INSERT INTO idempotency_keys (user_id, key, request_hash, lease_until, status, response,"
                     " created_at) VALUES (1, 'k-1', 'h', NULL, 201, ?, '2026-11-20T09:00:00+00:00')",
                     ('{"ok": "ёлка \\"x\\" \\\\ 100%"}',))
        conn.execute("INSERT INTO throttle (scope, key, failures, window_start)"
                     " VALUES ('sign_in', '', 3, '2026-11-20T09:00:00+00:00')")
        # A payment with its bill and receipt: the message is bytes (a BLOB, bytea), NUL and non-UTF-8 included.
        conn.execute("INSERT INTO payments (id, seq, user_id, kind, account_id, payee_org_id, bill_id, method,"
                     " amount_kopecks, commission_kopecks, status, email, created_at, completed_at)"
                     " SELECT 'P-000001', 1, 1, 'bill', b.account_id, b.payee_org_id, b.id, 'wallet', 100, 0,"
                     " 'succeeded', NULL, '2026-11-20T09:00:00+00:00', '2026-11-20T09:00:00+00:00'"
                     " FROM bills b ORDER BY b.id LIMIT 1")
        conn.execute("INSERT INTO payment_bills (payment_id, bill_id, amount_kopecks)"
                     " SELECT id, bill_id, 100 FROM payments WHERE id = 'P-000001'")
        conn.execute("INSERT INTO receipts (payment_id, number, emailed_to, message, created_at, delivery)"
                     " VALUES ('P-000001', 'R-000001', NULL, ?, '2026-11-20T09:00:00+00:00', 'outbox')",
                     (b"Subject: =?utf-8?b?0KfQtdC6?=\r\n\r\n\x00\xff\xfe \xd0\xa7\xd0\xb5\xd0\xba",))
        conn.execute("INSERT INTO closed_periods (house_guid, period, closed_at, closed_by)"
                     " SELECT guid, '2026-10', '2026-11-01T00:00:00+00:00', 1 FROM houses ORDER BY guid LIMIT 1")
    conn.close()
    store = open_portal(home / "portal.sqlite3", SEED_NOW)
    yield store
    store.close()


@pytest.fixture
def pg_url(postgres_cluster):
    """An empty PostgreSQL database (no schema yet)."""
    name = postgres_cluster.new_database()
    yield postgres_cluster.url(name)
    postgres_cluster.drop_database(name)


def sqlite_rows(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, read with sqlite3 alone (not through the copy's own reading)."""
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = {name: sorted(conn.execute(f"SELECT * FROM {name}").fetchall(), key=repr) for name in names}
    conn.close()
    return rows


def postgres_rows(url: str, names) -> dict[str, list[tuple]]:
    from tests.helpers.postgres import Rows

    with Rows(url) as conn:
        return {name: sorted((tuple(r) for r in conn.execute(f"SELECT * FROM {name}").fetchall()), key=repr)
                for name in names}


def test_the_tables_come_parents_first_and_are_all_of_the_schema(source):
    order = [t.name for t in portal_tables()]
    with source.read() as conn:
        created = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(order) == created
    for table in portal_tables():
        for parent in table.parents:
            assert order.index(parent) < order.index(table.name), (table.name, parent)
    by_name = {t.name: t for t in portal_tables()}
    assert by_name["account_links"].key == ("user_id", "account_id")
    assert set(by_name["readings"].parents) == {"meters", "users"}


@pytest.mark.postgres
def test_sqlite_to_postgresql_and_back_gives_the_same_portal(home, source, pg_url, tmp_path):
    before = sqlite_rows(home / "portal.sqlite3")
    assert all(before[name] for name in before), "every table holds rows, so every table is really compared"

    there = copy_portal(source, pg_url, SEED_NOW)
    assert there.equal
    assert [t.table for t in there.tables] == [t.name for t in portal_tables()]
    assert postgres_rows(pg_url, before) == before

    back_path = tmp_path / "back" / "portal.sqlite3"
    pg = open_portal(pg_url, SEED_NOW, pool_size=1)
    try:
        back = copy_portal(pg, back_path, SEED_NOW)
        assert back.equal
        assert portal_tallies(pg) == portal_tallies(source)
    finally:
        pg.close()
    assert sqlite_rows(back_path) == before
    assert [(t.table, t.rows, t.checksum) for t in back.tables] == [(t.table, t.rows, t.checksum) for t in there.tables]
    assert stat.S_IMODE(back_path.stat().st_mode) == 0o600
    assert sorted(p.name for p in back_path.parent.iterdir()) == ["portal.sqlite3"]  # no temporary file left
    with sqlite3.connect(back_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # a live portal, as open_portal makes
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


@pytest.mark.postgres
def test_after_a_copy_to_postgresql_new_rows_get_fresh_ids(source, pg_url):
    from gkh.server.app import create_app

    copy_portal(source, pg_url, SEED_NOW)
    store = open_portal(pg_url, SEED_NOW, pool_size=2)
    try:
        with store.read() as conn:
            last_reading = conn.execute("SELECT max(id) FROM readings").fetchone()[0]
            last_flat, house = conn.execute("SELECT max(id), min(house_guid) FROM flats").fetchone()
        # through the API: the copied user signs in with the copied password hash, a new reading goes in
        client = falcon.testing.TestClient(create_app(store))
        signed_in = client.simulate_post("/api/v1/auth/token",
                                         json={"login": "ivanov", "password": password_of("ivanov")})
        assert signed_in.status_code == 201, signed_in.text
        headers = {"Authorization": f"Bearer {signed_in.json['token']}"}
        submitted = client.simulate_post(f"/api/v1/meters/{COLD}/readings", json={"values": ["2675.5"]},
                                         headers=headers)
        assert submitted.status_code == 201, submitted.text
        # and a plain insert into another table with an identity column
        with store.write() as tx:
            flat = tx.execute("INSERT INTO flats (house_guid, number, area) VALUES (?, 'new-1', '30.0')"
                              " RETURNING id", (house,)).fetchone()[0]
        with store.read() as conn:
            reading = conn.execute("SELECT max(id) FROM readings").fetchone()[0]
    finally:
        store.close()
    assert reading == last_reading + 1
    assert flat == last_flat + 1


@pytest.mark.postgres
def test_a_postgresql_target_that_is_not_empty_is_refused_untouched(source, postgres_cluster):
    from tests.helpers.postgres import TEMPLATE

    name = postgres_cluster.new_database(TEMPLATE)  # a demo portal already
    url = postgres_cluster.url(name)
    try:
        target = open_portal(url, SEED_NOW, pool_size=1)
        before = portal_tallies(target)
        with pytest.raises(CopyRefused) as refused:
            copy_portal(source, url, SEED_NOW)
        assert refused.value.table == "organisations"
        assert str(refused.value) == "it is not empty: its table organisations holds rows"
        assert portal_tallies(target) == before
        target.close()
    finally:
        postgres_cluster.drop_database(name)


def test_a_sqlite_target_that_is_not_empty_is_refused_untouched(source, tmp_path):
    target = tmp_path / "target.sqlite3"
    store = open_portal(target, SEED_NOW)  # a new portal without the demo world: only its own id
    with store.write() as tx:
        tx.execute("INSERT INTO throttle (scope, key, failures, window_start) VALUES ('s', 'k', 1, 'now')")
    before = portal_tallies(store)
    store.close()
    with pytest.raises(CopyRefused) as refused:
        copy_portal(source, target, SEED_NOW)
    assert refused.value.table == "throttle"  # the first table holding rows: here the only one
    store = open_portal(target, SEED_NOW)
    assert portal_tallies(store) == before
    store.close()


def test_an_empty_sqlite_portal_is_replaced_by_the_copy(source, tmp_path):
    target = tmp_path / "target.sqlite3"
    open_portal(target, SEED_NOW).close()  # migrated, not seeded: its portal id alone
    assert copy_portal(source, target, SEED_NOW).equal
    copied = open_portal(target, SEED_NOW)
    assert copied.setting("portal_id") == source.setting("portal_id")
    assert portal_tallies(copied) == portal_tallies(source)
    copied.close()


def test_the_source_itself_is_refused(source, home, tmp_path):
    with pytest.raises(CopyRefused, match="already holds the portal"):
        copy_portal(source, home / "portal.sqlite3", SEED_NOW)
    link = tmp_path / "link.sqlite3"
    link.symlink_to(home / "portal.sqlite3")
    hard = tmp_path / "hard.sqlite3"
    os.link(home / "portal.sqlite3", hard)
    assert same_database(home / "portal.sqlite3", link)
    assert same_database(str(home / "portal.sqlite3"), str(hard))
    assert not same_database(home / "portal.sqlite3", tmp_path / "other.sqlite3")
    assert same_database("postgresql://gkh@db/gkh", "postgresql://gkh@db/gkh")
    assert not same_database("postgresql://gkh@db/gkh", "postgresql://gkh@db/other")


def test_the_checksum_tells_a_changed_row(source, tmp_path):
    target = tmp_path / "copy.sqlite3"
    assert copy_portal(source, target, SEED_NOW).equal
    with sqlite3.connect(target) as conn:
        conn.execute("UPDATE readings SET reading_values = replace(reading_values, '.', ',')"
                     " WHERE id = (SELECT max(id) FROM readings)")
    conn.close()
    copied = open_portal(target, SEED_NOW)
    changed = {name for name, tally in portal_tallies(copied).items() if tally != portal_tallies(source)[name]}
    copied.close()
    assert changed == {"readings"}


@pytest.mark.parametrize(("a", "b"), [
    ([(1, "x")], [("1", "x")]),  # an integer is not its text
    ([(None, "x")], [("", "x")]),  # NULL is not empty text
    ([(1, "ab")], [(1, "a"), (1, "b")]),  # rows do not run into each other
    ([(1, b"x")], [(1, "x")]),  # bytes are not text
    ([(1, "x")], [(1, "x "),]),
])
def test_the_checksum_tells_values_apart(a, b):
    conn = sqlite3.connect(":memory:")
    table = Table("t", ("n", "s"), ("rowid",), ())
    tallies = []
    for rows in (a, b):
        conn.execute("DROP TABLE IF EXISTS t")
        conn.execute("CREATE TABLE t (n, s)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", rows)
        tallies.append(table_tally(conn, table))
    assert tallies[0].checksum != tallies[1].checksum
    conn.execute("DELETE FROM t")
    conn.executemany("INSERT INTO t VALUES (?, ?)", b)
    assert table_tally(conn, table) == tallies[1]  # and the same rows, the same checksum


def fail_at(monkeypatch, failing: str) -> None:
    original = db_copy._copy_table

    def copy_table(src, tx, table, batch):
        if table.name == failing:
            raise RuntimeError("disk full")
        return original(src, tx, table, batch)

    monkeypatch.setattr(db_copy, "_copy_table", copy_table)


def test_a_failed_copy_to_sqlite_leaves_nothing(source, tmp_path, monkeypatch):
    fail_at(monkeypatch, "meters")
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "copy.sqlite3"
    with pytest.raises(CopyFailed) as failed:
        copy_portal(source, target, SEED_NOW)
    assert (failed.value.table, failed.value.incomplete) == ("meters", False)
    assert str(failed.value) == "copying the table meters failed: disk full"
    assert list(folder.iterdir()) == []


@pytest.mark.postgres
@pytest.mark.parametrize(("failing", "incomplete"), [("meters", True), ("portal_settings", False)])
def test_a_failed_copy_to_postgresql_says_whether_the_target_is_incomplete(source, pg_url, monkeypatch, failing,
                                                                           incomplete):
    fail_at(monkeypatch, failing)
    with pytest.raises(CopyFailed) as failed:
        copy_portal(source, pg_url, SEED_NOW)
    assert (failed.value.table, failed.value.incomplete) == (failing, incomplete)
    target = open_portal(pg_url, SEED_NOW, pool_size=1)
    try:
        with target.read() as conn:
            accounts = conn.execute("SELECT count(*) FROM accounts").fetchone()[0]
            meters = conn.execute("SELECT count(*) FROM meters").fetchone()[0]
    finally:
        target.close()
    assert (accounts > 0, meters) == (incomplete, 0)  # the tables before the failing one were committed


def test_a_copy_that_differs_is_reported_and_not_put_in_place(source, tmp_path, monkeypatch):
    original = db_copy._copy_table

    def copy_table(src, tx, table, batch):
        tally = original(src, tx, table, batch)
        if table.name == "readings":  # as an engine that changed a value on the way would
            tx.execute("UPDATE readings SET period = '1999-01' WHERE id = (SELECT min(id) FROM readings)")
        return tally

    monkeypatch.setattr(db_copy, "_copy_table", copy_table)
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "copy.sqlite3"
    result = copy_portal(source, target, SEED_NOW)
    assert not result.equal
    assert result.differing() == ["readings"]
    readings = next(t for t in result.tables if t.table == "readings")
    assert readings.rows == readings.target_rows and readings.checksum != readings.target_checksum
    assert list(folder.iterdir()) == []
