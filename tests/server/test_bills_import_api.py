"""Bills imported from an organisation's accounting, over HTTP on both engines: POST /bills/batch — a bill of three
lines created with its ИПД, its total the sum of its lines and its due date the 10th of the next month; the same
again unchanged; a changed tariff updating the line and the total; a paid bill, a period to come and another
organisation's account refused row by row; who may; an admin by ЕЛС — and the resident sees the bill and pays it.

The demo portal's clock stands at 2026-11-20 12:00 Moscow (GKH_NOW): its bills run to 2026-10 (paid but the last
one or two), 2026-11 has none yet. uk-staff is ООО «УК Ленинский квартал», whose account 87892735 (ЕЛС 77ЕЖ532838)
is ivanov's; 77ИВ845392 is ivanov's account with АО «СтоличЭнергоСбыт».
"""

from __future__ import annotations

import pytest

from gkh.server.demo import DEMO_RESIDENT_ACCOUNTS
from tests.helpers.api import Api, assert_error
from tests.helpers.rows import db

UK_ELS, ENERGO_ELS = DEMO_RESIDENT_ACCOUNTS
UK_NUMBER = "87892735"
NEW_BILL = "77ЕЖ532838-01-2611"
PAID_BILL = "77ЕЖ532838-01-2608"  # the demo's: paid in full


def line(line: int, **cells) -> dict:
    base = {"line": line, "account": UK_NUMBER, "period": "2026-11", "service": "maintenance", "volume": "54,3",
            "tariff": "32,50"}
    return {**base, **cells}


THREE = [line(2), line(3, service="ХВС", volume="4,5", unit="м3", tariff="62,84"),
         line(4, service="ГВС", volume="2,25", tariff="301,53", amount="678,00")]


def bills(api: Api, rows: list[dict], query: str = "", **kwargs):
    return api.post(f"/bills/batch{query}", json={"rows": rows}, **kwargs)


def counts(resp) -> tuple[int, int, int]:
    assert resp.status_code == 200, resp.text
    body = resp.json()
    return body["created"], body["updated"], body["unchanged"]


def stored_bill(home, bill_id: str = NEW_BILL):
    with db(home) as conn:
        bill = conn.execute("SELECT * FROM bills WHERE id = ?", (bill_id,)).fetchone()
        lines = conn.execute("SELECT position, service, zone, volume, unit, tariff_kopecks, amount_kopecks"
                             " FROM bill_lines WHERE bill_id = ? ORDER BY position", (bill_id,)).fetchall()
    return bill, [tuple(r) for r in lines]


def test_a_bill_of_three_lines_is_created_then_unchanged_then_updated(sign_in, home):
    staff = sign_in("uk-staff")
    resp = bills(staff, THREE)
    assert counts(resp) == (3, 0, 0) and resp.json()["rejected"] == []
    bill, lines = stored_bill(home)
    assert lines == [(1, "maintenance", None, "54.3", "m2", 3250, 176475),
                     (2, "cold_water", None, "4.5", "m3", 6284, 28278),
                     (3, "hot_water", None, "2.25", "m3", 30153, 67800)]
    assert (bill["period"], bill["payee_org_id"], bill["issued_on"], bill["due_date"]) == (
        "2026-11", "ORG-0001", "2026-11-20", "2026-12-10")
    assert (bill["total_kopecks"], bill["paid_kopecks"]) == (176475 + 28278 + 67800, 0)
    # The same file again changes nothing; a changed tariff updates its line, and the total follows.
    assert counts(bills(staff, THREE)) == (0, 0, 3)
    changed = [*THREE[:2], {**THREE[2], "amount": None, "tariff": "310,00"}]
    assert counts(bills(staff, changed)) == (0, 1, 2)
    bill, lines = stored_bill(home)
    assert lines[2] == (3, "hot_water", None, "2.25", "m3", 31000, 69750)
    assert bill["total_kopecks"] == 176475 + 28278 + 69750
    # A new service takes the next position; a given due date moves the bill's.
    assert counts(bills(staff, [line(2, service="sewerage", volume="6.75", tariff="47.20",
                                     due_date="15.12.2026")])) == (1, 0, 0)
    bill, lines = stored_bill(home)
    assert lines[3][:2] == (4, "sewerage") and bill["due_date"] == "2026-12-15"


def test_a_dry_run_counts_and_stores_nothing(sign_in, home):
    assert counts(bills(sign_in("uk-staff"), THREE, query="?dry_run=true")) == (3, 0, 0)
    assert stored_bill(home) == (None, [])


def test_refused_rows_say_why_and_the_others_go_in(sign_in, home):
    staff = sign_in("uk-staff")
    resp = bills(staff, [line(2), line(3, period="2026-12"), line(4, account=ENERGO_ELS),
                         line(5, period="2026-08"), line(6, account="99999999"), line(7, volume="много")])
    assert counts(resp) == (1, 0, 0)
    rejected = {r["line"]: (r["field"], r["message"]) for r in resp.json()["rejected"]}
    assert rejected == {
        3: ("period", "line 3: period: the period 2026-12 has not begun yet"),
        4: ("account", f"line 4: account: no account {ENERGO_ELS} among your organisation's"),
        5: ("period", f"line 5: period: the bill {PAID_BILL} is paid (partly): put a correction in a later "
                      "period's bill"),
        6: ("account", "line 6: account: no account 99999999 among your organisation's"),
        7: ("volume", rejected[7][1]),
    }
    assert rejected[7][1].startswith("line 7: volume: ")
    assert stored_bill(home)[0]["total_kopecks"] == 176475


def test_the_same_line_of_a_paid_bill_again_is_unchanged(sign_in, home):
    bill, lines = stored_bill(home, PAID_BILL)
    assert bill["paid_kopecks"] == bill["total_kopecks"] > 0
    _, service, zone, volume, unit, tariff, amount = lines[0]
    same = line(2, period="2026-08", service=service, zone=zone, volume=volume, unit=unit,
                tariff=f"{tariff // 100}.{tariff % 100:02d}", amount=f"{amount // 100}.{amount % 100:02d}")
    assert counts(bills(sign_in("uk-staff"), [same])) == (0, 0, 1)
    assert stored_bill(home, PAID_BILL) == (bill, lines)


@pytest.mark.parametrize("login", ["ivanov", "inspector"])
def test_residents_and_inspectors_may_not_import_bills(sign_in, home, login):
    assert_error(bills(sign_in(login), THREE), 403, "forbidden")
    assert stored_bill(home) == (None, [])


def test_an_admin_imports_by_els_and_the_resident_sees_the_bill_and_pays_it(sign_in, home):
    admin = sign_in("admin")
    resp = bills(admin, [line(2, account=UK_ELS), line(3, account=UK_NUMBER),
                         line(4, account=ENERGO_ELS, service="electricity", zone="T2", volume="80", unit="кВт·ч",
                              tariff="4,17"), line(5, account="77ЖЖ000000")])
    assert counts(resp) == (2, 0, 1)  # line 3: the number only one account in the portal has, the same line again
    assert resp.json()["rejected"] == [{"line": 5, "field": "account", "message": "line 5: account: no account "
                                                                                   "77ЖЖ000000"}]
    with db(home) as conn:  # another organisation gives an account the same number: the ЕЛС is asked for
        conn.execute("UPDATE accounts SET number = ? WHERE els = ?", (UK_NUMBER, ENERGO_ELS))
    ambiguous = bills(admin, [line(2)]).json()["rejected"]
    assert ambiguous == [{"line": 2, "field": "account", "message": "line 2: account: 2 accounts have the number "
                                                                    "87892735: give the account's ЕЛС"}]
    assert counts(bills(sign_in("uk-staff"), [line(2)])) == (0, 0, 1)  # staff: their organisation's one
    assert stored_bill(home, "77ИВ845392-01-2611")[1] == [(1, "electricity", "T2", "80", "kWh", 417, 33360)]
    ivanov = sign_in("ivanov")
    found = ivanov.get(f"/bills/{NEW_BILL}")
    assert found.status_code == 200, found.text
    shown = found.json()
    assert (shown["total"], shown["due"], shown["status"], shown["due_date"]) == ("1764.75", "1764.75", "unpaid",
                                                                                  "2026-12-10")
    assert shown["lines"] == [{"service": "maintenance", "zone": None, "volume": "54.3", "unit": "m2",
                               "tariff": "32.50", "amount": "1764.75"}]
    listed = ivanov.get("/bills", params={"account": UK_ELS}).json()["items"]
    assert listed[0]["id"] == NEW_BILL
    paid = ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet", "bill": NEW_BILL})
    assert paid.status_code == 201, paid.text
    assert paid.json()["bills"] == [{"id": NEW_BILL, "period": "2026-11", "amount": "1764.75"}]
    assert stored_bill(home)[0]["paid_kopecks"] == 176475
    # Paid, the bill refuses a change from accounting.
    again = bills(admin, [line(2, account=UK_ELS, tariff="33,00")])
    assert counts(again) == (0, 0, 0) and again.json()["rejected"][0]["field"] == "period"
