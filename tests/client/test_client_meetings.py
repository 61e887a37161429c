"""The meetings' calls as the client sends them: the notice's PDF uploaded as the raw body (its name, type and
length in the headers, the whole file again on every retry under the call's one Idempotency-Key), the notice
filed with the upload's id, the list's queries and pages, the review's and the vote's bodies, the results, and
the portal's refusals as typed errors with their details."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from responses import matchers

from gkh.client.api import Client, RetryPolicy
from gkh.client.errors import InvalidRequest, NotFound, PermissionDenied, Refused, ServerError

BASE = "https://portal.example.ru"
API = BASE + "/api/v1"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
UNAVAILABLE = {"error": {"code": "unavailable", "message": "busy"}}
NOTICE = {
    "meeting": {"house": "ленина 5", "kind": "extraordinary", "voting_start": "2026-12-14",
                "voting_end": "2026-12-27", "materials": "кв. 35, по будням с 18 до 20"},
    "administrator": {"kind": "person", "name": "Петрова Анна Сергеевна", "address": "ул. Ленина, д. 5, кв. 35",
                      "phone": "+7 495 123-45-67", "email": "petrova@example.com"},
    "initiators": [{"name": "Петрова Анна Сергеевна", "flat": "35"}],
    "agenda": [{"text": "Выбрать председателя собрания", "two_thirds": False},
               {"text": "Провести капитальный ремонт крыши", "two_thirds": True}],
}


@pytest.fixture
def client(sleeps) -> Client:
    return Client(BASE, token="gkh_token", retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0))


def meeting(number: int = 1, status: str = "under_review") -> dict:
    return {"id": f"MT-{number:06d}", "house": {"guid": "5f0d3a1e-0000-4000-8000-000000000001",
                                                 "address": "г. Москва, ул. Ленина, д. 5"},
            "kind": "extraordinary", "form": "electronic_vote", "status": status, "filed_by": "Петрова А. С.",
            "filed_at": "2026-11-20T09:00:00+00:00", "review_due": "2026-12-04", "earliest_start": "2026-12-05",
            "voting_start": "2026-12-14", "voting_end": "2026-12-27", "materials": "кв. 35",
            "administrator": NOTICE["administrator"], "initiators": NOTICE["initiators"],
            "agenda": [{"number": 1, "text": "Выбрать председателя собрания", "two_thirds": False}],
            "notice": {"name": "уведомление.pdf", "size": len(PDF)}, "rejection_reason": None}


def sent(call) -> dict:
    return json.loads(call.request.body)


def error(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


# --- uploading the notice's PDF -------------------------------------------------------------------------------


def test_an_upload_sends_the_file_as_the_body_with_its_name_type_length_and_a_key(stub, client, tmp_path):
    path = tmp_path / "уведомление.pdf"
    path.write_bytes(PDF)
    stub.post(f"{API}/uploads", status=201, json={"id": "F-0123456789abcdef", "name": path.name, "size": len(PDF),
                                                   "type": "application/pdf"})
    assert client.upload_file(path)["id"] == "F-0123456789abcdef"
    request = stub.calls[0].request
    assert request.body == PDF
    assert request.headers["Content-Type"] == "application/pdf"
    assert request.headers["Content-Length"] == str(len(PDF))
    assert request.headers["X-File-Name"] == "UTF-8''" + quote("уведомление.pdf")
    assert request.headers["Authorization"] == "Bearer gkh_token"
    assert len(request.headers["Idempotency-Key"]) == 36
    assert "dry_run" not in request.url


def test_every_retry_of_an_upload_sends_the_whole_file_again_under_the_same_key(stub, client, tmp_path, sleeps):
    path = tmp_path / "notice.pdf"
    path.write_bytes(PDF)
    stub.post(f"{API}/uploads", status=503, json=UNAVAILABLE)
    stub.post(f"{API}/uploads", status=502)
    stub.post(f"{API}/uploads", status=201, json={"id": "F-1"})
    client.upload_file(path, idempotency_key="upload-key-1")
    assert [call.request.headers["Idempotency-Key"] for call in stub.calls] == ["upload-key-1"] * 3
    assert [call.request.body for call in stub.calls] == [PDF] * 3
    assert len(sleeps) == 2


def test_an_upload_the_portal_finds_too_large_or_not_a_pdf_is_an_invalid_request_naming_the_field(
        stub, client, tmp_path):
    path = tmp_path / "notice.pdf"
    path.write_bytes(PDF)
    stub.post(f"{API}/uploads", status=413, json=error("too_large", "at most 10 MiB", field="file"))
    stub.post(f"{API}/uploads", status=400, json=error("invalid", "notice.pdf is not a PDF", field="file"))
    for code in ("too_large", "invalid"):
        with pytest.raises(InvalidRequest) as refused:
            client.upload_file(path)
        assert (refused.value.code, refused.value.field) == (code, "file")
    assert len(stub.calls) == 2  # not retried


# --- filing ---------------------------------------------------------------------------------------------------


def test_filing_posts_the_notices_parts_and_the_uploads_id_with_a_key(stub, client):
    stub.post(f"{API}/meetings", status=201, json=meeting())
    assert client.file_meeting(NOTICE, "F-1")["status"] == "under_review"
    assert sent(stub.calls[0]) == {**NOTICE, "notice": "F-1"}
    assert stub.calls[0].request.headers["Idempotency-Key"]
    assert "dry_run" not in stub.calls[0].request.url


def test_a_dry_run_files_in_the_query_and_answers_the_meeting_as_it_would_be(stub, client):
    stub.post(f"{API}/meetings", match=[matchers.query_param_matcher({"dry_run": "true"})],
              json={**meeting(), "id": None})
    assert client.file_meeting({**NOTICE, "notice": "ignored"}, "F-2", dry_run=True)["id"] is None
    assert sent(stub.calls[0])["notice"] == "F-2"


def test_every_retry_of_a_filing_sends_the_same_key_so_the_portal_files_once(stub, client, sleeps):
    stub.post(f"{API}/meetings", status=503, json=UNAVAILABLE)
    stub.post(f"{API}/meetings", status=201, json=meeting())
    client.file_meeting(NOTICE, "F-1", idempotency_key="file-key-1")
    assert [call.request.headers["Idempotency-Key"] for call in stub.calls] == ["file-key-1"] * 2
    assert [sent(call) for call in stub.calls] == [{**NOTICE, "notice": "F-1"}] * 2


def test_an_incomplete_notice_is_an_invalid_request_with_every_field_in_its_details(stub, client):
    problems = {"meeting.voting_start": "missing", "agenda[2].text": "longer than 3000 characters"}
    stub.post(f"{API}/meetings", status=400, json=error(
        "incomplete_notice", "the notice has 2 problems: …", field="meeting.voting_start", details=problems))
    with pytest.raises(InvalidRequest) as refused:
        client.file_meeting(NOTICE, "F-1")
    assert (refused.value.code, refused.value.details) == ("incomplete_notice", problems)


def test_not_an_owner_is_forbidden_and_too_early_refused_with_the_earliest_start(stub, client):
    stub.post(f"{API}/meetings", status=403, json=error("not_an_owner", "you own no flat in this house"))
    stub.post(f"{API}/meetings", status=422, json=error(
        "too_early", "the vote cannot start before 2026-12-05", field="meeting.voting_start",
        details={"earliest_start": "2026-12-05"}))
    with pytest.raises(PermissionDenied) as forbidden:
        client.file_meeting(NOTICE, "F-1")
    assert forbidden.value.code == "not_an_owner"
    with pytest.raises(Refused) as early:
        client.file_meeting(NOTICE, "F-1")
    assert (early.value.code, early.value.details) == ("too_early", {"earliest_start": "2026-12-05"})
    assert len(stub.calls) == 2


# --- reading meetings -------------------------------------------------------------------------------------------


def test_the_list_sends_the_house_and_status_and_follows_the_pages(stub, client):
    query = {"house": "5f0d3a1e-0000-4000-8000-000000000001", "status": "voting", "limit": "1000"}
    stub.get(f"{API}/meetings", match=[matchers.query_param_matcher(query)],
             json={"items": [meeting(3, "voting")], "next_cursor": "c2"})
    stub.get(f"{API}/meetings", match=[matchers.query_param_matcher({**query, "cursor": "c2"})],
             json={"items": [meeting(1, "voting")], "next_cursor": None})
    found = client.meetings(house=query["house"], status="voting")
    assert [m["id"] for m in found] == ["MT-000003", "MT-000001"]


def test_the_list_without_filters_and_with_a_limit(stub, client):
    stub.get(f"{API}/meetings", match=[matchers.query_param_matcher({"limit": "2"})],
             json={"items": [meeting(2), meeting(1)], "next_cursor": "c2"})
    assert len(client.meetings(limit=2)) == 2


def test_one_meeting_by_its_id_in_the_path_and_one_not_seen_is_not_found(stub, client):
    stub.get(f"{API}/meetings/MT-000001", json=meeting())
    stub.get(f"{API}/meetings/..%2Fuploads", status=404,
             json=error("meeting_not_found", "no meeting ../uploads among those you may see"))
    assert client.meeting("MT-000001")["id"] == "MT-000001"
    with pytest.raises(NotFound) as missing:
        client.meeting("../uploads")
    assert missing.value.code == "meeting_not_found"


def test_the_notice_is_the_pdfs_bytes_under_its_name(stub, client):
    stub.get(f"{API}/meetings/MT-000001/notice", body=PDF, content_type="application/pdf",
             headers={"X-File-Name": "UTF-8''notice.pdf"})
    notice = client.meeting_notice("MT-000001")
    assert (notice.data, notice.media_type, notice.file_name) == (PDF, "application/pdf", "notice.pdf")
    assert stub.calls[0].request.headers["Accept"] == "application/pdf"


def test_a_notice_that_is_not_a_pdf_is_an_invalid_response(stub, client):
    stub.get(f"{API}/meetings/MT-000001/notice", body="<html>login</html>", content_type="text/html")
    with pytest.raises(ServerError) as wrong:
        client.meeting_notice("MT-000001")
    assert wrong.value.code == "invalid_response"


# --- the review, votes, results ---------------------------------------------------------------------------------


def test_approving_sends_the_decision_alone_and_rejecting_its_reason(stub, client):
    stub.post(f"{API}/meetings/MT-000001/review", json=meeting(status="published"))
    stub.post(f"{API}/meetings/MT-000002/review", json={**meeting(2, "rejected"), "rejection_reason": "нет кворума"})
    assert client.review_meeting("MT-000001", "approve")["status"] == "published"
    assert client.review_meeting("MT-000002", "reject", "нет кворума")["rejection_reason"] == "нет кворума"
    assert [sent(call) for call in stub.calls] == [{"decision": "approve"},
                                                   {"decision": "reject", "reason": "нет кворума"}]


def test_reviewing_a_meeting_not_under_review_is_refused_naming_its_status(stub, client):
    stub.post(f"{API}/meetings/MT-000001/review", status=422, json=error(
        "not_under_review", "MT-000001 is not under review (it is voting)", details={"status": "voting"}))
    with pytest.raises(Refused) as refused:
        client.review_meeting("MT-000001", "approve")
    assert refused.value.details == {"status": "voting"}


def test_a_vote_sends_the_answers_by_question_number_as_text_with_a_key_reused_on_retries(stub, client, sleeps):
    answer = {"meeting": "MT-000001", "votes": {"1": "for", "2": "against", "3": "abstain"}, "area": "54.30",
              "voted_at": "2026-11-20T09:00:00+00:00"}
    stub.post(f"{API}/meetings/MT-000001/votes", status=503, json=UNAVAILABLE)
    stub.post(f"{API}/meetings/MT-000001/votes", json=answer)
    assert client.vote("MT-000001", {1: "for", 2: "against", 3: "abstain"}, idempotency_key="vote-1") == answer
    assert [sent(call) for call in stub.calls] == [{"votes": {"1": "for", "2": "against", "3": "abstain"}}] * 2
    assert [call.request.headers["Idempotency-Key"] for call in stub.calls] == ["vote-1"] * 2


def test_a_votes_dry_run_and_a_vote_outside_the_voting_time(stub, client):
    stub.post(f"{API}/meetings/MT-000001/votes", match=[matchers.query_param_matcher({"dry_run": "true"})],
              json={"meeting": "MT-000001", "votes": {"1": "for"}, "area": "54.30", "voted_at": None})
    stub.post(f"{API}/meetings/MT-000002/votes", status=422,
              json=error("not_voting", "the meeting is not voting now (it is closed)", details={"status": "closed"}))
    assert client.vote("MT-000001", {"1": "for"}, dry_run=True)["votes"] == {"1": "for"}
    with pytest.raises(Refused) as refused:
        client.vote("MT-000002", {1: "for"})
    assert refused.value.code == "not_voting"


def test_the_results_and_none_yet_before_the_vote(stub, client):
    results = {"meeting": "MT-000002", "status": "closed", "final": True, "total_area": "3000.00",
               "voted_area": "1860.00", "turnout": "62.00", "quorum": True, "questions": []}
    stub.get(f"{API}/meetings/MT-000002/results", json=results)
    stub.get(f"{API}/meetings/MT-000003/results", status=422,
             json=error("no_results_yet", "the vote has not started", details={"status": "published"}))
    assert client.meeting_results("MT-000002") == results
    with pytest.raises(Refused) as refused:
        client.meeting_results("MT-000003")
    assert refused.value.code == "no_results_yet"
