"""Bills (ЕПД) over HTTP (waitress in a thread), on both engines: the shape of a bill, the list's filters and
pages, finding one by its ИПД, and who sees which.

The demo portal's clock stands at 2026-11-20 12:00 Moscow (GKH_NOW); the seeded bills cover 2025-11 … 2026-10,
all paid but each account's latest, and ivanov's managing-organisation account 77ЕЖ532838 has its latest two
unpaid (2026-09 due 10.10.2026, 2026-10 due 10.11.2026: both overdue now).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from gkh.server.demo import DEMO_PETROVA_ACCOUNT, DEMO_RESIDENT_ACCOUNTS, ORG_UK_MOSCOW
from tests.helpers.api import assert_error
from tests.helpers.demo import COLD, HOT
from tests.helpers.rows import db

UK_ELS, ENERGO_ELS = DEMO_RESIDENT_ACCOUNTS
LATEST = "77ЕЖ532838-01-2610"
BILL_FIELDS = {"id", "account", "period", "payee", "issued_on", "due_date", "total", "paid", "due", "status",
               "overdue", "lines"}
MONEY = re.compile(r"^[0-9]+\.[0-9]{2}$")
IPD = re.compile(r"^[0-9]{2}[А-ЯЁ]{2}[0-9]{6}-[0-9]{2}-[0-9]{4}$")


def cents(text: str) -> int:
    assert MONEY.match(text), text
    return int(Decimal(text) * 100)


def all_pages(api, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        resp = api.get("/bills", params={**params, **({"cursor": cursor} if cursor else {})})
        assert resp.status_code == 200, resp.text
        items += resp.json()["items"]
        cursor = resp.json()["next_cursor"]
        if cursor is None:
            return items


def test_a_bill_as_the_contract_shapes_it(ivanov):
    resp = ivanov.get(f"/bills/{LATEST}")
    assert resp.status_code == 200, resp.text
    bill = resp.json()
    assert set(bill) == BILL_FIELDS
    assert (bill["id"], bill["account"], bill["period"]) == (LATEST, UK_ELS, "2026-10")
    assert IPD.match(bill["id"])
    assert (bill["issued_on"], bill["due_date"]) == ("2026-11-01", "2026-11-10")
    payee = bill["payee"]
    assert set(payee) == {"id", "kind", "name", "short_name", "inn", "kpp", "bank"}
    assert (payee["id"], payee["kind"]) == (ORG_UK_MOSCOW, "managing")
    assert payee["short_name"] == "ООО «УК Ленинский квартал»"
    assert set(payee["bank"]) == {"name", "bik", "account", "correspondent_account"}
    assert re.fullmatch(r"04[0-9]{7}", payee["bank"]["bik"]) and re.fullmatch(r"[0-9]{20}", payee["bank"]["account"])
    assert (bill["paid"], bill["status"], bill["overdue"]) == ("0.00", "unpaid", True)
    assert bill["due"] == bill["total"]
    assert [line["service"] for line in bill["lines"]] == ["maintenance", "cold_water", "hot_water", "sewerage",
                                                          "heating"]
    for line in bill["lines"]:
        assert set(line) == {"service", "zone", "volume", "unit", "tariff", "amount"}
        assert line["zone"] is None
        assert re.fullmatch(r"[0-9]+(\.[0-9]*[1-9])?", line["volume"]), line
        assert cents(line["amount"]) == int((Decimal(line["volume"]) * cents(line["tariff"]))
                                            .quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    assert {line["service"]: line["unit"] for line in bill["lines"]} == {
        "maintenance": "m2", "cold_water": "m3", "hot_water": "m3", "sewerage": "m3", "heating": "Gcal"}
    assert cents(bill["total"]) == sum(cents(line["amount"]) for line in bill["lines"])


def test_every_total_is_the_sum_of_its_lines_and_due_is_total_less_paid(ivanov):
    bills = all_pages(ivanov)
    assert len(bills) == 24
    for bill in bills:
        assert cents(bill["total"]) == sum(cents(line["amount"]) for line in bill["lines"]), bill["id"]
        assert cents(bill["due"]) == max(cents(bill["total"]) - cents(bill["paid"]), 0)
        assert bill["status"] == ("paid" if bill["due"] == "0.00" else "unpaid")
        assert bill["overdue"] == (bill["due"] != "0.00")  # everything unpaid is past its 10th by 20.11.2026


def test_water_lines_agree_with_the_stored_readings(ivanov, home):
    with db(home) as conn:
        stored = {m: {r["period"]: Decimal(json.loads(r["reading_values"])["T1"]) for r in conn.execute(
            "SELECT period, reading_values FROM readings WHERE meter_id = ?", (m,))} for m in (COLD, HOT)}
    checked = 0
    for bill in all_pages(ivanov, account=UK_ELS):
        year, month = int(bill["period"][:4]), int(bill["period"][5:])
        before = f"{year - (month == 1)}-{12 if month == 1 else month - 1:02d}"
        lines = {line["service"]: line for line in bill["lines"]}
        for meter, service in ((COLD, "cold_water"), (HOT, "hot_water")):
            if before in stored[meter] and bill["period"] in stored[meter]:
                volume = stored[meter][bill["period"]] - stored[meter][before]
                assert Decimal(lines[service]["volume"]) == volume, (bill["id"], service)
                checked += 1
    assert checked == 22


def test_the_id_with_or_without_hyphens_and_look_alike_letters(ivanov):
    for spelling in ("77ЕЖ532838012610", " 77еж532838-01-2610 ", "77Eж532838\u201301\u20132610"):
        resp = ivanov.get(f"/bills/{spelling}")
        assert resp.status_code == 200, (spelling, resp.text)
        assert resp.json()["id"] == LATEST


@pytest.mark.parametrize("bad", ["77ЕЖ532838-01", "77ЕЖ532838-01-261", "77ZZ532838-01-2610", "x"])
def test_a_malformed_id_is_a_400_naming_id(ivanov, bad):
    error = assert_error(ivanov.get(f"/bills/{bad}"), 400, "invalid", "id")
    assert "ИПД" in error["message"]


def test_a_bill_not_among_yours_is_404_bill_not_found(ivanov, petrova):
    error = assert_error(petrova.get(f"/bills/{LATEST}"), 404, "bill_not_found")
    assert error["message"] == f"no bill {LATEST} among yours"
    neighbour = f"{DEMO_PETROVA_ACCOUNT.izhku}-2610"
    assert_error(ivanov.get(f"/bills/{neighbour}"), 404, "bill_not_found")
    assert_error(ivanov.get("/bills/77ЕЖ532838-01-2611"), 404, "bill_not_found")  # not yet issued


def test_the_unpaid_filter(ivanov):
    unpaid = all_pages(ivanov, unpaid="true")
    assert [b["id"] for b in unpaid] == [LATEST, "77ИВ845392-01-2610", "77ЕЖ532838-01-2609"]
    assert all(b["status"] == "unpaid" and b["due"] == b["total"] and b["overdue"] for b in unpaid)
    assert len(all_pages(ivanov, unpaid="false")) == 24
    assert_error(ivanov.get("/bills", params={"unpaid": "maybe"}), 400, "invalid", "unpaid")


def test_the_account_filter_folds_look_alike_letters(ivanov):
    bills = all_pages(ivanov, account="77Eж532838")  # a Latin E
    assert {b["account"] for b in bills} == {UK_ELS} and len(bills) == 12
    assert [b["period"] for b in bills] == sorted((b["period"] for b in bills), reverse=True)
    energo = all_pages(ivanov, account=ENERGO_ELS.lower(), unpaid="true")
    assert [b["id"] for b in energo] == ["77ИВ845392-01-2610"]
    assert {line["zone"] for line in energo[0]["lines"]} == {"T1", "T2", "T3"}
    assert {line["unit"] for line in energo[0]["lines"]} == {"kWh"}


def test_an_account_not_among_yours_is_404_and_a_malformed_one_400(ivanov):
    error = assert_error(ivanov.get("/bills", params={"account": DEMO_PETROVA_ACCOUNT.els}), 404, "account_not_found")
    assert DEMO_PETROVA_ACCOUNT.els in error["message"]
    assert_error(ivanov.get("/bills", params={"account": "77АА000000"}), 404, "account_not_found")
    assert_error(ivanov.get("/bills", params={"account": "77ЕЖ53283"}), 400, "invalid", "account")


def test_pages_newest_period_first_then_by_id(ivanov):
    whole = all_pages(ivanov)
    paged = all_pages(ivanov, limit=5)
    assert [b["id"] for b in paged] == [b["id"] for b in whole]
    assert [(b["period"], b["id"]) for b in whole] == sorted(((b["period"], b["id"]) for b in whole),
                                                             key=lambda k: (-int(k[0].replace("-", "")), k[1]))
    first = ivanov.get("/bills", params={"limit": 5}).json()
    assert len(first["items"]) == 5 and first["next_cursor"]
    assert_error(ivanov.get("/bills", params={"cursor": "bm90LWEtY3Vyc29y"}), 400, "invalid", "cursor")


def test_staff_see_their_organisations_bills_and_no_other(sign_in):
    uk, energo, inspector = sign_in("uk-staff"), sign_in("energo-staff"), sign_in("inspector")
    assert uk.get(f"/bills/{LATEST}").json()["id"] == LATEST
    assert_error(energo.get(f"/bills/{LATEST}"), 404, "bill_not_found")
    page = uk.get("/bills", params={"limit": 50}).json()
    assert len(page["items"]) == 50 and {b["payee"]["id"] for b in page["items"]} == {ORG_UK_MOSCOW}
    assert {b["period"] for b in page["items"]} == {"2026-10"}
    assert_error(inspector.get(f"/bills/{LATEST}"), 403, "forbidden")
    assert_error(inspector.get("/bills"), 403, "forbidden")
