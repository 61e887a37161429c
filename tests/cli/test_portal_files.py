"""The portal's files hold personal data: private whatever the umask, and a warning when they are not."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

from tests.helpers.cli import gkh
from tests.helpers.fs import mode

pytestmark = pytest.mark.sqlite_only  # the modes of the SQLite portal's files


def warnings(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning:")]


@pytest.fixture
def exposed(tmp_path):
    """A folder others can reach (pytest's own temp folders are 0700, which would hide everything in them)."""
    base = Path(tempfile.mkdtemp(prefix="gkh-exposed-"))
    os.chmod(base, 0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def copy_portal(seeded_db: Path, home: Path, file_mode: int) -> None:
    with sqlite3.connect(seeded_db) as src, sqlite3.connect(home / "portal.sqlite3") as dest:
        src.backup(dest)
    src.close()
    dest.close()
    os.chmod(home / "portal.sqlite3", file_mode)


@pytest.fixture
def umask_zero():
    old = os.umask(0)
    yield
    os.umask(old)


def test_a_new_portal_is_private_whatever_the_umask(tmp_path, monkeypatch, umask_zero):
    home = tmp_path / "new" / "gkh"
    monkeypatch.setenv("GKH_HOME", str(home))
    monkeypatch.setenv("GKH_CONFIG_DIR", str(tmp_path / "config"))
    result = gkh("account", "list")
    assert result.exit_code == 0, result.stderr
    assert warnings(result) == []
    assert mode(home) == 0o700
    files = [p for p in home.iterdir()]
    assert {p.name for p in files} >= {"portal.sqlite3", "portal.sqlite3-wal", "portal.sqlite3.lock"}
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    target = tmp_path / "copy.sqlite3"
    assert gkh("server", "backup", str(target)).exit_code == 0
    assert mode(target) == 0o600


def test_portal_files_open_to_others_are_made_private_and_said_so_once(exposed, seeded_db, tmp_path, monkeypatch):
    home = exposed / "home"
    home.mkdir()
    os.chmod(home, 0o755)
    copy_portal(seeded_db, home, 0o644)
    monkeypatch.setenv("GKH_HOME", str(home))
    monkeypatch.setenv("GKH_CONFIG_DIR", str(tmp_path / "config"))
    result = gkh("account", "list")
    assert result.exit_code == 0, result.stderr
    assert warnings(result) == [f"warning: the data folder {home} is open to others (0755); the portal's files "
                                f"portal.sqlite3 (0644) were open to others: made them private; run: chmod 700 {home}"]
    assert {p.name: mode(p) for p in home.iterdir()} == {p.name: 0o600 for p in home.iterdir()}
    os.chmod(home, 0o700)
    assert warnings(gkh("account", "list")) == []


def test_a_data_folder_the_user_chose_is_warned_about_but_left_alone(exposed, seeded_db, tmp_path, monkeypatch):
    home = exposed / "shared"
    home.mkdir()
    os.chmod(home, 0o755)
    copy_portal(seeded_db, home, 0o600)
    monkeypatch.setenv("GKH_HOME", str(home))
    monkeypatch.setenv("GKH_CONFIG_DIR", str(tmp_path / "config"))
    expected = [f"warning: the data folder {home} is open to others (0755); run: chmod 700 {home}"]
    for args in (["account", "list"], ["server", "users"], ["server", "backup", str(tmp_path / "b.sqlite3")]):
        result = gkh(*args)
        assert result.exit_code == 0, result.stderr
        assert warnings(result) == expected, args
    assert mode(home) == 0o755


def test_gkh_own_default_data_folder_is_made_private(exposed, seeded_db, tmp_path, monkeypatch):
    own = exposed / "xdg" / "gkh"
    own.mkdir(parents=True)
    os.chmod(exposed / "xdg", 0o755)
    os.chmod(own, 0o755)
    copy_portal(seeded_db, own, 0o644)
    monkeypatch.delenv("GKH_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(exposed / "xdg"))
    monkeypatch.setenv("GKH_CONFIG_DIR", str(tmp_path / "config"))
    result = gkh("server", "users")
    assert result.exit_code == 0, result.stderr
    assert warnings(result) == [f"warning: the data folder {own} was open to others (0755): made it private; "
                                "the portal's files portal.sqlite3 (0644) were open to others: made them private"]
    assert mode(own) == 0o700 and mode(own / "portal.sqlite3") == 0o600
    assert warnings(gkh("server", "users")) == []


def test_a_folder_inside_a_private_one_is_not_exposed_and_not_warned_about(home, tmp_path):
    os.chmod(home, 0o755)  # but tmp_path's ancestors are 0700: nobody else can reach it
    os.chmod(home / "portal.sqlite3", 0o644)
    result = gkh("account", "list")
    assert result.exit_code == 0 and warnings(result) == []
    assert mode(home / "portal.sqlite3") == 0o600  # the portal's own files are made private all the same
    assert mode(home) == 0o755


def test_starting_over_keeps_the_portal_private(home, umask_zero):
    assert gkh("server", "reset", "--yes").exit_code == 0
    assert {p.name: mode(p) for p in home.iterdir()} == {p.name: 0o600 for p in home.iterdir()}
