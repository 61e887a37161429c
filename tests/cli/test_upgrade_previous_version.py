"""A portal file made by the previous version of gkh, opened by this one: migrated in place after a copy of it is
kept, nothing of it lost, and the new features working on it.

tests/data/portal-v10.sqlite3.xz was made by gkh at schema version 10 (before the batch imports of issue 15 and the
portal administration of issue 16): its embedded demo portal at 2026-11-20 10:00 Moscow time, where the demo
resident then submitted a cold-water reading (2680,5 for M-000023) and paid the electricity bill from the wallet
(P-000001). To keep the file small, the two houses at пр-т Мира (2 304 meterless flats) were then dropped, with the
bills before 2026-08 and the readings before 2026-06 of the accounts nobody has linked (VACUUM; integrity and
foreign keys checked).
"""

from __future__ import annotations

import json
import lzma
import sqlite3
import stat
from pathlib import Path

import pytest

from gkh.server.db import SCHEMA_VERSION
from tests.helpers.cli import gkh, gkh_json, login

pytestmark = pytest.mark.sqlite_only

FIXTURE = Path(__file__).parent.parent / "data" / "portal-v10.sqlite3.xz"
PREVIOUS = 10
# What the previous version's users had made: their rows must all be there after the upgrade.
KEPT = ("organisations", "houses", "flats", "owners", "users", "accounts", "account_links", "meters", "readings",
        "bills", "bill_lines", "wallets", "payments", "payment_bills", "receipts", "uploads", "meetings",
        "meeting_questions", "meeting_votes", "appeal_topics", "appeals", "appeal_files", "outages")
MOSCOW_HOUSE = "83804ac7-87c6-472e-a474-d02c6f740e9c"  # г. Москва, ул. Ленина, д. 5


def _contents(path: Path) -> dict[str, list[tuple]]:
    """Every kept table's rows, in a stable order."""
    with sqlite3.connect(path) as conn:
        return {table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr) for table in KEPT}


def _columns(path: Path, table: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


@pytest.fixture
def old_home(tmp_path, monkeypatch) -> Path:
    """A data folder holding the previous version's portal file, as its user left it."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    db = home / "portal.sqlite3"
    db.write_bytes(lzma.decompress(FIXTURE.read_bytes()))
    db.chmod(0o600)
    monkeypatch.setenv("GKH_HOME", str(home))
    monkeypatch.setenv("GKH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("GKH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("GKH_NOW", "2026-11-21T10:00:00+03:00")
    return home


def test_the_fixture_is_the_previous_versions_portal(old_home):
    with sqlite3.connect(old_home / "portal.sqlite3") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == PREVIOUS
        assert conn.execute("SELECT value FROM portal_settings WHERE key = 'demo'").fetchone() == ("1",)
    assert "payer_kind" not in _columns(old_home / "portal.sqlite3", "accounts")
    with sqlite3.connect(old_home / "portal.sqlite3") as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'closed_periods'").fetchone() is None


def test_the_first_command_copies_the_old_portal_then_migrates_it_keeping_every_row(old_home, caplog):
    db = old_home / "portal.sqlite3"
    before = _contents(db)

    first = gkh("account", "list", "--json")

    assert first.exit_code == 0, first.stderr
    said = caplog.text  # the binary's log handler writes it to stderr
    assert f"schema version {PREVIOUS}: copied to " in said and f"v{PREVIOUS}.bak" in said
    # The demo resident's accounts (signed in anew: the old profile is not here).
    assert {a["els"] for a in json.loads(first.stdout)} == {"77ЕЖ532838", "77ИВ845392"}
    copy = old_home / f"portal.sqlite3.v{PREVIOUS}.bak"
    assert copy.exists() and stat.S_IMODE(copy.stat().st_mode) == 0o600
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == PREVIOUS
    assert _contents(copy) == before  # the copy is the portal as it was
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # The later steps' columns, with their defaults for the old rows.
        assert conn.execute("SELECT DISTINCT payer_kind FROM accounts").fetchall() == [("owner",)]
        assert conn.execute("SELECT region_code FROM houses WHERE guid = ?", (MOSCOW_HOUSE,)).fetchone() == ("77",)
        assert conn.execute("SELECT count(*) FROM users WHERE must_change_password = 1 OR disabled_at IS NOT NULL"
                            ).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM owners WHERE registered_at IS NOT NULL OR ended_at IS NOT NULL"
                            ).fetchone() == (0,)  # every old owner in the register since before it was kept
    after = _contents(db)
    for table in KEPT:
        if table == "houses":  # the demo world's later part: the new build at ул. Строителей, д. 3
            assert set(before[table]) <= {row[:len(before[table][0])] for row in after[table]}
            assert len(after[table]) == len(before[table]) + 1
        elif table in ("accounts", "users", "owners"):  # rows widened by the new columns, their old values kept
            width = len(before[table][0])
            assert sorted((row[:width] for row in after[table]), key=repr) == before[table], table
        else:
            assert after[table] == before[table], table

    again = gkh("account", "list")  # at the current version: no second copy, nothing said
    assert again.exit_code == 0 and "schema" not in again.stderr
    assert sorted(p.name for p in old_home.iterdir() if ".bak" in p.name) == [copy.name]


def test_the_old_portals_people_carry_on_and_the_new_rules_apply_to_it(old_home):
    gkh_json("account", "list")  # the upgrade
    payments = gkh_json("payment", "list")
    assert [(p["id"], p["status"], p["total"]) for p in payments] == [("P-000001", "succeeded", "2348.80")]
    bills = {b["id"]: b["status"] for b in gkh_json("bill", "list")}
    assert bills["77ИВ845392-01-2610"] == "paid"
    history = gkh_json("meter", "history", "M-000023")
    assert [(r["period"], r["values"]["T1"]) for r in history if r["period"] == "2026-11"] == [("2026-11", "2680.5")]

    # The window is open: the resident changes the month's reading; then the managing organisation's staff close
    # the month (issue 16) and the reading is final.
    assert gkh("meter", "submit", "M-000023", "2681,5").exit_code == 0
    login("staff", "uk-staff")
    closed = gkh("--profile", "staff", "admin", "period", "close", "2026-11", "--house", MOSCOW_HOUSE)
    assert closed.exit_code == 0, closed.stderr
    refused = gkh("meter", "submit", "M-000023", "2682")
    assert refused.exit_code == 5 and "closed" in refused.stderr
    history = gkh_json("meter", "history", "M-000023")
    assert [r["values"]["T1"] for r in history if r["period"] == "2026-11"] == ["2681.5"]
