"""Houses imported by a portal's admin and a house's period closed, over HTTP on both engines: POST
/admin/houses/batch (created, updated, unchanged, each refusal, the portal's readings window for a new house, who may)
and POST /periods/close, GET /periods (a reading of a closed period refused, single and batch, while its window would
still be open; closing twice; a period in the future; who may).

The demo portal's clock stands at 2026-11-20 12:00 Moscow (GKH_NOW): the November window (15–25) is open.
ООО «УК Ленинский квартал» (uk-staff) manages ул. Ленина, д. 5 (H1), where ivanov's M-000023 is; the Yekaterinburg
house H4 is another organisation's, served by neither uk-staff nor energo-staff's organisation there.
"""

from __future__ import annotations

import pytest

from gkh.server.demo import H1_GUID, H4_GUID
from gkh.server.demo.world import ORGS
from tests.helpers.api import Api, assert_error
from tests.helpers.demo import COLD
from tests.helpers.rows import db

NEW_GUID = "f88dff80-7a02-4289-80be-edca9d932149"
UK_INN = ORGS[0].inn


def house_row(line: int, **cells) -> dict:
    base = {"line": line, "guid": NEW_GUID, "address": "г. Москва, ул. Строителей, д. 5", "town": "Москва",
            "oktmo": "45376000", "region": "77"}
    return {**base, **cells}


def houses(api: Api, rows: list[dict], query: str = "", **kwargs):
    return api.post(f"/admin/houses/batch{query}", json={"rows": rows}, **kwargs)


def stored_house(home, guid: str = NEW_GUID):
    with db(home) as conn:
        return conn.execute("SELECT * FROM houses WHERE guid = ?", (guid,)).fetchone()


def counts(resp) -> tuple[int, int, int]:
    assert resp.status_code == 200, resp.text
    body = resp.json()
    return body["created"], body["updated"], body["unchanged"]


# -- houses ---------------------------------------------------------------------------------------------------------


def test_a_new_house_gets_the_portals_window_then_is_updated_and_unchanged(sign_in, home):
    admin = sign_in("admin")
    assert admin.put("/admin/settings/readings.window_from", json={"value": "10"}).status_code == 200
    assert admin.put("/admin/settings/readings.window_to", json={"value": "20"}).status_code == 200
    resp = houses(admin, [house_row(2, managing_org=UK_INN, total_area="15 230,5", floors="17", energy_class="B")])
    assert counts(resp) == (1, 0, 0) and resp.json()["rejected"] == []
    house = stored_house(home)
    assert (house["window_from"], house["window_to"], house["timezone"]) == (10, 20, "Europe/Moscow")
    assert (house["managing_org_id"], house["total_area"], house["floors"], house["region_code"]) == (
        ORGS[0].id, "15230.5", 17, "77")
    assert house["search_key"]
    # Again: nothing changes; an empty optional cell keeps what is stored; a changed one updates.
    assert counts(houses(admin, [house_row(2, managing_org=UK_INN, total_area="15230.50", floors="17")])) == (0, 0, 1)
    assert counts(houses(admin, [house_row(2, floors="18", window_from="5")])) == (0, 1, 0)
    house = stored_house(home)
    assert (house["floors"], house["window_from"], house["window_to"], house["energy_class"]) == (18, 5, 20, "B")
    assert house["managing_org_id"] == ORGS[0].id


def test_a_dry_run_counts_and_stores_nothing(sign_in, home):
    resp = houses(sign_in("admin"), [house_row(2)], query="?dry_run=true")
    assert counts(resp) == (1, 0, 0)
    assert stored_house(home) is None


@pytest.mark.parametrize(("cells", "field", "message"), [
    ({"managing_org": "7707083893"}, "managing_org", "line 3: managing_org: no organisation with ИНН 7707083893"),
    ({"oktmo": "123"}, "oktmo", "line 3: oktmo: must be 8 or 11 digits"),
    ({"guid": "not-a-guid"}, "guid", "line 3: guid: FIAS GUID must be"),
    ({"address": ""}, "address", "line 3: address: empty"),
    ({"timezone": "Europe/Mordor"}, "timezone", "line 3: timezone: "),
])
def test_each_refused_house_row_is_rejected_and_the_others_go_in(sign_in, home, cells, field, message):
    other = "0c5b2444-70a0-4932-980c-b4dc0d3f02b5"
    resp = houses(sign_in("admin"), [house_row(3, **cells), house_row(4, guid=other)])
    assert counts(resp) == (1, 0, 0)
    (rejected,) = resp.json()["rejected"]
    assert (rejected["line"], rejected["field"]) == (3, field)
    assert rejected["message"].startswith(message)
    assert stored_house(home, other) is not None


def test_a_full_chunk_of_houses_goes_in_and_again_is_unchanged(sign_in, home):
    admin = sign_in("admin")
    rows = [house_row(n + 2, guid=f"f88dff80-7a02-4289-80be-{n:012x}", address=f"г. Москва, ул. Новая, д. {n + 1}",
                      managing_org=UK_INN, floors=str(n % 30 + 1), total_area=f"{n + 100},5") for n in range(1000)]
    assert counts(houses(admin, rows)) == (1000, 0, 0)
    assert counts(houses(admin, rows)) == (0, 0, 1000)
    with db(home) as conn:
        assert conn.execute("SELECT count(*) FROM houses WHERE address LIKE 'г. Москва, ул. Новая, %'").fetchone()[0] \
            == 1000


@pytest.mark.parametrize("login", ["uk-staff", "ivanov", "inspector"])
def test_only_admins_import_houses(sign_in, home, login):
    assert_error(houses(sign_in(login), [house_row(2)]), 403, "forbidden")
    assert stored_house(home) is None


def test_an_unknown_column_is_a_bad_request(sign_in):
    resp = houses(sign_in("admin"), [{**house_row(2), "flat": "1"}])
    assert resp.status_code == 400, resp.text


# -- periods --------------------------------------------------------------------------------------------------------


def close(api: Api, house: str, period: str, **kwargs):
    return api.post("/periods/close", json={"house": house, "period": period}, **kwargs)


def test_a_closed_period_refuses_its_readings_single_and_batch_while_the_window_is_open(sign_in, home):
    ivanov = sign_in("ivanov")
    resp = close(sign_in("uk-staff"), H1_GUID, "11.2026")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["period"], body["status"], body["closed_by"]) == ("2026-11", "closed", "uk-staff")
    assert body["house"]["guid"] == H1_GUID and body["closed_at"]
    assert_error(ivanov.post(f"/meters/{COLD}/readings", json={"values": ["2675.5"]}), 422, "period_closed", "date")
    batch = ivanov.post("/readings/batch", json={"rows": [{"line": 2, "meter": COLD, "T1": "2675.5"}]})
    assert batch.status_code == 200, batch.text
    (rejected,) = batch.json()["rejected"]
    assert rejected["line"] == 2 and "2026-11 is closed" in rejected["message"]
    with db(home) as conn:
        assert conn.execute("SELECT count(*) FROM readings WHERE meter_id = ? AND period = '2026-11'",
                            (COLD,)).fetchone()[0] == 0


def test_a_reading_of_another_house_is_still_taken(sign_in):
    assert close(sign_in("admin"), H4_GUID, "2026-11").status_code == 201
    resp = sign_in("ivanov").post(f"/meters/{COLD}/readings", json={"values": ["2675.5"]})
    assert resp.status_code == 201, resp.text


def test_closing_twice_is_unchanged_and_the_list_is_newest_first(sign_in):
    admin = sign_in("admin")
    assert close(admin, H1_GUID, "2026-10").status_code == 201
    first = close(admin, H1_GUID, "2026-11")
    again = close(sign_in("uk-staff"), H1_GUID, "2026-11")
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "unchanged"
    assert (again.json()["closed_at"], again.json()["closed_by"]) == (first.json()["closed_at"], "admin")
    listed = admin.get("/periods", params={"house": H1_GUID})
    assert listed.status_code == 200, listed.text
    assert [item["period"] for item in listed.json()["items"]] == ["2026-11", "2026-10"]


def test_a_dry_run_closes_nothing(sign_in):
    admin = sign_in("admin")
    resp = close(admin, H1_GUID, "2026-11", params={"dry_run": "true"})
    assert resp.status_code == 201 and resp.json()["dry_run"] is True, resp.text
    assert admin.get("/periods", params={"house": H1_GUID}).json()["items"] == []


def test_a_period_in_the_future_is_refused(sign_in):
    assert_error(close(sign_in("admin"), H1_GUID, "2026-12"), 422, "period_in_future", "period")


def test_a_malformed_period_is_a_bad_request(sign_in):
    assert_error(close(sign_in("admin"), H1_GUID, "ноябрь"), 400, "invalid", "period")


@pytest.mark.parametrize("login", ["uk-staff", "energo-staff"])
def test_staff_of_another_organisation_find_no_house(sign_in, login):
    api = sign_in(login)
    assert_error(close(api, H4_GUID, "2026-11"), 404, "house_not_found")
    assert_error(api.get("/periods", params={"house": H4_GUID}), 404, "house_not_found")


@pytest.mark.parametrize("login", ["ivanov", "inspector"])
def test_residents_and_inspectors_close_nothing(sign_in, login):
    api = sign_in(login)
    assert_error(close(api, H1_GUID, "2026-11"), 403, "forbidden")
    assert_error(api.get("/periods", params={"house": H1_GUID}), 403, "forbidden")
