"""Batch work over HTTP (waitress in a thread), on both engines: POST /accounts/batch (an organisation's staff create
and update their accounts, flats and meters) and POST /readings/batch (residents and staff submit many readings, each
through every rule of a single one) — the counts, the rows stored, each refusal as a rejected line naming its field,
dry runs, Idempotency-Key replays, and who may.

The demo portal's clock stands at 2026-11-20 12:00 Moscow (GKH_NOW). ООО «УК Ленинский квартал» (uk-staff) manages
ул. Ленина, д. 5 (H1), пр-т Мира, д. 12 (H2, H3) and the new build at ул. Строителей, д. 3 (H6: region 77, no flats
or accounts yet); the Yekaterinburg houses (H4, H5) are another organisation's. ivanov has M-000023 (cold water,
October 2671.947), M-000024 (hot water) and M-000452 (electricity, T1 T2 T3) linked.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from gkh.server.demo import DEMO_OVERDUE_METER, DEMO_RESIDENT_ACCOUNT_DETAILS, H1_GUID, H4_GUID, H6_ADDRESS, H6_GUID
from gkh.server.demo.newbuild import h6_guid
from tests.helpers.api import Api, assert_error
from tests.helpers.demo import COLD, HOT, POWER
from tests.helpers.rows import db, stored

IVANOV_UK = DEMO_RESIDENT_ACCOUNT_DETAILS[0]  # 77ЕЖ532838, number 87892735, flat 12 at H1
ELS_RE = re.compile(r"77[АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЭЮЯ]{2}[0-9]{6}")


@pytest.fixture
def staff(sign_in) -> Api:
    return sign_in("uk-staff")


@pytest.fixture
def ivanov(sign_in) -> Api:
    return sign_in("ivanov")


def row(line: int, **cells) -> dict:
    """An accounts row at the new build; `cells` override (None: an empty cell)."""
    base = {"line": line, "house": H6_ADDRESS, "flat": str(line), "number": f"10{line:06d}", "els": None,
            "area": "54,3", "share": None, "payer": "Сидоров Сидор Сидорович", "kind": None, "meter_serial": None,
            "meter_resource": None, "meter_zones": None}
    return {**base, **cells}


def post(api: Api, path: str, rows: list[dict], query: str = "", **kwargs):
    return api.post(f"{path}{query}", json={"rows": rows}, **kwargs)


def accounts(api: Api, rows: list[dict], query: str = "", **kwargs) -> dict:
    resp = post(api, "/accounts/batch", rows, query, **kwargs)
    assert resp.status_code == 200, resp.text
    return resp.json()


def readings(api: Api, rows: list[dict], query: str = "") -> dict:
    resp = post(api, "/readings/batch", rows, query)
    assert resp.status_code == 200, resp.text
    return resp.json()


def counts(answer: dict) -> tuple[int, int, int]:
    return answer["created"], answer["updated"], answer["unchanged"]


def rejected(answer: dict) -> list[tuple[int, str, str]]:
    return [(r["line"], r["field"], r["message"]) for r in answer["rejected"]]


def account(home, number: str):
    with db(home) as conn:
        return conn.execute(
            "SELECT a.*, f.number AS flat, f.area AS flat_area, f.house_guid AS flat_house FROM accounts a"
            " LEFT JOIN flats f ON f.id = a.flat_id WHERE a.org_id = 'ORG-0001' AND a.number = ?", (number,)).fetchone()


def meters_of(home, number: str) -> list:
    with db(home) as conn:
        return conn.execute("SELECT m.* FROM meters m JOIN accounts a ON a.id = m.account_id"
                            " WHERE a.org_id = 'ORG-0001' AND a.number = ? ORDER BY m.id", (number,)).fetchall()


def table_counts(home) -> tuple:
    with db(home) as conn:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("accounts", "flats", "meters", "readings"))


# -- the demo's new build ---------------------------------------------------------------------------------------


def test_the_new_build_is_seeded_as_documented(home, portal):
    assert h6_guid() == H6_GUID
    with db(home) as conn:
        house = conn.execute("SELECT * FROM houses WHERE guid = ?", (H6_GUID,)).fetchone()
        assert (house["address"], house["timezone"], house["window_from"], house["window_to"], house["year_built"],
                house["managing_org_id"], house["region_code"]) == (
            "г. Москва, ул. Строителей, д. 3", "Europe/Moscow", 15, 25, 2026, "ORG-0001", "77")
        assert conn.execute("SELECT count(*) FROM flats WHERE house_guid = ?", (H6_GUID,)).fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM accounts WHERE house_guid = ?", (H6_GUID,)).fetchone()[0] == 0
        # m011 filled the other houses' region codes from their accounts' ЕЛС.
        regions = dict(conn.execute("SELECT guid, region_code FROM houses").fetchall())
    assert regions[H1_GUID] == "77" and regions[H4_GUID] == "66"


# -- accounts ---------------------------------------------------------------------------------------------------


def test_new_accounts_are_created_with_their_flats_els_and_meters(staff, home):
    answer = accounts(staff, [
        row(2, area="54,30", share="1/2", kind="наниматель", meter_serial="ХВ-26-000001", meter_resource="ХВС",
            meter_zones="1"),
        row(3, house=H6_GUID.upper(), flat="3", number="10000003", els="77ЖЖ000003", area="60", kind="собственник",
            meter_serial="ГАЗ-1", meter_resource="газ"),
        row(4, flat="3", number="10000004", area=None, payer="Петров Пётр Петрович",
            meter_serial="ТП-1", meter_resource="тепловая энергия", meter_zones="1"),
    ])
    assert counts(answer) == (3, 0, 0) and answer["rejected"] == [] and answer["warnings"] == []

    first = account(home, "10000002")
    assert (first["house_guid"], first["flat"], first["flat_area"], first["area"]) == (H6_GUID, "2", "54.3", "54.3")
    assert (first["payer"], first["payer_kind"], first["payer_share"]) == ("Сидоров Сидор Сидорович", "tenant", "1/2")
    assert ELS_RE.fullmatch(first["els"]) and first["izhku"] == first["els"] + "-01"
    assert first["opened_on"] == "2026-11-20"
    second = account(home, "10000003")
    assert (second["els"], second["izhku"], second["payer_kind"], second["area"]) == (
        "77ЖЖ000003", "77ЖЖ000003-01", "owner", "60")
    third = account(home, "10000004")
    assert third["flat_id"] == second["flat_id"] and third["area"] == "60"  # the flat the row before created
    assert len({first["els"], second["els"], third["els"]}) == 3

    (cold,) = meters_of(home, "10000002")
    assert (cold["serial"], cold["resource"], cold["unit"], cold["zones"], cold["whole_digits"],
            cold["fraction_digits"], cold["installed_on"], cold["verified_on"], cold["verification_due"]) == (
        "ХВ-26-000001", "cold_water", "m3", "T1", 5, 3, "2026-11-20", "2026-11-20", "2032-11-20")
    (gas,) = meters_of(home, "10000003")
    assert (gas["resource"], gas["unit"], gas["whole_digits"], gas["fraction_digits"], gas["verification_due"]) == (
        "gas", "m3", 5, 3, "2036-11-20")
    (heat,) = meters_of(home, "10000004")
    assert (heat["resource"], heat["unit"], heat["whole_digits"], heat["fraction_digits"], heat["verification_due"]) \
        == ("heat", "Gcal", 4, 3, "2030-11-20")
    # Numbered after the demo's largest meter (DEMO_OVERDUE_METER, M-000823), in line order.
    assert [cold["id"], gas["id"], heat["id"]] == ["M-000824", "M-000825", "M-000826"]
    assert DEMO_OVERDUE_METER == "M-000823"


def test_the_same_chunk_again_is_all_unchanged_and_a_changed_payer_is_updated(staff, home):
    chunk = [row(2, meter_serial="ХВ-26-000001", meter_resource="cold_water"), row(3, share="0,5")]
    assert counts(accounts(staff, chunk)) == (2, 0, 0)
    before = table_counts(home)
    assert counts(accounts(staff, chunk)) == (0, 0, 2)
    # The same area written another way, the meter's serial with look-alike Latin letters: still unchanged.
    again = [row(2, area="54.30", meter_serial="XB-26-000001", meter_resource="ХВС"), row(3, share="1/2")]
    assert counts(accounts(staff, again)) == (0, 0, 2)
    assert table_counts(home) == before

    changed = accounts(staff, [row(2, payer="Кузнецова Мария Ивановна", kind="tenant"), row(3)])
    assert counts(changed) == (0, 1, 1)
    stored_row = account(home, "10000002")
    assert (stored_row["payer"], stored_row["payer_kind"]) == ("Кузнецова Мария Ивановна", "tenant")
    assert table_counts(home) == before
    # An empty kind, like an empty area or share, keeps what is stored: the tenant stays a tenant.
    assert counts(accounts(staff, [row(2, payer="Кузнецова Мария Ивановна", kind=None)])) == (0, 0, 1)
    assert account(home, "10000002")["payer_kind"] == "tenant"


def test_an_existing_account_gets_a_new_meter_and_is_updated(staff, home):
    existing = row(2, house=H1_GUID, flat="12", number=IVANOV_UK.number, area=None, payer="Иванов Иван Петрович",
                   meter_serial="ЭЛ-26-000777", meter_resource="electricity", meter_zones="2")
    answer = accounts(staff, [existing])
    assert counts(answer) == (0, 1, 0), answer
    new = [m for m in meters_of(home, IVANOV_UK.number) if m["serial"] == "ЭЛ-26-000777"]
    assert [(m["resource"], m["zones"], m["unit"]) for m in new] == [("electricity", "T1,T2", "kWh")]
    assert account(home, IVANOV_UK.number)["els"] == IVANOV_UK.els  # nothing else changed
    assert counts(accounts(staff, [existing])) == (0, 0, 1)


@pytest.mark.parametrize(("cells", "field", "reason"), [
    ({"house": "г. Москва, ул. Строителей, д. 33"}, "house", "no house at г. Москва, ул. Строителей, д. 33"),
    ({"house": "00000000-0000-4000-8000-000000000000"}, "house",
     "no house with FIAS GUID 00000000-0000-4000-8000-000000000000"),
    ({"house": H4_GUID}, "house", "not among the houses your organisation serves"),
    ({"els": IVANOV_UK.els}, "els", f"ЕЛС {IVANOV_UK.els} belongs to another account"),
    ({"area": None}, "area", "required for a flat the portal does not have yet"),
    ({"number": IVANOV_UK.number}, "house", f"account {IVANOV_UK.number} is at г. Москва, ул. Ленина, д. 5"),
    ({"house": H1_GUID, "flat": "12", "number": IVANOV_UK.number, "els": "77АА000001"}, "els",
     f"account {IVANOV_UK.number} has ЕЛС {IVANOV_UK.els}"),
    ({"house": H1_GUID, "flat": "12", "number": IVANOV_UK.number, "meter_serial": "ГВ-99-999999",
      "meter_resource": "cold_water"}, None, None),  # placeholder replaced below by the real serial
    ({"area": "0"}, "area", None),
    ({"payer": None}, "payer", "empty"),
])
def test_each_refusal_is_a_rejected_line_and_the_good_rows_go_in(staff, home, cells, field, reason):
    if field is None:  # a meter of the account's with another resource: its real serial
        hot = next(m for m in meters_of(home, IVANOV_UK.number) if m["id"] == HOT)
        cells = {**cells, "meter_serial": hot["serial"]}
        field, reason = "meter_resource", f"meter {hot['serial']} of account {IVANOV_UK.number} is for hot_water"
    before = table_counts(home)
    answer = accounts(staff, [row(2), row(3, **cells), row(4)])
    assert counts(answer) == (2, 0, 0)
    ((line, got_field, message),) = rejected(answer)
    assert (line, got_field) == (3, field)
    assert message.startswith(f"line 3: {field}: ")
    if reason is not None:
        assert message == f"line 3: {field}: {reason}"
    assert table_counts(home)[:2] == (before[0] + 2, before[1] + 2)
    assert account(home, "10000003") is None or cells.get("number") == IVANOV_UK.number


def test_a_meter_with_another_number_of_zones_is_rejected(staff, home):
    power = row(2, house=H1_GUID, flat="12", number=IVANOV_UK.number, area=None, payer="Иванов Иван Петрович",
                meter_serial="ЭЛ-26-000777", meter_resource="electricity", meter_zones="2")
    accounts(staff, [power])
    answer = accounts(staff, [{**power, "meter_zones": "3"}])
    assert rejected(answer) == [(2, "meter_zones", f"line 2: meter_zones: meter ЭЛ-26-000777 of account "
                                                   f"{IVANOV_UK.number} has 2 tariff zones")]


def test_another_house_for_an_existing_number_in_the_same_chunk(staff, home):
    answer = accounts(staff, [row(2), row(5, number="10000002", house=H1_GUID, flat="1")])
    assert counts(answer) == (1, 0, 0)
    assert rejected(answer) == [(5, "house", f"line 5: house: account 10000002 is at {H6_ADDRESS}")]


def test_rows_apply_in_order_within_a_chunk(staff, home):
    answer = accounts(staff, [row(2, payer="Первый Плательщик Иванович"), row(3, number="10000002",
                                                                              payer="Второй Плательщик Иванович")])
    assert counts(answer) == (1, 1, 0)
    assert account(home, "10000002")["payer"] == "Второй Плательщик Иванович"


def test_an_address_finds_the_house_written_any_way_the_search_key_reads_alike(staff, home):
    answer = accounts(staff, [row(2, house="Г. МОСКВА,  УЛ. СТРОИТЕЛЕЙ, Д. 3")])
    assert counts(answer) == (1, 0, 0), answer
    assert account(home, "10000002")["house_guid"] == H6_GUID


def test_the_drawn_els_are_unique_across_a_full_chunk(staff, home):
    rows = [row(n, flat=str(n)) for n in range(2, 1002)]
    answer = accounts(staff, rows)
    assert counts(answer) == (1000, 0, 0)
    with db(home) as conn:
        els = [r[0] for r in conn.execute("SELECT els FROM accounts WHERE house_guid = ?", (H6_GUID,)).fetchall()]
        assert len(els) == len(set(els)) == 1000 and all(ELS_RE.fullmatch(e) for e in els)
        assert conn.execute("SELECT count(DISTINCT els) FROM accounts").fetchone()[0] == \
            conn.execute("SELECT count(*) FROM accounts").fetchone()[0]


def test_a_dry_run_counts_and_stores_nothing(staff, home):
    before = table_counts(home)
    answer = accounts(staff, [row(2, meter_serial="ХВ-1", meter_resource="хвс"), row(3, house=H4_GUID)],
                      query="?dry_run=true")
    assert counts(answer) == (1, 0, 0) and answer["dry_run"] is True and len(answer["rejected"]) == 1
    assert table_counts(home) == before


def test_an_idempotency_key_replays_the_same_answer(staff, home):
    key = {"Idempotency-Key": "batch-accounts-1"}
    first = post(staff, "/accounts/batch", [row(2)], headers=key)
    again = post(staff, "/accounts/batch", [row(2)], headers=key)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and counts(again.json()) == (1, 0, 0)
    assert again.headers.get("Idempotent-Replayed") == "true"


@pytest.mark.parametrize(("body", "field"), [
    ({"rows": [{"line": 2}] * 1001}, "rows"),
    ({"rows": "not a list"}, "rows"),
    ({}, "rows"),
    ({"rows": [["a", "b"]]}, "rows[0]"),
    ({"rows": [{"house": "x"}]}, "rows[0].line"),
    ({"rows": [{"line": 0}]}, "rows[0].line"),
    ({"rows": [{"line": "2"}]}, "rows[0].line"),
    ({"rows": [{"line": 2, "area": 54.3}]}, "rows[0].area"),
    ({"rows": [{"line": 2, "colour": "red"}]}, "rows[0]"),
])
def test_a_malformed_body_is_400_naming_the_row(staff, home, body, field):
    before = table_counts(home)
    assert_error(staff.post("/accounts/batch", json=body), 400, "invalid", field)
    assert table_counts(home) == before


@pytest.mark.parametrize("login", ["ivanov", "petrova", "inspector", "admin"])
def test_only_staff_import_accounts(sign_in, home, login):
    before = table_counts(home)
    assert_error(post(sign_in(login), "/accounts/batch", [row(2)]), 403, "forbidden")
    assert table_counts(home) == before


# -- readings ---------------------------------------------------------------------------------------------------


def reading(line: int, meter: str = COLD, t1: str | None = "2675,5", **cells) -> dict:
    return {"line": line, "meter": meter, "T1": t1, "T2": None, "T3": None, "date": None, **cells}


def values(home, meter: str, period: str = "2026-11") -> dict | None:
    rows = stored(home, meter, period)
    return json.loads(rows[0]["reading_values"]) if rows else None


def test_readings_are_accepted_replaced_and_unchanged(ivanov, home):
    answer = readings(ivanov, [reading(2), reading(3, HOT, "765,001"),
                               reading(4, POWER, "2810,4", T2="3601.2", T3="2544,9", date="20.11.26")])
    assert counts(answer) == (3, 0, 0) and answer["rejected"] == [] and answer["warnings"] == []
    assert values(home, COLD) == {"T1": "2675.5"}
    assert values(home, POWER) == {"T1": "2810.4", "T2": "3601.2", "T3": "2544.9"}
    assert stored(home, POWER, "2026-11")[0]["taken_on"] == "2026-11-20"

    assert counts(readings(ivanov, [reading(2), reading(3, HOT, "765.001")])) == (0, 0, 2)
    assert counts(readings(ivanov, [reading(2, t1="2676")])) == (0, 1, 0)
    assert values(home, COLD) == {"T1": "2676"}


def test_a_second_row_for_the_same_meter_in_a_chunk_replaces_the_first(ivanov, home):
    answer = readings(ivanov, [reading(2), reading(3, t1="2677"), reading(4, t1="2677")])
    assert counts(answer) == (1, 1, 1)
    assert values(home, COLD) == {"T1": "2677"} and len(stored(home, COLD, "2026-11")) == 1


def test_a_meter_found_by_its_serial_as_typed(ivanov, home):
    with db(home) as conn:
        serial = conn.execute("SELECT serial FROM meters WHERE id = ?", (COLD,)).fetchone()[0]
    assert counts(readings(ivanov, [reading(2, serial.lower())])) == (1, 0, 0)
    assert values(home, COLD) == {"T1": "2675.5"}


@pytest.mark.parametrize(("cells", "field", "reason"), [
    ({"meter": "M-999999"}, "meter", "no meter M-999999 among yours"),
    ({"T1": "2600"}, "T1", None),  # lower than October's 2671.947
    ({"T1": "123456"}, "T1", None),  # more whole digits than the meter shows
    ({"T1": "1,5", "T2": "2"}, "T2", None),  # one zone, two values
    ({"meter": POWER, "T1": "2810,4"}, "T2", None),  # three zones, one value
    ({"date": "21.11.2026"}, "date", None),  # tomorrow
    ({"date": "20.10.2026"}, "date", None),  # October is closed
    ({"T1": "abc"}, "T1", None),
])
def test_each_reading_rule_is_a_rejected_line_with_its_field(ivanov, home, cells, field, reason):
    before = table_counts(home)
    answer = readings(ivanov, [reading(2, HOT, "765,001"), {**reading(3), **cells}])
    assert counts(answer) == (1, 0, 0)
    ((line, got_field, message),) = rejected(answer)
    assert (line, got_field) == (3, field) and message.startswith(f"line 3: {field}: ")
    assert not message.startswith(f"line 3: {field}: {field}: ")  # a zone's refusal names its zone once
    if reason:
        assert message == f"line 3: {field}: {reason}"
    assert table_counts(home)[3] == before[3] + 1


def test_an_overdue_meter_is_rejected_as_meter(staff, home):
    answer = readings(staff, [reading(2, DEMO_OVERDUE_METER, "9999")])
    ((line, field, message),) = rejected(answer)
    assert (line, field) == (2, "meter") and "was due for verification" in message


def test_outside_the_window_the_row_is_rejected_as_meter(add_user, home, monkeypatch):
    ekb = add_user("ekb-staff", "staff", "ORG-0003")
    with db(home) as conn:
        meter = conn.execute("SELECT m.id FROM meters m JOIN accounts a ON a.id = m.account_id"
                             " WHERE a.house_guid = ? ORDER BY m.id LIMIT 1", (H4_GUID,)).fetchone()[0]
    monkeypatch.setenv("GKH_NOW", "2026-11-26T10:00:00+05:00")
    answer = readings(ekb, [reading(2, meter, "99999")])
    ((line, field, message),) = rejected(answer)
    assert (line, field) == (2, "meter") and "are accepted from the 15th to the 25th" in message


def test_a_suspicious_jump_is_stored_with_a_warning(ivanov, home):
    answer = readings(ivanov, [reading(7, t1="2999")])
    assert counts(answer) == (1, 0, 0)
    ((warning),) = answer["warnings"]
    assert warning["line"] == 7
    assert warning["message"].startswith(f"line 7: meter {COLD}: T1: consumption 327.053 is more than 10×")
    assert values(home, COLD) == {"T1": "2999"}


def test_a_resident_cannot_reach_anothers_meter(sign_in, home):
    petrova = sign_in("petrova")
    mine = readings(petrova, [reading(2, COLD), reading(3, "M-999999")])
    assert [r["field"] for r in mine["rejected"]] == ["meter", "meter"]
    # The same words as for a meter that does not exist: nothing told of ivanov's.
    assert [r["message"].split(": ", 2)[2].replace(COLD, "…").replace("M-999999", "…") for r in mine["rejected"]] \
        == ["no meter … among yours"] * 2
    assert stored(home, COLD, "2026-11") == []


def test_staff_submit_their_organisations_meters_only(sign_in, home):
    uk, energo = sign_in("uk-staff"), sign_in("energo-staff")
    assert counts(readings(uk, [reading(2)])) == (1, 0, 0)
    assert stored(home, COLD, "2026-11")[0]["submitted_by"] is not None
    answer = readings(energo, [reading(2, HOT, "765,001"), reading(3, POWER, "2810,4", T2="3601,2", T3="2544,9")])
    assert counts(answer) == (1, 0, 0) and [r["field"] for r in answer["rejected"]] == ["meter"]


def test_a_readings_dry_run_stores_nothing(ivanov, home):
    answer = readings(ivanov, [reading(2)], query="?dry_run=true")
    assert counts(answer) == (1, 0, 0) and answer["dry_run"] is True
    assert stored(home, COLD, "2026-11") == []


@pytest.mark.parametrize("login", ["inspector", "admin"])
def test_only_residents_and_staff_submit_readings(sign_in, home, login):
    assert_error(post(sign_in(login), "/readings/batch", [reading(2)]), 403, "forbidden")
    assert stored(home, COLD, "2026-11") == []


def test_a_malformed_readings_body_is_400(ivanov):
    assert_error(ivanov.post("/readings/batch", json={"rows": [reading(2, area="1")]}), 400, "invalid", "rows[0]")
    assert_error(ivanov.post("/readings/batch", json={"rows": [{"line": 2, "T1": 1}]}), 400, "invalid",
                 "rows[0].T1")


def test_the_single_submit_and_the_batch_agree(ivanov, home):
    """The same reading through both: the same stored values and the same consumption rules (one set of rules)."""
    single = ivanov.post(f"/meters/{HOT}/readings", json={"values": ["765.001"]})
    assert single.status_code == 201, single.text
    assert counts(readings(ivanov, [reading(2, HOT, "765,001", date="20.11.2026")])) == (0, 0, 1)
    assert Decimal(values(home, HOT)["T1"]) == Decimal("765.001")
