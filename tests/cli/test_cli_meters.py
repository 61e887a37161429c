"""gkh meter: list, submit (for people and for cron), history — on the embedded portal (local://, always SQLite);
a lost answer retried through the client, on each engine."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from tests.helpers.cli import gkh, gkh_json, login
from tests.helpers.demo import COLD, HOT, POWER, SEED_NOW
from tests.helpers.rows import db, stored


def stored_since_the_seed(home, meter: str) -> list[tuple[str, str, str]]:
    """(period, date, values) of the meter's readings from 2026-11 on: what was stored after the seeded history."""
    return [(r["period"], r["taken_on"], r["reading_values"]) for r in stored(home, meter) if r["period"] >= "2026-11"]


def test_meter_list_in_every_format(home):
    meters = gkh_json("meter", "list")
    assert [m["id"] for m in meters] == [COLD, HOT, POWER]
    power = meters[2]
    assert set(power) == {"id", "serial", "resource", "unit", "zones", "account", "house", "last_reading",
                          "verification_due", "overdue", "window"}
    assert power["zones"] == ["T1", "T2", "T3"] and power["unit"] == "kWh"
    assert power["window"] == {"from": "2026-11-01", "to": "2026-11-30", "open": True, "period": "2026-11",
                               "from_day": 1, "from_last_day": False, "to_day": 31, "to_last_day": False,
                               "to_next_month": False}
    rows = list(csv.DictReader(io.StringIO(gkh("meter", "list", "-o", "csv").stdout)))
    assert rows[2]["zones"] == "T1;T2;T3" and rows[2]["window.open"] == "true" and rows[2]["overdue"] == "false"
    assert rows[2]["last_reading.values.T3"] == power["last_reading"]["values"]["T3"]
    assert len(gkh("meter", "list").stdout.splitlines()) == 3
    assert gkh("meter", "list", tty=True).stdout.splitlines()[0].split()[:3] == ["ID", "Serial", "Resource"]
    assert [m["id"] for m in gkh_json("meter", "list", "--account", "77ИВ845392")] == [POWER]


def test_submit_off_a_terminal_is_silent_and_stores_it(home):
    result = gkh("meter", "submit", COLD, "2700,5")
    assert (result.exit_code, result.stdout, result.stderr.count("signed in")) == (0, "", 1)
    assert stored_since_the_seed(home, COLD) == [("2026-11", "2026-11-20", '{"T1": "2700.5"}')]
    again = gkh("meter", "submit", COLD, "2700.500")
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")
    assert stored_since_the_seed(home, COLD) == [("2026-11", "2026-11-20", '{"T1": "2700.5"}')]


def test_submit_json_says_accepted_replaced_unchanged(home):
    statuses = [gkh_json("meter", "submit", POWER, *values)["status"]
                for values in (["2800.5", "3600", "2500.2"], ["2801", "3600", "2500.2"], ["2801", "3600", "2500.2"])]
    assert statuses == ["accepted", "replaced", "unchanged"]
    reading = gkh_json("meter", "submit", POWER, "2801", "3600", "2500.2")
    assert reading["values"] == {"T1": "2801", "T2": "3600", "T3": "2500.2"}
    assert reading["consumption"] == {"T1": "94.1", "T2": "47.5", "T3": "20.9"}
    assert reading["period"] == "2026-11" and reading["warnings"] == []


def test_submit_by_serial_on_a_terminal_shows_the_reading(home):
    serial = gkh_json("meter", "list")[0]["serial"]
    result = gkh("meter", "submit", serial, "2700", tty=True)
    assert result.exit_code == 0 and "accepted" in result.stdout and COLD in result.stdout


VALUE = "must be a meter reading such as 123.45 or 123,45 (digits, an optional decimal point or comma; at most 15 " \
        "whole and 7 fraction digits)"
DATES = "DD.MM.YYYY, DD.MM.YY or YYYY-MM-DD (e.g. 25.11.2026, 25.11.26 or 2026-11-25)"


@pytest.mark.parametrize("args,line", [
    ([COLD, "abc"], f'meter {COLD}: value 1 {VALUE}; got "abc"'),
    ([COLD, "-5"], "No such option: -5 (see: gkh meter submit --help)"),  # read as an option, before our rules
    ([COLD, "--", "-5"], f'meter {COLD}: value 1 must not be negative; got "-5"'),
    ([COLD, "1234567890123456"],
     f'meter {COLD}: value 1 has 16 whole digits; no meter has more than 15: got "1234567890123456"'),
    ([COLD, "2700", "--date", "31.02.2026"],
     f'meter {COLD}: --date "31.02.2026" is not a real calendar date; expected {DATES}'),
    ([COLD, "2700", "--date", "2026-11"], f'meter {COLD}: --date must be {DATES}; got "2026-11"'),
    ([COLD, "2700", "--date", "1.11.6"], f'meter {COLD}: --date must be {DATES}; got "1.11.6"'),
    # not one value per zone, more digits than this meter shows: malformed for it, whatever the portal's state
    ([POWER, "2800", "3600"], f"meter {POWER} has 3 tariff zones (T1 T2 T3): give 3 values, one per zone in order; "
                              "got 2"),
    ([COLD, "123456"], f"values: T1: 123456 has 6 whole digits, but meter {COLD} shows 5 whole and 3 fraction "
                       "digits (at most 99999.999)"),
    ([COLD, "2700.1234"], f"values: T1: 2700.1234 has 4 fraction digits, but meter {COLD} shows 5 whole and 3 "
                          "fraction digits (at most 99999.999)"),
])
def test_malformed_input_is_2_and_sends_nothing(home, args, line):
    assert gkh("meter", "list").exit_code == 0  # signed in beforehand: the note is not part of the answer
    result = gkh("meter", "submit", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"gkh: {line}\n")
    assert stored_since_the_seed(home, args[0]) == []


@pytest.mark.parametrize("args,words", [
    ([COLD, "2600"], "lower than the previous"),
    ([COLD, "2700", "--date", "21.11.2026"], f"meter {COLD}: --date: the reading date 21.11.2026 is in the future"),
    ([COLD, "2700", "--date", "21.11.26"], f"meter {COLD}: --date: the reading date 21.11.2026 is in the future"),
    ([COLD, "2700", "--date", "25.10.2026"], f"meter {COLD}: --date: the period 2026-10 is closed"),
])
def test_refusals_are_5_with_a_reason(home, args, words):
    result = gkh("meter", "submit", *args)
    assert result.exit_code == 5, result.stderr
    assert words in result.stderr and len(result.stderr.strip().splitlines()) <= 2
    assert stored_since_the_seed(home, args[0]) == []


def test_a_two_digit_year_is_this_centurys(home):
    reading = gkh_json("meter", "submit", COLD, "2700", "--date", "20.11.26")
    assert (reading["date"], reading["period"], reading["status"]) == ("2026-11-20", "2026-11", "accepted")


def test_every_message_of_submit_names_the_meter(home):
    signed_out = gkh("meter", "submit", COLD, "2700", env={"GKH_TOKEN": "not-a-token"})
    assert signed_out.exit_code == 4
    assert signed_out.stderr.startswith(f"gkh: meter {COLD}: ") and "(run: gkh --profile local auth login)" \
        in signed_out.stderr
    unreachable = gkh("meter", "submit", COLD, "2700", env={"GKH_URL": "http://127.0.0.1:9", "GKH_TOKEN": "t",
                                                             "GKH_RETRIES": "1"})
    assert unreachable.exit_code == 6 and unreachable.stderr.startswith(f"gkh: meter {COLD}: ")
    serial = gkh("meter", "submit", "ХВ-00-000000", "abc")
    assert serial.stderr.startswith("gkh: meter ХВ-00-000000: value 1 must be")
    long = gkh("meter", "submit", "M-" + "9" * 100, "abc")
    assert long.stderr.startswith(f"gkh: meter M-{'9' * 62}…: value 1 must be")


def test_submit_help_lists_every_exit_code():
    text = " ".join(gkh("meter", "submit", "--help").stdout.split())
    for code in ("0 stored or unchanged", "1 no such meter", "2 malformed", "4 not signed in", "5 refused",
                 "6 the portal unreachable", "130 interrupted"):
        assert code in text, code


def test_rollover_wraps_at_the_capacity(home):
    implausible = gkh("meter", "submit", COLD, "5", "--rollover")  # after ~2670: not near the end of its range
    assert implausible.exit_code == 5 and "not a plausible rollover" in implausible.stderr
    with sqlite3.connect(home / "portal.sqlite3") as conn:  # October's reading near the end of the range
        conn.execute("UPDATE readings SET reading_values = '{\"T1\": \"99998\"}' WHERE meter_id = ?"
                     " AND period = '2026-10'", (COLD,))
    assert gkh("meter", "submit", COLD, "5").exit_code == 5
    reading = gkh_json("meter", "submit", COLD, "5", "--rollover")
    assert reading["consumption"] == {"T1": "7"}  # 100000 − 99998 + 5: 5 whole digits wrap at 100000


def test_a_suspicious_jump_is_accepted_with_a_warning_on_stderr(home):
    result = gkh("meter", "submit", COLD, "9000", "-o", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["warnings"] and "warning:" in result.stderr
    quiet = gkh("-q", "meter", "submit", COLD, "9001")
    assert quiet.exit_code == 0 and "warning:" in quiet.stderr


def test_dry_run_checks_and_stores_nothing(home):
    result = gkh("meter", "submit", COLD, "2700", "--dry-run", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["dry_run"] is True
    assert stored_since_the_seed(home, COLD) == []
    assert gkh("meter", "submit", COLD, "1", "--dry-run").exit_code == 5


def test_outside_the_window_in_yekaterinburg_names_the_next_opening(home, monkeypatch):
    with sqlite3.connect(home / "portal.sqlite3") as conn:  # ivanov's relative in Yekaterinburg
        conn.execute("INSERT INTO account_links SELECT (SELECT id FROM users WHERE login = 'ivanov'), a.id, "
                     "'2026-11-01T00:00:00+00:00' FROM accounts a JOIN meters m ON m.account_id = a.id "
                     "WHERE m.id = (SELECT min(m2.id) FROM meters m2 JOIN accounts a2 ON a2.id = m2.account_id "
                     "JOIN houses h ON h.guid = a2.house_guid WHERE h.timezone = 'Asia/Yekaterinburg')")
    meter = next(m for m in gkh_json("meter", "list") if m["house"]["address"].startswith("г. Екатеринбург"))
    value = str(int(float(meter["last_reading"]["values"]["T1"])) + 5)
    monkeypatch.setenv("GKH_NOW", "2026-11-26T12:00:00+05:00")
    late = gkh("meter", "submit", meter["id"], value)
    assert late.exit_code == 5 and "15.12.2026" in late.stderr
    monkeypatch.setenv("GKH_NOW", "2026-12-14T20:30:00+00:00")  # the 14th in Moscow, the 15th there
    assert gkh("meter", "submit", meter["id"], value).exit_code == 0


def test_history_and_chart(home):
    assert gkh("meter", "submit", POWER, "2800.5", "3600", "2500.2").exit_code == 0
    items = gkh_json("meter", "history", POWER)
    assert len(items) == 12 and items[-1]["period"] == "2026-11"
    assert all(item["consumption"] for item in items)
    chart = gkh("meter", "history", POWER, "--chart").stdout.splitlines()
    assert len(chart) == 12 and chart[-1].startswith("2026-11") and chart[-1].endswith("162.0 kWh")
    assert max(line.count("█") for line in chart) == 40
    assert len(gkh_json("meter", "history", POWER, "--months", "3")) == 3


def test_another_residents_meter_is_1(home):
    login("petrova", "petrova")
    result = gkh("--profile", "petrova", "meter", "submit", COLD, "2700")
    assert result.exit_code == 1 and COLD in result.stderr


def test_a_reading_whose_answer_was_lost_is_recorded_once(home, portal):
    """The portal stored it, the connection dropped before the answer: the retry gets the stored answer."""
    import requests

    from gkh.client.api import Client, RetryPolicy
    from gkh.client.transport import LOCAL_BASE, LocalTransport

    class DropsFirstAnswer(LocalTransport):
        dropped = 0

        def send(self, request, **kwargs):
            response = super().send(request, **kwargs)
            if request.method == "POST" and not self.dropped:
                self.dropped += 1
                raise requests.exceptions.ConnectionError("connection reset by peer")
            return response

    client = Client.in_process(portal.app, portal.portal_id, retry=RetryPolicy(attempts=3, backoff=0,
                                                                                sleep=lambda s: None))
    client.session.mount(LOCAL_BASE + "/", DropsFirstAnswer(portal.app))
    client.set_token(portal.sign_in_demo_resident(SEED_NOW)["token"])
    reading = client.submit_reading(COLD, ["2700.5"])
    assert reading["status"] == "accepted"  # the first answer, replayed, not "unchanged"
    assert stored_since_the_seed(home, COLD) == [("2026-11", "2026-11-20", '{"T1": "2700.5"}')]
    with db(home) as conn:
        assert conn.execute("SELECT count(*) FROM idempotency_keys WHERE response IS NOT NULL").fetchone()[0] == 1


def test_across_a_month_end_the_period_follows_the_houses_clock(home, monkeypatch):
    monkeypatch.setenv("GKH_NOW", "2026-11-30T21:30:00+00:00")  # 00:30 on 1 December in Moscow
    reading = gkh_json("meter", "submit", COLD, "2700")
    assert (reading["period"], reading["date"]) == ("2026-12", "2026-12-01")
