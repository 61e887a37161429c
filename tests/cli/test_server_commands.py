"""`gkh server …`: the demo users, starting over, backups, and serving over HTTP."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import sqlite3
import stat
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from gkh.server.demo import DEMO_RESIDENT_ACCOUNTS, DEMO_USERS, H1_GUID
from tests.helpers import cli
from tests.helpers.demo import SEED_NOW

pytestmark = pytest.mark.sqlite_only  # the data folder's SQLite portal: reset, backup of the file, serving it


def gkh(*args: str):
    """gkh at a terminal."""
    return cli.gkh(*args, tty=True)


def test_server_users_lists_the_demo_logins_and_passwords(home):
    result = gkh("server", "users")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["Login", "Password", "Role"]
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


REFUSED = "gkh: reset deletes every account, reading and payment: add --yes to confirm\n"


@pytest.mark.parametrize("args,tty", [([], False), (["--no-input"], True)], ids=["off a terminal", "--no-input"])
def test_reset_without_yes_where_nobody_may_be_asked_is_2_and_changes_nothing(home, args, tty):
    before = portal_id(home)
    result = cli.gkh(*args, "server", "reset", tty=tty, input="y\n")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", REFUSED)
    assert portal_id(home) == before


def test_reset_on_a_terminal_asks_first(home):
    before = portal_id(home)
    question = f"Delete the portal under {home} and start over? [y/N]: "
    kept = cli.gkh("server", "reset", tty=True, input="n\n")
    assert (kept.exit_code, kept.stdout, kept.stderr) == (1, "", f"{question}gkh: cancelled\n")
    assert portal_id(home) == before
    done = cli.gkh("server", "reset", tty=True, input="y\n")
    assert done.exit_code == 0, done.stderr
    after = portal_id(home)
    assert after != before
    assert (done.stdout, done.stderr) == ("", f"{question}gkh: a new demo portal {after} is ready\n")


def test_quiet_silences_the_notes_of_reset_and_backup(home, tmp_path):
    for args in (["server", "reset", "--yes"], ["server", "backup", str(tmp_path / "copy.sqlite3")]):
        result = cli.gkh("-q", *args)
        assert (result.exit_code, result.stdout, result.stderr) == (0, "", ""), args
    assert (tmp_path / "copy.sqlite3").stat().st_size > 0


def test_backup_writes_a_consistent_copy_and_will_not_overwrite(home, tmp_path):
    target = tmp_path / "copy.sqlite3"
    assert gkh("server", "backup", str(target)).exit_code == 0
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT address FROM houses WHERE guid = ?", (H1_GUID,)).fetchone()[0].endswith("д. 5")
    again = gkh("server", "backup", str(target))
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert gkh("server", "backup", str(target), "--force").exit_code == 0


def store_a_reading(home: Path) -> tuple[str, str]:
    """Submit a reading through the CLI (the live data a bad backup would destroy): (meter id, period)."""
    meter = cli.gkh_json("meter", "list")[0]
    value = Decimal(meter["last_reading"]["values"]["T1"]) + 1
    result = gkh("meter", "submit", meter["id"], str(value), "--json")
    assert result.exit_code == 0, result.stderr
    return meter["id"], json.loads(result.stdout)["period"]


def reading_is_there(home: Path, reading: tuple[str, str]) -> bool:
    with sqlite3.connect(home / "portal.sqlite3") as conn:
        count = conn.execute("SELECT count(*) FROM readings WHERE meter_id = ? AND period = ?", reading).fetchone()[0]
    return count == 1


def one_line(text: str) -> str:
    assert len(text.splitlines()) == 1, text
    return text


def test_backup_is_private_self_contained_and_has_the_latest_data(home, tmp_path):
    reading = store_a_reading(home)
    target = tmp_path / "backups" / "copy.sqlite3"
    target.parent.mkdir()
    old_umask = os.umask(0o022)
    try:
        result = gkh("server", "backup", str(target))
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.stderr
    assert oct(os.stat(target).st_mode & 0o777) == oct(0o600)
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.sqlite3"]  # no temp, no -wal beside it
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT count(*) FROM readings WHERE meter_id = ? AND period = ?", reading).fetchone()[0]


@pytest.mark.parametrize("name", ["portal.sqlite3", "portal.sqlite3-wal", "portal.sqlite3-shm", "portal.sqlite3.lock",
                                  "symlink", "hardlink"])
def test_backup_never_overwrites_the_live_database_or_its_siblings(home, tmp_path, name):
    reading = store_a_reading(home)
    before = portal_id(home)
    target = home / name
    if name == "symlink":
        target = tmp_path / "latest.sqlite3"
        target.symlink_to(home / "portal.sqlite3")
    elif name == "hardlink":
        target = tmp_path / "same.sqlite3"
        os.link(home / "portal.sqlite3", target)
    result = gkh("server", "backup", str(target), "--force")
    assert result.exit_code == 2
    assert "live portal" in one_line(result.stderr) and str(target) in result.stderr
    assert portal_id(home) == before and reading_is_there(home, reading)
    assert gkh("meter", "history", reading[0]).exit_code == 0


def a_device(tmp_path: Path) -> Path:
    """/dev/null, or as root (who could delete it if the check regressed) a null device of our own."""
    if os.geteuid() != 0:
        return Path("/dev/null")
    device = tmp_path / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return device


@pytest.mark.parametrize("kind", ["device", "folder", "fifo", "no folder"])
def test_backup_refuses_what_is_not_a_regular_file(home, tmp_path, kind):
    reading = store_a_reading(home)
    target = a_device(tmp_path) if kind == "device" else {
        "folder": tmp_path / "dir", "fifo": tmp_path / "pipe", "no folder": tmp_path / "missing" / "copy.sqlite3"}[kind]
    if kind == "folder":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    result = gkh("server", "backup", str(target), "--force")
    assert result.exit_code == 2
    assert str(target) in one_line(result.stderr) and "Traceback" not in result.stderr
    assert reading_is_there(home, reading)
    if kind == "device":
        assert stat.S_ISCHR(os.stat(target).st_mode)
    elif kind == "folder":
        assert target.is_dir() and list(target.iterdir()) == []
    elif kind == "fifo":
        assert stat.S_ISFIFO(os.stat(target).st_mode)
    else:
        assert not target.parent.exists()


def test_a_failed_backup_leaves_the_old_one_intact_and_no_half_file(home, tmp_path, monkeypatch):
    target = tmp_path / "copy.sqlite3"
    assert gkh("server", "backup", str(target)).exit_code == 0
    old = target.read_bytes()
    store_a_reading(home)

    def disk_fails(fd):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr("gkh.server.local.os.fsync", disk_fails)
    result = gkh("server", "backup", str(target), "--force")
    assert result.exit_code == 1
    assert one_line(result.stderr) == f"gkh: cannot write the backup {target}: Input/output error\n"
    assert target.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home" and p.name != "config") == ["copy.sqlite3"]


def test_backup_through_a_symlink_replaces_the_file_it_points_to(home, tmp_path):
    real = tmp_path / "real.sqlite3"
    real.write_bytes(b"")
    link = tmp_path / "latest.sqlite3"
    link.symlink_to(real)
    result = gkh("server", "backup", str(link), "--force")
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and real.stat().st_size > 0
    assert f"backed up to {real}" in result.stderr


def test_a_malformed_clock_is_a_usage_error(home, monkeypatch):
    monkeypatch.setenv("GKH_NOW", "next tuesday")
    result = gkh("server", "users")
    assert result.exit_code == 2
    assert "GKH_NOW" in result.stderr and "Traceback" not in result.stderr


def _open_portal(home: str, queue) -> None:
    os.environ["GKH_PASSWORD_COST"] = "4"

    from gkh.server.local import Portal

    portal = Portal(Path(home), SEED_NOW)
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
        assert conn.execute("SELECT count(*) FROM houses").fetchone()[0] == 6  # with the new build
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
