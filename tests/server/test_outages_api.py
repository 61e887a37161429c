"""Notices of outages over HTTP (waitress in a thread), on both engines: the demo's notices, posting one (dates and
local times read in the house's zone), each rule a 400 naming its field, who may post, change and cancel, the list's
filters as the clock moves, and the house's passport.

The demo portal's clock stands at 2026-11-20 12:00 Moscow (GKH_NOW). ул. Ленина, д. 5 (H1, Europe/Moscow) is
managed by ООО «УК Ленинский квартал» (uk-staff) and supplied by АО «СтоличЭнергоСбыт» (energo-staff); ул. Малышева,
д. 51 (H4, Asia/Yekaterinburg) by ООО «УК Уральский дом», which has no demo login (the tests add one).
"""

from __future__ import annotations

import pytest

from gkh.server.demo import H1_GUID, H2_GUID, H4_GUID, ORG_UK_EKB
from tests.helpers.api import Api, assert_error
from tests.helpers.rows import db

FIELDS = {"id", "house", "resource", "topic", "text", "start", "end", "important", "status", "posted_by",
          "updated_at", "version"}
TEXT = "В связи с ремонтом трубопровода подача горячей воды будет прекращена."
# The demo's notices at GKH_NOW: id → (house, resource, status, important).
DEMO = {
    "OT-000001": (H1_GUID, "hot_water", "over", False),
    "OT-000002": (H1_GUID, "hot_water", "active", True),
    "OT-000003": (H1_GUID, "cold_water", "upcoming", False),
    "OT-000004": (H1_GUID, "electricity", "cancelled", False),
    "OT-000005": (H4_GUID, "hot_water", "over", False),
    "OT-000006": (H4_GUID, "electricity", "upcoming", False),
    "OT-000007": (H2_GUID, "heating", "upcoming", False),
}


def notice(**fields) -> dict:
    body = {"house": "ленина 5", "resource": "hot_water", "start": "2026-12-01", "end": "2026-12-14", "text": TEXT}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


def stored(home) -> list[tuple]:
    with db(home) as conn:
        return [tuple(r) for r in conn.execute(
            "SELECT id, starts_at, ends_at, text, topic, important, cancelled_at, version FROM outages"
            " ORDER BY seq").fetchall()]


def items(api: Api, query: str = "") -> list[dict]:
    resp = api.get(f"/outages{query}")
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


# -- the demo's notices --------------------------------------------------------------------------------------------


def test_the_demo_notices_as_seeded_at_the_tests_now(sign_in):
    listed = items(sign_in("admin"))
    assert {n["id"]: (n["house"]["guid"], n["resource"], n["status"], n["important"]) for n in listed} == DEMO
    assert all(set(n) == FIELDS for n in listed)
    starts = [n["start"] for n in listed]
    assert starts == sorted(starts, reverse=True)
    by_id = {n["id"]: n for n in listed}
    summer = by_id["OT-000001"]
    assert (summer["start"], summer["end"]) == ("2026-07-05T21:00:00+00:00", "2026-07-19T21:00:00+00:00")
    assert summer["topic"] == "Плановое отключение горячего водоснабжения"
    assert summer["posted_by"] == "ООО «УК Ленинский квартал»"
    assert by_id["OT-000004"]["posted_by"] == "АО «СтоличЭнергоСбыт»"
    emergency = by_id["OT-000002"]
    assert (emergency["start"], emergency["end"]) == ("2026-11-20T03:00:00+00:00", "2026-11-21T03:00:00+00:00")
    assert emergency["topic"] == "Аварийное отключение ГВС"
    assert (by_id["OT-000003"]["start"], by_id["OT-000003"]["end"]) == ("2026-11-25T06:00:00+00:00",
                                                                          "2026-11-25T14:00:00+00:00")
    ekb_summer = by_id["OT-000005"]  # 00:00 in Yekaterinburg is 19:00 UTC the day before
    assert (ekb_summer["start"], ekb_summer["end"]) == ("2026-07-05T19:00:00+00:00", "2026-07-19T19:00:00+00:00")
    assert (by_id["OT-000006"]["start"], by_id["OT-000006"]["end"]) == ("2026-11-23T05:00:00+00:00",
                                                                          "2026-11-23T11:00:00+00:00")
    assert by_id["OT-000004"]["version"] == 2 and by_id["OT-000001"]["version"] == 1


def test_who_reads_which_houses_notices(sign_in, add_user):
    h1 = {k for k, v in DEMO.items() if v[0] == H1_GUID}
    assert {n["id"] for n in items(sign_in("ivanov"))} == h1
    assert {n["id"] for n in items(sign_in("petrova"))} == h1  # owns flats there, no account linked
    assert {n["id"] for n in items(sign_in("uk-staff"))} == h1 | {"OT-000007"}  # manages H1 and H2
    assert {n["id"] for n in items(sign_in("energo-staff"))} == h1  # has accounts in H1 only
    assert {n["id"] for n in items(sign_in("inspector"))} == h1 | {"OT-000007"}
    ekb = add_user("ekb-staff", "staff", ORG_UK_EKB)
    assert {n["id"] for n in items(ekb)} == {"OT-000005", "OT-000006"}
    assert_error(ekb.get("/outages/OT-000002"), 404, "outage_not_found")
    assert_error(sign_in("ivanov").get("/outages/OT-000006"), 404, "outage_not_found")
    assert_error(sign_in("ivanov").get("/outages/OT-999999"), 404, "outage_not_found")
    shown = sign_in("ivanov").get("/outages/ot-000002")
    assert shown.status_code == 200 and shown.json()["status"] == "active"


# -- posting -------------------------------------------------------------------------------------------------------


def test_posting_reads_dates_in_the_houses_zone(sign_in, add_user, home):
    uk = sign_in("uk-staff")
    resp = uk.post("/outages", json=notice())
    assert resp.status_code == 201, resp.text
    posted = resp.json()
    assert posted["id"] == "OT-000008" and set(posted) == FIELDS
    # 1 December 00:00 Moscow to the end of 14 December there (15 December 00:00)
    assert (posted["start"], posted["end"]) == ("2026-11-30T21:00:00+00:00", "2026-12-14T21:00:00+00:00")
    assert posted["topic"] == "Отключение горячей воды" and posted["status"] == "upcoming"
    assert posted["important"] is False and posted["version"] == 1
    assert posted["updated_at"] == "2026-11-20T09:00:00+00:00"
    assert posted["house"] == {"guid": H1_GUID, "address": "г. Москва, ул. Ленина, д. 5"}
    ekb = add_user("ekb-staff", "staff", ORG_UK_EKB)
    resp = ekb.post("/outages", json=notice(house=H4_GUID, resource="electricity", start="2026-12-01",
                                            end="2026-12-01", topic="Отключение света", important=True))
    assert resp.status_code == 201, resp.text
    assert (resp.json()["start"], resp.json()["end"]) == ("2026-11-30T19:00:00+00:00", "2026-12-01T19:00:00+00:00")
    assert resp.json()["topic"] == "Отключение света" and resp.json()["important"] is True
    resp = ekb.post("/outages", json=notice(house=H4_GUID, resource="cold-water", start="2026-12-02T09:00",
                                            end="2026-12-02T17:30"))
    assert resp.status_code == 201, resp.text
    assert (resp.json()["start"], resp.json()["end"]) == ("2026-12-02T04:00:00+00:00", "2026-12-02T12:30:00+00:00")
    assert resp.json()["resource"] == "cold_water"
    resp = uk.post("/outages", json=notice(start="2026-12-02T09:00:00+03:00", end="2026-12-02T10:00:00Z"))
    assert resp.status_code == 201, resp.text
    assert (resp.json()["start"], resp.json()["end"]) == ("2026-12-02T06:00:00+00:00", "2026-12-02T10:00:00+00:00")
    assert [r[0] for r in stored(home)][-4:] == ["OT-000008", "OT-000009", "OT-000010", "OT-000011"]
    assert resp.json()["id"] in {n["id"] for n in items(sign_in("ivanov"))}


@pytest.mark.parametrize(("fields", "field"), [
    ({"start": "2026-12-14", "end": "2026-12-01"}, "end"),
    ({"start": "2026-12-01T10:00", "end": "2026-12-01T10:00"}, "end"),
    ({"start": "01.12.2026"}, "start"),
    ({"start": "2026-02-30"}, "start"),
    ({"end": ...}, "end"),
    ({"end": "2026-12-01T25:00"}, "end"),
    ({"text": ""}, "text"),
    ({"text": "   "}, "text"),
    ({"text": ...}, "text"),
    ({"text": "я" * 5001}, "text"),
    ({"topic": "т" * 201}, "topic"),
    ({"topic": ""}, "topic"),
    ({"resource": "water"}, "resource"),
    ({"resource": ...}, "resource"),
    ({"important": "yes"}, "important"),
    ({"house": ...}, "house"),
])
def test_a_posting_at_fault_is_400_naming_the_field(sign_in, home, fields, field):
    before = stored(home)
    assert_error(sign_in("uk-staff").post("/outages", json=notice(**fields)), 400, "invalid", field)
    assert stored(home) == before


def test_the_limits_themselves_are_accepted(sign_in):
    resp = sign_in("uk-staff").post("/outages", json=notice(text="я" * 5000, topic="т" * 200))
    assert resp.status_code == 201, resp.text
    assert len(resp.json()["text"]) == 5000 and len(resp.json()["topic"]) == 200


def test_who_may_post_for_which_house(sign_in, add_user, home):
    before = stored(home)
    assert_error(sign_in("uk-staff").post("/outages", json=notice(house=H4_GUID)), 404, "house_not_found")
    assert_error(sign_in("energo-staff").post("/outages", json=notice(house=H2_GUID)), 404, "house_not_found")
    ekb = add_user("ekb-staff", "staff", ORG_UK_EKB)
    assert_error(ekb.post("/outages", json=notice()), 404, "house_not_found")
    for login in ("ivanov", "petrova", "inspector", "admin"):
        assert_error(sign_in(login).post("/outages", json=notice()), 403, "forbidden")
    assert stored(home) == before
    resp = sign_in("energo-staff").post("/outages", json=notice(resource="electricity"))  # a supplier of H1
    assert resp.status_code == 201, resp.text
    assert resp.json()["posted_by"] == "АО «СтоличЭнергоСбыт»"


def test_a_dry_run_stores_nothing(sign_in, home):
    before = stored(home)
    resp = sign_in("uk-staff").post("/outages?dry_run=true", json=notice())
    assert resp.status_code == 200, resp.text
    assert resp.json()["id"] is None and resp.json()["dry_run"] is True
    assert resp.json()["start"] == "2026-11-30T21:00:00+00:00"
    assert stored(home) == before
    resp = sign_in("uk-staff").patch("/outages/OT-000003?dry_run=true", json={"text": "Новый текст"})
    assert resp.status_code == 200 and resp.json()["version"] == 2
    assert stored(home) == before


def test_a_repeated_post_under_its_key_posts_once(sign_in, home):
    uk = sign_in("uk-staff")
    first = uk.post("/outages", json=notice(), headers={"Idempotency-Key": "outage-1"})
    again = uk.post("/outages", json=notice(), headers={"Idempotency-Key": "outage-1"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert len(stored(home)) == len(DEMO) + 1


# -- changing and cancelling ---------------------------------------------------------------------------------------


def test_a_change_raises_the_version(sign_in, home, monkeypatch):
    uk = sign_in("uk-staff")
    monkeypatch.setenv("GKH_NOW", "2026-11-21T08:00:00+03:00")
    resp = uk.patch("/outages/OT-000003", json={"start": "2026-11-26T10:00", "end": "2026-11-26"})
    assert resp.status_code == 200, resp.text
    changed = resp.json()
    assert (changed["start"], changed["end"]) == ("2026-11-26T07:00:00+00:00", "2026-11-26T21:00:00+00:00")
    assert changed["version"] == 2 and changed["updated_at"] == "2026-11-21T05:00:00+00:00"
    resp = uk.patch("/outages/OT-000003", json={"text": "Работы продлены.", "important": True})
    assert resp.status_code == 200 and resp.json()["version"] == 3
    assert resp.json()["text"] == "Работы продлены." and resp.json()["important"] is True
    assert resp.json()["start"] == changed["start"]
    assert_error(uk.patch("/outages/OT-000003", json={"end": "2026-11-20"}), 400, "invalid", "end")
    assert_error(uk.patch("/outages/OT-000003", json={"topic": "т" * 201}), 400, "invalid", "topic")
    assert_error(uk.patch("/outages/OT-000003", json={}), 400, "invalid", "body")
    assert stored(home)[2][-1] == 3


def test_only_the_posting_organisation_changes_or_cancels(sign_in, add_user, home):
    before = stored(home)
    # energo serves H1 too: it sees the managing organisation's notice, but it is not theirs
    assert_error(sign_in("energo-staff").patch("/outages/OT-000003", json={"text": "x"}), 403, "forbidden")
    assert_error(sign_in("energo-staff").post("/outages/OT-000003/cancel"), 403, "forbidden")
    assert_error(sign_in("ivanov").patch("/outages/OT-000003", json={"text": "x"}), 403, "forbidden")
    assert_error(sign_in("inspector").post("/outages/OT-000003/cancel"), 403, "forbidden")
    ekb = add_user("ekb-staff", "staff", ORG_UK_EKB)  # serves no house of the notice: there is none for them
    assert_error(ekb.patch("/outages/OT-000003", json={"text": "x"}), 404, "outage_not_found")
    assert_error(ekb.post("/outages/OT-000003/cancel"), 404, "outage_not_found")
    assert_error(sign_in("uk-staff").post("/outages/OT-000006/cancel"), 404, "outage_not_found")
    assert_error(sign_in("uk-staff").patch("/outages/OT-000004", json={"text": "x"}), 403, "forbidden")
    assert stored(home) == before
    assert_error(sign_in("energo-staff").patch("/outages/OT-000004", json={"text": "x"}), 422, "cancelled", "status")
    assert stored(home) == before


def test_cancel_then_again(sign_in, home):
    uk = sign_in("uk-staff")
    resp = uk.post("/outages/OT-000003/cancel")
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "cancelled" and resp.json()["version"] == 2
    again = uk.post("/outages/OT-000003/cancel")
    assert again.status_code == 200 and again.json() == resp.json()
    assert stored(home)[2][6] == "2026-11-20T09:00:00+00:00"
    assert "OT-000003" in {n["id"] for n in items(uk, "?status=cancelled")}
    assert_error(uk.patch("/outages/OT-000003", json={"text": "x"}), 422, "cancelled", "status")


# -- the list's filters, and the passport --------------------------------------------------------------------------


def test_the_filters_follow_the_clock(sign_in, monkeypatch):
    ivanov = sign_in("ivanov")
    assert [n["id"] for n in items(ivanov, "?resource=hot_water")] == ["OT-000002", "OT-000001"]
    assert [n["id"] for n in items(ivanov, "?resource=cold-water")] == ["OT-000003"]
    assert [n["id"] for n in items(ivanov, "?status=active")] == ["OT-000002"]
    assert [n["id"] for n in items(ivanov, "?status=upcoming")] == ["OT-000003"]
    assert [n["id"] for n in items(ivanov, "?status=over")] == ["OT-000001"]
    assert [n["id"] for n in items(ivanov, "?status=cancelled")] == ["OT-000004"]
    assert [n["id"] for n in items(ivanov, f"?house={H4_GUID}")] == []
    assert {n["id"] for n in items(sign_in("admin"), "?house=малышева 51")} == {"OT-000005", "OT-000006"}
    monkeypatch.setenv("GKH_NOW", "2026-11-25T09:00:00+03:00")  # the cold-water one begins
    assert [n["id"] for n in items(ivanov, "?status=active")] == ["OT-000003"]
    assert [n["id"] for n in items(ivanov, "?status=upcoming")] == []
    assert [n["id"] for n in items(ivanov, "?status=over")] == ["OT-000002", "OT-000001"]
    monkeypatch.setenv("GKH_NOW", "2026-11-25T17:00:00+03:00")  # and ends
    assert [n["id"] for n in items(ivanov, "?status=active")] == []
    assert ivanov.get("/outages/OT-000003").json()["status"] == "over"
    assert_error(ivanov.get("/outages?status=soon"), 400, "invalid", "status")
    assert_error(ivanov.get("/outages?resource=water"), 400, "invalid", "resource")


def test_the_list_pages_newest_start_first(sign_in):
    admin = sign_in("admin")
    seen, cursor = [], None
    while True:
        resp = admin.get("/outages", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert resp.status_code == 200, resp.text
        seen += [n["id"] for n in resp.json()["items"]]
        cursor = resp.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [n["id"] for n in items(admin)] and len(seen) == len(DEMO)


def test_the_passport_shows_active_and_upcoming_notices(sign_in, monkeypatch):
    resp = sign_in("ivanov").get(f"/houses/{H1_GUID}")
    assert resp.status_code == 200, resp.text
    assert [(n["id"], n["status"]) for n in resp.json()["outages"]] == [("OT-000002", "active"),
                                                                         ("OT-000003", "upcoming")]
    assert [n["id"] for n in sign_in("ivanov").get(f"/houses/{H4_GUID}").json()["outages"]] == ["OT-000006"]
    monkeypatch.setenv("GKH_NOW", "2026-12-01T00:00:00+03:00")
    assert sign_in("ivanov").get(f"/houses/{H1_GUID}").json()["outages"] == []
