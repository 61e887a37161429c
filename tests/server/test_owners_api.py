"""The houses' owner registers over HTTP on both engines: POST /owners/batch (created, unchanged, updated, a new
flat and its area, shares over the whole flat, a login linking the owner to a resident, who may import into which
house, a flat changing hands: the seller ended by share 0, the meetings counting the register of the end of
their vote) and GET /owners (by flat as people sort them, a page at a time, who may list).

The demo portal's clock stands at 2026-11-20 12:00 Moscow. H6 (ул. Строителей, д. 3) is a new build managed by the
Moscow organisation (uk-staff), with no flats or owners yet; H4 (Екатеринбург) is another organisation's; in H1
(ул. Ленина, д. 5) ivanov owns ½ of flat 12.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from gkh.server.demo import H1_GUID, H4_GUID, H6_ADDRESS, H6_GUID
from tests.helpers.api import Api, assert_error
from tests.helpers.rows import db
from tests.server.test_meetings_api import notice
from tests.server.test_uploads_api import pdf, upload

OWNER = "Новоселов Пётр Ильич"


def row(line: int, **cells) -> dict:
    return {"line": line, "house": H6_GUID, "flat": "1", "area": "54.3", "owner": OWNER, **cells}


def post(api: Api, rows: list[dict], **kwargs):
    return api.post("/owners/batch", json={"rows": rows}, **kwargs)


def answer(resp) -> tuple[int, int, int, list[tuple[int, str, str]]]:
    assert resp.status_code == 200, resp.text
    body = resp.json()
    return body["created"], body["updated"], body["unchanged"], [
        (r["line"], r["field"], r["message"]) for r in body["rejected"]]


def stored(home, guid: str = H6_GUID) -> list[tuple]:
    with db(home) as conn:
        return [tuple(r) for r in conn.execute(
            "SELECT f.number, f.area, o.name, o.share_num, o.share_den, o.document, o.user_id FROM owners o"
            " JOIN flats f ON f.id = o.flat_id WHERE f.house_guid = ? ORDER BY f.number, o.name", (guid,)).fetchall()]


def listed(api: Api, house: str = H6_GUID, **params) -> list[dict]:
    resp = api.get("/owners", params={"house": house, **params})
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


# -- import ---------------------------------------------------------------------------------------------------------


def test_an_owner_and_their_flat_are_created_then_unchanged_then_updated(sign_in, home):
    staff = sign_in("uk-staff")
    assert answer(post(staff, [row(2)])) == (1, 0, 0, [])
    assert stored(home) == [("1", "54.3", OWNER, 1, 1, None, None)]
    # Again, the area written otherwise and the name's spaces and case aside: nothing changes.
    assert answer(post(staff, [row(2, area="54,30", owner="  новоселов   пётр ильич ")])) == (0, 0, 1, [])
    assert answer(post(staff, [row(2, share="1/2", document="77:05:0004005:1-77/051/2026-1")])) == (0, 1, 0, [])
    # An empty document keeps what is stored; an area that differs updates the flat.
    assert answer(post(staff, [row(2, share="0,5", area="55")])) == (0, 1, 0, [])
    assert stored(home) == [("1", "55", OWNER, 1, 2, "77:05:0004005:1-77/051/2026-1", None)]


def test_a_dry_run_counts_and_stores_nothing(sign_in, home):
    assert answer(post(sign_in("admin"), [row(2)], params={"dry_run": "true"})) == (1, 0, 0, [])
    assert stored(home) == []


def test_a_flat_the_portal_lacks_needs_its_area(sign_in, home):
    resp = post(sign_in("admin"), [row(2, area=None)])
    assert answer(resp) == (0, 0, 0, [(2, "area", "line 2: area: required for a flat the portal does not have yet")])
    with db(home) as conn:
        assert conn.execute("SELECT count(*) FROM flats WHERE house_guid = ?", (H6_GUID,)).fetchone()[0] == 0


def test_shares_above_the_whole_flat_are_refused_and_rows_apply_in_file_order(sign_in, home):
    staff = sign_in("uk-staff")
    assert answer(post(staff, [row(2)]))[0] == 1
    other = "Новоселова Мария Петровна"
    assert answer(post(staff, [row(5, owner=other, share="1/4")])) == (0, 0, 0, [
        (5, "share", "line 5: share: the owners of flat 1 would hold 5/4 of it; at most 1")])
    # The first owner's share lowered first, then the second goes in: one file.
    assert answer(post(staff, [row(2, share="3/4"), row(3, owner=other, share="1/4")])) == (1, 1, 0, [])
    assert [(name, num, den) for _f, _a, name, num, den, _d, _u in stored(home)] == [(OWNER, 3, 4), (other, 1, 4)]


def test_a_refused_row_changes_nothing_and_the_others_go_in(sign_in, home):
    rows = [row(2, flat="7", area="40", login="nobody-here"), row(3, flat="8", area="41", share="3/2"),
            row(4, flat="9", area="42")]
    created, _u, _n, rejected = answer(post(sign_in("admin"), rows))
    assert created == 1
    assert rejected == [(2, "login", "line 2: login: no resident with login nobody-here"),
                        (3, "share", "line 3: share: must be a share of the flat up to 1 (1/2, 0,5 or 1), or 0 for "
                                     "an owner whose ownership has ended; got '3/2'")]
    assert [r[0] for r in stored(home)] == ["9"]
    with db(home) as conn:
        assert [r[0] for r in conn.execute("SELECT number FROM flats WHERE house_guid = ?", (H6_GUID,))] == ["9"]


def file_meeting(api: Api):
    upload_id = upload(api, pdf()).json()["id"]
    return api.post("/meetings", params={"dry_run": "true"}, json=notice(upload_id, house=H6_GUID))


def test_a_login_links_the_owner_who_may_then_call_a_meeting(sign_in, add_user, home):
    resident = add_user("novoselov", "resident", None)
    assert_error(file_meeting(resident), 403, "not_an_owner")
    staff = sign_in("uk-staff")
    assert answer(post(staff, [row(2, login="uk-staff")]))[3] == [
        (2, "login", "line 2: login: no resident with login uk-staff")]
    assert answer(post(staff, [row(2, login="novoselov")])) == (1, 0, 0, [])
    resp = file_meeting(resident)
    assert resp.status_code == 200, resp.text
    # An empty login keeps the link.
    assert answer(post(staff, [row(2)])) == (0, 0, 1, [])
    assert listed(staff)[0]["login"] == "novoselov"


def test_a_house_another_organisation_manages_or_none_is_refused_per_row(sign_in, home):
    rows = [row(2, house=H4_GUID), row(3, house="00000000-0000-4000-8000-000000000000"),
            row(4, house="г. Москва, ул. Несуществующая, д. 1"), row(5, house=H6_ADDRESS)]
    assert answer(post(sign_in("uk-staff"), rows)) == (1, 0, 0, [
        (2, "house", "line 2: house: not among the houses your organisation manages"),
        (3, "house", "line 3: house: no house with FIAS GUID 00000000-0000-4000-8000-000000000000"),
        (4, "house", "line 4: house: no house at г. Москва, ул. Несуществующая, д. 1")])
    assert [r[2] for r in stored(home)] == [OWNER]


@pytest.mark.parametrize("login", ["energo-staff", "ivanov", "inspector"])
def test_suppliers_staff_residents_and_inspectors_keep_no_register(sign_in, home, login):
    api = sign_in(login)
    assert_error(post(api, [row(2)]), 403, "forbidden")
    assert_error(api.get("/owners", params={"house": H1_GUID}), 403, "forbidden")
    assert stored(home) == []


def test_a_malformed_chunk_is_a_bad_request(sign_in):
    admin = sign_in("admin")
    assert post(admin, [{**row(2), "payer": "x"}]).status_code == 400
    assert_error(admin.post("/owners/batch", json={"rows": "no"}), 400, "invalid", "rows")


# -- listing --------------------------------------------------------------------------------------------------------


def test_the_register_is_listed_by_flat_as_people_sort_them_a_page_at_a_time(sign_in):
    staff = sign_in("uk-staff")
    rows = [row(2, flat="10", area="60"), row(3, flat="2", area="40", share="1/2"),
            row(4, flat="2", area="40", owner="Абрамова Ольга", share="1/2",
                                                                     document="77-1"), row(5, flat="1а", area="30")]
    assert answer(post(staff, rows))[0] == 4
    items = listed(staff)
    assert [(i["flat"], i["owner"], i["share"]) for i in items] == [
        ("1а", OWNER, "1"), ("2", "Абрамова Ольга", "1/2"), ("2", OWNER, "1/2"), ("10", OWNER, "1")]
    assert items[1] == {"flat": "2", "area": "40", "owner": "Абрамова Ольга", "share": "1/2", "document": "77-1",
                        "login": None}
    seen, cursor = [], None
    while True:
        resp = staff.get("/owners", params={"house": H6_GUID, "limit": 3, **({"cursor": cursor} if cursor else {})})
        assert resp.status_code == 200, resp.text
        seen += resp.json()["items"]
        cursor = resp.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == items


def test_the_demo_register_shows_its_linked_owners(sign_in):
    items = listed(sign_in("admin"), H1_GUID, limit=500)
    assert {"flat": "12", "share": "1/2", "login": "ivanov"}.items() <= next(
        i for i in items if i["login"] == "ivanov").items()


def test_a_house_not_the_staffs_is_not_found_and_one_missing_is_a_bad_request(sign_in):
    staff = sign_in("uk-staff")
    assert_error(staff.get("/owners", params={"house": H4_GUID}), 404, "house_not_found")
    assert_error(staff.get("/owners"), 400, "invalid", "house")
    assert listed(staff, "строителей 3") == []


def test_a_full_chunk_of_owners_goes_in_and_again_is_unchanged(sign_in, home):
    staff = sign_in("uk-staff")
    rows = [row(n + 2, flat=str(n // 2 + 1), area="50", owner=f"Собственник {n}", share="1/2") for n in range(1000)]
    assert answer(post(staff, rows)) == (1000, 0, 0, [])
    assert answer(post(staff, rows)) == (0, 0, 1000, [])
    with db(home) as conn:
        assert conn.execute("SELECT count(*) FROM flats WHERE house_guid = ?", (H6_GUID,)).fetchone()[0] == 500


# -- a flat changing hands ------------------------------------------------------------------------------------------


def petrovas_flats(home) -> dict[str, str]:
    """The flats of H1 petrova owns in the register (number → her name as stored)."""
    with db(home) as conn:
        return {r["number"]: r["name"] for r in conn.execute(
            "SELECT f.number, o.name FROM owners o JOIN flats f ON f.id = o.flat_id JOIN users u ON u.id = o.user_id"
            " WHERE f.house_guid = ? AND u.login = 'petrova' AND o.ended_at IS NULL", (H1_GUID,)).fetchall()}


def test_a_sold_flat_s_owner_ends_and_the_buyer_comes_in_with_one_file(sign_in, home):
    staff = sign_in("uk-staff")
    assert answer(post(staff, [row(2)]))[0] == 1
    buyer = "Смирнов Олег Игоревич"
    sale = [row(2, share="0", area=None), row(3, owner=buyer, share="1", area=None)]
    assert answer(post(staff, sale)) == (1, 1, 0, [])
    assert [(o["owner"], o["share"]) for o in listed(staff)] == [(buyer, "1")]
    with db(home) as conn:
        ended = conn.execute("SELECT ended_at FROM owners WHERE name = ?", (OWNER,)).fetchone()[0]
        assert ended == "2026-11-20T09:00:00+00:00"  # the demo portal's clock
    # The same file again changes nothing: the former owner's ownership has already ended.
    assert answer(post(staff, sale)) == (0, 0, 2, [])
    # Bought back: a new row in the register, the old one kept as it was.
    assert answer(post(staff, [row(2, owner=buyer, share="1/2", area=None), row(3, share="1/2", area=None)])) \
        == (1, 1, 0, [])
    assert sorted((o["owner"], o["share"]) for o in listed(staff)) == [(OWNER, "1/2"), (buyer, "1/2")]
    with db(home) as conn:
        assert [tuple(r) for r in conn.execute("SELECT ended_at IS NULL FROM owners WHERE name = ? ORDER BY id",
                                               (OWNER,))] == [(0,), (1,)]


def test_ending_the_ownership_of_somebody_not_in_the_register_is_refused(sign_in, home):
    staff = sign_in("uk-staff")
    assert answer(post(staff, [row(2, share="0")])) == (0, 0, 0, [
        (2, "share", f"line 2: share: share 0 ends an owner's ownership, but flat 1 has no owner {OWNER} in the "
                     "register")])
    assert stored(home) == []
    assert answer(post(staff, [row(2, share="-1/2")]))[3][0][1] == "share"


def test_an_owner_who_sold_leaves_the_votes_to_come_but_not_the_closed_meeting(sign_in, home):
    petrova, staff = sign_in("petrova"), sign_in("uk-staff")
    flats = petrovas_flats(home)
    resp = petrova.post("/meetings/MT-000001/votes", json={"votes": {"1": "for", "2": "for", "3": "for"}})
    assert resp.status_code == 200, resp.text
    her_area = Fraction(resp.json()["area"])
    with db(home) as conn:
        # An owner not on the portal who voted in the closed meeting only (the demo's votes are theirs).
        number, name = conn.execute(
            "SELECT f.number, o.name FROM owners o JOIN flats f ON f.id = o.flat_id WHERE f.house_guid = ?"
            " AND o.user_id IS NULL AND o.share_num = o.share_den"
            " AND o.id IN (SELECT owner_id FROM meeting_votes WHERE meeting_id = 'MT-000002')"
            " AND o.id NOT IN (SELECT owner_id FROM meeting_votes WHERE meeting_id = 'MT-000001')"
            " ORDER BY o.id", (H1_GUID,)).fetchone()
    voting = staff.get("/meetings/MT-000001/results").json()
    closed = staff.get("/meetings/MT-000002/results").json()
    sold = {**flats, number: name}
    rows = [{"line": 2 + i, "house": H1_GUID, "flat": n, "owner": owner, "share": "0"}
            for i, (n, owner) in enumerate(sorted(sold.items()))]
    rows += [{"line": 10 + i, "house": H1_GUID, "flat": n, "owner": "Смирнов Олег Игоревич", "share": "1"}
             for i, n in enumerate(sorted(sold))]
    assert answer(post(staff, rows)) == (len(sold), len(sold), 0, [])

    # The meeting still voting counts the register as it is now: her votes no longer, the buyers' flats yes.
    after = staff.get("/meetings/MT-000001/results").json()
    assert after["total_area"] == voting["total_area"]
    assert Fraction(voting["voted_area"]) - Fraction(after["voted_area"]) == her_area
    # The closed one counts the register as it was at the end of its vote.
    assert staff.get("/meetings/MT-000002/results").json() == closed
    # Owning no flat and with no account linked, she neither sees the house's meetings nor calls one.
    assert_error(petrova.get("/meetings/MT-000001"), 404, "meeting_not_found")
    assert_error(file_meeting_in_h1(petrova), 403, "not_an_owner")


def file_meeting_in_h1(api: Api):
    upload_id = upload(api, pdf()).json()["id"]
    return api.post("/meetings", params={"dry_run": "true"}, json=notice(upload_id))
