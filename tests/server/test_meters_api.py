"""Meters and readings over HTTP (waitress in a thread): every reading rule with its status, code and message.

The demo portal's clock stands at 2026-11-20 12:00 Moscow (GKH_NOW, moved per test with monkeypatch); the
seeded history has one reading on the 20th of each month from 2025-11 to 2026-10, none yet for 2026-11.
ivanov: cold water M-000023 (5 + 3 digits) and hot water M-000024 on 77ЕЖ532838, electricity M-000452
(T1 T2 T3, 6 + 1 digits) on 77ИВ845392, all at ул. Ленина, д. 5 (Moscow, readings accepted every day).

Every test runs on both engines (the `portal` fixture, tests/conftest.py): SQLite, then PostgreSQL through the
session's throwaway cluster (tests.helpers.postgres); the PostgreSQL half skips with its reason where no cluster
can be started, and fails instead under GKH_REQUIRE_POSTGRES=1 (CI).
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

import pytest

from gkh.domain.readings import canonical as text
from gkh.server.demo import DEMO_OVERDUE_METER, DEMO_PETROVA_ACCOUNT, DEMO_RESIDENT_ACCOUNTS, H1_GUID, H4_GUID
from tests.helpers.api import assert_error
from tests.helpers.demo import COLD, HOT, POWER
from tests.helpers.rows import db, stored

WATER_ELS, POWER_ELS = DEMO_RESIDENT_ACCOUNTS
METER_FIELDS = {"id", "serial", "resource", "unit", "zones", "account", "house", "last_reading",
                "verification_due", "overdue", "window"}
READING_FIELDS = {"meter", "period", "date", "values", "consumption", "status", "warnings", "submitted_by"}


def last_stored(home, meter: str) -> dict[str, Decimal]:
    return {z: Decimal(v) for z, v in json.loads(stored(home, meter)[-1]["reading_values"]).items()}


def meter_row(home, meter: str) -> sqlite3.Row:
    with db(home) as conn:
        return conn.execute("SELECT * FROM meters WHERE id = ?", (meter,)).fetchone()


def submit(api, meter: str, *values: str, **body):
    return api.post(f"/meters/{meter}/readings", json={"values": list(values), **body})


def window(first: str, last: str, is_open: bool, from_day: int = 15, to_day: int = 25) -> dict:
    """A meter's `window` for a house whose window lies within a month (the demo's), its period the month of
    its first day."""
    return {"from": first, "to": last, "open": is_open, "period": first[:7], "from_day": from_day,
            "from_last_day": False, "to_day": to_day, "to_last_day": False, "to_next_month": False}


def move_history(home, meter: str, **latest: str) -> None:
    """Shift the meter's stored readings so that the latest is `latest` (per zone; the others stay): a meter near
    the end of its range, each month's consumption unchanged."""
    rows = stored(home, meter)
    shift = {z: Decimal(v) - Decimal(json.loads(rows[-1]["reading_values"])[z]) for z, v in latest.items()}
    with db(home) as conn:
        for row in rows:
            values = {z: text(Decimal(v) + shift.get(z, 0)) for z, v in json.loads(row["reading_values"]).items()}
            conn.execute("UPDATE readings SET reading_values = ? WHERE id = ?", (json.dumps(values), row["id"]))


@pytest.fixture
def ekb_meter(home, petrova) -> str:
    """A cold-water meter in a Yekaterinburg house (Asia/Yekaterinburg, window 15–25), linked to petrova."""
    with db(home) as conn:
        row = conn.execute(
            "SELECT m.id, a.id AS account_id FROM meters m JOIN accounts a ON a.id = m.account_id"
            " WHERE a.house_guid = ? AND m.resource = 'cold_water' ORDER BY m.id LIMIT 1", (H4_GUID,),
        ).fetchone()
        conn.execute("INSERT INTO account_links (user_id, account_id, linked_at)"
                     " VALUES ((SELECT id FROM users WHERE login = 'petrova'), ?, '2026-11-01T00:00:00+00:00')",
                     (row["account_id"],))
    return row["id"]


# -- the meter list -------------------------------------------------------------------------------


def test_my_meters_are_those_of_my_linked_accounts_with_exactly_the_documented_fields(ivanov, home):
    resp = ivanov.get("/meters")
    assert resp.status_code == 200, resp.text
    page = resp.json()
    assert page["next_cursor"] is None
    assert [m["id"] for m in page["items"]] == [COLD, HOT, POWER]
    for meter in page["items"]:
        assert set(meter) == METER_FIELDS
    cold = page["items"][0]
    row = meter_row(home, COLD)
    last = stored(home, COLD)[-1]
    assert cold == {
        "id": COLD,
        "serial": row["serial"],
        "resource": "cold_water",
        "unit": "m3",
        "zones": ["T1"],
        "account": WATER_ELS,
        "house": {"guid": H1_GUID, "address": "г. Москва, ул. Ленина, д. 5"},
        "last_reading": {"date": "2026-10-20", "values": json.loads(last["reading_values"])},
        "verification_due": row["verification_due"],
        "overdue": False,
        # ул. Ленина, д. 5 accepts readings every day: the window is the whole month, open now.
        "window": window("2026-11-01", "2026-11-30", True, 1, 31),
    }
    power = page["items"][2]
    assert (power["resource"], power["unit"], power["zones"], power["account"]) == (
        "electricity", "kWh", ["T1", "T2", "T3"], POWER_ELS)
    assert set(power["last_reading"]["values"]) == {"T1", "T2", "T3"}


def test_the_meter_list_pages_with_a_cursor(ivanov):
    first = ivanov.get("/meters", params={"limit": 2}).json()
    assert [m["id"] for m in first["items"]] == [COLD, HOT]
    assert first["next_cursor"]
    second = ivanov.get("/meters", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [m["id"] for m in second["items"]] == [POWER]
    assert second["next_cursor"] is None
    assert_error(ivanov.get("/meters", params={"limit": 0}), 400, "invalid", "limit")
    assert_error(ivanov.get("/meters", params={"cursor": "!!"}), 400, "invalid", "cursor")


@pytest.mark.parametrize("account", [POWER_ELS, POWER_ELS.lower(), "77ИB845392"])  # Latin B look-alike
def test_the_meter_list_filters_by_account_in_any_spelling(ivanov, account):
    resp = ivanov.get("/meters", params={"account": account})
    assert resp.status_code == 200, resp.text
    assert [m["id"] for m in resp.json()["items"]] == [POWER]


def test_filtering_by_another_residents_account_is_404_and_a_malformed_one_400(ivanov, home):
    with db(home) as conn:
        others = conn.execute("SELECT a.els FROM accounts a JOIN flats f ON f.id = a.flat_id"
                              " WHERE a.house_guid = ? AND f.number = '34' AND a.org_id = 'ORG-0001'",
                              (H1_GUID,)).fetchone()["els"]
    error = assert_error(ivanov.get("/meters", params={"account": others}), 404, "account_not_found")
    assert error["message"] == f"no account {others} among yours"
    assert_error(ivanov.get("/meters", params={"account": "77ЖЖ000000"}), 404, "account_not_found")
    assert_error(ivanov.get("/meters", params={"account": "12345"}), 400, "invalid", "account")


def test_another_residents_meter_is_404_like_one_that_does_not_exist(ivanov, petrova, home):
    # petrova links her flat's account (the managing organisation's number) and sees its meters …
    link = petrova.post("/accounts/links", json={"house": H1_GUID, "number": DEMO_PETROVA_ACCOUNT.number,
                                                  "payer": "Петрова"})
    assert link.status_code == 201, link.text
    hers = [m["id"] for m in petrova.get("/meters").json()["items"]]
    assert hers and not {COLD, HOT, POWER} & set(hers)
    her_serial = meter_row(home, hers[0])["serial"]
    before = len(stored(home, hers[0]))
    # … which ivanov never sees, by id or by serial number, and can't submit to: exactly as a meter that isn't.
    for meter in (hers[0], her_serial, "M-999999"):
        for resp in (ivanov.get(f"/meters/{meter}"), ivanov.get(f"/meters/{meter}/readings"),
                     submit(ivanov, meter, "1")):
            error = assert_error(resp, 404, "meter_not_found")
            assert error["message"] == f"no meter {meter} among yours"
    assert len(stored(home, hers[0])) == before
    # and the other way round
    assert_error(petrova.get(f"/meters/{COLD}"), 404, "meter_not_found")


def test_an_inspector_has_no_meters_to_see(sign_in):
    assert_error(sign_in("inspector").get("/meters"), 403, "forbidden")


# -- one meter ---------------------------------------------------------------------------------------


def test_a_meter_by_its_id_in_any_case_or_by_its_serial_number(ivanov, home):
    serial = meter_row(home, COLD)["serial"]
    listed = ivanov.get("/meters").json()["items"][0]
    for ref in (COLD, COLD.lower(), serial):
        resp = ivanov.get(f"/meters/{ref}")
        assert resp.status_code == 200, resp.text
        assert resp.json() == listed
    # and a reading goes in by serial number too
    resp = submit(ivanov, serial, "2675.5")
    assert resp.status_code == 201, resp.text
    assert resp.json()["meter"] == COLD


# -- submitting: accepted, replaced, unchanged --------------------------------------------------------


def test_a_first_reading_of_the_period_is_accepted_with_its_consumption(ivanov, home):
    previous = last_stored(home, COLD)["T1"]
    resp = submit(ivanov, COLD, "2675.5")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body == {"meter": COLD, "period": "2026-11", "date": "2026-11-20", "values": {"T1": "2675.5"},
                    "consumption": {"T1": text(Decimal("2675.5") - previous)}, "status": "accepted",
                    "warnings": [], "submitted_by": "Иванов Иван Петрович"}
    rows = stored(home, COLD, "2026-11")
    assert len(rows) == 1
    assert (rows[0]["taken_on"], json.loads(rows[0]["reading_values"]), rows[0]["rollover"]) == (
        "2026-11-20", {"T1": "2675.5"}, 0)
    assert ivanov.get(f"/meters/{COLD}").json()["last_reading"] == {"date": "2026-11-20",
                                                                    "values": {"T1": "2675.5"}}


def test_a_resubmission_in_the_period_replaces_and_the_same_again_is_unchanged(ivanov, home):
    previous = last_stored(home, COLD)["T1"]
    assert submit(ivanov, COLD, "2675.5").status_code == 201
    replaced = submit(ivanov, COLD, "2676")
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["status"] == "replaced"
    assert replaced.json()["consumption"] == {"T1": text(Decimal("2676") - previous)}
    # The same values again — also spelled differently — change nothing: safe to re-run from cron.
    for spelling in ("2676", "2676,000", " 02676.0 "):
        again = submit(ivanov, COLD, spelling)
        assert again.status_code == 200, again.text
        assert again.json()["status"] == "unchanged"
        assert again.json()["values"] == {"T1": "2676"}
    rows = stored(home, COLD, "2026-11")
    assert len(rows) == 1
    assert json.loads(rows[0]["reading_values"]) == {"T1": "2676"}
    # A different date in the same period is a replacement too, not "unchanged".
    other_date = submit(ivanov, COLD, "2676", date="19.11.2026")
    assert other_date.status_code == 200 and other_date.json()["status"] == "replaced"
    assert len(stored(home, COLD, "2026-11")) == 1


def test_a_decimal_comma_is_accepted_and_normalised(ivanov, home):
    resp = submit(ivanov, COLD, "2675,50")
    assert resp.status_code == 201, resp.text
    assert resp.json()["values"] == {"T1": "2675.5"}
    assert json.loads(stored(home, COLD, "2026-11")[0]["reading_values"]) == {"T1": "2675.5"}


def test_a_three_zone_meter_takes_one_value_per_zone_in_order(ivanov, home):
    previous = last_stored(home, POWER)
    resp = submit(ivanov, POWER, "2810,4", "3601.2", "2544.9")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["values"] == {"T1": "2810.4", "T2": "3601.2", "T3": "2544.9"}
    assert body["consumption"] == {z: text(Decimal(body["values"][z]) - previous[z]) for z in ("T1", "T2", "T3")}


def test_the_date_may_be_given_in_either_form(ivanov):
    assert submit(ivanov, COLD, "2675.5", date="18.11.2026").json()["date"] == "2026-11-18"
    resp = submit(ivanov, COLD, "2675.5", date="2026-11-19")
    assert (resp.status_code, resp.json()["date"], resp.json()["status"]) == (200, "2026-11-19", "replaced")


# -- zones and digits ------------------------------------------------------------------------------------


@pytest.mark.parametrize("meter,values,message", [
    (COLD, ["2675.5", "1"], f"meter {COLD} has 1 tariff zone (T1): give one value; got 2"),
    (POWER, ["2810.4", "3601.2"],
     f"meter {POWER} has 3 tariff zones (T1 T2 T3): give 3 values, one per zone in order; got 2"),
    (POWER, ["2810.4", "3601.2", "2544.9", "1"],
     f"meter {POWER} has 3 tariff zones (T1 T2 T3): give 3 values, one per zone in order; got 4"),
])
def test_the_wrong_number_of_zones_is_malformed(ivanov, home, meter, values, message):
    error = assert_error(submit(ivanov, meter, *values), 400, "wrong_zone_count", "values")
    assert error["message"] == message
    assert set(error["details"]) == {"zones"}
    assert stored(home, meter, "2026-11") == []


@pytest.mark.parametrize("meter,values,message", [
    (COLD, ["123456"], f"T1: 123456 has 6 whole digits, but meter {COLD} shows 5 whole and 3 fraction digits"
                       " (at most 99999.999)"),
    (COLD, ["2675.1234"], f"T1: 2675.1234 has 4 fraction digits, but meter {COLD} shows 5 whole and 3 fraction"
                          " digits (at most 99999.999)"),
    (POWER, ["2810.4", "3601.25", "2544.9"], f"T2: 3601.25 has 2 fraction digits, but meter {POWER} shows 6 whole"
                                             " and 1 fraction digits (at most 999999.9)"),
])
def test_more_digits_than_this_meter_shows_is_malformed(ivanov, home, meter, values, message):
    error = assert_error(submit(ivanov, meter, *values), 400, "too_many_digits", "values")
    assert error["message"] == message
    assert set(error["details"]) == {"zone"}
    assert stored(home, meter, "2026-11") == []


def test_leading_and_trailing_zeros_do_not_count_as_digits(ivanov):
    resp = submit(ivanov, COLD, "0002675.500000")
    assert resp.status_code == 201, resp.text
    assert resp.json()["values"] == {"T1": "2675.5"}


@pytest.mark.parametrize("value,words", [
    ("1234567890123456", "has 16 whole digits; no meter has more than 15"),
    ("1.12345678", "has 8 fraction digits; no meter has more than 7"),
    ("-1", "must not be negative"),
    ("−1", "must not be negative"),  # a typographic minus
    ("abc", "must be a meter reading such as 123.45 or 123,45"),
    ("1e3", "must be a meter reading"),
    ("1 234", "must be a meter reading"),
    ("", "got an empty value"),
])
def test_malformed_values_are_400_whatever_the_meter(ivanov, home, value, words):
    error = assert_error(submit(ivanov, COLD, value), 400, "invalid", "values")
    assert words in error["message"]
    assert stored(home, COLD, "2026-11") == []


@pytest.mark.parametrize("body", [{}, {"values": []}, {"values": "2675.5"}, {"values": [2675.5]},
                                  {"values": [None]}])
def test_values_must_be_a_list_of_strings(ivanov, body):
    error = assert_error(ivanov.post(f"/meters/{COLD}/readings", json=body), 400, "invalid", "values")
    assert "list of strings" in error["message"]


def test_rollover_must_be_a_boolean_and_the_body_json(ivanov):
    assert_error(submit(ivanov, COLD, "2675.5", rollover="yes"), 400, "invalid", "rollover")
    resp = ivanov.post(f"/meters/{COLD}/readings", data=b"{", headers={"Content-Type": "application/json"})
    assert_error(resp, 400, "invalid_json")


# -- the reading date -------------------------------------------------------------------------------------


def test_a_date_after_today_is_refused(ivanov, home):
    error = assert_error(submit(ivanov, COLD, "2675.5", date="21.11.2026"), 422, "date_in_future", "date")
    assert error["message"] == ("the reading date 21.11.2026 is in the future: today is 20.11.2026"
                                " in the house's time zone")
    assert stored(home, COLD, "2026-11") == []


def test_the_future_is_judged_in_the_houses_zone_not_in_utc_nor_the_clocks_offset(ivanov, monkeypatch):
    # 22:30 UTC on the 24th is 01:30 on the 25th in Moscow: the 25th is today there, not the future.
    monkeypatch.setenv("GKH_NOW", "2026-11-24T22:30:00+00:00")
    resp = submit(ivanov, COLD, "2675.5", date="25.11.2026")
    assert resp.status_code == 201, resp.text
    assert submit(ivanov, COLD, "2675.5").json()["date"] == "2026-11-25"  # default: today in Moscow
    # 20:30 UTC on the 24th (written as 01:30 on the 25th at +05:00) is still 23:30 on the 24th in Moscow.
    monkeypatch.setenv("GKH_NOW", "2026-11-25T01:30:00+05:00")
    error = assert_error(submit(ivanov, HOT, "1", date="25.11.2026"), 422, "date_in_future", "date")
    assert "today is 24.11.2026 in the house's time zone" in error["message"]


def test_a_date_in_next_month_is_in_the_future_not_a_closed_period(ivanov, monkeypatch):
    monkeypatch.setenv("GKH_NOW", "2026-11-30T20:30:00+00:00")  # 23:30 on the 30th in Moscow
    error = assert_error(submit(ivanov, COLD, "2675.5", date="01.12.2026"), 422, "date_in_future", "date")
    assert "today is 30.11.2026 in the house's time zone" in error["message"]


def test_a_date_in_an_earlier_month_is_a_closed_period(ivanov, home):
    error = assert_error(submit(ivanov, COLD, "2675.5", date="25.10.2026"), 422, "period_closed", "date")
    assert error["message"] == "the period 2026-10 is closed for billing: its readings can no longer change"
    # also when that month already has a reading (replacing it is no longer possible)
    assert_error(submit(ivanov, COLD, "2675.5", date="2026-10-20"), 422, "period_closed", "date")
    october = stored(home, COLD, "2026-10")
    assert [(r["taken_on"], r["submitted_by"]) for r in october] == [("2026-10-20", None)]  # the seeded one
    assert stored(home, COLD, "2026-11") == []


def test_a_date_before_the_previous_reading_is_refused(ivanov, home):
    # The previous reading is on 20.10.2026: a date before it lies in October, which is closed, and that is
    # what the portal says first.
    assert_error(submit(ivanov, COLD, "2675.5", date="15.10.2026"), 422, "period_closed", "date")
    # date_before_previous itself needs a previous reading dated later than the new one: a reading of the
    # previous period taken in this month (e.g. imported late by the organisation).
    with db(home) as conn:
        conn.execute("UPDATE readings SET taken_on = '2026-11-10' WHERE meter_id = ? AND period = '2026-10'", (COLD,))
    error = assert_error(submit(ivanov, COLD, "2675.5", date="05.11.2026"), 422, "date_before_previous", "date")
    assert error["message"] == ("the reading date 05.11.2026 is before the previous reading's date 10.11.2026")
    # The previous reading's own date is allowed.
    assert submit(ivanov, COLD, "2675.5", date="10.11.2026").status_code == 201


@pytest.mark.parametrize("date", ["2026/11/20", "20-11-2026", "20.11.26", "31.11.2026", "2026-02-30", "вчера",
                                  "11/20/2026", 20261120])
def test_an_unparseable_date_is_400_naming_the_field(ivanov, home, date):
    error = assert_error(submit(ivanov, COLD, "2675.5", date=date), 400, "invalid", "date")
    assert "DD.MM.YYYY or YYYY-MM-DD" in error["message"]
    assert stored(home, COLD, "2026-11") == []


# -- lower than the previous reading, rollover ----------------------------------------------------------


def test_lower_than_the_previous_is_refused_then_accepted_as_a_rollover_wrapping_at_capacity(ivanov, home):
    move_history(home, COLD, T1="99998.5")  # a meter near the end of its range (5 + 3 digits: 99999.999)
    previous = last_stored(home, COLD)["T1"]
    error = assert_error(submit(ivanov, COLD, "12.345"), 422, "lower_than_previous", "values")
    assert error["details"] == {"zone": "T1", "previous": text(previous), "value": "12.345"}
    assert error["message"] == (f"T1: the new reading 12.345 is lower than the previous {text(previous)} on meter"
                                f" {COLD}; if the meter rolled over past 99999.999, submit again with --rollover")
    assert stored(home, COLD, "2026-11") == []

    resp = submit(ivanov, COLD, "12.345", rollover=True)
    assert resp.status_code == 201, resp.text
    wrapped = Decimal(100000) - previous + Decimal("12.345")  # 5 whole digits: wraps at 100000
    assert resp.json()["consumption"] == {"T1": text(wrapped)}
    assert stored(home, COLD, "2026-11")[0]["rollover"] == 1
    # the history computes the period's consumption with the same wrap
    history = ivanov.get(f"/meters/{COLD}/readings", params={"months": 2}).json()["items"]
    assert [(h["period"], h["consumption"]) for h in history] == [
        ("2026-10", {"T1": text(previous - last_two(home, COLD)[0])}), ("2026-11", {"T1": text(wrapped)})]


def last_two(home, meter):
    rows = stored(home, meter)
    return [Decimal(json.loads(r["reading_values"])["T1"]) for r in rows[-3:-1]]


def test_a_rollover_in_one_zone_leaves_the_others_computed_normally(ivanov, home):
    move_history(home, POWER, T1="999990.4")
    previous = last_stored(home, POWER)
    assert_error(submit(ivanov, POWER, "5.0", "3601.2", "2544.9"), 422, "lower_than_previous", "values")
    resp = submit(ivanov, POWER, "5.0", "3601.2", "2544.9", rollover=True)
    assert resp.status_code == 201, resp.text
    assert resp.json()["consumption"] == {
        "T1": text(Decimal(1_000_000) - previous["T1"] + Decimal("5.0")),  # 6 whole digits: wraps at 1000000
        "T2": text(Decimal("3601.2") - previous["T2"]),
        "T3": text(Decimal("2544.9") - previous["T3"]),
    }


def test_the_issues_rollover_after_a_mid_range_value_is_refused_with_the_reason(ivanov, home):
    """`gkh meter submit M-000024 5 --rollover` after a value far from the end of the range used to store a
    consumption of nearly the whole range with only a warning."""
    previous = last_stored(home, HOT)["T1"]
    assert previous < 90000
    error = assert_error(submit(ivanov, HOT, "5", rollover=True), 422, "implausible_rollover", "values")
    assert error["message"] == (
        f"T1: {text(previous)} → 5 on meter {HOT} is not a plausible rollover: a meter rolls over only after its"
        " largest value 99999.999, and a rollover is accepted only from 90000 on (the last 10 % of its range);"
        " check the value")
    assert error["details"] == {"zone": "T1", "previous": text(previous), "value": "5",
                                "consumption": text(Decimal(100000) - previous + 5)}
    # without --rollover the refusal no longer suggests one
    error = assert_error(submit(ivanov, HOT, "5"), 422, "lower_than_previous", "values")
    assert error["message"].endswith("; check the value") and "--rollover" not in error["message"]
    assert stored(home, HOT, "2026-11") == []


def test_a_rollover_from_the_top_of_the_range_must_not_go_far_past_zero(ivanov, home):
    move_history(home, HOT, T1="99990")
    error = assert_error(submit(ivanov, HOT, "20000", rollover=True), 422, "implausible_rollover", "values")
    assert error["message"] == (f"T1: 99990 → 20000 on meter {HOT} is not a plausible rollover: that would be a"
                                " consumption of 20010, more than 10 % of the meter's range (10000); check the value")
    assert stored(home, HOT, "2026-11") == []


def test_a_rollover_whose_consumption_is_suspicious_is_refused_not_warned(ivanov, home):
    move_history(home, HOT, T1="99990")
    rows = stored(home, HOT)
    values = [Decimal(json.loads(r["reading_values"])["T1"]) for r in rows]
    average = (values[-1] - values[0]) / (len(values) - 1)
    jump = (11 * average).quantize(Decimal("0.001"))  # 11× the average monthly consumption, through zero
    error = assert_error(submit(ivanov, HOT, text(jump - 10), rollover=True), 422, "implausible_rollover", "values")
    assert (f"that would be a consumption of {text(jump)}, more than 10× the average monthly consumption"
            f" {text(average.quantize(Decimal('0.001')))} over the last 11 months") in error["message"]
    assert stored(home, HOT, "2026-11") == []
    # an ordinary month through zero is accepted, without a warning
    resp = submit(ivanov, HOT, text((average - 10).quantize(Decimal("0.001")) + 10), rollover=True)
    assert resp.status_code == 201, resp.text
    assert resp.json()["warnings"] == []


def test_a_suspicious_jump_is_accepted_with_a_warning(ivanov, home):
    rows = stored(home, COLD)
    values = [Decimal(json.loads(r["reading_values"])["T1"]) for r in rows]
    average = (values[-1] - values[0]) / (len(values) - 1)
    jump = values[-1] + 11 * average
    resp = submit(ivanov, COLD, text(jump.quantize(Decimal("0.001"))))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["status"] == "accepted"
    assert len(body["warnings"]) == 1
    warning = body["warnings"][0]
    assert warning.startswith(f"T1: consumption {body['consumption']['T1']} is more than 10× the average monthly"
                              f" consumption {text(average.quantize(Decimal('0.001')))} over the last 11 months")
    assert len(stored(home, COLD, "2026-11")) == 1
    # an ordinary month has no warning
    normal = submit(ivanov, COLD, text(values[-1] + average.quantize(Decimal("0.001"))))
    assert (normal.status_code, normal.json()["warnings"]) == (200, [])


# -- the submission window ------------------------------------------------------------------------------------


def test_outside_the_window_a_yekaterinburg_house_refuses_and_names_the_next_opening(petrova, ekb_meter, home,
                                                                                       monkeypatch):
    monkeypatch.setenv("GKH_NOW", "2026-11-26T10:00:00+05:00")
    error = assert_error(submit(petrova, ekb_meter, "99999"), 422, "outside_window")
    assert error["message"] == ("readings for this house are accepted from the 15th to the 25th of each month;"
                                " today is 26.11.2026 in the house's time zone; the next window opens 15.12.2026")
    assert error["details"] == {"from_day": "15", "to_day": "25", "to_next_month": "false",
                                "next_opening": "2026-12-15"}
    assert stored(home, ekb_meter, "2026-11") == []
    meter = petrova.get(f"/meters/{ekb_meter}").json()
    assert meter["window"] == window("2026-12-15", "2026-12-25", False)


def test_the_window_is_judged_in_the_houses_zone_at_its_opening(petrova, ekb_meter, home, monkeypatch):
    # 23:30 on the 14th in Yekaterinburg: closed, opens tomorrow.
    monkeypatch.setenv("GKH_NOW", "2026-11-14T18:30:00+00:00")
    error = assert_error(submit(petrova, ekb_meter, "99999"), 422, "outside_window")
    assert error["message"].endswith("today is 14.11.2026 in the house's time zone; the next window opens 15.11.2026")
    assert petrova.get(f"/meters/{ekb_meter}").json()["window"] == window("2026-11-15", "2026-11-25", False)
    # 20:30 UTC on the 14th: still the 14th (23:30) in Moscow, but already 01:30 on the 15th in Yekaterinburg.
    monkeypatch.setenv("GKH_NOW", "2026-11-14T23:30:00+03:00")
    previous = last_stored(home, ekb_meter)["T1"]
    resp = submit(petrova, ekb_meter, text(previous + 5))
    assert resp.status_code == 201, resp.text
    assert (resp.json()["date"], resp.json()["period"]) == ("2026-11-15", "2026-11")
    assert petrova.get(f"/meters/{ekb_meter}").json()["window"] == window("2026-11-15", "2026-11-25", True)


def test_the_window_closes_at_the_end_of_its_last_day_in_the_houses_zone(petrova, ekb_meter, home, monkeypatch):
    previous = last_stored(home, ekb_meter)["T1"]
    monkeypatch.setenv("GKH_NOW", "2026-11-25T18:59:00+00:00")  # 23:59 on the 25th in Yekaterinburg
    assert submit(petrova, ekb_meter, text(previous + 5)).status_code == 201
    monkeypatch.setenv("GKH_NOW", "2026-11-25T19:30:00+00:00")  # 22:30 on the 25th in Moscow, 00:30 on the 26th there
    error = assert_error(submit(petrova, ekb_meter, text(previous + 6)), 422, "outside_window")
    assert "today is 26.11.2026" in error["message"]
    assert json.loads(stored(home, ekb_meter, "2026-11")[0]["reading_values"]) == {"T1": text(previous + 5)}


def test_across_a_month_end_the_new_period_starts_in_the_houses_zone(ivanov, home, monkeypatch):
    monkeypatch.setenv("GKH_NOW", "2026-11-30T20:00:00+00:00")  # 23:00 on the 30th in Moscow
    first = submit(ivanov, COLD, "2675.5")
    assert (first.status_code, first.json()["period"]) == (201, "2026-11")
    monkeypatch.setenv("GKH_NOW", "2026-11-30T23:30:00+00:00")  # still the 30th in UTC, 02:30 on 1 December in Moscow
    again = submit(ivanov, COLD, "2675.5")
    assert again.status_code == 201, again.text  # a new period, not "unchanged"
    assert again.json() == {"meter": COLD, "period": "2026-12", "date": "2026-12-01", "values": {"T1": "2675.5"},
                            "consumption": {"T1": "0"}, "status": "accepted", "warnings": [],
                            "submitted_by": "Иванов Иван Петрович"}
    # 01.12.2026 is today in Moscow (it would be tomorrow in UTC); November is closed now.
    assert submit(ivanov, HOT, text(last_stored(home, HOT)["T1"] + 1), date="01.12.2026").status_code == 201
    error = assert_error(submit(ivanov, COLD, "2676", date="30.11.2026"), 422, "period_closed", "date")
    assert "2026-11" in error["message"]
    assert [r["period"] for r in stored(home, COLD)][-2:] == ["2026-11", "2026-12"]


# -- dry run and Idempotency-Key -----------------------------------------------------------------------------


def test_a_dry_run_checks_everything_and_stores_nothing(ivanov, home):
    before = len(stored(home, COLD))
    resp = ivanov.post(f"/meters/{COLD}/readings", params={"dry_run": "true"}, json={"values": ["2675,5"]})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["dry_run"] is True
    assert (body["status"], body["period"], body["values"]) == ("accepted", "2026-11", {"T1": "2675.5"})
    assert len(stored(home, COLD)) == before
    assert ivanov.get(f"/meters/{COLD}").json()["last_reading"]["date"] == "2026-10-20"
    # the rules still apply
    resp = ivanov.post(f"/meters/{COLD}/readings", params={"dry_run": "true"}, json={"values": ["1"]})
    assert_error(resp, 422, "lower_than_previous", "values")
    # a dry run of a replacement says "replaced" and keeps the stored reading
    assert submit(ivanov, COLD, "2675.5").status_code == 201
    resp = ivanov.post(f"/meters/{COLD}/readings", params={"dry_run": "1"}, json={"values": ["2676"]})
    assert (resp.status_code, resp.json()["status"], resp.json()["dry_run"]) == (200, "replaced", True)
    assert json.loads(stored(home, COLD, "2026-11")[0]["reading_values"]) == {"T1": "2675.5"}
    assert_error(ivanov.post(f"/meters/{COLD}/readings", params={"dry_run": "maybe"}, json={"values": ["2676"]}),
                 400, "invalid", "dry_run")


def test_an_idempotency_key_replays_the_first_answer_and_stores_once(ivanov, home):
    headers = {"Idempotency-Key": f"cron-2026-11-{COLD}"}
    first = ivanov.post(f"/meters/{COLD}/readings", json={"values": ["2675.5"]}, headers=headers)
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    with db(home) as conn:
        submitted_at = conn.execute("SELECT submitted_at FROM readings WHERE meter_id = ? AND period = '2026-11'",
                                    (COLD,)).fetchone()[0]
    replay = ivanov.post(f"/meters/{COLD}/readings", json={"values": ["2675.5"]}, headers=headers)
    assert replay.status_code == 201  # the stored answer, not a fresh "unchanged"
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    rows = stored(home, COLD, "2026-11")
    assert len(rows) == 1 and rows[0]["submitted_at"] == submitted_at
    error = assert_error(ivanov.post(f"/meters/{COLD}/readings", json={"values": ["2676"]}, headers=headers),
                         422, "idempotency_key_reused", "Idempotency-Key")
    assert "different request" in error["message"]
    assert json.loads(stored(home, COLD, "2026-11")[0]["reading_values"]) == {"T1": "2675.5"}


def test_a_refused_submission_does_not_keep_its_idempotency_key(ivanov, home):
    headers = {"Idempotency-Key": "k-refused"}
    assert_error(ivanov.post(f"/meters/{COLD}/readings", json={"values": ["1"]}, headers=headers),
                 422, "lower_than_previous", "values")
    with db(home) as conn:
        assert conn.execute("SELECT count(*) FROM idempotency_keys WHERE key = 'k-refused'").fetchone()[0] == 0


# -- history ----------------------------------------------------------------------------------------------------


def test_history_lists_the_last_months_with_consumption_per_period_oldest_first(ivanov, home):
    rows = stored(home, COLD)
    values = [Decimal(json.loads(r["reading_values"])["T1"]) for r in rows]
    resp = ivanov.get(f"/meters/{COLD}/readings")
    assert resp.status_code == 200, resp.text
    page = resp.json()
    assert page["next_cursor"] is None
    items = page["items"]
    # 12 months up to November 2026 (December 2025 … November 2026); November has no reading yet.
    assert [i["period"] for i in items] == [r["period"] for r in rows[1:]]
    assert items[0]["period"] == "2025-12" and items[-1]["period"] == "2026-10"
    for item, row, before, now in zip(items, rows[1:], values, values[1:]):
        assert set(item) == READING_FIELDS
        assert item == {"meter": COLD, "period": row["period"], "date": row["taken_on"],
                        "values": {"T1": text(now)}, "consumption": {"T1": text(now - before)},
                        "status": "accepted", "warnings": [], "submitted_by": None}  # seeded: imported
    # the oldest stored reading has nothing before it: no consumption
    all_items = ivanov.get(f"/meters/{COLD}/readings", params={"months": 24}).json()["items"]
    assert all_items[0]["period"] == "2025-11" and all_items[0]["consumption"] is None
    assert len(all_items) == 12
    assert [i["period"] for i in ivanov.get(f"/meters/{COLD}/readings", params={"months": 3}).json()["items"]] == [
        "2026-09", "2026-10"]


def test_history_of_a_three_zone_meter_has_consumption_per_zone(ivanov, home):
    rows = stored(home, POWER)
    before, now = (json.loads(r["reading_values"]) for r in rows[-2:])
    item = ivanov.get(f"/meters/{POWER}/readings", params={"months": 2}).json()["items"][-1]
    assert item["consumption"] == {z: text(Decimal(now[z]) - Decimal(before[z])) for z in ("T1", "T2", "T3")}


def test_after_a_submission_the_history_includes_the_new_period(ivanov, home):
    previous = last_stored(home, COLD)["T1"]
    assert submit(ivanov, COLD, "2675.5").status_code == 201
    items = ivanov.get(f"/meters/{COLD}/readings", params={"months": 3}).json()["items"]
    assert [i["period"] for i in items] == ["2026-09", "2026-10", "2026-11"]
    assert items[-1] == {"meter": COLD, "period": "2026-11", "date": "2026-11-20", "values": {"T1": "2675.5"},
                         "consumption": {"T1": text(Decimal("2675.5") - previous)}, "status": "accepted",
                         "warnings": [], "submitted_by": "Иванов Иван Петрович"}
    # a replacement shows in the history too
    assert submit(ivanov, COLD, "2676").status_code == 200
    assert ivanov.get(f"/meters/{COLD}/readings", params={"months": 1}).json()["items"] == [
        {**items[-1], "values": {"T1": "2676"}, "consumption": {"T1": text(Decimal("2676") - previous)}}]


@pytest.mark.parametrize("months", ["0", "121", "twelve"])
def test_history_months_out_of_range_is_400(ivanov, months):
    assert_error(ivanov.get(f"/meters/{COLD}/readings", params={"months": months}), 400, "invalid", "months")


# -- a meter past its verification date (ПП № 354, п. 81(12)) ---------------------------------------------------


def link_petrovas_flat(petrova) -> list[dict]:
    link = petrova.post("/accounts/links", json={"house": H1_GUID, "number": DEMO_PETROVA_ACCOUNT.number,
                                                  "payer": "Петрова"})
    assert link.status_code == 201, link.text
    return petrova.get("/meters").json()["items"]


def test_the_demo_worlds_overdue_meter_is_listed_as_overdue_and_refuses_readings(petrova, home):
    meters = {m["id"]: m for m in link_petrovas_flat(petrova)}
    overdue = meters.pop(DEMO_OVERDUE_METER)
    assert (overdue["overdue"], overdue["verification_due"]) == (True, "2026-10-10")
    assert overdue["last_reading"]["date"] == "2026-09-20"  # nothing taken since it went out of order
    assert meters and all(m["overdue"] is False for m in meters.values())
    assert petrova.get(f"/meters/{DEMO_OVERDUE_METER}").json()["overdue"] is True

    value = text(Decimal(overdue["last_reading"]["values"]["T1"]) + 5)
    error = assert_error(submit(petrova, DEMO_OVERDUE_METER, value), 422, "meter_overdue", "meter")
    assert error["message"] == (f"meter {DEMO_OVERDUE_METER} was due for verification on 10.10.2026 and counts as"
                                " out of order since then (ПП № 354, п. 81(12)): have the meter verified, then submit"
                                " its readings again")
    assert error["details"] == {"verification_due": "2026-10-10"}
    dry = petrova.post(f"/meters/{DEMO_OVERDUE_METER}/readings", params={"dry_run": "true"}, json={"values": [value]})
    assert_error(dry, 422, "meter_overdue", "meter")
    assert stored(home, DEMO_OVERDUE_METER, "2026-11") == []
    # a reading taken while it was in order is judged by the other rules: its month is closed now
    assert_error(submit(petrova, DEMO_OVERDUE_METER, value, date="10.10.2026"), 422, "period_closed", "date")


def test_a_meter_is_in_order_on_its_verification_date_and_overdue_the_day_after(ivanov, home, monkeypatch):
    due = "2026-11-25"
    with db(home) as conn:
        conn.execute("UPDATE meters SET verification_due = ? WHERE id = ?", (due, COLD))
    value = text(last_stored(home, COLD)["T1"] + 5)
    monkeypatch.setenv("GKH_NOW", f"{due}T23:30:00+03:00")  # the last minutes of the date in Moscow
    assert ivanov.get(f"/meters/{COLD}").json()["overdue"] is False
    assert submit(ivanov, COLD, value).status_code == 201
    monkeypatch.setenv("GKH_NOW", f"{due}T21:30:00+00:00")  # 00:30 the day after in Moscow, still the date in UTC
    assert ivanov.get(f"/meters/{COLD}").json()["overdue"] is True
    assert [m["overdue"] for m in ivanov.get("/meters").json()["items"]] == [True, False, False]
    assert_error(submit(ivanov, COLD, value), 422, "meter_overdue", "meter")
