"""Houses' reading windows as the official schema states them: the end in the next month (IsNextMonth), either end
on the month's last day (LastDay) — the schema step (m005) and the rules over HTTP, on both engines.

ivanov's cold-water meter M-000023 is at ул. Ленина, д. 5 (Moscow), which accepts readings every day in the demo
world; each test here gives that house another window. The seeded history has a reading on the 20th of each month
from 2025-11 to 2026-10.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

import pytest

from gkh.domain.readings import canonical as text
from gkh.server.db import open_portal
from gkh.server.demo import DEMO_HOUSES, H1_GUID
from tests.helpers.api import assert_error
from tests.helpers.demo import COLD, SEED_NOW
from tests.helpers.rows import db, stored


def set_window(home, from_day: int, to_day: int, *, to_next_month: bool = False, from_last_day: bool = False,
               to_last_day: bool = False) -> None:
    with db(home) as conn:
        conn.execute("UPDATE houses SET window_from = ?, window_to = ?, window_to_next_month = ?,"
                     " window_from_last_day = ?, window_to_last_day = ? WHERE guid = ?",
                     (from_day, to_day, int(to_next_month), int(from_last_day), int(to_last_day), H1_GUID))


def submit(api, *values: str, **body):
    return api.post(f"/meters/{COLD}/readings", json={"values": list(values), **body})


def last_value(home) -> Decimal:
    return Decimal(json.loads(stored(home, COLD)[-1]["reading_values"])["T1"])


# -- a window ending in the next month (IsNextMonth) -------------------------------------------------------------


def test_readings_in_the_next_months_days_belong_to_the_month_the_window_opened_in(ivanov, home, monkeypatch):
    set_window(home, 20, 5, to_next_month=True)
    october = last_value(home)
    monkeypatch.setenv("GKH_NOW", "2026-12-03T12:00:00+03:00")
    meter = ivanov.get(f"/meters/{COLD}").json()
    assert meter["window"] == {"from": "2026-11-20", "to": "2026-12-05", "open": True, "period": "2026-11",
                               "from_day": 20, "from_last_day": False, "to_day": 5, "to_last_day": False,
                               "to_next_month": True}
    resp = submit(ivanov, text(october + 4))
    assert resp.status_code == 201, resp.text
    assert (resp.json()["period"], resp.json()["date"], resp.json()["consumption"]) == (
        "2026-11", "2026-12-03", {"T1": "4"})
    # the same period while its window is open: a date in November too, or the window's last day
    assert submit(ivanov, text(october + 3), date="30.11.2026").json()["status"] == "replaced"
    monkeypatch.setenv("GKH_NOW", "2026-12-05T23:59:00+03:00")
    again = submit(ivanov, text(october + 5))
    assert (again.status_code, again.json()["period"], again.json()["status"]) == (200, "2026-11", "replaced")
    assert [(r["period"], r["taken_on"]) for r in stored(home, COLD, "2026-11")] == [("2026-11", "2026-12-05")]
    # the history's latest period is the one readings are taken for now, November
    history = ivanov.get(f"/meters/{COLD}/readings", params={"months": 1}).json()["items"]
    assert [(h["period"], h["date"]) for h in history] == [("2026-11", "2026-12-05")]


def test_between_two_windows_the_next_one_is_named_and_its_period_is_the_new_month(ivanov, home, monkeypatch):
    set_window(home, 20, 5, to_next_month=True)
    october = last_value(home)
    monkeypatch.setenv("GKH_NOW", "2026-12-06T00:30:00+03:00")
    error = assert_error(submit(ivanov, text(october + 4)), 422, "outside_window")
    assert error["message"] == ("readings for this house are accepted from the 20th of each month to the 5th of the"
                                " next; today is 06.12.2026 in the house's time zone; the next window opens"
                                " 20.12.2026")
    assert error["details"] == {"from_day": "20", "to_day": "5", "to_next_month": "true",
                                "next_opening": "2026-12-20"}
    window = ivanov.get(f"/meters/{COLD}").json()["window"]
    assert (window["from"], window["to"], window["open"], window["period"]) == (
        "2026-12-20", "2027-01-05", False, "2026-12")
    # across the year end: from the 20th of December to the 5th of January, all December's
    for now, taken in (("2026-12-20T09:00:00+03:00", "2026-12-20"), ("2027-01-05T09:00:00+03:00", "2027-01-05")):
        monkeypatch.setenv("GKH_NOW", now)
        resp = submit(ivanov, text(october + 6))
        assert resp.status_code in (200, 201), resp.text
        assert (resp.json()["period"], resp.json()["date"]) == ("2026-12", taken)
    # a date in the tail of November's window, closed now
    error = assert_error(submit(ivanov, text(october + 6), date="05.12.2026"), 422, "period_closed", "date")
    assert "2026-11" in error["message"]
    assert [r["period"] for r in stored(home, COLD)][-2:] == ["2026-10", "2026-12"]


@pytest.mark.parametrize(("now", "period", "taken"), [
    ("2027-02-28T12:00:00+03:00", "2027-02", "2027-02-28"),  # February's own days, 28 of them
    ("2027-03-01T12:00:00+03:00", "2027-02", "2027-03-01"),
    ("2027-03-05T12:00:00+03:00", "2027-02", "2027-03-05"),
    ("2028-02-29T12:00:00+03:00", "2028-02", "2028-02-29"),  # a leap year's
    ("2028-03-05T12:00:00+03:00", "2028-02", "2028-03-05"),
])
def test_february_and_its_tail_in_march(ivanov, home, monkeypatch, now, period, taken):
    set_window(home, 20, 5, to_next_month=True)
    with db(home) as conn:  # a sign-in lasts 90 days, and the meter is due for verification in February 2027
        conn.execute("UPDATE tokens SET expires_at = '2030-01-01T00:00:00+00:00'")
        conn.execute("UPDATE meters SET verification_due = '2030-01-01' WHERE id = ?", (COLD,))
    monkeypatch.setenv("GKH_NOW", now)
    resp = submit(ivanov, text(last_value(home) + 7))
    assert resp.status_code == 201, resp.text
    assert (resp.json()["period"], resp.json()["date"]) == (period, taken)


def test_a_window_from_the_last_day_to_the_third_of_the_next_month(ivanov, home, monkeypatch):
    set_window(home, 31, 3, from_last_day=True, to_next_month=True)
    monkeypatch.setenv("GKH_NOW", "2026-11-29T12:00:00+03:00")
    error = assert_error(submit(ivanov, text(last_value(home) + 4)), 422, "outside_window")
    assert error["message"].startswith("readings for this house are accepted from the last day of each month to the"
                                       " 3rd of the next; today is 29.11.2026")
    assert error["message"].endswith("the next window opens 30.11.2026")
    monkeypatch.setenv("GKH_NOW", "2026-12-02T12:00:00+03:00")
    resp = submit(ivanov, text(last_value(home) + 4))
    assert (resp.status_code, resp.json()["period"]) == (201, "2026-11")
    window = ivanov.get(f"/meters/{COLD}").json()["window"]
    assert (window["from"], window["to"], window["from_day"], window["from_last_day"]) == (
        "2026-11-30", "2026-12-03", 31, True)


# -- a window ending on the month's last day (LastDay) ------------------------------------------------------------


def test_a_window_to_the_months_last_day_closes_at_its_end_in_the_houses_zone(ivanov, home, monkeypatch):
    set_window(home, 20, 31, to_last_day=True)
    monkeypatch.setenv("GKH_NOW", "2026-11-30T20:59:00+00:00")  # 23:59 on the 30th in Moscow
    window = ivanov.get(f"/meters/{COLD}").json()["window"]
    assert window == {"from": "2026-11-20", "to": "2026-11-30", "open": True, "period": "2026-11", "from_day": 20,
                      "from_last_day": False, "to_day": 31, "to_last_day": True, "to_next_month": False}
    assert submit(ivanov, text(last_value(home) + 4)).status_code == 201
    monkeypatch.setenv("GKH_NOW", "2026-11-30T21:30:00+00:00")  # 00:30 on 1 December in Moscow
    error = assert_error(submit(ivanov, text(last_value(home) + 4)), 422, "outside_window")
    assert error["message"].startswith("readings for this house are accepted from the 20th to the last day of each"
                                       " month; today is 01.12.2026")


# -- the schema ---------------------------------------------------------------------------------------------------


def test_every_demo_house_keeps_its_window_within_the_month(home):
    with db(home) as conn:
        rows = {r["guid"]: r for r in conn.execute("SELECT * FROM houses")}
    for house in DEMO_HOUSES.values():
        row = rows[house.guid]
        assert (row["window_from"], row["window_to"], row["window_to_next_month"], row["window_from_last_day"],
                row["window_to_last_day"]) == (house.window_from, house.window_to, 0, 0, 0)


@pytest.mark.parametrize("columns", [
    {"window_from": 20, "window_to": 25, "window_to_next_month": 1},  # would hold the 20th–25th twice
    {"window_from": 31, "window_to": 28, "window_to_next_month": 1},  # the 28th of February twice
    {"window_from": 20, "window_to": 5},  # ends before it starts, in the same month
    {"window_from": 20, "window_to": 25, "window_to_last_day": 1},
    {"window_from": 30, "window_from_last_day": 1},
    {"window_to_next_month": 2},
])
def test_the_database_refuses_a_window_the_rules_refuse(portal, home, columns):
    sets = ", ".join(f"{name} = ?" for name in columns)
    with pytest.raises(Exception, match="(?i)check"):
        with db(home) as conn:
            conn.execute(f"UPDATE houses SET {sets} WHERE guid = ?", (*columns.values(), H1_GUID))
    with db(home) as conn:
        row = conn.execute("SELECT window_from, window_to FROM houses WHERE guid = ?", (H1_GUID,)).fetchone()
    assert (row["window_from"], row["window_to"]) == (1, 31)


def _back_to_schema_4(engine: str, home, url: str | None) -> None:
    """Make the portal's houses as m001 made them (window_to no earlier than window_from, no m005 columns) and
    its schema version 4, as a portal from before m005."""
    if engine == "postgres":
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            for column in ("window_to_next_month", "window_from_last_day", "window_to_last_day"):
                conn.execute(f"ALTER TABLE houses DROP COLUMN {column}")
            conn.execute("ALTER TABLE houses DROP CONSTRAINT houses_window_to_check")
            conn.execute("ALTER TABLE houses ADD CONSTRAINT houses_check CHECK (window_to BETWEEN window_from AND 31)")
            conn.execute("UPDATE gkh_schema_version SET version = 4")
        return
    conn = sqlite3.connect(home / "portal.sqlite3", isolation_level=None)
    try:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'houses'").fetchone()[0]
        old = sql[:sql.index(", window_to_next_month")].replace("window_to BETWEEN 1 AND 31",
                                                                  "window_to BETWEEN window_from AND 31") + ")"
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("BEGIN")
        conn.execute(old.replace("CREATE TABLE houses", "CREATE TABLE houses_v4"))
        columns = ", ".join(r[1] for r in conn.execute("PRAGMA table_info(houses_v4)"))
        conn.execute(f"INSERT INTO houses_v4 SELECT {columns} FROM houses")
        conn.execute("DROP TABLE houses")
        conn.execute("ALTER TABLE houses_v4 RENAME TO houses")
        conn.execute("CREATE INDEX houses_town ON houses(town)")  # an index the step must keep
        conn.execute("PRAGMA user_version = 4")
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_an_older_portal_gains_the_columns_keeping_its_houses_and_their_windows(engine, request, home):
    url = request.getfixturevalue("pg_database") if engine == "postgres" else None
    _back_to_schema_4(engine, home, url)
    with db(home) as conn:
        before = [dict(r) for r in conn.execute("SELECT * FROM houses ORDER BY guid")]
        accounts = conn.execute("SELECT count(*) FROM accounts").fetchone()[0]
        with pytest.raises(Exception, match="(?i)check"):  # m001's rule: no window to the next month
            conn.execute("UPDATE houses SET window_from = 20, window_to = 5 WHERE guid = ?", (H1_GUID,))
    store = open_portal(url or home / "portal.sqlite3", SEED_NOW)
    store.close()
    with db(home) as conn:
        after = [dict(r) for r in conn.execute("SELECT * FROM houses ORDER BY guid")]
        # The defaults keep every window as it was (the columns of later steps, m008's inspectorate, aside).
        m005 = ("window_to_next_month", "window_from_last_day", "window_to_last_day")
        assert [{k: row[k] for k in (*old, *m005)} for row, old in zip(after, before, strict=True)] \
            == [{**old, **dict.fromkeys(m005, 0)} for old in before]
        assert conn.execute("SELECT count(*) FROM accounts").fetchone()[0] == accounts
        conn.execute("UPDATE houses SET window_from = 20, window_to = 5, window_to_next_month = 1 WHERE guid = ?",
                     (H1_GUID,))
    if engine == "sqlite":
        with sqlite3.connect(home / "portal.sqlite3") as conn:
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'houses_town'").fetchone()
            with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):  # still enforced
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("UPDATE accounts SET house_guid = 'nowhere' WHERE id = 1")
