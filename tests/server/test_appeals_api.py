"""Appeals over HTTP (waitress in a thread), on both engines: the topics and the addressees, sending an appeal with
files uploaded before and each of its rules, its whole life (taken and answered with a file by the addressee's staff,
the answer's file downloaded by the author byte-identical, or withdrawn), who sees what, and the demo's appeals.

The demo portal's clock stands at 2026-11-20 12:00 Moscow (GKH_NOW). At ул. Ленина, д. 5 (H1) ivanov owns ½ of flat
12 with both its accounts linked, petrova owns flats 34 and 35; appeals about H1 go to ООО «УК Ленинский квартал»
(uk-staff), АО «СтоличЭнергоСбыт» (energo-staff), Мосжилинспекция (inspector) and Правительство Москвы.
"""

from __future__ import annotations

import pytest

from gkh.protocol import decode_file_name
from gkh.server.demo import DEMO_ORGS, H1_GUID, H4_GUID, ORG_ENERGO, ORG_GZHI_MOSCOW, ORG_UK_EKB, ORG_UK_MOSCOW
from gkh.server.demo.world import ORG_ADMIN_EKB, ORG_ADMIN_MOSCOW
from tests.helpers.api import Api, assert_error
from tests.helpers.rows import db
from tests.server.test_uploads_api import pdf, png, upload

APPEAL_FIELDS = {"id", "house", "topic", "addressee", "status", "registered_at", "due_date", "text", "attachments",
                 "answer", "author", "taken_at", "withdrawn_at"}
TEXT = "Прошу провести осмотр кровли над 4-м подъездом: после дождей протекает потолок на 11-м этаже."
H1_RECEIVERS = [ORG_UK_MOSCOW, ORG_ENERGO, ORG_GZHI_MOSCOW, ORG_ADMIN_MOSCOW]


def appeal(**fields) -> dict:
    """An appeal about ул. Ленина, д. 5 to its managing organisation, on a topic of the list."""
    body = {"house": "ленина 5", "topic": "maintenance", "to": ORG_UK_MOSCOW, "text": TEXT}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


def counts(home) -> dict:
    """Everything sending, taking, answering and withdrawing may change, counted."""
    with db(home) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {"appeals": one("SELECT count(*) FROM appeals"), "files": one("SELECT count(*) FROM appeal_files"),
                "used": one("SELECT count(*) FROM uploads WHERE used_by IS NOT NULL"),
                "statuses": [r[0] for r in conn.execute("SELECT status FROM appeals ORDER BY seq").fetchall()]}


def uploaded(api: Api, content: bytes, name: str) -> str:
    resp = upload(api, content, name)
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


# -- topics and addressees -----------------------------------------------------------------------------------------


def test_the_topics_are_the_portals_list(ivanov, sign_in):
    resp = ivanov.get("/appeal-topics")
    assert resp.status_code == 200, resp.text
    page = resp.json()
    assert page["next_cursor"] is None
    topics = {t["code"]: t["title"] for t in page["items"]}
    assert len(topics) >= 10 and "other" not in topics
    assert topics["maintenance"] == "Содержание и ремонт общего имущества"
    assert topics["charges"] == "Начисления и оплата ЖКУ" and topics["capital_repair"] == "Капитальный ремонт"
    assert sign_in("uk-staff").get("/appeal-topics").json() == page


def test_addressees_by_name_type_inn_and_house(ivanov):
    def ids(**params) -> list[str]:
        resp = ivanov.get("/addressees", params=params)
        assert resp.status_code == 200, resp.text
        return [o["id"] for o in resp.json()["items"]]

    # A part of the name, in any case (Cyrillic too): both inspectorates' names hold "жилищн…".
    assert set(ids(q="ЖИЛИЩН")) == {ORG_GZHI_MOSCOW, "ORG-0005"}
    assert ids(q="  столичэнергосбыт ") == [ORG_ENERGO]
    assert set(ids(type="authority")) == {ORG_ADMIN_MOSCOW, ORG_ADMIN_EKB}
    assert ids(type="inspectorate", q="москв") == [ORG_GZHI_MOSCOW]
    energo = DEMO_ORGS["АО «СтоличЭнергоСбыт»"]
    assert ids(inn=energo.inn) == [ORG_ENERGO]
    # Those that receive appeals about a house: its managing organisation, supplier, inspectorate, administration.
    assert set(ids(house="ленина 5")) == set(H1_RECEIVERS)
    assert set(ids(house=H4_GUID)) == {ORG_UK_EKB, "ORG-0005", ORG_ADMIN_EKB}
    assert ids(house=H4_GUID, type="supplier") == []
    one = ivanov.get("/addressees", params={"inn": energo.inn}).json()["items"][0]
    assert one == {"id": ORG_ENERGO, "name": energo.name, "short_name": energo.short_name, "inn": energo.inn,
                   "type": "supplier", "address": energo.address}
    # Paged by name.
    first = ivanov.get("/addressees", params={"limit": 3}).json()
    rest = ivanov.get("/addressees", params={"limit": 100, "cursor": first["next_cursor"]}).json()
    assert len(first["items"]) == 3 and rest["next_cursor"] is None
    assert [o["id"] for o in first["items"] + rest["items"]] == ids()
    assert len(ids()) == 7
    assert_error(ivanov.get("/addressees", params={"type": "bank"}), 400, "invalid", "type")
    assert_error(ivanov.get("/addressees", params={"inn": "12345"}), 400, "invalid", "inn")
    assert_error(ivanov.get("/addressees", params={"house": "нет такой улицы 999"}), 404, "house_not_found")


# -- the rules of sending ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "field"), [
    ({"topic": ...}, "topic"),  # neither a topic nor one's own
    ({"other_topic": "Шум в подвале"}, "topic"),  # both
    ({"topic": ..., "other_topic": "я" * 251}, "other_topic"),
    ({"topic": ..., "other_topic": " " + "я" * 250}, "other_topic"),  # counted before it is trimmed
    ({"topic": ..., "other_topic": "   "}, "other_topic"),
    ({"topic": None}, "topic"),  # null is no topic: both are there, one of them not a string
    ({"topic": "other"}, "topic"),  # "other" is no code: other_topic is
    ({"topic": "no_such_topic"}, "topic"),
    ({"text": ""}, "text"),
    ({"text": "ы" * 10_001}, "text"),
    ({"text": ...}, "text"),
    ({"text": None}, "text"),
    ({"to": ...}, "to"),
    ({"house": ...}, "house"),
    ({"attachments": None}, "attachments"),
    ({"attachments": "F-0000000000000000"}, "attachments"),
    ({"attachments": [f"F-{n:016x}" for n in range(11)]}, "attachments"),
    ({"attachments": ["F-0000000000000000"]}, "attachments"),
], ids=["no-topic", "both", "own-251", "own-251-with-a-space", "own-blank", "topic-null", "other-code",
        "unknown-code", "text-empty", "text-10001", "no-text", "text-null", "no-addressee", "no-house",
        "attachments-null", "attachments-not-a-list", "11-attachments", "unknown-upload"])
def test_each_bad_field_is_a_400_naming_it(ivanov, home, fields, field):
    before = counts(home)
    error = assert_error(ivanov.post("/appeals", json=appeal(**fields)), 400, "invalid", field)
    assert field in error["message"]
    assert counts(home) == before


def test_the_limits_themselves_are_accepted(ivanov, home):
    before = counts(home)
    resp = ivanov.post("/appeals", params={"dry_run": "true"},
                       json=appeal(topic=..., other_topic="я" * 250, text="ы" * 10_000))
    assert resp.status_code == 200, resp.text
    dry = resp.json()
    assert dry["id"] is None and dry["dry_run"] is True and dry["status"] == "sent"
    assert dry["topic"] == {"code": "other", "title": "я" * 250} and len(dry["text"]) == 10_000
    ids = [uploaded(ivanov, pdf(f"page {n}"), f"Лист {n}.pdf") for n in range(10)]
    resp = ivanov.post("/appeals", params={"dry_run": "true"}, json=appeal(attachments=ids))
    assert resp.status_code == 200, resp.text
    assert [a["id"] for a in resp.json()["attachments"]] == ids
    assert counts(home) == before


def test_another_residents_upload_is_no_attachment_of_yours(ivanov, petrova, home):
    theirs = uploaded(petrova, pdf(), "Петрова.pdf")
    before = counts(home)
    mine = assert_error(ivanov.post("/appeals", json=appeal(attachments=[theirs])), 400, "invalid", "attachments")
    nothing = assert_error(ivanov.post("/appeals", json=appeal(attachments=["F-0000000000000000"])), 400, "invalid",
                           "attachments")
    # Answered as for an upload that does not exist: no word of whose it is.
    assert mine["message"].replace(theirs, "…") == nothing["message"].replace("F-0000000000000000", "…")
    assert counts(home) == before


def test_an_upload_already_used_is_refused(ivanov, home):
    photo = uploaded(ivanov, png(), "Фото.png")
    resp = ivanov.post("/appeals", json=appeal(attachments=[photo]))
    assert resp.status_code == 201, resp.text
    before = counts(home)
    error = assert_error(ivanov.post("/appeals", json=appeal(attachments=[photo])), 400, "invalid", "attachments")
    assert resp.json()["id"] in error["message"]
    twice = uploaded(ivanov, png(), "Фото 2.png")
    assert_error(ivanov.post("/appeals", json=appeal(attachments=[twice, twice])), 400, "invalid", "attachments")
    assert counts(home) == before


def test_an_addressee_of_another_house_is_refused_listing_who_can(ivanov, home):
    before = counts(home)
    error = assert_error(ivanov.post("/appeals", json=appeal(to=ORG_UK_EKB)), 422, "wrong_addressee", "to")
    listed = error["details"]["addressees"]
    assert [part.split(" ", 1)[0] for part in listed.split("; ")] == H1_RECEIVERS
    assert "ООО «УК Ленинский квартал»" in listed and "ООО «УК Уральский дом»" in error["message"]
    assert listed in error["message"]
    # By ИНН too, and an organisation that does not exist is refused alike.
    inn = DEMO_ORGS["ООО «УК Уральский дом»"].inn
    assert_error(ivanov.post("/appeals", json=appeal(to=inn)), 422, "wrong_addressee", "to")
    error = assert_error(ivanov.post("/appeals", json=appeal(to="ORG-9999")), 422, "wrong_addressee", "to")
    assert error["details"]["addressees"] == listed
    assert counts(home) == before
    # The ИНН of one that can is as good as its id.
    resp = ivanov.post("/appeals", json=appeal(to=DEMO_ORGS["Мосжилинспекция"].inn))
    assert resp.status_code == 201, resp.text
    assert resp.json()["addressee"]["id"] == ORG_GZHI_MOSCOW


def test_only_residents_of_the_house_send_appeals_about_it(ivanov, sign_in, home):
    before = counts(home)
    error = assert_error(ivanov.post("/appeals", json=appeal(house=H4_GUID, to=ORG_UK_EKB)), 403, "forbidden")
    assert "г. Екатеринбург, ул. Малышева, д. 51" in error["message"]
    for who in ("uk-staff", "inspector", "admin"):
        assert_error(sign_in(who).post("/appeals", json=appeal()), 403, "forbidden")
    assert counts(home) == before


# -- the whole life ------------------------------------------------------------------------------------------------


def test_the_life_of_an_appeal(ivanov, sign_in, add_user, home):
    photo, scan = png(), pdf("Photo of the leak")
    attachments = [uploaded(ivanov, photo, "Фото протечки.png"), uploaded(ivanov, scan, "Скан заявки.pdf")]
    before = counts(home)

    # Sent with its files: registered now, due in 30 days, its uploads taken.
    resp = ivanov.post("/appeals", json=appeal(attachments=attachments), headers={"Idempotency-Key": "appeal-1"})
    assert resp.status_code == 201, resp.text
    sent = resp.json()
    assert set(sent) == APPEAL_FIELDS
    assert sent["id"] == "A-000006" and sent["status"] == "sent"
    assert sent["house"] == {"guid": H1_GUID, "address": "г. Москва, ул. Ленина, д. 5"}
    assert sent["topic"] == {"code": "maintenance", "title": "Содержание и ремонт общего имущества"}
    uk = DEMO_ORGS["ООО «УК Ленинский квартал»"]
    assert sent["addressee"] == {"id": ORG_UK_MOSCOW, "name": uk.name, "inn": uk.inn}
    assert (sent["registered_at"], sent["due_date"]) == ("2026-11-20T09:00:00+00:00", "2026-12-20")
    assert sent["text"] == TEXT and sent["author"] == "Иванов Иван Петрович" and sent["answer"] is None
    assert [(a["id"], a["name"], a["size"], a["type"]) for a in sent["attachments"]] == [
        (attachments[0], "Фото протечки.png", len(photo), "image/png"),
        (attachments[1], "Скан заявки.pdf", len(scan), "application/pdf")]
    after = counts(home)
    assert (after["appeals"], after["files"], after["used"]) == (before["appeals"] + 1, before["files"] + 2,
                                                                 before["used"] + 2)
    # The same key again: sent once.
    again = ivanov.post("/appeals", json=appeal(attachments=attachments), headers={"Idempotency-Key": "appeal-1"})
    assert again.status_code == 201 and again.json() == sent and again.headers["Idempotent-Replayed"] == "true"
    assert counts(home) == after
    aid = sent["id"]

    # Staff of another organisation, and another resident, are told there is no such appeal.
    energo = sign_in("energo-staff")
    for api in (energo, sign_in("petrova"), sign_in("inspector")):
        assert_error(api.get(f"/appeals/{aid}"), 404, "appeal_not_found")
        assert_error(api.get(f"/appeals/{aid}/files/{attachments[0]}"), 404, "appeal_not_found")
        assert aid not in [a["id"] for a in api.get("/appeals").json()["items"]]
    assert_error(energo.post(f"/appeals/{aid}/take"), 404, "appeal_not_found")
    assert_error(energo.post(f"/appeals/{aid}/answer", json={"text": "Нет."}), 404, "appeal_not_found")
    # The author sees it but neither takes nor answers it; the admin reads it and does neither.
    assert_error(ivanov.post(f"/appeals/{aid}/take"), 403, "forbidden")
    admin = sign_in("admin")
    assert admin.get(f"/appeals/{aid}").json() == sent
    assert_error(admin.post(f"/appeals/{aid}/answer", json={"text": "Нет."}), 403, "forbidden")
    assert counts(home) == after

    # The addressee's staff see it, and take it.
    clerk = sign_in("uk-staff")
    assert [a["id"] for a in clerk.get("/appeals", params={"status": "sent"}).json()["items"]] == [aid]
    assert clerk.get(f"/appeals/{aid}").json() == sent
    resp = clerk.post(f"/appeals/{aid}/take")
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "in_work" and resp.json()["taken_at"] == "2026-11-20T09:00:00+00:00"
    assert clerk.post(f"/appeals/{aid}/take").json() == resp.json()  # taken again by the same: unchanged
    other_clerk = add_user("uk-clerk-2", "staff", ORG_UK_MOSCOW)
    error = assert_error(other_clerk.post(f"/appeals/{aid}/take"), 422, "taken", "status")
    assert "Смирнова Ольга Викторовна" in error["message"]
    assert ivanov.get(f"/appeals/{aid}").json()["status"] == "in_work"

    # Answered with a file.
    act = pdf("Act of the roof inspection")
    act_id = uploaded(clerk, act, "Акт осмотра № 17.pdf")
    assert_error(clerk.post(f"/appeals/{aid}/answer", json={"text": "  "}), 400, "invalid", "text")
    assert_error(clerk.post(f"/appeals/{aid}/answer", json={"text": "Готово.", "attachments": [attachments[0]]}),
                 400, "invalid", "attachments")  # the author's upload is no file of the clerk's
    reply = "Кровля осмотрена, протечка устранена 25.11.2026. Акт осмотра приложен."
    resp = clerk.post(f"/appeals/{aid}/answer", json={"text": reply, "attachments": [act_id]})
    assert resp.status_code == 200, resp.text
    answered = resp.json()
    assert answered["status"] == "answered"
    assert answered["answer"] == {"text": reply, "answered_at": "2026-11-20T09:00:00+00:00",
                                  "attachments": [{"id": act_id, "name": "Акт осмотра № 17.pdf", "size": len(act),
                                                   "type": "application/pdf"}]}
    assert answered["attachments"] == sent["attachments"]
    assert_error(clerk.post(f"/appeals/{aid}/answer", json={"text": reply}), 422, "already_answered", "status")
    assert_error(clerk.post(f"/appeals/{aid}/take"), 422, "already_answered", "status")

    # The author reads the answer and gets its file byte-identical, and the files attached.
    assert ivanov.get(f"/appeals/{aid}").json() == answered
    got = ivanov.get(f"/appeals/{aid}/files/{act_id}")
    assert got.status_code == 200 and got.content == act
    assert got.headers["Content-Type"] == "application/pdf"
    assert decode_file_name(got.headers["X-File-Name"]) == "Акт осмотра № 17.pdf"
    got = ivanov.get(f"/appeals/{aid}/files/{attachments[0]}")
    assert got.content == photo and got.headers["Content-Type"] == "image/png"
    assert clerk.get(f"/appeals/{aid}/files/{attachments[1]}").content == scan
    assert_error(ivanov.get(f"/appeals/{aid}/files/F-0000000000000000"), 404, "file_not_found")
    assert_error(ivanov.get(f"/appeals/A-000003/files/{act_id}"), 404, "file_not_found")  # his, but not its file

    # Withdrawing comes too late now.
    assert_error(ivanov.post(f"/appeals/{aid}/withdraw"), 422, "already_answered", "status")
    assert ivanov.get(f"/appeals/{aid}").json()["status"] == "answered"


def test_an_appeal_is_withdrawn_before_its_answer(petrova, sign_in, home):
    resp = petrova.post("/appeals", json=appeal(house=H1_GUID, topic=..., other_topic="Бездействие УК",
                                                to=ORG_GZHI_MOSCOW))
    assert resp.status_code == 201, resp.text
    aid = resp.json()["id"]
    assert resp.json()["topic"] == {"code": "other", "title": "Бездействие УК"}
    inspector = sign_in("inspector")
    assert inspector.post(f"/appeals/{aid}/take").json()["status"] == "in_work"
    # Only the author withdraws; whom it is addressed to sees it but cannot.
    assert_error(inspector.post(f"/appeals/{aid}/withdraw"), 403, "forbidden")
    assert_error(sign_in("ivanov").post(f"/appeals/{aid}/withdraw"), 404, "appeal_not_found")
    before = counts(home)
    resp = petrova.post(f"/appeals/{aid}/withdraw", params={"dry_run": "true"})
    assert resp.status_code == 200 and resp.json()["status"] == "withdrawn" and resp.json()["dry_run"] is True
    assert counts(home) == before
    resp = petrova.post(f"/appeals/{aid}/withdraw")
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "withdrawn" and resp.json()["withdrawn_at"] == "2026-11-20T09:00:00+00:00"
    assert resp.json()["answer"] is None
    assert_error(petrova.post(f"/appeals/{aid}/withdraw"), 422, "already_withdrawn", "status")
    assert_error(inspector.post(f"/appeals/{aid}/answer", json={"text": "Проверка назначена."}), 422,
                 "already_withdrawn", "status")
    assert inspector.get(f"/appeals/{aid}").json()["status"] == "withdrawn"


def test_the_due_date_is_counted_in_the_houses_zone(ivanov, add_user, home, monkeypatch):
    """23:30 in Moscow is 01:30 of the next day in Yekaterinburg: an appeal about a house there is registered on
    that next day and is due 30 days after it."""
    monkeypatch.setenv("GKH_NOW", "2026-11-20T23:30:00+03:00")
    resp = ivanov.post("/appeals", json=appeal())
    assert resp.status_code == 201, resp.text
    assert (resp.json()["registered_at"], resp.json()["due_date"]) == ("2026-11-20T20:30:00+00:00", "2026-12-20")
    ural = add_user("ural-resident", "resident", None)
    with db(home) as conn:
        user_id = conn.execute("SELECT id FROM users WHERE login = 'ural-resident'").fetchone()[0]
        account = conn.execute("SELECT id FROM accounts WHERE house_guid = ? ORDER BY id LIMIT 1",
                               (H4_GUID,)).fetchone()[0]
        conn.execute("INSERT INTO account_links (user_id, account_id, linked_at) VALUES (?, ?, ?)",
                     (user_id, account, "2026-11-01T00:00:00+00:00"))
    resp = ural.post("/appeals", json=appeal(house=H4_GUID, to=ORG_ADMIN_EKB, topic="yard"))
    assert resp.status_code == 201, resp.text
    assert (resp.json()["registered_at"], resp.json()["due_date"]) == ("2026-11-20T20:30:00+00:00", "2026-12-21")
    assert resp.json()["addressee"]["name"] == "Администрация городского округа город Екатеринбург"


# -- the demo's appeals --------------------------------------------------------------------------------------------


def test_the_demo_appeals_read_as_seeded(ivanov, petrova, sign_in):
    def listed(api: Api, **params) -> list[tuple[str, str]]:
        resp = api.get("/appeals", params=params)
        assert resp.status_code == 200, resp.text
        return [(a["id"], a["status"]) for a in resp.json()["items"]]

    assert listed(ivanov) == [("A-000005", "sent"), ("A-000003", "in_work"), ("A-000001", "answered")]
    assert listed(petrova) == [("A-000004", "sent"), ("A-000002", "withdrawn")]
    assert listed(sign_in("uk-staff")) == [("A-000002", "withdrawn"), ("A-000001", "answered")]
    assert listed(sign_in("energo-staff")) == [("A-000003", "in_work")]
    assert listed(sign_in("inspector")) == [("A-000004", "sent")]
    admin = sign_in("admin")
    assert [i for i, _ in listed(admin)] == ["A-000005", "A-000004", "A-000003", "A-000002", "A-000001"]
    assert listed(admin, status="sent") == [("A-000005", "sent"), ("A-000004", "sent")]
    assert len(listed(admin, house="ленина 5")) == 5 and listed(admin, house=H4_GUID) == []
    # Paged newest first.
    first = admin.get("/appeals", params={"limit": 2}).json()
    assert [a["id"] for a in first["items"]] == ["A-000005", "A-000004"]
    rest = admin.get("/appeals", params={"cursor": first["next_cursor"]}).json()
    assert [a["id"] for a in rest["items"]] == ["A-000003", "A-000002", "A-000001"] and rest["next_cursor"] is None
    assert_error(admin.get("/appeals", params={"status": "closed"}), 400, "invalid", "status")

    answered = ivanov.get("/appeals/a-000001").json()
    assert answered["id"] == "A-000001" and answered["addressee"]["id"] == ORG_UK_MOSCOW
    assert answered["topic"] == {"code": "maintenance", "title": "Содержание и ремонт общего имущества"}
    assert (answered["registered_at"], answered["due_date"]) == ("2026-10-11T08:00:00+00:00", "2026-11-10")
    assert [a["name"] for a in answered["attachments"]] == ["Фото протечки.png"]
    assert [a["name"] for a in answered["answer"]["attachments"]] == ["Акт осмотра кровли.pdf"]
    assert answered["answer"]["answered_at"] == "2026-10-26T08:00:00+00:00" and answered["taken_at"]
    act = ivanov.get(f"/appeals/A-000001/files/{answered['answer']['attachments'][0]['id']}")
    assert act.status_code == 200 and act.content.startswith(b"%PDF-")
    assert len(act.content) == answered["answer"]["attachments"][0]["size"]
    own = petrova.get("/appeals/A-000004").json()
    assert own["topic"] == {"code": "other", "title": "Бездействие управляющей организации"}
    assert own["addressee"]["id"] == ORG_GZHI_MOSCOW and own["answer"] is None
    withdrawn = petrova.get("/appeals/A-000002").json()
    assert withdrawn["withdrawn_at"] is not None and withdrawn["attachments"] == []
    text = ivanov.get("/appeals/A-000003").json()
    assert text["attachments"][0]["type"] == "text/plain" and text["taken_at"] is not None
    assert ivanov.get(f"/appeals/A-000003/files/{text['attachments'][0]['id']}").content.decode("utf-8") \
        .startswith("Показания счётчика")
    assert_error(ivanov.get("/appeals/A-000004"), 404, "appeal_not_found")
    assert_error(ivanov.get("/appeals/A-999999"), 404, "appeal_not_found")
