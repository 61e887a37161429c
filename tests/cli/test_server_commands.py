"""`gkh server …`: the demo users, starting over, backups, and serving over HTTP."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from gkh.cli import app
from gkh.server.demo import DEMO_RESIDENT_ACCOUNTS, DEMO_USERS, H1_GUID


def gkh(*args: str):
    return CliRunner().invoke(app, list(args), env={"GKH_FORCE_TTY": "1"})


def test_server_users_lists_the_demo_logins_and_passwords(home):
    result = gkh("server", "users")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["login", "password", "role"]
    assert any(line.split()[:3] == ["ivanov", "ivanov-demo-2026", "resident"] for line in lines)


def test_server_users_json(home):
    result = gkh("server", "users", "--json")
    rows = json.loads(result.stdout)
    assert [r["login"] for r in rows] == [u.login for u in DEMO_USERS]
    assert {r["role"] for r in rows} == {"resident", "staff", "inspector", "admin"}


def test_server_users_refuses_on_a_portal_that_is_not_a_demo(home):
    with sqlite3.connect(home / "portal.sqlite3") as conn:
        conn.execute("UPDATE portal_settings SET value = '0' WHERE key = 'demo'")
    result = gkh("server", "users")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "not a demo portal" in result.stderr


def portal_id(home: Path) -> str:
    with sqlite3.connect(home / "portal.sqlite3") as conn:
        return conn.execute("SELECT value FROM portal_settings WHERE key = 'portal_id'").fetchone()[0]


def test_reset_starts_over_with_a_new_portal_id_and_a_fresh_world(home):
    before = portal_id(home)
    with sqlite3.connect(home / "portal.sqlite3") as conn:
        conn.execute("DELETE FROM account_links")
    result = gkh("server", "reset", "--yes")
    assert result.exit_code == 0, result.output
    assert portal_id(home) != before
    with sqlite3.connect(home / "portal.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM account_links").fetchone()[0] == len(DEMO_RESIDENT_ACCOUNTS)


def test_reset_off_a_terminal_without_yes_changes_nothing(home):
    before = portal_id(home)
    result = gkh("server", "reset")
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert portal_id(home) == before


def test_backup_writes_a_consistent_copy_and_will_not_overwrite(home, tmp_path):
    target = tmp_path / "copy.sqlite3"
    assert gkh("server", "backup", str(target)).exit_code == 0
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT address FROM houses WHERE guid = ?", (H1_GUID,)).fetchone()[0].endswith("д. 5")
    again = gkh("server", "backup", str(target))
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert gkh("server", "backup", str(target), "--force").exit_code == 0


def test_a_malformed_clock_is_a_usage_error(home, monkeypatch):
    monkeypatch.setenv("GKH_NOW", "next tuesday")
    result = gkh("server", "users")
    assert result.exit_code == 2
    assert "GKH_NOW" in result.stderr and "Traceback" not in result.stderr


def test_the_demo_resident_token_works_in_process_only(portal, monkeypatch):
    from datetime import UTC, datetime

    from falcon import testing

    token, expires = portal.demo_resident_token(datetime(2026, 11, 20, tzinfo=UTC))
    client = testing.TestClient(portal.app)
    me = client.simulate_get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json
    assert me["login"] == "ivanov"
    assert expires.isoformat().startswith("2027-02-18")


def _open_portal(home: str, queue) -> None:
    os.environ["GKH_PASSWORD_COST"] = "4"
    from datetime import UTC, datetime

    from gkh.server.local import Portal

    portal = Portal(Path(home), datetime(2026, 11, 20, tzinfo=UTC))
    queue.put(portal.portal_id)


def test_concurrent_first_use_creates_one_world(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_open_portal, args=(str(tmp_path / "fresh"), queue)) for _ in range(4)]
    for w in workers:
        w.start()
    ids = {queue.get(timeout=60) for _ in workers}
    for w in workers:
        w.join(timeout=60)
    assert len(ids) == 1
    with sqlite3.connect(tmp_path / "fresh" / "portal.sqlite3") as conn:
        assert conn.execute("SELECT count(*) FROM houses").fetchone()[0] == 5
        assert conn.execute("SELECT count(*) FROM users WHERE login = 'ivanov'").fetchone()[0] == 1


@pytest.mark.e2e
def test_server_run_on_a_free_port_serves_the_api(home):
    gkh_bin = Path(sys.executable).with_name("gkh")
    proc = subprocess.Popen([str(gkh_bin), "server", "run", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        info = requests.get(f"{url}/api/v1/portal", timeout=10).json()
        assert info["id"] == portal_id(home)
        token = requests.post(f"{url}/api/v1/auth/token", json={"login": "ivanov", "password": "ivanov-demo-2026"},
                              timeout=10).json()["token"]
        accounts = requests.get(f"{url}/api/v1/accounts", headers={"Authorization": f"Bearer {token}"},
                                timeout=10).json()
        assert [a["els"] for a in accounts["items"]] == DEMO_RESIDENT_ACCOUNTS
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_server_run_reports_a_busy_port_in_one_line(home):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = gkh("server", "run", "--port", str(busy.getsockname()[1]))
    assert result.exit_code == 1
    assert result.stderr.startswith("gkh: cannot listen on 127.0.0.1:")
