"""`gkh server … --db` / GKH_DB: the server commands on a database other than the data folder's, SQLite or
PostgreSQL; a database URL never shown with its password."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from gkh.server.demo import DEMO_USERS
from gkh.server.local import mask_url, pg_dump_command
from tests.helpers import cli


def gkh(*args: str, env: dict | None = None):
    return cli.gkh(*args, tty=True, env=env)


def setting(db: Path, key: str) -> str | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT value FROM portal_settings WHERE key = ?", (key,)).fetchone()
    conn.close()
    return row[0] if row else None


@pytest.fixture
def other(home, tmp_path) -> Path:
    """A second demo portal in a file of its own, outside the data folder; the data folder's portal is made
    a portal that is not a demo, so `server users` tells which of the two a command opened."""
    path = tmp_path / "elsewhere" / "other.sqlite3"
    path.parent.mkdir(mode=0o700)
    with sqlite3.connect(home / "portal.sqlite3") as src, sqlite3.connect(path) as dest:
        src.backup(dest)
        dest.execute("UPDATE portal_settings SET value = ? WHERE key = 'portal_id'", (secrets.token_hex(8),))
        src.execute("UPDATE portal_settings SET value = '0' WHERE key = 'demo'")
    src.close()
    dest.close()
    return path


def logins(result) -> list[str]:
    assert result.exit_code == 0, result.stderr
    return [row["login"] for row in json.loads(result.stdout)]


def test_users_with_db_opens_that_sqlite_file(home, other):
    assert gkh("server", "users").exit_code == 1  # the data folder's portal: not a demo
    assert logins(gkh("server", "users", "--json", "--db", str(other))) == [u.login for u in DEMO_USERS]


def test_gkh_db_names_the_database_and_db_wins_over_it(home, other):
    assert logins(gkh("server", "users", "--json", env={"GKH_DB": str(other)})) == [u.login for u in DEMO_USERS]
    result = gkh("server", "users", "--json", "--db", str(home / "portal.sqlite3"), env={"GKH_DB": str(other)})
    assert result.exit_code == 1
    assert "not a demo portal" in result.stderr
    assert logins(gkh("server", "users", "--json", "--db", str(other), env={"GKH_DB": str(home / "portal.sqlite3")}))


def test_an_empty_gkh_db_is_the_data_folders_portal(home, other):
    assert gkh("server", "users", "--json", env={"GKH_DB": ""}).exit_code == 1


def test_the_embedded_cli_ignores_gkh_db(home, tmp_path):
    nowhere = tmp_path / "never" / "created.sqlite3"
    result = gkh("account", "list", env={"GKH_DB": str(nowhere)})
    assert result.exit_code == 0, result.stderr
    assert not nowhere.parent.exists()


def test_backup_with_db_copies_that_file(home, other, tmp_path):
    target = tmp_path / "copy.sqlite3"
    result = gkh("server", "backup", str(target), "--db", str(other))
    assert result.exit_code == 0, result.stderr
    assert setting(target, "portal_id") == setting(other, "portal_id") != setting(home / "portal.sqlite3",
                                                                                    "portal_id")
    refused = gkh("server", "backup", str(other), "--db", str(other), "--force")
    assert refused.exit_code == 2
    assert "live portal" in refused.stderr


def test_reset_with_db_starts_that_file_over_and_leaves_the_data_folder_alone(home, other):
    home_id, other_id = setting(home / "portal.sqlite3", "portal_id"), setting(other, "portal_id")
    result = gkh("server", "reset", "--yes", "--db", str(other))
    assert result.exit_code == 0, result.stderr
    assert setting(other, "portal_id") not in (None, other_id)
    assert setting(other, "demo") == "1"
    assert setting(home / "portal.sqlite3", "portal_id") == home_id


def test_a_db_that_cannot_be_used_is_one_line_and_exit_6(home, tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    result = gkh("server", "users", "--json", "--db", str(folder))
    assert result.exit_code == 6
    assert len(result.stderr.strip().splitlines()) == 1
    assert str(folder) in result.stderr


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://gkh:s3cret@db.example.org:5433/gkh", "postgresql://gkh:***@db.example.org:5433/gkh"),
    ("postgres://gkh:p%40ss@db/gkh?sslmode=require", "postgres://gkh:***@db/gkh?sslmode=require"),
    ("postgresql://db/gkh?user=gkh&password=s3cret", "postgresql://db/gkh?user=gkh&password=***"),
    ("postgresql://gkh@db/gkh", "postgresql://gkh@db/gkh"),
    ("/var/lib/gkh/portal.sqlite3", "/var/lib/gkh/portal.sqlite3"),
])
def test_mask_url_hides_the_password(url, shown):
    assert mask_url(url) == shown
    assert mask_url(f"cannot connect to {url} (refused)") == f"cannot connect to {shown} (refused)"


def test_pg_dump_command_has_no_password():
    assert pg_dump_command("postgresql://gkh:s3cret@db:5433/gkh", Path("gkh backup.dump")) == \
        "pg_dump --format=custom --file 'gkh backup.dump' 'postgresql://gkh@db:5433/gkh'"


def test_backup_on_postgresql_says_to_use_pg_dump(home, tmp_path):
    target = tmp_path / "portal.dump"
    url = "postgresql://gkh:s3cret@db.example.org:5433/gkh"
    result = gkh("server", "backup", str(target), "--db", url)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert f"pg_dump --format=custom --file {target} 'postgresql://gkh@db.example.org:5433/gkh'" in result.stderr
    assert "s3cret" not in result.stderr
    assert not target.exists()


def test_reset_on_postgresql_refuses_and_says_how(home):
    result = gkh("server", "reset", "--yes", env={"GKH_DB": "postgresql://gkh:s3cret@db.example.org:5433/gkh"})
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "dropdb -h db.example.org -p 5433 -U gkh gkh && createdb -h db.example.org -p 5433 -U gkh gkh" \
        in result.stderr
    assert "s3cret" not in result.stderr


def with_password(url: str) -> str:
    """The cluster trusts every local connection: a password in the URL is accepted and never checked."""
    return url.replace("postgresql://gkh@", "postgresql://gkh:s3cret@")


@pytest.mark.postgres
def test_users_on_postgresql_lists_the_demo_users(pg_database):
    url = with_password(pg_database)
    assert logins(gkh("server", "users", "--json", "--db", url)) == [u.login for u in DEMO_USERS]
    assert logins(gkh("server", "users", "--json", env={"GKH_DB": url})) == [u.login for u in DEMO_USERS]


@pytest.mark.postgres
def test_a_postgresql_database_that_cannot_be_used_is_masked(home, postgres_cluster, monkeypatch):
    monkeypatch.setattr("gkh.server.db.postgres.POOL_TIMEOUT_S", 1.0)
    url = with_password(postgres_cluster.url("no_such_database"))
    result = gkh("server", "users", "--json", "--db", url)
    assert result.exit_code == 6
    assert "s3cret" not in result.stderr
    assert "gkh:***@" in result.stderr


@pytest.mark.e2e
@pytest.mark.postgres
def test_server_run_on_postgresql_says_what_it_serves_from_masked(pg_database, pg_portal):
    import requests

    url = with_password(pg_database)
    gkh_bin = Path(sys.executable).with_name("gkh")
    proc = subprocess.Popen([str(gkh_bin), "server", "run", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "GKH_DB": url})
    try:
        base = proc.stdout.readline().strip()
        assert requests.get(f"{base}/api/v1/portal", timeout=10).json()["id"] == pg_portal.portal_id
        note = proc.stderr.readline()
        assert f"from {mask_url(url)}" in note
        assert "s3cret" not in note
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.e2e
def test_server_run_with_db_says_the_file(home, other):
    gkh_bin = Path(sys.executable).with_name("gkh")
    proc = subprocess.Popen([str(gkh_bin), "server", "run", "--port", "0", "--db", str(other)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert proc.stdout.readline().startswith("http://127.0.0.1:")
        note = proc.stderr.readline()
        assert f"portal {setting(other, 'portal_id')} from {other}" in note
    finally:
        proc.terminate()
        proc.wait(timeout=10)
