"""`gkh server copy --from DB --to DB` in-process: the table-by-table report on stdout (table, rows, checksum,
equal), one summary line on stderr, and the refusals (exit 2) before anything is written: the same database,
a target that is not empty, a source that does not exist (and is not created)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from gkh.server.db import copy as db_copy
from gkh.server.db.copy import portal_tables
from tests.helpers import cli

COLUMNS = ["table", "rows", "checksum", "equal"]
TABLES = [t.name for t in portal_tables()]


def gkh(*args: str, tty: bool = True, env: dict | None = None):
    return cli.gkh(*args, tty=tty, env=env)


def portal_id(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        value = conn.execute("SELECT value FROM portal_settings WHERE key = 'portal_id'").fetchone()[0]
    conn.close()
    return value


@pytest.fixture
def source(home) -> Path:
    return home / "portal.sqlite3"


@pytest.fixture
def out(tmp_path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def test_copy_prints_the_report_and_a_summary(source, out):
    target = out / "copy.sqlite3"
    result = gkh("server", "copy", "--from", str(source), "--to", str(target), "--wide")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Table", "Rows", "Checksum", "Equal"]  # the checksum only in the wide table
    rows = [line.split() for line in lines if line.split() and line.split()[0] in TABLES]
    assert [row[0] for row in rows] == TABLES
    assert all(row[3] == "true" and len(row[2]) == 64 for row in rows)
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"gkh: portal {portal_id(source)} copied from {source} to {target}: "
                                    f"{len(TABLES)} tables, ")
    assert portal_id(target) == portal_id(source)  # a move: the portal keeps its id


def test_json_gives_the_four_columns_per_table(source, out):
    report = cli.gkh_json("server", "copy", "--from", str(source), "--to", str(out / "copy.sqlite3"))
    assert [list(row) for row in report] == [COLUMNS] * len(TABLES)
    assert [row["table"] for row in report] == TABLES
    assert all(row["equal"] is True and isinstance(row["rows"], int) for row in report)
    with sqlite3.connect(source) as conn:
        assert {row["table"]: row["rows"] for row in report}["readings"] == \
            conn.execute("SELECT count(*) FROM readings").fetchone()[0]
    conn.close()


def test_csv_and_quiet(source, out):
    result = gkh("-q", "server", "copy", "--from", str(source), "--to", str(out / "copy.sqlite3"), "-o", "csv",
                 tty=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == ",".join(COLUMNS)
    assert result.stderr == ""


def test_the_same_database_is_refused(source, tmp_path):
    link = tmp_path / "link.sqlite3"
    link.symlink_to(source)
    for target in (source, link):
        result = gkh("server", "copy", "--from", str(source), "--to", str(target))
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1
        assert "--from and --to name the same database" in result.stderr


def test_a_target_that_is_not_empty_is_refused_and_left_alone(source, out):
    target = out / "other.sqlite3"
    assert gkh("server", "copy", "--from", str(source), "--to", str(target)).exit_code == 0
    with sqlite3.connect(target) as conn:  # now another portal, holding rows
        conn.execute("UPDATE portal_settings SET value = 'another' WHERE key = 'portal_id'")
    conn.close()
    before = target.read_bytes()
    result = gkh("server", "copy", "--from", str(source), "--to", str(target))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"gkh: cannot copy to {target}: it is not empty: its table organisations holds rows\n"
    assert target.read_bytes() == before


def test_a_missing_source_is_refused_and_not_created(home, out):
    missing = out / "nowhere" / "portal.sqlite3"
    result = gkh("server", "copy", "--from", str(missing), "--to", str(out / "copy.sqlite3"))
    assert result.exit_code == 2
    assert result.stderr == f"gkh: --from: there is no portal database at {missing}\n"
    assert list(out.iterdir()) == []


def test_a_target_that_cannot_be_used_is_exit_6(source, out):
    result = gkh("server", "copy", "--from", str(source), "--to", str(out))
    assert result.exit_code == 6
    assert result.stderr.count("\n") == 1
    assert "cannot be used" in result.stderr


def test_a_copy_that_differs_is_exit_1_with_the_report_and_no_file(source, out, monkeypatch):
    original = db_copy._copy_table

    def copy_table(src, tx, table, batch):
        tally = original(src, tx, table, batch)
        if table.name == "meters":
            tx.execute("UPDATE meters SET unit = 'x' WHERE id = (SELECT min(id) FROM meters)")
        return tally

    monkeypatch.setattr(db_copy, "_copy_table", copy_table)
    target = out / "copy.sqlite3"
    result = gkh("server", "copy", "--from", str(source), "--to", str(target), "--json")
    assert result.exit_code == 1
    assert {row["table"] for row in json.loads(result.stdout) if not row["equal"]} == {"meters"}
    assert result.stderr == f"gkh: the copy differs from the source in meters; nothing was written to {target}\n"
    assert list(out.iterdir()) == []


def test_a_failed_copy_says_which_table_and_leaves_nothing(source, out, monkeypatch):
    def copy_table(src, tx, table, batch):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(db_copy, "_copy_table", copy_table)
    result = gkh("server", "copy", "--from", str(source), "--to", str(out / "copy.sqlite3"))
    assert result.exit_code == 1
    assert result.stderr == ("gkh: copying the table portal_settings failed: disk I/O error; nothing was written "
                             f"to {out / 'copy.sqlite3'}\n")
    assert list(out.iterdir()) == []


def with_password(url: str) -> str:
    """The cluster trusts every local connection: a password in the URL is accepted and never checked."""
    return url.replace("postgresql://gkh@", "postgresql://gkh:s3cret@")


@pytest.mark.postgres
def test_copy_to_postgresql_and_back_with_the_password_masked(source, out, postgres_cluster):
    name = postgres_cluster.new_database()
    url = with_password(postgres_cluster.url(name))
    try:
        there = gkh("server", "copy", "--from", str(source), "--to", url, "--json")
        assert there.exit_code == 0, there.stderr
        assert "s3cret" not in there.stderr and "gkh:***@" in there.stderr
        back = gkh("server", "copy", "--from", url, "--to", str(out / "back.sqlite3"), "--json")
        assert back.exit_code == 0, back.stderr
        assert json.loads(back.stdout) == json.loads(there.stdout)
        assert portal_id(out / "back.sqlite3") == portal_id(source)
        again = gkh("server", "copy", "--from", str(source), "--to", url)
        assert again.exit_code == 2
        assert "already holds the portal" in again.stderr and "s3cret" not in again.stderr
    finally:
        postgres_cluster.drop_database(name)


@pytest.mark.postgres
def test_a_postgresql_target_that_cannot_be_used_is_one_masked_line(source, postgres_cluster):
    url = with_password(postgres_cluster.url("no_such_database"))
    result = gkh("server", "copy", "--from", str(source), "--to", url)
    assert result.exit_code == 6
    assert result.stderr.count("\n") == 1
    assert "s3cret" not in result.stderr
    assert f"the target database {url.replace(':s3cret@', ':***@')} cannot be used: " in result.stderr
    assert "no_such_database" in result.stderr.split("cannot be used: ")[1]  # the server's own reason


@pytest.mark.postgres
def test_a_failed_copy_to_postgresql_says_it_is_incomplete_and_how_to_start_over(source, postgres_cluster,
                                                                                 monkeypatch):
    original = db_copy._copy_table

    def copy_table(src, tx, table, batch):
        if table.name == "readings":
            raise RuntimeError("connection lost")
        return original(src, tx, table, batch)

    monkeypatch.setattr(db_copy, "_copy_table", copy_table)
    name = postgres_cluster.new_database()
    url = postgres_cluster.url(name)
    try:
        result = gkh("server", "copy", "--from", str(source), "--to", url)
    finally:
        postgres_cluster.drop_database(name)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"gkh: copying the table readings failed: connection lost; the target {url} is "
                                    "incomplete: drop and recreate it (dropdb ")
    assert result.stderr.endswith("), then copy again\n")
