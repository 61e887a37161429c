"""The outages' calls as the client sends them: the list's filters in the query string and its pages, one notice,
posting with its body and one Idempotency-Key across retries, a dry run in the query, changing only the fields
given, cancelling — and the portal's refusals as typed errors naming the field."""

from __future__ import annotations

import json

import pytest
from responses import matchers

from gkh.client.api import Client, RetryPolicy
from gkh.client.errors import InvalidRequest, NotFound, PermissionDenied, Refused

BASE = "https://portal.example.ru"
API = BASE + "/api/v1"
GUID = "83804ac7-87c6-472e-a474-d02c6f740e9c"
UNAVAILABLE = {"error": {"code": "unavailable", "message": "busy"}}


@pytest.fixture
def client(sleeps) -> Client:
    return Client(BASE, token="gkh_token", retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0))


def outage(number: int = 1, status: str = "upcoming", version: int = 1) -> dict:
    return {"id": f"OT-{number:06d}", "house": {"guid": GUID, "address": "г. Москва, ул. Ленина, д. 5"},
            "resource": "hot_water", "topic": "Отключение горячей воды", "text": "Плановые работы на теплосети.",
            "start": "2026-11-30T21:00:00Z", "end": "2026-12-14T21:00:00Z", "important": False, "status": status,
            "posted_by": "УК Ленинский", "updated_at": "2026-11-20T09:00:00Z", "version": version}


def sent(call) -> dict:
    return json.loads(call.request.body)


def error(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


def test_the_list_sends_the_house_resource_and_status_and_follows_the_pages(stub, client):
    query = {"house": "ленина 5", "resource": "hot_water", "status": "active", "limit": "1000"}
    stub.get(f"{API}/outages", match=[matchers.query_param_matcher(query)],
             json={"items": [outage(1, "active")], "next_cursor": "c2"})
    stub.get(f"{API}/outages", match=[matchers.query_param_matcher({**query, "cursor": "c2"})],
             json={"items": [outage(2, "active")], "next_cursor": None})
    found = client.outages(house="ленина 5", resource="hot_water", status="active")
    assert [item["id"] for item in found] == ["OT-000001", "OT-000002"]
    assert stub.calls[0].request.headers["Authorization"] == "Bearer gkh_token"


def test_the_list_without_filters_sends_none_and_a_limit_stops_early(stub, client):
    stub.get(f"{API}/outages", match=[matchers.query_param_matcher({"limit": "2"})],
             json={"items": [outage(1), outage(2)], "next_cursor": "c2"})
    assert len(client.outages(limit=2)) == 2


def test_one_notice_by_its_id_and_an_unknown_one_is_not_found(stub, client):
    stub.get(f"{API}/outages/OT-000001", json=outage())
    stub.get(f"{API}/outages/OT-000404", status=404, json=error("outage_not_found", "no outage OT-000404"))
    assert client.outage("OT-000001")["topic"] == "Отключение горячей воды"
    with pytest.raises(NotFound) as missing:
        client.outage("OT-000404")
    assert missing.value.code == "outage_not_found"


def test_an_id_cannot_change_the_route(stub, client):
    stub.get(f"{API}/outages/..%2Fhouses", status=404, json=error("not_found", "no such route"))
    with pytest.raises(NotFound):
        client.outage("../houses")
    assert stub.calls[0].request.url.endswith("/outages/..%2Fhouses")


def test_posting_sends_the_house_resource_dates_text_and_no_topic_with_a_key(stub, client):
    stub.post(f"{API}/outages", status=201, json=outage())
    made = client.post_outage("ленина 5", "hot_water", "2026-12-01", "2026-12-14", "Плановые работы на теплосети.")
    assert made["id"] == "OT-000001"
    assert sent(stub.calls[0]) == {"house": "ленина 5", "resource": "hot_water", "start": "2026-12-01",
                                   "end": "2026-12-14", "text": "Плановые работы на теплосети.", "important": False}
    assert len(stub.calls[0].request.headers["Idempotency-Key"]) == 36
    assert "dry_run" not in stub.calls[0].request.url


def test_posting_a_topic_and_important_and_a_dry_run_retried_with_the_same_key(stub, client, sleeps):
    dry = [matchers.query_param_matcher({"dry_run": "true"})]
    stub.post(f"{API}/outages", match=dry, status=503, json=UNAVAILABLE)
    stub.post(f"{API}/outages", match=dry, json={**outage(), "id": None})
    made = client.post_outage(GUID, "electricity", "2026-12-01T09:00", "2026-12-01T17:00", "Ремонт щитовой.",
                              topic="Отключение электроэнергии", important=True, dry_run=True,
                              idempotency_key="outage-1")
    assert made["id"] is None
    assert sent(stub.calls[1]) == {"house": GUID, "resource": "electricity", "start": "2026-12-01T09:00",
                                   "end": "2026-12-01T17:00", "text": "Ремонт щитовой.",
                                   "topic": "Отключение электроэнергии", "important": True}
    assert [call.request.headers["Idempotency-Key"] for call in stub.calls] == ["outage-1"] * 2
    assert len(sleeps) == 1


def test_a_bad_field_is_an_invalid_request_naming_it(stub, client):
    stub.post(f"{API}/outages", status=400, json=error("invalid", "end must be after start", field="end"))
    with pytest.raises(InvalidRequest) as bad:
        client.post_outage(GUID, "gas", "2026-12-02", "2026-12-01", "Проверка газового оборудования.")
    assert (bad.value.code, bad.value.field) == ("invalid", "end")


def test_changing_sends_only_the_fields_given(stub, client):
    stub.patch(f"{API}/outages/OT-000001", json=outage(version=2))
    changed = client.change_outage("OT-000001", end="2026-12-16", important=False, text=None)
    assert changed["version"] == 2
    assert sent(stub.calls[0]) == {"end": "2026-12-16", "important": False}
    assert stub.calls[0].request.headers.get("Idempotency-Key")


def test_changing_a_field_a_notice_has_not_is_a_bug_caught_before_any_request(stub, client):
    with pytest.raises(TypeError):
        client.change_outage("OT-000001", resource="gas")
    assert len(stub.calls) == 0


def test_changing_a_cancelled_notice_is_refused_and_another_organisations_forbidden(stub, client):
    stub.patch(f"{API}/outages/OT-000004", status=422, json=error("cancelled", "OT-000004 is cancelled"))
    stub.patch(f"{API}/outages/OT-000006", status=403, json=error("forbidden", "posted by another organisation"))
    with pytest.raises(Refused) as refused:
        client.change_outage("OT-000004", text="Новый текст.")
    assert refused.value.code == "cancelled"
    with pytest.raises(PermissionDenied):
        client.change_outage("OT-000006", text="Новый текст.")


def test_cancelling_posts_to_its_route_and_a_dry_run_in_the_query(stub, client):
    stub.post(f"{API}/outages/OT-000001/cancel", match=[matchers.query_param_matcher({"dry_run": "true"})],
              json=outage(status="cancelled", version=2))
    stub.post(f"{API}/outages/OT-000001/cancel", match=[matchers.query_param_matcher({})],
              json=outage(status="cancelled", version=2))
    assert client.cancel_outage("OT-000001", dry_run=True)["status"] == "cancelled"
    assert client.cancel_outage("OT-000001")["status"] == "cancelled"
    assert not stub.calls[1].request.body
    assert stub.calls[1].request.headers.get("Idempotency-Key")
