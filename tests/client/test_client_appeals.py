"""The appeals' calls as the client sends them: the topic list, the addressees' search in the query string, the
appeal's body (a topic or one's own, the uploads' ids), an attachment uploaded as the raw body, the list's
queries and pages, one appeal, its files downloaded whole under a name never over another file, withdrawing,
taking and answering — and the portal's refusals as typed errors with their details."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from responses import matchers

from gkh.client.api import Client, RetryPolicy
from gkh.client.errors import InvalidRequest, NotFound, PermissionDenied, Refused, Unreachable

BASE = "https://portal.example.ru"
API = BASE + "/api/v1"
GUID = "83804ac7-87c6-472e-a474-d02c6f740e9c"
TXT = "Протекает крыша над кв. 12.\n".encode("cp1251")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
UNAVAILABLE = {"error": {"code": "unavailable", "message": "busy"}}


@pytest.fixture
def client(sleeps) -> Client:
    return Client(BASE, token="gkh_token", retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0))


def appeal(number: int = 1, status: str = "sent", answer: dict | None = None) -> dict:
    return {"id": f"A-{number:06d}", "house": {"guid": GUID, "address": "г. Москва, ул. Ленина, д. 5"},
            "topic": {"code": "common_property", "title": "Содержание и ремонт общего имущества"},
            "addressee": {"id": "ORG-0001", "name": "ООО «УК Ленинский»", "inn": "7701234567"}, "status": status,
            "registered_at": "2026-11-20T09:00:00+00:00", "due_date": "2026-12-20", "text": "Протекает крыша",
            "attachments": [{"id": "F-0000000000000001", "name": "фото.png", "size": len(PNG), "type": "image/png"}],
            "answer": answer, "author": "Иванов И. И.", "taken_at": None, "withdrawn_at": None}


def sent(call) -> dict:
    return json.loads(call.request.body)


def error(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


# --- topics and addressees --------------------------------------------------------------------------------------


def test_the_topics_are_the_portals_list_in_its_order(stub, client):
    topics = [{"code": "management", "title": "Управление многоквартирным домом"},
              {"code": "utilities", "title": "Коммунальные услуги"}]
    stub.get(f"{API}/appeal-topics", json={"items": topics, "next_cursor": None})
    assert client.appeal_topics() == topics
    assert stub.calls[0].request.headers["Authorization"] == "Bearer gkh_token"


def test_the_addressees_search_sends_the_name_part_type_inn_and_house_in_the_query(stub, client):
    found = {"id": "ORG-0004", "name": "Мосжилинспекция", "short_name": "МЖИ", "inn": "7710012345",
             "type": "inspectorate", "address": "г. Москва"}
    query = {"q": "жилищная инспекция", "type": "inspectorate", "inn": "7710012345", "house": "ленина 5",
             "limit": "1000"}
    stub.get(f"{API}/addressees", match=[matchers.query_param_matcher(query)],
             json={"items": [found], "next_cursor": "c2"})
    stub.get(f"{API}/addressees", match=[matchers.query_param_matcher({**query, "cursor": "c2"})],
             json={"items": [], "next_cursor": None})
    assert client.addressees("жилищная инспекция", kind="inspectorate", inn="7710012345", house="ленина 5") == [found]
    assert "q=%D0%B6%D0%B8%D0%BB%D0%B8%D1%89%D0%BD%D0%B0%D1%8F" in stub.calls[0].request.url  # UTF-8, encoded


def test_the_addressees_without_filters_and_with_a_limit(stub, client):
    stub.get(f"{API}/addressees", match=[matchers.query_param_matcher({"limit": "3"})],
             json={"items": [{"id": "ORG-0001"}] * 3, "next_cursor": "c2"})
    assert len(client.addressees(limit=3)) == 3


# --- sending -----------------------------------------------------------------------------------------------------


def test_an_attachment_is_uploaded_as_the_raw_body_under_its_cyrillic_name(stub, client, tmp_path):
    path = tmp_path / "жалоба.txt"
    path.write_bytes(TXT)
    stub.post(f"{API}/uploads", status=201, json={"id": "F-0000000000000002", "name": path.name, "size": len(TXT),
                                                   "type": "text/plain"})
    assert client.upload_file(path)["id"] == "F-0000000000000002"
    request = stub.calls[0].request
    assert request.body == TXT
    assert request.headers["X-File-Name"] == "UTF-8''" + quote("жалоба.txt")
    assert request.headers["Content-Length"] == str(len(TXT))


def test_sending_posts_the_house_topic_addressee_text_and_the_uploads_ids_with_a_key(stub, client):
    stub.post(f"{API}/appeals", status=201, json=appeal())
    made = client.send_appeal("ленина 5", "ORG-0001", "Протекает крыша", topic="common_property",
                              attachments=["F-0000000000000001", "F-0000000000000002"])
    assert (made["id"], made["status"], made["due_date"]) == ("A-000001", "sent", "2026-12-20")
    assert sent(stub.calls[0]) == {"house": "ленина 5", "to": "ORG-0001", "text": "Протекает крыша",
                                   "topic": "common_property",
                                   "attachments": ["F-0000000000000001", "F-0000000000000002"]}
    assert len(stub.calls[0].request.headers["Idempotency-Key"]) == 36
    assert "dry_run" not in stub.calls[0].request.url


def test_ones_own_topic_is_sent_as_other_topic_and_no_topic_code(stub, client):
    stub.post(f"{API}/appeals", status=201, json=appeal())
    client.send_appeal(GUID, "7701234567", "Шумят соседи", other_topic="Шум по ночам")
    assert sent(stub.calls[0]) == {"house": GUID, "to": "7701234567", "text": "Шумят соседи",
                                   "other_topic": "Шум по ночам", "attachments": []}


def test_a_dry_run_is_in_the_query_and_every_retry_sends_the_same_key(stub, client, sleeps):
    stub.post(f"{API}/appeals", match=[matchers.query_param_matcher({"dry_run": "true"})], status=503,
              json=UNAVAILABLE)
    stub.post(f"{API}/appeals", match=[matchers.query_param_matcher({"dry_run": "true"})],
              json={**appeal(), "id": None})
    assert client.send_appeal(GUID, "ORG-0001", "текст", topic="utilities", dry_run=True,
                              idempotency_key="appeal-1")["id"] is None
    assert [call.request.headers["Idempotency-Key"] for call in stub.calls] == ["appeal-1"] * 2
    assert len(sleeps) == 1


def test_a_wrong_addressee_is_refused_with_those_who_can_receive_it(stub, client):
    can = ["ORG-0001 ООО «УК Ленинский»", "ORG-0004 Мосжилинспекция"]
    stub.post(f"{API}/appeals", status=422, json=error(
        "wrong_addressee", "ORG-0009 does not receive appeals about this house; it can be sent to: " + "; ".join(can),
        field="to", details={"addressees": can}))
    with pytest.raises(Refused) as refused:
        client.send_appeal(GUID, "ORG-0009", "текст", topic="utilities")
    assert (refused.value.code, refused.value.field, refused.value.details) == (
        "wrong_addressee", "to", {"addressees": can})
    assert len(stub.calls) == 1  # a refusal is not retried


def test_a_bad_field_and_not_a_resident_of_the_house_are_typed_errors(stub, client):
    stub.post(f"{API}/appeals", status=400, json=error("invalid", "text: at most 10000 characters", field="text"))
    stub.post(f"{API}/appeals", status=403, json=error("forbidden", "you own no flat and have no account there"))
    with pytest.raises(InvalidRequest) as invalid:
        client.send_appeal(GUID, "ORG-0001", "x" * 10001, topic="utilities")
    assert invalid.value.field == "text"
    with pytest.raises(PermissionDenied):
        client.send_appeal(GUID, "ORG-0001", "текст", topic="utilities")


# --- reading -----------------------------------------------------------------------------------------------------


def test_the_list_sends_the_status_and_house_and_follows_the_pages(stub, client):
    query = {"status": "answered", "house": GUID, "limit": "1000"}
    stub.get(f"{API}/appeals", match=[matchers.query_param_matcher(query)],
             json={"items": [appeal(3, "answered")], "next_cursor": "c2"})
    stub.get(f"{API}/appeals", match=[matchers.query_param_matcher({**query, "cursor": "c2"})],
             json={"items": [appeal(1, "answered")], "next_cursor": None})
    assert [a["id"] for a in client.appeals(status="answered", house=GUID)] == ["A-000003", "A-000001"]


def test_the_list_with_a_limit_asks_no_more(stub, client):
    stub.get(f"{API}/appeals", match=[matchers.query_param_matcher({"limit": "1"})],
             json={"items": [appeal(2)], "next_cursor": "c2"})
    assert [a["id"] for a in client.appeals(limit=1)] == ["A-000002"]


def test_one_appeal_by_its_id_and_one_not_seen_is_not_found_without_leaving_the_route(stub, client):
    stub.get(f"{API}/appeals/A-000001", json=appeal())
    stub.get(f"{API}/appeals/..%2Fuploads", status=404,
             json=error("appeal_not_found", "no appeal ../uploads among those you may see"))
    assert client.appeal("A-000001")["attachments"][0]["name"] == "фото.png"
    with pytest.raises(NotFound) as missing:
        client.appeal("../uploads")
    assert missing.value.code == "appeal_not_found"


def test_a_file_is_downloaded_byte_identical_under_the_path_given(stub, client, tmp_path):
    stub.get(f"{API}/appeals/A-000001/files/F-0000000000000001", body=PNG, content_type="image/png",
             headers={"X-File-Name": "UTF-8''" + quote("фото.png")})
    got = client.download_appeal_file("A-000001", "F-0000000000000001", tmp_path / "фото.png")
    assert (got.path, got.size, got.media_type) == (tmp_path / "фото.png", len(PNG), "image/png")
    assert (tmp_path / "фото.png").read_bytes() == PNG
    assert [p.name for p in tmp_path.iterdir()] == ["фото.png"]  # no temporary file left


def test_a_download_never_writes_over_a_file_and_a_cut_short_one_leaves_none(stub, client, tmp_path, sleeps):
    (tmp_path / "фото.png").write_bytes(b"mine")
    with pytest.raises(InvalidRequest) as exists:
        client.download_appeal_file("A-000001", "F-0000000000000001", tmp_path / "фото.png")
    assert exists.value.code == "file_exists"
    assert (tmp_path / "фото.png").read_bytes() == b"mine"
    for _ in range(3):
        stub.get(f"{API}/appeals/A-000001/files/F-0000000000000001", body=PNG[:10], content_type="image/png",
                 headers={"Content-Length": str(len(PNG))}, auto_calculate_content_length=False)
    with pytest.raises(Unreachable):
        client.download_appeal_file("A-000001", "F-0000000000000001", tmp_path / "other.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["фото.png"]


def test_another_persons_file_is_not_found(stub, client, tmp_path):
    stub.get(f"{API}/appeals/A-000002/files/F-1", status=404,
             json=error("appeal_not_found", "no appeal A-000002 among those you may see"))
    with pytest.raises(NotFound):
        client.download_appeal_file("A-000002", "F-1", tmp_path / "x.pdf")
    assert list(tmp_path.iterdir()) == []


# --- withdraw, take, answer ------------------------------------------------------------------------------------


def test_withdrawing_taking_and_answering_post_to_their_routes_with_keys(stub, client):
    answered = appeal(status="answered", answer={"text": "Крышу починим до 01.12", "answered_at":
                                                 "2026-11-21T10:00:00+00:00", "attachments": []})
    stub.post(f"{API}/appeals/A-000001/withdraw", json=appeal(status="withdrawn"))
    stub.post(f"{API}/appeals/A-000002/take", json=appeal(2, "in_work"))
    stub.post(f"{API}/appeals/A-000002/answer", json=answered)
    assert client.withdraw_appeal("A-000001")["status"] == "withdrawn"
    assert client.take_appeal("A-000002")["status"] == "in_work"
    assert client.answer_appeal("A-000002", "Крышу починим до 01.12", ["F-3"])["answer"]["text"] \
        == "Крышу починим до 01.12"
    assert sent(stub.calls[2]) == {"text": "Крышу починим до 01.12", "attachments": ["F-3"]}
    assert not stub.calls[0].request.body and not stub.calls[1].request.body
    assert all(call.request.headers.get("Idempotency-Key") for call in stub.calls)


def test_the_dry_runs_of_withdraw_take_and_answer_are_in_the_query(stub, client):
    dry = [matchers.query_param_matcher({"dry_run": "true"})]
    stub.post(f"{API}/appeals/A-000001/withdraw", match=dry, json=appeal(status="withdrawn"))
    stub.post(f"{API}/appeals/A-000001/take", match=dry, json=appeal(status="in_work"))
    stub.post(f"{API}/appeals/A-000001/answer", match=dry, json=appeal(status="answered"))
    client.withdraw_appeal("A-000001", dry_run=True)
    client.take_appeal("A-000001", dry_run=True)
    client.answer_appeal("A-000001", "ответ", dry_run=True)
    assert len(stub.calls) == 3


@pytest.mark.parametrize("route,code", [("withdraw", "already_answered"), ("withdraw", "already_withdrawn"),
                                        ("take", "taken")])
def test_a_refused_step_is_refused_naming_why(stub, client, route, code):
    stub.post(f"{API}/appeals/A-000001/{route}", status=422, json=error(code, f"A-000001: {code}"))
    with pytest.raises(Refused) as refused:
        getattr(client, f"{route}_appeal")("A-000001")
    assert refused.value.code == code


def test_checking_an_upload_is_a_dry_run_of_the_upload_route(stub, client, tmp_path):
    path = tmp_path / "фото.png"
    path.write_bytes(PNG)
    stub.post(f"{API}/uploads", match=[matchers.query_param_matcher({"dry_run": "true"})],
              json={"id": None, "name": "фото.png", "size": len(PNG), "type": "image/png"})
    assert client.check_upload(path)["id"] is None
    assert stub.calls[0].request.body == PNG
