"""Owners' general meetings over HTTP (waitress in a thread), on both engines: filing a notice with its PDF, the
inspectorate's review, votes and results, walked through their life by moving GKH_NOW; who sees and does what.

The demo portal's clock stands at 2026-11-20 12:00 Moscow (a Friday). Filed then, a notice's review is due on
4 December (10 working days) and the vote may start on 5 December. In H1 (ул. Ленина, д. 5) ivanov owns ½ of flat
12, petrova all of flats 34 and 35; the demo `inspector` works at Мосжилинспекция, H1's inspectorate.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from fractions import Fraction

import pytest
import requests

from gkh.domain.meetings import area_text, share_text
from gkh.server.demo import H1_GUID, ORG_GZHI_SVERDLOVSK
from tests.helpers.api import Api, assert_error
from tests.helpers.rows import db
from tests.server.test_uploads_api import pdf, upload

MEETING_FIELDS = {"id", "house", "kind", "form", "status", "filed_by", "filed_at", "review_due", "earliest_start",
                  "voting_start", "voting_end", "materials", "administrator", "initiators", "agenda", "notice",
                  "rejection_reason"}
QUESTION_1 = "Избрать председателем собрания Петрову Анну Сергеевну."
QUESTION_2 = "Разрешить размещение платной парковки на придомовой территории."


def notice(upload_id: str | None, house: str = "ленина 5", start: str = "2026-12-07", end: str = "2026-12-20",
           **parts) -> dict:
    """A complete notice as the API takes it (meeting.toml's mapping, dates as ISO strings)."""
    body = {
        "meeting": {"house": house, "kind": "extraordinary", "form": "electronic_vote", "voting_start": start,
                    "voting_end": end, "materials": "ул. Ленина, д. 5, пом. 1, по будням с 9 до 18"},
        "administrator": {"kind": "person", "name": "Петрова Анна Сергеевна", "address": "г. Москва, ул. Ленина, "
                          "д. 5, кв. 34", "phone": "+7 916 123-45-67", "email": "petrova@example.com"},
        "initiators": [{"name": "Петрова Анна Сергеевна", "flat": "34"}],
        "agenda": [{"text": QUESTION_1}, {"text": QUESTION_2, "two_thirds": True}],
        "notice": upload_id,
    }
    body.update(parts)
    return body


def at(monkeypatch, instant: str) -> None:
    monkeypatch.setenv("GKH_NOW", instant)


def counts(home) -> dict:
    """Everything filing, reviewing and voting may change, counted."""
    with db(home) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {"meetings": one("SELECT count(*) FROM meetings"),
                "questions": one("SELECT count(*) FROM meeting_questions"),
                "votes": one("SELECT count(*) FROM meeting_votes"),
                "used": one("SELECT count(*) FROM uploads WHERE used_by IS NOT NULL"),
                "reviewed": one("SELECT count(*) FROM meetings WHERE reviewed_by IS NOT NULL")}


def file(api: Api, **kwargs) -> requests.Response:
    upload_id = upload(api, pdf()).json()["id"]
    return api.post("/meetings", json=notice(upload_id, **kwargs))


def filed(api: Api, **kwargs) -> dict:
    resp = file(api, **kwargs)
    assert resp.status_code == 201, resp.text
    return resp.json()


@pytest.fixture
def inspector(sign_in) -> Api:
    return sign_in("inspector")


def register(home) -> tuple[dict[int, Fraction], dict[str, list[int]]]:
    """H1's owner register: each owner row's weight (share × area), and the rows of each demo user."""
    with db(home) as conn:
        rows = conn.execute("SELECT o.id, o.share_num, o.share_den, f.area, u.login FROM owners o"
                            " JOIN flats f ON f.id = o.flat_id LEFT JOIN users u ON u.id = o.user_id"
                            " WHERE f.house_guid = ? ORDER BY o.id", (H1_GUID,)).fetchall()
    weights = {r["id"]: Fraction(r["share_num"], r["share_den"]) * Fraction(r["area"]) for r in rows}
    users: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        if r["login"]:
            users[r["login"]].append(r["id"])
    return weights, users


def vote_straight(home, meeting_id: str, owners: list[int], choices: dict[int, str]) -> None:
    """Votes of owners who are not on the portal, written straight into the database."""
    with db(home) as conn:
        for owner in owners:
            for number, choice in choices.items():
                conn.execute("INSERT INTO meeting_votes (meeting_id, owner_id, number, choice, voted_at)"
                             " VALUES (?, ?, ?, ?, '2026-12-08T10:00:00+00:00')", (meeting_id, owner, number, choice))


# -- the whole life ----------------------------------------------------------------------------------------------


def test_the_life_of_a_meeting(petrova, ivanov, inspector, sign_in, add_user, home, monkeypatch):
    upload_id = upload(petrova, pdf()).json()["id"]
    before = counts(home)

    # A dry run answers the meeting as it would be and stores nothing.
    resp = petrova.post("/meetings", params={"dry_run": "true"}, json=notice(upload_id))
    assert resp.status_code == 200, resp.text
    dry = resp.json()
    assert dry["id"] is None and dry["dry_run"] is True and dry["status"] == "under_review"
    assert counts(home) == before

    # Filed: under review, the review due in 10 working days, the earliest start the day after.
    resp = petrova.post("/meetings", json=notice(upload_id))
    assert resp.status_code == 201, resp.text
    meeting = resp.json()
    assert set(meeting) == MEETING_FIELDS
    assert meeting["id"] == "MT-000003"
    assert meeting["house"] == {"guid": H1_GUID, "address": "г. Москва, ул. Ленина, д. 5"}
    assert (meeting["status"], meeting["kind"], meeting["form"]) == ("under_review", "extraordinary",
                                                                     "electronic_vote")
    assert (meeting["review_due"], meeting["earliest_start"]) == ("2026-12-04", "2026-12-05")
    assert (meeting["voting_start"], meeting["voting_end"]) == ("2026-12-07", "2026-12-20")
    assert meeting["filed_by"] == "Петрова Анна Сергеевна" and meeting["filed_at"] == "2026-11-20T09:00:00+00:00"
    assert meeting["agenda"] == [{"number": 1, "text": QUESTION_1, "two_thirds": False},
                                 {"number": 2, "text": QUESTION_2, "two_thirds": True}]
    assert meeting["notice"] == {"name": "Сообщение о собрании.pdf", "size": len(pdf())}
    assert meeting["administrator"]["email"] == "petrova@example.com"
    assert meeting["initiators"] == [{"name": "Петрова Анна Сергеевна", "flat": "34"}]
    assert {k: v for k, v in dry.items() if k not in ("id", "dry_run")} == \
        {k: v for k, v in meeting.items() if k != "id"}
    after = counts(home)
    assert after["meetings"] == before["meetings"] + 1 and after["used"] == before["used"] + 1
    mid = meeting["id"]
    # Its upload is taken: it cannot notice another meeting.
    assert_error(petrova.post("/meetings", json=notice(upload_id)), 400, "invalid", "notice")

    # Who sees it: owners and linked residents of the house, its managing organisation, its inspectorate.
    assert ivanov.get(f"/meetings/{mid}").json()["status"] == "under_review"
    assert sign_in("uk-staff").get(f"/meetings/{mid}").status_code == 200
    assert_error(sign_in("energo-staff").get(f"/meetings/{mid}"), 404, "meeting_not_found")
    ural = add_user("ural-inspector", "inspector", ORG_GZHI_SVERDLOVSK)
    assert_error(ural.get(f"/meetings/{mid}"), 404, "meeting_not_found")
    assert mid not in [m["id"] for m in ural.get("/meetings").json()["items"]]
    # Nobody but the house's inspectorate reviews: another inspectorate's is told there is no such meeting,
    # the filer (who sees it) is forbidden.
    assert_error(ural.post(f"/meetings/{mid}/review", json={"decision": "approve"}), 404, "meeting_not_found")
    assert_error(petrova.post(f"/meetings/{mid}/review", json={"decision": "approve"}), 403, "forbidden")
    assert_error(sign_in("admin").post(f"/meetings/{mid}/review", json={"decision": "approve"}), 403, "forbidden")
    assert counts(home) == after

    # No votes and no results before the vote.
    assert_error(ivanov.post(f"/meetings/{mid}/votes", json={"votes": {"1": "for"}}), 422, "not_voting", "status")
    assert_error(ivanov.get(f"/meetings/{mid}/results"), 422, "no_results_yet", "status")

    resp = inspector.post(f"/meetings/{mid}/review", json={"decision": "approve"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "published" and resp.json()["rejection_reason"] is None
    error = assert_error(inspector.post(f"/meetings/{mid}/review", json={"decision": "reject", "reason": "поздно"}),
                         422, "not_under_review", "status")
    assert error["details"] == {"status": "published"}

    # The vote opens on its first day, in the house's zone.
    at(monkeypatch, "2026-12-06T23:59:00+03:00")
    assert petrova.get(f"/meetings/{mid}").json()["status"] == "published"
    at(monkeypatch, "2026-12-07T00:00:00+03:00")
    assert petrova.get(f"/meetings/{mid}").json()["status"] == "voting"
    assert [m["id"] for m in petrova.get("/meetings", params={"status": "voting"}).json()["items"]] == [mid]

    weights, users = register(home)
    ivanov_area = sum(weights[o] for o in users["ivanov"])
    petrova_area = sum(weights[o] for o in users["petrova"])
    assert len(users["petrova"]) == 2  # flats 34 and 35

    resp = ivanov.post(f"/meetings/{mid}/votes", json={"votes": {"1": "for", "2": "against"}})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"meeting": mid, "votes": {"1": "for", "2": "against"}, "area": area_text(ivanov_area),
                           "voted_at": "2026-12-06T21:00:00+00:00"}
    # A dry run of a vote answers it and stores nothing.
    votes_before = counts(home)["votes"]
    resp = petrova.post(f"/meetings/{mid}/votes", params={"dry_run": "true"}, json={"votes": {"1": "for"}})
    assert resp.status_code == 200 and resp.json()["dry_run"] is True
    assert counts(home)["votes"] == votes_before
    # petrova votes with both her flats, then changes her mind on question 1: the later vote replaces it.
    assert petrova.post(f"/meetings/{mid}/votes", json={"votes": {"1": "against", "2": "for"}}).status_code == 200
    resp = petrova.post(f"/meetings/{mid}/votes", json={"votes": {"1": "for"}})
    assert resp.json()["votes"] == {"1": "for", "2": "for"}
    assert resp.json()["area"] == area_text(petrova_area)
    with db(home) as conn:
        stored = conn.execute("SELECT owner_id, number, choice FROM meeting_votes WHERE meeting_id = ?"
                              " ORDER BY owner_id, number", (mid,)).fetchall()
    assert [tuple(r) for r in stored] == sorted(
        [(o, 1, "for") for o in users["ivanov"]] + [(o, 2, "against") for o in users["ivanov"]]
        + [(o, n, "for") for o in users["petrova"] for n in (1, 2)])
    # Not an owner (staff), a question the agenda lacks, an answer that is none.
    assert_error(sign_in("uk-staff").post(f"/meetings/{mid}/votes", json={"votes": {"1": "for"}}), 403,
                 "not_an_owner")
    assert_error(ivanov.post(f"/meetings/{mid}/votes", json={"votes": {"3": "for"}}), 400, "invalid", "votes")
    assert_error(ivanov.post(f"/meetings/{mid}/votes", json={"votes": {"1": "yes"}}), 400, "invalid", "votes")

    # Results without a quorum: nothing is adopted, whatever the votes.
    total = sum(weights.values())
    voted = ivanov_area + petrova_area
    results = ivanov.get(f"/meetings/{mid}/results").json()
    assert results["status"] == "voting" and results["final"] is False
    assert (results["total_area"], results["voted_area"]) == (area_text(total), area_text(voted))
    assert results["turnout"] == share_text(voted, total) and results["quorum"] is False
    first, second = results["questions"]
    assert first["of"] == "voted" and second["of"] == "all"
    assert first["for"] == {"area": area_text(voted), "share": "100.00"}
    assert second["for"] == {"area": area_text(petrova_area), "share": share_text(petrova_area, total)}
    assert second["against"]["area"] == area_text(ivanov_area)
    assert not first["adopted"] and not second["adopted"]

    # Owners off the portal vote for both until 60 % of the area took part: a quorum; question 1 is adopted by
    # the majority of the votes cast, question 2 needs two thirds of all owners' area and is not.
    others = [o for o in weights if o not in users["ivanov"] + users["petrova"]]
    chosen, area = [], voted
    for owner in others:
        if area >= total * Fraction(60, 100):
            break
        chosen.append(owner)
        area += weights[owner]
    vote_straight(home, mid, chosen, {1: "for", 2: "for"})
    results = ivanov.get(f"/meetings/{mid}/results").json()
    assert results["quorum"] is True and results["voted_area"] == area_text(area)
    first, second = results["questions"]
    assert first["adopted"] is True
    assert second["adopted"] is False and second["for"]["share"] == share_text(area - ivanov_area, total)
    # Up to 70 %: two thirds of all owners' area now say yes to question 2.
    more = []
    for owner in others[len(chosen):]:
        if area >= total * Fraction(70, 100):
            break
        more.append(owner)
        area += weights[owner]
    vote_straight(home, mid, more, {1: "against", 2: "for"})
    second = ivanov.get(f"/meetings/{mid}/results").json()["questions"][1]
    assert second["adopted"] is True and Fraction(second["for"]["share"]) >= Fraction(200, 3)

    # After its last day the meeting is closed, its results final, votes refused.
    at(monkeypatch, "2026-12-21T00:00:00+03:00")
    assert petrova.get(f"/meetings/{mid}").json()["status"] == "closed"
    final = petrova.get(f"/meetings/{mid}/results").json()
    assert final["final"] is True and final["status"] == "closed" and final["quorum"] is True
    resp = petrova.post(f"/meetings/{mid}/votes", json={"votes": {"1": "against"}})
    assert assert_error(resp, 422, "not_voting", "status")["details"] == {"status": "closed"}
    assert petrova.get(f"/meetings/{mid}/results").json() == final


# -- filing refused ----------------------------------------------------------------------------------------------


def test_an_incomplete_notice_lists_every_problem_and_stores_nothing(petrova, home):
    upload_id = upload(petrova, pdf()).json()["id"]
    before = counts(home)
    body = notice(upload_id, agenda=[{"text": QUESTION_1}, {"text": "я" * 3001}])
    del body["administrator"]["email"]
    body["meeting"]["kind"] = "yearly"
    error = assert_error(petrova.post("/meetings", json=body), 400, "incomplete_notice", "meeting.kind")
    assert set(error["details"]) == {"meeting.kind", "administrator.email", "agenda[2].text"}
    assert "3000" in error["details"]["agenda[2].text"]
    assert "agenda[2].text" in error["message"]
    # Checked before anything else: a notice without its PDF and house lists its own problems first.
    error = assert_error(petrova.post("/meetings", json={"notice": None}), 400, "incomplete_notice", "meeting")
    assert set(error["details"]) == {"meeting", "administrator", "initiators", "agenda"}
    assert counts(home) == before


def test_the_notice_must_be_a_pdf_of_the_filers_own(petrova, ivanov, home):
    before = counts(home)
    assert_error(petrova.post("/meetings", json=notice(None)), 400, "invalid", "notice")
    assert_error(petrova.post("/meetings", json=notice("F-0000000000000000")), 400, "invalid", "notice")
    ivanovs = upload(ivanov, pdf()).json()["id"]
    assert_error(petrova.post("/meetings", json=notice(ivanovs)), 400, "invalid", "notice")
    text = upload(petrova, "Сообщение о собрании".encode(), "notice.txt").json()["id"]
    assert_error(petrova.post("/meetings", json=notice(text)), 400, "invalid", "notice")
    assert counts(home) == before


def test_the_house_is_a_guid_or_an_address_of_one_house(petrova):
    upload_id = upload(petrova, pdf()).json()["id"]
    assert_error(petrova.post("/meetings", json=notice(upload_id, house="мира 12")), 400, "several_houses",
                 "meeting.house")
    assert_error(petrova.post("/meetings", json=notice(upload_id, house="садовая 99")), 404, "house_not_found")
    assert_error(petrova.post("/meetings", json=notice(upload_id, house="00000000-0000-4000-8000-000000000000")),
                 404, "house_not_found")
    resp = petrova.post("/meetings", json=notice(upload_id, house=H1_GUID.upper()))
    assert resp.status_code == 201, resp.text
    assert resp.json()["house"]["guid"] == H1_GUID


def test_only_an_owner_in_the_register_files(sign_in, ivanov, home):
    before = counts(home)
    staff = sign_in("uk-staff")
    resp = file(staff)
    assert "not ownership" in assert_error(resp, 403, "not_an_owner")["message"]
    # ivanov owns a flat at ул. Ленина, д. 5, none at ул. Малышева, д. 51.
    assert_error(file(ivanov, house="малышева 51"), 403, "not_an_owner")
    assert counts(home) == before


def test_a_start_before_the_review_allows_is_too_early(petrova, home):
    before = counts(home)
    resp = file(petrova, start="2026-12-04", end="2026-12-17")
    error = assert_error(resp, 422, "too_early", "meeting.voting_start")
    assert error["details"] == {"earliest_start": "2026-12-05"}
    assert "05.12.2026" in error["message"]
    assert counts(home) == before
    assert filed(petrova, start="2026-12-05", end="2026-12-11")["earliest_start"] == "2026-12-05"


def test_a_review_across_the_new_year_holidays(petrova, monkeypatch):
    """Filed on 25 December 2026: the 10 working days skip 1–8 January 2027 (and the weekends around them)."""
    at(monkeypatch, "2026-12-25T12:00:00+03:00")
    error = assert_error(file(petrova, start="2027-01-15", end="2027-01-31"), 422, "too_early",
                         "meeting.voting_start")
    assert error["details"] == {"earliest_start": "2027-01-20"}
    meeting = filed(petrova, start="2027-01-20", end="2027-02-05")
    assert (meeting["review_due"], meeting["earliest_start"]) == ("2027-01-19", "2027-01-20")


def test_the_same_idempotency_key_files_once(petrova, home):
    upload_id = upload(petrova, pdf()).json()["id"]
    before = counts(home)
    headers = {"Idempotency-Key": "meeting-1"}
    first = petrova.post("/meetings", json=notice(upload_id), headers=headers)
    again = petrova.post("/meetings", json=notice(upload_id), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    assert counts(home)["meetings"] == before["meetings"] + 1


# -- expiry and rejection ----------------------------------------------------------------------------------------


def test_a_meeting_not_reviewed_before_its_start_expires(petrova, inspector, monkeypatch):
    mid = filed(petrova)["id"]
    at(monkeypatch, "2026-12-06T23:59:00+03:00")
    assert petrova.get(f"/meetings/{mid}").json()["status"] == "under_review"
    at(monkeypatch, "2026-12-07T00:00:00+03:00")
    assert petrova.get(f"/meetings/{mid}").json()["status"] == "expired"
    assert [m["id"] for m in petrova.get("/meetings", params={"status": "expired"}).json()["items"]] == [mid]
    error = assert_error(inspector.post(f"/meetings/{mid}/review", json={"decision": "approve"}), 422,
                         "not_under_review", "status")
    assert error["details"] == {"status": "expired"}
    assert_error(petrova.post(f"/meetings/{mid}/votes", json={"votes": {"1": "for"}}), 422, "not_voting", "status")
    assert_error(petrova.get(f"/meetings/{mid}/results"), 422, "no_results_yet", "status")


def test_a_rejection_shows_its_reason_to_the_filer_who_files_again(petrova, inspector, home):
    mid = filed(petrova)["id"]
    reviewed = counts(home)["reviewed"]
    assert_error(inspector.post(f"/meetings/{mid}/review", json={"decision": "reject"}), 400, "invalid", "reason")
    assert_error(inspector.post(f"/meetings/{mid}/review", json={"decision": "reject", "reason": "я" * 1001}),
                 400, "invalid", "reason")
    assert_error(inspector.post(f"/meetings/{mid}/review", json={"decision": "maybe"}), 400, "invalid", "decision")
    assert counts(home)["reviewed"] == reviewed
    reason = "В повестке нет вопроса о выборе счётной комиссии."
    resp = inspector.post(f"/meetings/{mid}/review", json={"decision": "reject", "reason": reason})
    assert resp.status_code == 200, resp.text
    shown = petrova.get(f"/meetings/{mid}").json()
    assert (shown["status"], shown["rejection_reason"]) == ("rejected", reason)
    assert [m["id"] for m in petrova.get("/meetings", params={"status": "rejected"}).json()["items"]] == [mid]
    again = filed(petrova)
    assert again["id"] == "MT-000004" and again["status"] == "under_review"


# -- reading -----------------------------------------------------------------------------------------------------


def test_the_demo_meetings(ivanov, petrova, home):
    voting = ivanov.get("/meetings/MT-000001").json()
    assert voting["status"] == "voting" and voting["filed_by"] == "Петрова Анна Сергеевна"
    assert (voting["voting_start"], voting["voting_end"]) == ("2026-11-17", "2026-12-01")
    assert [q["two_thirds"] for q in voting["agenda"]] == [False, False, True]
    results = ivanov.get("/meetings/MT-000001/results").json()
    assert results["quorum"] is False and 34 <= Fraction(results["turnout"]) <= 37
    assert not any(q["adopted"] for q in results["questions"])

    closed = petrova.get("/meetings/mt-000002").json()
    assert closed["status"] == "closed" and closed["voting_end"] == "2026-10-11"
    results = petrova.get("/meetings/MT-000002/results").json()
    assert results["final"] is True and results["quorum"] is True and 60 <= Fraction(results["turnout"]) <= 64
    assert [q["adopted"] for q in results["questions"][:2]] == [True, False]
    assert results["questions"][1]["two_thirds"] is True
    assert_error(petrova.post("/meetings/MT-000002/votes", json={"votes": {"1": "for"}}), 422, "not_voting",
                 "status")

    resp = ivanov.get("/meetings/MT-000001/notice")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF-1.4") and resp.content.rstrip().endswith(b"%%EOF")
    from gkh.protocol import decode_file_name

    assert decode_file_name(resp.headers["X-File-Name"]) == voting["notice"]["name"]
    assert len(resp.content) == voting["notice"]["size"]

    listed = ivanov.get("/meetings", params={"house": "ленина 5"}).json()
    assert [m["id"] for m in listed["items"]] == ["MT-000002", "MT-000001"]
    first = ivanov.get("/meetings", params={"limit": 1}).json()
    assert [m["id"] for m in first["items"]] == ["MT-000002"] and first["next_cursor"]
    rest = ivanov.get("/meetings", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [m["id"] for m in rest["items"]] == ["MT-000001"] and rest["next_cursor"] is None
    assert [m["id"] for m in ivanov.get("/meetings", params={"status": "closed"}).json()["items"]] == ["MT-000002"]
    assert_error(ivanov.get("/meetings", params={"status": "open"}), 400, "invalid", "status")
    assert_error(ivanov.get("/meetings/MT-000099"), 404, "meeting_not_found")


def test_who_sees_the_demo_meetings(sign_in, add_user):
    assert len(sign_in("inspector").get("/meetings").json()["items"]) == 2
    assert len(sign_in("uk-staff").get("/meetings").json()["items"]) == 2
    assert len(sign_in("admin").get("/meetings").json()["items"]) == 2
    assert sign_in("energo-staff").get("/meetings").json()["items"] == []
    assert add_user("ural", "inspector", ORG_GZHI_SVERDLOVSK).get("/meetings").json()["items"] == []
    assert_error(sign_in("energo-staff").get("/meetings/MT-000001/notice"), 404, "meeting_not_found")
    assert_error(sign_in("energo-staff").get("/meetings/MT-000001/results"), 404, "meeting_not_found")


def test_votes_on_the_demo_meeting_count_at_once(ivanov, home):
    before = ivanov.get("/meetings/MT-000001/results").json()
    resp = ivanov.post("/meetings/MT-000001/votes", json={"votes": {"1": "for", "2": "for", "3": "abstain"}})
    assert resp.status_code == 200, resp.text
    after = ivanov.get("/meetings/MT-000001/results").json()
    assert Fraction(after["voted_area"]) - Fraction(before["voted_area"]) == Fraction(resp.json()["area"])
    assert date.fromisoformat("2026-11-20")  # the day the demo's clock stands at
