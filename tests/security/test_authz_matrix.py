"""The authorisation matrix: every route of the portal × every role — who may read, who may change.

Roles: anonymous; ivanov, a resident with flat 12's two accounts at ул. Ленина, д. 5 linked
(77ЕЖ532838 of ООО «УК Ленинский квартал» with meters M-000023 and M-000024, 77ИВ845392 of АО «СтоличЭнергоСбыт»
with M-000452); petrova, another resident with nothing linked; uk-staff and energo-staff, each the staff of
the right organisation for its own accounts and of another organisation for the other's; inspector; admin.

The portal answers 404 also for what exists but is not yours. So beyond the status, every refusal is checked to
answer exactly like a request for something that does not exist (the row's `guess`), to carry none of
ivanov's or a neighbour's details, and to change nothing stored (tests.helpers.authz.run_row). A route the app
declares without rows for every role fails test_every_route_and_role_has_a_row.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.helpers.api import app_routes
from tests.helpers.authz import (
    API,
    ORG_IDS,
    PRINCIPALS,
    ROLE_NAMES,
    STAFF_OF,
    USER_NAMES,
    Answer,
    Row,
    World,
    _fill,
    org_owned,
    run_row,
)
from tests.helpers.demo import password_of

PORTAL = ("GET", f"{API}/portal")
SIGN_IN = ("POST", f"{API}/auth/token")
SIGN_OUT = ("DELETE", f"{API}/auth/token")
ME = ("GET", f"{API}/me")
ADDRESSES = ("GET", f"{API}/addresses")
HOUSE = ("GET", f"{API}/houses/{{guid}}")
ACCOUNTS = ("GET", f"{API}/accounts")
LINK = ("POST", f"{API}/accounts/links")
UNLINK = ("DELETE", f"{API}/accounts/links/{{els}}")
ACCOUNT = ("GET", f"{API}/accounts/{{els}}")
METERS = ("GET", f"{API}/meters")
METER = ("GET", f"{API}/meters/{{meter}}")
READINGS = ("GET", f"{API}/meters/{{meter}}/readings")
SUBMIT = ("POST", f"{API}/meters/{{meter}}/readings")
BILLS = ("GET", f"{API}/bills")
BILL = ("GET", f"{API}/bills/{{id}}")
PAYMENTS = ("GET", f"{API}/payments")
PAY = ("POST", f"{API}/payments")
PAYMENT = ("GET", f"{API}/payments/{{id}}")
RECEIPT = ("GET", f"{API}/payments/{{id}}/receipt")
WALLET = ("GET", f"{API}/wallet")
TOP_UP = ("POST", f"{API}/wallet/top-ups")
UPLOAD = ("POST", f"{API}/uploads")
MEETINGS = ("GET", f"{API}/meetings")
FILE_MEETING = ("POST", f"{API}/meetings")
MEETING = ("GET", f"{API}/meetings/{{id}}")
NOTICE = ("GET", f"{API}/meetings/{{id}}/notice")
REVIEW = ("POST", f"{API}/meetings/{{id}}/review")
VOTE = ("POST", f"{API}/meetings/{{id}}/votes")
RESULTS = ("GET", f"{API}/meetings/{{id}}/results")
APPEAL_TOPICS = ("GET", f"{API}/appeal-topics")
ADDRESSEES = ("GET", f"{API}/addressees")
APPEALS = ("GET", f"{API}/appeals")
SEND_APPEAL = ("POST", f"{API}/appeals")
APPEAL = ("GET", f"{API}/appeals/{{id}}")
APPEAL_FILE = ("GET", f"{API}/appeals/{{id}}/files/{{file}}")
WITHDRAW = ("POST", f"{API}/appeals/{{id}}/withdraw")
TAKE = ("POST", f"{API}/appeals/{{id}}/take")
ANSWER = ("POST", f"{API}/appeals/{{id}}/answer")
OUTAGES = ("GET", f"{API}/outages")
POST_OUTAGE = ("POST", f"{API}/outages")
OUTAGE = ("GET", f"{API}/outages/{{id}}")
CHANGE_OUTAGE = ("PATCH", f"{API}/outages/{{id}}")
CANCEL_OUTAGE = ("POST", f"{API}/outages/{{id}}/cancel")
ACCOUNT_BATCH = ("POST", f"{API}/accounts/batch")
READING_BATCH = ("POST", f"{API}/readings/batch")
CHANGE_PASSWORD = ("POST", f"{API}/auth/password")
SETTINGS = ("GET", f"{API}/admin/settings")
SET_SETTING = ("PUT", f"{API}/admin/settings/{{key}}")
ORGANISATIONS = ("GET", f"{API}/admin/organisations")
ADD_ORGANISATION = ("POST", f"{API}/admin/organisations")
USERS = ("GET", f"{API}/admin/users")
ADD_USER = ("POST", f"{API}/admin/users")
DISABLE_USER = ("POST", f"{API}/admin/users/{{login}}/disable")
ENABLE_USER = ("POST", f"{API}/admin/users/{{login}}/enable")
RESET_PASSWORD = ("POST", f"{API}/admin/users/{{login}}/password")
HOUSE_BATCH = ("POST", f"{API}/admin/houses/batch")
BILL_BATCH = ("POST", f"{API}/bills/batch")
CLOSE_PERIOD = ("POST", f"{API}/periods/close")
PERIODS = ("GET", f"{API}/periods")
OWNER_BATCH = ("POST", f"{API}/owners/batch")
OWNERS = ("GET", f"{API}/owners")
ACQUIRER_PAGE = ("GET", "/acquirer/{token}")
ACQUIRER_ANSWER = ("POST", "/acquirer/{token}")

SIGNED_IN = PRINCIPALS[1:]
STAFF = ("uk-staff", "energo-staff")
DRY = "?dry_run=true"

# The proof a link needs (issue 7): the account's number, ЕЛС or ИЖКУ at the house, and the payer's surname.
PROOF_UK = {"house": "{h1}", "number": "{uk_number}", "payer": "Иванов"}
PROOF_ENERGO = {"house": "{h1}", "number": "{energo_number}", "payer": "Иванов"}
WRONG_SURNAME_UK = {**PROOF_UK, "payer": "Сидоров"}

# This month's readings (GKH_NOW 20.11.2026, inside ул. Ленина, д. 5's window), above October's.
READING_UK = {"values": ["2675.5"]}  # M-000023, October 2671.947
READING_UK2 = {"values": ["765.001"]}  # M-000024, October 763.779
READING_ENERGO = {"values": ["2810.4", "3601.2", "2544.9"]}  # M-000452 (T1 T2 T3)
KEY = {"Idempotency-Key": "authz-matrix-1"}
# The demo's latest bill (period 2026-10 before GKH_NOW 20.11.2026): an account's ИЖКУ, "-", this.
BILL_YYMM = "2610"


# -- checks of what an allowed request answered -------------------------------------------------------


def is_user(login: str):
    """/me or a sign-in answers with this user, and names no other user."""

    def check(world: World, answer: Answer) -> None:
        user = answer.media.get("user", answer.media)
        assert user["login"] == login, f"answered for {user['login']}"
        others = [name for other, name in USER_NAMES.items() if other != login and name in answer.text]
        assert not others, f"names other users: {others}"

    return check


def is_user_free(world: World, answer: Answer) -> None:
    named = [name for name in USER_NAMES.values() if name in answer.text]
    assert not named, f"names users: {named}"


def revoked(world: World, answer: Answer) -> None:
    assert answer.media == {"status": "revoked"}, answer.media
    assert world.call(world.row_token, "GET", f"{API}/me").status == 401, "the revoked token still works"
    still = [who for who, token in world.tokens.items() if world.call(token, "GET", f"{API}/me").status != 200]
    assert not still, f"signing one token out signed out {still}"


def finds_lenina_5(world: World, answer: Answer) -> None:
    assert world.ids["h1"] in {h["guid"] for h in answer.media["items"]}, answer.media


def accounts_of(who: str):
    """What a principal's account list must hold, no more and no less (walking every page)."""

    def truth(world: World) -> set[str]:
        if who == "ivanov":
            return {world.ids["uk_els"], world.ids["energo_els"]}
        if who == "petrova":
            return set()
        sql, params = "SELECT els FROM accounts", ()
        if who in STAFF:
            sql, params = sql + " WHERE org_id = ?", (ORG_IDS[{v: k for k, v in STAFF_OF.items()}[who]],)
        return {r[0] for r in world.conn.execute(sql, params)}

    def check(world: World, answer: Answer) -> None:
        got = [a["els"] for a in world.all_pages(who, f"{API}/accounts")]
        want = truth(world)
        assert len(got) == len(set(got)), "an account is listed twice"
        assert set(got) == want, f"{len(set(got) - want)} accounts too many (e.g. {sorted(set(got) - want)[:3]}), " \
                                 f"{len(want - set(got))} missing (e.g. {sorted(want - set(got))[:3]})"

    return check


def meters_of(who: str, account: str | None = None):
    """What a principal's meter list (of one account, or all) must hold, no more and no less."""

    def truth(world: World) -> set[str]:
        if account:
            return {r[0] for r in world.conn.execute(
                "SELECT m.id FROM meters m JOIN accounts a ON a.id = m.account_id WHERE a.els = ?",
                (world.ids[account],))}
        if who == "ivanov":
            return {world.ids[k] for k in ("uk_meter", "uk_meter2", "energo_meter")}
        if who == "petrova":
            return set()
        sql, params = "SELECT m.id FROM meters m JOIN accounts a ON a.id = m.account_id", ()
        if who in STAFF:
            sql, params = sql + " WHERE a.org_id = ?", (ORG_IDS[{v: k for k, v in STAFF_OF.items()}[who]],)
        return {r[0] for r in world.conn.execute(sql, params)}

    def check(world: World, answer: Answer) -> None:
        path = f"{API}/meters" + (f"?account={world.ids[account]}" if account else "")
        got = [m["id"] for m in world.all_pages(who, path)]
        want = truth(world)
        assert len(got) == len(set(got)), "a meter is listed twice"
        assert set(got) == want, f"{len(set(got) - want)} meters too many (e.g. {sorted(set(got) - want)[:3]}), " \
                                 f"{len(want - set(got))} missing (e.g. {sorted(want - set(got))[:3]})"

    return check


def bills_of(who: str, query: str = "", account: str | None = None):
    """What a principal's bill list (with this query; of one account, or all) must hold, no more and no less
    (walking every page): the bills of the accounts it sees — with `unpaid=true` those with something due."""

    def truth(world: World) -> set[str]:
        sql = "SELECT b.id FROM bills b JOIN accounts a ON a.id = b.account_id WHERE 1 = 1"
        params: list = []
        if "unpaid=true" in query:
            sql += " AND b.paid_kopecks < b.total_kopecks"
        if account:
            sql, params = sql + " AND a.els = ?", [*params, world.ids[account]]
        elif who == "ivanov":
            sql, params = sql + " AND a.els IN (?, ?)", [*params, world.ids["uk_els"], world.ids["energo_els"]]
        elif who == "petrova":
            return set()
        elif who in STAFF:
            sql, params = sql + " AND a.org_id = ?", [*params, ORG_IDS[{v: k for k, v in STAFF_OF.items()}[who]]]
        return {r[0] for r in world.conn.execute(sql, params)}

    def check(world: World, answer: Answer) -> None:
        path = f"{API}/bills?" + "&".join(q for q in (query, f"account={world.ids[account]}" if account else "") if q)
        got = [b["id"] for b in world.all_pages(who, path.rstrip("?"))]
        want = truth(world)
        assert len(got) == len(set(got)), "a bill is listed twice"
        assert set(got) == want, f"{len(set(got) - want)} bills too many (e.g. {sorted(set(got) - want)[:3]}), " \
                                 f"{len(want - set(got))} missing (e.g. {sorted(want - set(got))[:3]})"

    return check


def is_bill(key: str):
    def check(world: World, answer: Answer) -> None:
        assert answer.media["id"] == f"{world.ids[key]}-{BILL_YYMM}", f"answered with bill {answer.media['id']}"

    return check


def is_account(key: str):
    def check(world: World, answer: Answer) -> None:
        assert answer.media["els"] == world.ids[key], f"answered with account {answer.media['els']}"

    return check


def is_meter(key: str):
    def check(world: World, answer: Answer) -> None:
        assert answer.media["id"] == world.ids[key], f"answered with meter {answer.media['id']}"

    return check


def readings_of(key: str):
    def check(world: World, answer: Answer) -> None:
        meters = {r["meter"] for r in answer.media["items"]}
        assert meters == {world.ids[key]}, f"answered with the readings of {sorted(meters) or 'no meter'}"

    return check


def link_status(status: str, links: dict[str, set[str]]):
    """The link answer's status, and then every resident's links (as ids of the world)."""

    def check(world: World, answer: Answer) -> None:
        assert answer.media["status"] == status, answer.media
        for login, keys in links.items():
            assert world.links_of(login) == {world.ids[k] for k in keys}, f"{login}'s links: {world.links_of(login)}"

    return check


IVANOV_LINKS = {"ivanov": {"uk_els", "energo_els"}, "petrova": set()}


def not_shown_before_linked(world: World, answer: Answer) -> None:
    """A dry run of a new link answers "the details match", and nothing of the account (issue 7)."""
    assert answer.media["status"] == "linked", answer.media
    assert not answer.media.get("account"), f"a dry run showed the account before it was linked: {answer.media}"
    assert world.links_of("petrova") == set(), "a dry run stored a link"


def petrova_now_sees_the_account(world: World, answer: Answer) -> None:
    link_status("linked", {"ivanov": {"uk_els", "energo_els"}, "petrova": {"uk_els"}})(world, answer)
    assert world.as_("petrova", "GET", f"{API}/accounts/{{uk_els}}").status == 200
    assert world.as_("petrova", "GET", f"{API}/accounts/{{energo_els}}").status == 404, "linked one, sees both"


def unlinked_and_gone(world: World, answer: Answer) -> None:
    link_status("unlinked", {"ivanov": {"uk_els"}})(world, answer)
    assert world.as_("ivanov", "GET", f"{API}/accounts/{{energo_els}}").status == 404, "still sees it unlinked"
    assert world.as_("ivanov", "GET", f"{API}/meters/{{energo_meter}}").status == 404, "still sees its meter"


def dry_unlink(world: World, answer: Answer) -> None:
    link_status("unlinked", IVANOV_LINKS)(world, answer)


def stored_by(login: str, meter: str, values: list[str]):
    """The reading is stored for this period, with its values and who submitted it."""

    def check(world: World, answer: Answer) -> None:
        assert answer.media["status"] == "accepted", answer.media
        stored = world.reading(meter)
        assert stored, "nothing stored"
        assert stored["submitted_by"] == world.user_ids[login], f"submitted_by {stored['submitted_by']}"
        got = [Decimal(v) for v in json.loads(stored["reading_values"]).values()]
        assert got == [Decimal(v) for v in values], stored

    return check


def petrova_links_uk_account(world: World) -> None:
    """A relative who knows the bill links ivanov's managing-organisation account (issue 7)."""
    answer = world.as_("petrova", "POST", f"{API}/accounts/links", PROOF_UK)
    assert answer.status in (200, 201), f"petrova could not link with the right proof: {answer.status} {answer.text}"


# -- payments ------------------------------------------------------------------------------------------------------

UNKNOWN_PAYMENT = "P-999999"
UNKNOWN_TOKEN = "A" * 43  # the shape of a confirmation token, of no payment
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PAY_KEY = {"Idempotency-Key": "authz-matrix-pay-1"}


def payments_made(world: World) -> None:
    """ivanov's payments the rows refer to (made once per portal): uk_payment, by wallet, of the managing
    organisation's latest bill (succeeded, with a receipt); energo_payment, by card to the supplier (pending, its
    page's token energo_token); and a card payment of the managing organisation's older bill (token uk_token)."""
    if "uk_payment" in world.ids:
        return
    world.ids.update(unknown_payment=UNKNOWN_PAYMENT, unknown_token=UNKNOWN_TOKEN)
    made = world.as_("ivanov", "POST", f"{API}/payments",
                     {"account": "{uk_els}", "method": "wallet", "bill": "{uk_izhku}-" + BILL_YYMM})
    assert made.status == 201, f"ivanov could not pay by wallet: {made.status} {made.text[:300]}"
    world.ids["uk_payment"] = made.media["id"]
    for key, body in (("energo", {"account": "{energo_els}", "method": "card"}),
                      ("uk", {"account": "{uk_els}", "method": "card", "bill": "{uk_izhku}-2609"})):
        card = world.as_("ivanov", "POST", f"{API}/payments", body)
        assert card.status == 202, f"ivanov could not pay by card: {card.status} {card.text[:300]}"
        world.ids[f"{key}_token"] = card.media["confirmation_url"].rsplit("/", 1)[1]
        world.ids[f"{key}_card_payment"] = card.media["id"]
    world.ids["energo_payment"] = world.ids["energo_card_payment"]


def payments_of(who: str, query: str = ""):
    """What a principal's payment list must hold, no more and no less: residents theirs, staff those to their
    organisation, admins all."""

    def check(world: World, answer: Answer) -> None:
        sql, params = "SELECT id FROM payments WHERE 1 = 1", []
        if who in ("ivanov", "petrova"):
            sql, params = sql + " AND user_id = ?", [world.user_ids[who]]
        elif who in STAFF:
            sql, params = sql + " AND payee_org_id = ?", [ORG_IDS[{v: k for k, v in STAFF_OF.items()}[who]]]
        if "account=" in query:
            sql, params = sql + " AND account_id = (SELECT id FROM accounts WHERE els = ?)", [
                *params, world.ids[query.split("{")[1].rstrip("}")]]
        want = {r[0] for r in world.conn.execute(sql, params)}
        got = [p["id"] for p in world.all_pages(who, f"{API}/payments" + (f"?{_fill(query, world.ids)}"
                                                                            if query else ""))]
        assert len(got) == len(set(got)), "a payment is listed twice"
        assert set(got) == want, f"listed {sorted(got)}, expected {sorted(want)}"

    return check


def is_payment(key: str, status: str | None = None):
    def check(world: World, answer: Answer) -> None:
        assert answer.media["id"] == world.ids[key], f"answered with payment {answer.media['id']}"
        if status:
            assert answer.media["status"] == status, answer.media["status"]

    return check


def is_receipt_of(key: str):
    def check(world: World, answer: Answer) -> None:
        assert answer.headers.get("content-type", "").startswith("message/rfc822"), answer.headers
        assert world.ids[key] in answer.text, "the receipt does not name its payment"

    return check


def wallet_holds(balance: str):
    def check(world: World, answer: Answer) -> None:
        assert answer.media["balance"] == balance, answer.media

    return check


def paid_by_wallet(world: World, answer: Answer) -> None:
    """The supplier's latest bill paid by ivanov's wallet: the bill paid, the wallet debited by as much, a receipt."""
    assert answer.media["status"] == "succeeded", answer.media
    bill = f"{world.ids['energo_izhku']}-{BILL_YYMM}"
    total, paid = world.conn.execute("SELECT total_kopecks, paid_kopecks FROM bills WHERE id = ?", (bill,)).fetchone()
    assert paid == total, f"the bill is paid {paid} of {total}"
    balance = world.conn.execute("SELECT balance_kopecks FROM wallets WHERE user_id = ?",
                                 (world.user_ids["ivanov"],)).fetchone()[0]
    assert balance == 830000 - total, f"the wallet holds {balance}"
    assert world.conn.execute("SELECT 1 FROM receipts WHERE payment_id = ?", (answer.media["id"],)).fetchone()


def pending_top_up(login: str):
    def check(world: World, answer: Answer) -> None:
        assert (answer.media["kind"], answer.media["status"]) == ("top_up", "pending"), answer.media
        row = world.conn.execute("SELECT user_id FROM payments WHERE id = ?", (answer.media["id"],)).fetchone()
        assert row[0] == world.user_ids[login], "the top-up is someone else's"

    return check


def shows_the_page(world: World, answer: Answer) -> None:
    assert answer.headers.get("content-type", "").startswith("text/html"), answer.headers
    assert 'id="pay"' in answer.text and 'id="cancel"' in answer.text, answer.text[:300]
    assert answer.headers.get("cache-control") == "no-store"


def outcome(key: str, status: str, reason: str | None):
    """The page says the outcome, and the payment is stored so."""

    def check(world: World, answer: Answer) -> None:
        assert f'data-status="{status}"' in answer.text, answer.text[:300]
        row = world.conn.execute("SELECT status, decline_reason FROM payments WHERE id = ?",
                                 (world.ids[key],)).fetchone()
        assert (row[0], row[1]) == (status, reason), f"stored {row[0]} {row[1]}"

    return check


# -- the table --------------------------------------------------------------------------------------------


# -- owners' meetings ----------------------------------------------------------------------------------------------

PDF_BODY = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
UPLOAD_HEADERS = {"X-File-Name": "notice.pdf", "Content-Type": "application/octet-stream"}
FILE_KEY = {"Idempotency-Key": "authz-matrix-meeting-1"}
# Who sees a meeting at ул. Ленина, д. 5: its owners and linked residents, its managing organisation's staff,
# its inspectorate's inspectors, admins; not the electricity supplier's staff.
SEES_H1 = ("ivanov", "petrova", "uk-staff", "inspector", "admin")


def notice_body(upload: str) -> dict:
    """A complete notice for ул. Ленина, д. 5, its vote starting when a notice filed on 20.11.2026 allows."""
    return {"meeting": {"house": "{h1}", "kind": "annual", "voting_start": "2026-12-07", "voting_end": "2026-12-20",
                        "materials": "ул. Ленина, д. 5, пом. 1"},
            "administrator": {"kind": "person", "name": "Петрова Анна Сергеевна", "address": "г. Москва",
                              "phone": "+7 916 123-45-67", "email": "petrova@example.com"},
            "initiators": [{"name": "Петрова Анна Сергеевна", "flat": "34"}],
            "agenda": [{"text": "Избрать председателя собрания."}], "notice": upload}


def uploads_made(world: World) -> None:
    """A free PDF upload of each signed-in principal (`upload_<login>`), made once per portal through the API."""
    if "upload_petrova" in world.ids:
        return
    for who in SIGNED_IN:
        made = world.call(world.tokens[who], "POST", f"{API}/uploads", PDF_BODY, UPLOAD_HEADERS)
        assert made.status == 201, f"{who} could not upload: {made.status} {made.text[:300]}"
        world.ids[f"upload_{who}"] = made.media["id"]


def meeting_filed(world: World) -> None:
    """A meeting petrova filed at ул. Ленина, д. 5 (`filed_meeting`, under review), once per portal."""
    if "filed_meeting" in world.ids:
        return
    uploads_made(world)
    made = world.as_("petrova", "POST", f"{API}/meetings", notice_body("{upload_petrova}"))
    assert made.status == 201, f"petrova could not file a meeting: {made.status} {made.text[:300]}"
    world.ids["filed_meeting"] = made.media["id"]


def meetings_seen(*expected: str):
    def check(world: World, answer: Answer) -> None:
        got = [m["id"] for m in answer.media["items"]]
        want = [world.ids.get(key, key) for key in expected]
        assert got == want, f"lists {got}, expected {want}"

    return check


def is_meeting(key: str, status: str | None = None):
    def check(world: World, answer: Answer) -> None:
        assert answer.media["id"] == world.ids[key], f"answered with meeting {answer.media['id']}"
        if status:
            assert answer.media["status"] == status, answer.media["status"]

    return check


def is_pdf(world: World, answer: Answer) -> None:
    assert answer.headers.get("content-type") == "application/pdf", answer.headers.get("content-type")
    assert answer.text.startswith("%PDF-"), answer.text[:20]


def results_of(key: str):
    def check(world: World, answer: Answer) -> None:
        assert answer.media["meeting"] == world.ids[key] and answer.media["quorum"] is False, answer.media

    return check


def final_results(world: World, answer: Answer) -> None:
    assert answer.media["final"] is True and answer.media["quorum"] is True, answer.media


def uploaded_by(login: str):
    def check(world: World, answer: Answer) -> None:
        row = world.conn.execute("SELECT user_id, used_by FROM uploads WHERE id = ?", (answer.media["id"],)).fetchone()
        assert row is not None and row["user_id"] == world.user_ids[login] and row["used_by"] is None, row

    return check


def filed_by_petrova(world: World, answer: Answer) -> None:
    row = world.conn.execute("SELECT filed_by, status, notice_upload FROM meetings WHERE id = ?",
                             (answer.media["id"],)).fetchone()
    assert row["filed_by"] == world.user_ids["petrova"] and row["status"] == "under_review", row
    assert row["notice_upload"] == world.ids["upload_petrova"], row


def votes_of(login: str, count: int):
    """The voter's answers stored for each of their owner rows at ул. Ленина, д. 5 (petrova: two flats)."""
    def check(world: World, answer: Answer) -> None:
        rows = world.conn.execute(
            "SELECT count(*) FROM meeting_votes v JOIN owners o ON o.id = v.owner_id WHERE v.meeting_id = ?"
            " AND o.user_id = ?", (world.ids["voting_meeting"], world.user_ids[login])).fetchone()[0]
        assert rows == count, f"{rows} votes stored for {login}, expected {count}"

    return check


def rejected(world: World, answer: Answer) -> None:
    row = world.conn.execute("SELECT status, reviewed_by, rejection_reason FROM meetings WHERE id = ?",
                             (world.ids["filed_meeting"],)).fetchone()
    assert row["status"] == "rejected" and row["reviewed_by"] == world.user_ids["inspector"], row
    assert answer.media["rejection_reason"] == row["rejection_reason"] == "Нет вопроса о счётной комиссии."


def _meeting_rows(add) -> None:
    """Uploads and owners' meetings: any signed-in user uploads; an owner in the register files and votes; the
    house's inspectorate reviews; who sees a house's meetings reads them; everyone else is told there is none."""
    ups = f"{API}/uploads"
    add(Row(UPLOAD, "anonymous", ups, 401, PDF_BODY, headers=UPLOAD_HEADERS))
    add(Row(UPLOAD, "ivanov", ups + DRY, 200, PDF_BODY, headers=UPLOAD_HEADERS))
    for who in SIGNED_IN:
        add(Row(UPLOAD, who, ups, 201, PDF_BODY, headers=UPLOAD_HEADERS, check=uploaded_by(who)))

    listing = f"{API}/meetings"
    add(Row(MEETINGS, "anonymous", listing, 401))
    for who in SEES_H1:
        add(Row(MEETINGS, who, listing, 200, check=meetings_seen("closed_meeting", "voting_meeting")))
    add(Row(MEETINGS, "energo-staff", listing, 200, check=meetings_seen(), why="a supplier manages no house"))
    add(Row(MEETINGS, "energo-staff", listing + "?house={h1}", 200, check=meetings_seen()))

    add(Row(FILE_MEETING, "anonymous", listing, 401, notice_body("{unknown_upload}"), setup=uploads_made))
    add(Row(FILE_MEETING, "petrova", listing + DRY, 200, notice_body("{upload_petrova}")))
    add(Row(FILE_MEETING, "ivanov", listing, 400, notice_body("{upload_petrova}"), code="invalid",
            guess=("{upload_petrova}", "{unknown_upload}"), why="another's upload is no notice of his"))
    for who in ("uk-staff", "energo-staff", "inspector", "admin"):
        add(Row(FILE_MEETING, who, listing, 403, notice_body(f"{{upload_{who}}}"), code="not_an_owner",
                why="not an owner in the register"))
    add(Row(FILE_MEETING, "petrova", listing, 201, notice_body("{upload_petrova}"), headers=FILE_KEY,
            check=filed_by_petrova))
    add(Row(FILE_MEETING, "petrova", listing, 201, notice_body("{upload_petrova}"), headers=FILE_KEY,
            check=filed_by_petrova, why="the same key again: filed once"))
    add(Row(FILE_MEETING, "ivanov", listing, 400, notice_body("{upload_petrova}"), code="invalid", headers=FILE_KEY,
            why="petrova's Idempotency-Key: her stored answer is not his to replay"))

    one = f"{API}/meetings/"
    for route, suffix in ((MEETING, ""), (NOTICE, "/notice"), (RESULTS, "/results")):
        notice = route == NOTICE
        shown = is_pdf if notice else results_of("voting_meeting") if route == RESULTS else is_meeting("voting_meeting")
        add(Row(route, "anonymous", one + "{unknown_meeting}" + suffix, 401))
        for who in SEES_H1:
            add(Row(route, who, one + "{voting_meeting}" + suffix, 200, target="uk", check=shown,
                    expects_json=not notice))
        add(Row(route, "energo-staff", one + "{voting_meeting}" + suffix, 404, code="meeting_not_found", target="uk",
                guess=("{voting_meeting}", "{unknown_meeting}")))
        for staff in STAFF:
            add(Row(route, staff, one + "{unknown_meeting}" + suffix, 404, code="meeting_not_found", target="energo",
                    why="a supplier manages no house: no meeting is its organisation's"))
    add(Row(RESULTS, "ivanov", one + "{closed_meeting}/results", 200, target="uk", check=final_results))

    review = one + "{filed_meeting}/review"
    approve, reject = {"decision": "approve"}, {"decision": "reject", "reason": "Нет вопроса о счётной комиссии."}
    add(Row(REVIEW, "anonymous", one + "{unknown_meeting}/review", 401, approve, setup=meeting_filed))
    for who in ("ivanov", "petrova", "uk-staff", "admin"):
        add(Row(REVIEW, who, review, 403, approve, target="uk", why="sees it, reviews nothing"))
    add(Row(REVIEW, "energo-staff", review, 404, approve, code="meeting_not_found", target="uk",
            guess=("{filed_meeting}", "{unknown_meeting}")))
    for staff in STAFF:
        add(Row(REVIEW, staff, one + "{unknown_meeting}/review", 404, approve, code="meeting_not_found",
                target="energo", why="a supplier manages no house"))
    add(Row(REVIEW, "inspector", one + "{voting_meeting}/review", 422, approve, code="not_under_review",
            target="uk", why="published already"))
    add(Row(REVIEW, "inspector", review, 200, reject, target="uk", check=rejected))
    add(Row(REVIEW, "inspector", review, 422, approve, code="not_under_review", target="uk",
            why="rejected already"))

    votes = one + "{voting_meeting}/votes"
    ballot = {"votes": {"1": "for", "2": "against", "3": "abstain"}}
    add(Row(VOTE, "anonymous", votes, 401, ballot))
    add(Row(VOTE, "ivanov", votes + DRY, 200, ballot, target="uk"))
    add(Row(VOTE, "ivanov", votes, 200, ballot, target="uk", check=votes_of("ivanov", 3)))
    add(Row(VOTE, "petrova", votes, 200, ballot, target="uk", check=votes_of("petrova", 6),
            why="two flats, both vote"))
    add(Row(VOTE, "ivanov", one + "{closed_meeting}/votes", 422, ballot, code="not_voting", target="uk"))
    for who in ("uk-staff", "inspector", "admin"):
        add(Row(VOTE, who, votes, 403, ballot, code="not_an_owner", target="uk"))
    add(Row(VOTE, "energo-staff", votes, 404, ballot, code="meeting_not_found", target="uk",
            guess=("{voting_meeting}", "{unknown_meeting}")))
    for staff in STAFF:
        add(Row(VOTE, staff, one + "{unknown_meeting}/votes", 404, ballot, code="meeting_not_found", target="energo",
                why="a supplier manages no house"))


# -- appeals -------------------------------------------------------------------------------------------------------

SEND_KEY = {"Idempotency-Key": "authz-matrix-appeal-1"}
# Who receives appeals about ул. Ленина, д. 5: its managing organisation, its supplier, its inspectorate, its
# administration.
H1_RECEIVERS = {"ORG-0001", "ORG-0002", "ORG-0004", "ORG-0006"}
# Who sees which of the demo's appeals: the author, the addressee's staff, admins.
APPEALS_SEEN = {"ivanov": ["A-000005", "A-000003", "A-000001"], "petrova": ["A-000004", "A-000002"],
                "uk-staff": ["A-000002", "A-000001"], "energo-staff": ["A-000003"], "inspector": ["A-000004"],
                "admin": ["A-000005", "A-000004", "A-000003", "A-000002", "A-000001"]}


def appeal_body(upload: str | None = None, **fields) -> dict:
    """An appeal about ул. Ленина, д. 5 to its managing organisation (with an upload of the caller's)."""
    body = {"house": "{h1}", "topic": "maintenance", "to": "ORG-0001", "text": "Протекает кровля над 4-м подъездом."}
    if upload is not None:
        body["attachments"] = [upload]
    return {k: v for k, v in {**body, **fields}.items() if v is not None}


def lists_topics(world: World, answer: Answer) -> None:
    codes = [t["code"] for t in answer.media["items"]]
    assert "maintenance" in codes and "other" not in codes and len(codes) >= 10, codes


def receives_about_h1(world: World, answer: Answer) -> None:
    got = {o["id"] for o in answer.media["items"]}
    assert got == H1_RECEIVERS, f"lists {sorted(got)}"


def appeals_seen(who: str):
    def check(world: World, answer: Answer) -> None:
        got = [a["id"] for a in answer.media["items"]]
        assert got == APPEALS_SEEN[who], f"lists {got}, expected {APPEALS_SEEN[who]}"

    return check


def appeals_none(world: World, answer: Answer) -> None:
    assert answer.media["items"] == [], f"lists {[a['id'] for a in answer.media['items']]}"


def is_appeal(key: str, status: str | None = None):
    def check(world: World, answer: Answer) -> None:
        assert answer.media["id"] == world.ids[key], f"answered with appeal {answer.media['id']}"
        if status:
            assert answer.media["status"] == status, answer.media["status"]
            row = world.conn.execute("SELECT status FROM appeals WHERE id = ?", (world.ids[key],)).fetchone()
            assert row["status"] == status, f"stored as {row['status']}"

    return check


def sent_by(login: str, upload: str | None):
    def check(world: World, answer: Answer) -> None:
        row = world.conn.execute("SELECT author_id, status FROM appeals WHERE id = ?", (answer.media["id"],)).fetchone()
        assert row["author_id"] == world.user_ids[login] and row["status"] == "sent", row
        files = [r[0] for r in world.conn.execute("SELECT upload_id FROM appeal_files WHERE appeal_id = ?",
                                                  (answer.media["id"],))]
        assert files == ([world.ids[upload]] if upload else []), files

    return check


def is_file(media_type: str):
    def check(world: World, answer: Answer) -> None:
        assert answer.headers.get("content-type") == media_type, answer.headers.get("content-type")
        assert answer.text, "an empty file"

    return check


def answered_by(login: str, key: str, files: int):
    def check(world: World, answer: Answer) -> None:
        row = world.conn.execute("SELECT status, answered_by FROM appeals WHERE id = ?", (world.ids[key],)).fetchone()
        assert row["status"] == "answered" and row["answered_by"] == world.user_ids[login], row
        assert len(answer.media["answer"]["attachments"]) == files, answer.media["answer"]

    return check


def _appeal_rows(add) -> None:
    """Appeals: any signed-in user reads the topics and the addressees; a resident of the house sends one; its author
    withdraws it; its addressee's staff take and answer it; its author, its addressee's staff and admins read it and
    its files; everyone else is told there is none."""
    for route, path, check in ((APPEAL_TOPICS, f"{API}/appeal-topics", lists_topics),
                               (ADDRESSEES, f"{API}/addressees?house={{h1}}", receives_about_h1)):
        add(Row(route, "anonymous", path, 401))
        for who in SIGNED_IN:
            add(Row(route, who, path, 200, check=check))

    listing = f"{API}/appeals"
    add(Row(APPEALS, "anonymous", listing, 401))
    for who in SIGNED_IN:
        add(Row(APPEALS, who, listing, 200, check=appeals_seen(who)))
    add(Row(APPEALS, "energo-staff", listing + "?house={h1}&status=answered", 200, check=appeals_none,
            why="the supplier's one appeal is in work"))

    add(Row(SEND_APPEAL, "anonymous", listing, 401, appeal_body(), setup=uploads_made))
    add(Row(SEND_APPEAL, "ivanov", listing + DRY, 200, appeal_body("{upload_ivanov}")))
    add(Row(SEND_APPEAL, "ivanov", listing, 400, appeal_body("{upload_petrova}"), code="invalid",
            guess=("{upload_petrova}", "{unknown_upload}"), why="another's upload is no attachment of his"))
    add(Row(SEND_APPEAL, "ivanov", listing, 422, appeal_body(to="ORG-0003"), code="wrong_addressee",
            why="the Yekaterinburg managing organisation receives no appeal about ул. Ленина, д. 5"))
    for who in ("uk-staff", "energo-staff", "inspector", "admin"):
        add(Row(SEND_APPEAL, who, listing, 403, appeal_body(f"{{upload_{who}}}"), code="forbidden",
                why="residents send appeals"))
    add(Row(SEND_APPEAL, "ivanov", listing, 201, appeal_body("{upload_ivanov}"), headers=SEND_KEY,
            check=sent_by("ivanov", "upload_ivanov")))
    add(Row(SEND_APPEAL, "ivanov", listing, 201, appeal_body("{upload_ivanov}"), headers=SEND_KEY,
            check=sent_by("ivanov", "upload_ivanov"), why="the same key again: sent once"))
    add(Row(SEND_APPEAL, "petrova", listing, 400, appeal_body("{upload_ivanov}"), code="invalid", headers=SEND_KEY,
            why="ivanov's Idempotency-Key: his stored answer is not hers to replay"))
    add(Row(SEND_APPEAL, "petrova", listing, 201, appeal_body(topic=None, other_topic="Бездействие УК", to="ORG-0004"),
            check=sent_by("petrova", None)))

    one = f"{API}/appeals/"
    # Reading an appeal and its files: the author, the addressee's staff, admins.
    for route, suffix, uk_file, energo_file in ((APPEAL, "", "", ""),
                                                (APPEAL_FILE, "/files/", "{uk_answer_file}", "{energo_appeal_file}")):
        file = route == APPEAL_FILE
        uk_path, energo_path = one + "{uk_appeal}" + suffix + uk_file, one + "{energo_appeal}" + suffix + energo_file
        shown_uk = is_file("application/pdf") if file else is_appeal("uk_appeal")
        shown_energo = is_file("text/plain") if file else is_appeal("energo_appeal")
        add(Row(route, "anonymous", one + "{unknown_appeal}" + suffix + uk_file, 401))
        for who in ("ivanov", "uk-staff", "admin"):
            add(Row(route, who, uk_path, 200, target="uk", check=shown_uk, expects_json=not file))
        for who in ("ivanov", "energo-staff", "admin"):
            add(Row(route, who, energo_path, 200, target="energo", check=shown_energo, expects_json=not file))
        add(Row(route, "energo-staff", uk_path, 404, code="appeal_not_found", target="uk",
                guess=("{uk_appeal}", "{unknown_appeal}"), why="addressed to another organisation"))
        add(Row(route, "uk-staff", energo_path, 404, code="appeal_not_found", target="energo",
                guess=("{energo_appeal}", "{unknown_appeal}"), why="addressed to another organisation"))
        for who in ("petrova", "inspector"):
            add(Row(route, who, uk_path, 404, code="appeal_not_found", target="uk",
                    guess=("{uk_appeal}", "{unknown_appeal}")))
    add(Row(APPEAL_FILE, "ivanov", one + "{uk_appeal}/files/{energo_appeal_file}", 404, code="file_not_found",
            target="uk", guess=("{energo_appeal_file}", "{unknown_upload}"), why="his file, of another appeal"))
    add(Row(APPEAL_FILE, "uk-staff", one + "{uk_appeal}/files/{uk_appeal_file}", 200, target="uk",
            check=is_file("image/png"), expects_json=False, why="the author's attachment"))

    # Withdrawing: the author alone, before the answer.
    uk_w, energo_w = one + "{uk_appeal}/withdraw", one + "{energo_appeal}/withdraw"
    add(Row(WITHDRAW, "anonymous", one + "{unknown_appeal}/withdraw", 401))
    add(Row(WITHDRAW, "ivanov", uk_w, 422, code="already_answered", target="uk"))
    for who, path, target in (("uk-staff", uk_w, "uk"), ("admin", uk_w, "uk"), ("energo-staff", energo_w, "energo")):
        add(Row(WITHDRAW, who, path, 403, target=target, why="sees it, is not its author"))
    add(Row(WITHDRAW, "energo-staff", uk_w, 404, code="appeal_not_found", target="uk",
            guess=("{uk_appeal}", "{unknown_appeal}")))
    for who in ("uk-staff", "petrova", "inspector"):
        add(Row(WITHDRAW, who, energo_w, 404, code="appeal_not_found", target="energo",
                guess=("{energo_appeal}", "{unknown_appeal}")))
    add(Row(WITHDRAW, "ivanov", energo_w + DRY, 200, target="energo"))
    add(Row(WITHDRAW, "ivanov", energo_w, 200, target="energo", check=is_appeal("energo_appeal", "withdrawn")))
    add(Row(WITHDRAW, "ivanov", energo_w, 422, code="already_withdrawn", target="energo"))

    # Taking and answering: the addressee's staff alone.
    for route, verb, body in ((TAKE, "take", None), (ANSWER, "answer", {"text": "Перерасчёт сделан."})):
        uk_path, energo_path = one + "{uk_appeal}/" + verb, one + "{energo_appeal}/" + verb
        add(Row(route, "anonymous", one + "{unknown_appeal}/" + verb, 401, body))
        add(Row(route, "uk-staff", uk_path, 422, body, code="already_answered", target="uk"))
        add(Row(route, "uk-staff", one + "{withdrawn_appeal}/" + verb, 422, body, code="already_withdrawn",
                target="uk"))
        add(Row(route, "energo-staff", uk_path, 404, body, code="appeal_not_found", target="uk",
                guess=("{uk_appeal}", "{unknown_appeal}")))
        add(Row(route, "uk-staff", energo_path, 404, body, code="appeal_not_found", target="energo",
                guess=("{energo_appeal}", "{unknown_appeal}")))
        for who in ("petrova", "inspector"):
            add(Row(route, who, energo_path, 404, body, code="appeal_not_found", target="energo",
                    guess=("{energo_appeal}", "{unknown_appeal}")))
        for who in ("ivanov", "admin"):
            add(Row(route, who, energo_path, 403, body, target="energo", why="sees it, is not the addressee's staff"))
    add(Row(TAKE, "energo-staff", one + "{energo_appeal}/take", 200, target="energo",
            check=is_appeal("energo_appeal", "in_work"), why="taken by him already: unchanged"))
    add(Row(TAKE, "inspector", one + "{inspectorate_appeal}/take" + DRY, 200))
    add(Row(TAKE, "inspector", one + "{inspectorate_appeal}/take", 200,
            check=is_appeal("inspectorate_appeal", "in_work")))
    add(Row(ANSWER, "energo-staff", one + "{energo_appeal}/answer" + DRY, 200, {"text": "Перерасчёт сделан."},
            target="energo", setup=uploads_made))
    add(Row(ANSWER, "energo-staff", one + "{energo_appeal}/answer", 200,
            {"text": "Перерасчёт сделан.", "attachments": ["{upload_energo-staff}"]}, target="energo",
            check=answered_by("energo-staff", "energo_appeal", 1)))
    add(Row(ANSWER, "inspector", one + "{inspectorate_appeal}/answer", 400,
            {"text": "Проверка назначена.", "attachments": ["{upload_petrova}"]}, code="invalid",
            guess=("{upload_petrova}", "{unknown_upload}"), why="the author's upload is no file of his"))
    add(Row(ANSWER, "inspector", one + "{inspectorate_appeal}/answer", 200, {"text": "Проверка назначена."},
            check=answered_by("inspector", "inspectorate_appeal", 0)))


OUTAGE_KEY = {"Idempotency-Key": "authz-matrix-outage-1"}
H1_OUTAGES = ["OT-000003", "OT-000004", "OT-000002", "OT-000001"]  # newest start first
# Who reads which of the demo's notices: residents of the house, the staff of an organisation serving it (managing it
# or with accounts there), its inspectorate, admins.
OUTAGES_SEEN = {"ivanov": H1_OUTAGES, "petrova": H1_OUTAGES, "energo-staff": H1_OUTAGES,
                "uk-staff": ["OT-000007", *H1_OUTAGES], "inspector": ["OT-000007", *H1_OUTAGES],
                "admin": ["OT-000007", "OT-000003", "OT-000004", "OT-000006", "OT-000002", "OT-000001", "OT-000005"]}


def outage_body(**fields) -> dict:
    """A notice of a hot-water outage at ул. Ленина, д. 5."""
    body = {"house": "{h1}", "resource": "hot_water", "start": "2026-12-01", "end": "2026-12-14",
            "text": "Ремонт трубопровода горячего водоснабжения."}
    return {**body, **fields}


def outages_seen(who: str):
    def check(world: World, answer: Answer) -> None:
        got = [o["id"] for o in answer.media["items"]]
        assert got == OUTAGES_SEEN[who], f"lists {got}, expected {OUTAGES_SEEN[who]}"

    return check


def is_outage(key: str, status: str | None = None, version: int | None = None):
    def check(world: World, answer: Answer) -> None:
        assert answer.media["id"] == world.ids[key], f"answered with notice {answer.media['id']}"
        row = world.conn.execute("SELECT cancelled_at, version FROM outages WHERE id = ?", (world.ids[key],)).fetchone()
        if status:
            assert answer.media["status"] == status, answer.media["status"]
            assert (row["cancelled_at"] is not None) == (status == "cancelled"), f"stored {tuple(row)}"
        if version:
            assert answer.media["version"] == version and row["version"] == version, f"stored {tuple(row)}"

    return check


def posted_by(login: str):
    def check(world: World, answer: Answer) -> None:
        row = world.conn.execute("SELECT posted_by, org_id FROM outages WHERE id = ?", (answer.media["id"],)).fetchone()
        assert row is not None and row["posted_by"] == world.user_ids[login], row and tuple(row)

    return check


def _outage_rows(add) -> None:
    """Outages: residents of a house, the staff of the organisations serving it, its inspectorate and admins read its
    notices; the staff of an organisation serving it post them; the posting organisation's staff change and cancel
    them; everyone else is told there is none."""
    listing = f"{API}/outages"
    add(Row(OUTAGES, "anonymous", listing, 401))
    for who in SIGNED_IN:
        add(Row(OUTAGES, who, listing, 200, check=outages_seen(who)))
    add(Row(OUTAGES, "energo-staff", listing + "?house={h2}", 200, check=appeals_none,
            why="a house the supplier does not serve: nothing, not a refusal"))

    add(Row(POST_OUTAGE, "anonymous", listing, 401, outage_body()))
    add(Row(POST_OUTAGE, "uk-staff", listing + DRY, 200, outage_body()))
    add(Row(POST_OUTAGE, "uk-staff", listing, 404, outage_body(house="{h4}"), code="house_not_found",
            why="the Yekaterinburg house is another organisation's"))
    add(Row(POST_OUTAGE, "energo-staff", listing, 404, outage_body(house="{h2}"), code="house_not_found",
            why="the supplier has no accounts at пр-т Мира"))
    for who in ("ivanov", "petrova", "inspector", "admin"):
        add(Row(POST_OUTAGE, who, listing, 403, outage_body(), code="forbidden", why="staff post notices"))
    add(Row(POST_OUTAGE, "uk-staff", listing, 201, outage_body(), headers=OUTAGE_KEY, check=posted_by("uk-staff")))
    add(Row(POST_OUTAGE, "uk-staff", listing, 201, outage_body(), headers=OUTAGE_KEY, check=posted_by("uk-staff"),
            why="the same key again: posted once"))
    add(Row(POST_OUTAGE, "energo-staff", listing, 201, outage_body(resource="electricity"),
            check=posted_by("energo-staff"), why="the supplier serves ул. Ленина, д. 5 too"))

    one = f"{API}/outages/"
    uk, energo, h2 = one + "{uk_outage}", one + "{energo_outage}", one + "{h2_outage}"
    add(Row(OUTAGE, "anonymous", one + "{unknown_outage}", 401))
    for who in SIGNED_IN:
        add(Row(OUTAGE, who, uk, 200, target="uk", check=is_outage("uk_outage", "upcoming")))
    for who in STAFF:
        add(Row(OUTAGE, who, energo, 200, target="energo", check=is_outage("energo_outage", "cancelled")))
    for who in ("energo-staff", "ivanov"):
        add(Row(OUTAGE, who, h2, 404, code="outage_not_found", target="uk", guess=("{h2_outage}", "{unknown_outage}"),
                why="a house they have nothing at"))

    for route, verb, body in ((CHANGE_OUTAGE, "", {"text": "Работы перенесены."}), (CANCEL_OUTAGE, "/cancel", None)):
        add(Row(route, "anonymous", one + "{unknown_outage}" + verb, 401, body))
        add(Row(route, "energo-staff", uk + verb, 403, body, target="uk",
                why="sees it, another organisation posted it"))
        add(Row(route, "uk-staff", energo + verb, 403, body, target="energo",
                why="sees it, another organisation posted it"))
        for who in ("ivanov", "petrova", "inspector", "admin"):
            add(Row(route, who, uk + verb, 403, body, target="uk", why="sees it, is no staff of the poster"))
        for who in ("energo-staff", "petrova"):
            add(Row(route, who, h2 + verb, 404, body, code="outage_not_found", target="uk",
                    guess=("{h2_outage}", "{unknown_outage}")))
        add(Row(route, "uk-staff", uk + verb + DRY, 200, body, target="uk"))
    add(Row(CHANGE_OUTAGE, "uk-staff", uk, 200, {"end": "2026-11-26"}, target="uk",
            check=is_outage("uk_outage", "upcoming", 2)))
    add(Row(CHANGE_OUTAGE, "energo-staff", energo, 422, {"text": "Работы возобновлены."}, code="cancelled",
            target="energo"))
    add(Row(CANCEL_OUTAGE, "uk-staff", uk + "/cancel", 200, target="uk", check=is_outage("uk_outage", "cancelled", 2)))
    add(Row(CANCEL_OUTAGE, "uk-staff", uk + "/cancel", 200, target="uk", check=is_outage("uk_outage", "cancelled", 2),
            why="cancelled already: unchanged"))
    add(Row(CANCEL_OUTAGE, "energo-staff", energo + "/cancel", 200, target="energo",
            check=is_outage("energo_outage", "cancelled", 2), why="the demo's cancelled one: unchanged"))


# A batch of one new account at the demo's new build (no flats yet), and one at another organisation's house.
NEW_ACCOUNT = {"line": 2, "house": "{h6}", "flat": "1", "number": "AUTHZ-1", "area": "40,5", "payer": "Тестов Т. Т."}
BATCH_NEW = {"rows": [NEW_ACCOUNT]}
BATCH_ELSEWHERE = {"rows": [{**NEW_ACCOUNT, "house": "{h4}"}]}
# This month's reading of ivanov's cold-water meter in a batch, and the same for a meter that does not exist.
BATCH_READING = {"rows": [{"line": 2, "meter": "{uk_meter}", "T1": "2675,5"}]}


def batch_counts(created: int, updated: int, unchanged: int, rejected: tuple[str, ...] = ()):
    """The batch's answer: its counts and the fields of its rejected rows."""
    def check(world: World, answer: Answer) -> None:
        got = (answer.media["created"], answer.media["updated"], answer.media["unchanged"],
               tuple(r["field"] for r in answer.media["rejected"]))
        assert got == (created, updated, unchanged, rejected), f"answered {answer.media}"

    return check


def one_reading_by(login: str):
    def check(world: World, answer: Answer) -> None:
        row = world.conn.execute("SELECT submitted_by, reading_values FROM readings WHERE meter_id = ? AND period = ?",
                                 (world.ids["uk_meter"], "2026-11")).fetchone()
        assert row is not None and row["submitted_by"] == world.user_ids[login], row and tuple(row)

    return check


def _batch_rows(add) -> None:
    """Batch files: an organisation's staff import its accounts (nobody else); residents submit readings of their
    linked accounts' meters and staff of their organisation's (nobody else) — a meter not among the caller's is a
    rejected row that says no more than for a meter that does not exist."""
    batch = f"{API}/accounts/batch"
    add(Row(ACCOUNT_BATCH, "anonymous", batch, 401, BATCH_NEW))
    for who in ("ivanov", "petrova", "inspector", "admin"):
        add(Row(ACCOUNT_BATCH, who, batch, 403, BATCH_NEW, why="staff import their organisation's accounts"))
    add(Row(ACCOUNT_BATCH, "uk-staff", batch + DRY, 200, BATCH_NEW, check=batch_counts(1, 0, 0)))
    add(Row(ACCOUNT_BATCH, "uk-staff", batch, 200, BATCH_ELSEWHERE, check=batch_counts(0, 0, 0, ("house",)),
            leak_check=True, why="the Yekaterinburg house is another organisation's: rejected, nothing stored"))
    add(Row(ACCOUNT_BATCH, "energo-staff", batch, 200, BATCH_NEW, check=batch_counts(0, 0, 0, ("house",)),
            why="the supplier serves no flat of the new build"))
    add(Row(ACCOUNT_BATCH, "uk-staff", batch, 200, BATCH_NEW, check=batch_counts(1, 0, 0)))
    add(Row(ACCOUNT_BATCH, "uk-staff", batch, 200, BATCH_NEW, check=batch_counts(0, 0, 1), why="the same again"))

    readings = f"{API}/readings/batch"
    add(Row(READING_BATCH, "anonymous", readings, 401, BATCH_READING))
    for who in ("inspector", "admin"):
        add(Row(READING_BATCH, who, readings, 403, BATCH_READING, why="residents and staff submit readings"))
    add(Row(READING_BATCH, "ivanov", readings + DRY, 200, BATCH_READING, check=batch_counts(1, 0, 0)))
    for who in ("petrova", "energo-staff"):
        add(Row(READING_BATCH, who, readings, 200, BATCH_READING, check=batch_counts(0, 0, 0, ("meter",)),
                leak_check=True, why="not a meter of theirs: rejected as one that does not exist"))
    add(Row(READING_BATCH, "ivanov", readings, 200, BATCH_READING, check=one_reading_by("ivanov")))
    add(Row(READING_BATCH, "uk-staff", readings, 200, {"rows": [{**BATCH_READING["rows"][0], "T1": "2676"}]},
            check=one_reading_by("uk-staff"), why="the organisation's meter: the reading replaced"))


NOT_ADMINS = ("ivanov", "petrova", "uk-staff", "energo-staff", "inspector")
NEW_ORG = {"name": "ТСЖ «Берёзка»", "inn": "7701234560", "ogrn": "1027700123450", "kind": "managing",
           "card_commission": "0.8"}
NEW_USER = {"login": "sidorov", "name": "Сидоров Сидор Сидорович", "role": "staff", "org": "ORG-0001"}


def setting_is(key: str, value: str | None):
    def check(world: World, answer: Answer) -> None:
        assert answer.media["key"] == key and answer.media["value"] == value, answer.media
        row = world.conn.execute("SELECT value FROM portal_settings WHERE key = ?", (key,)).fetchone()
        assert (row[0] if row else None) == value, f"stored {row and row[0]!r}, not {value!r}"

    return check


def lists(key: str, *expected: str):
    def check(world: World, answer: Answer) -> None:
        found = {item[key] for item in answer.media["items"]}
        assert set(expected) <= found, f"{sorted(set(expected) - found)} not listed"

    return check


def org_added(status: str):
    def check(world: World, answer: Answer) -> None:
        assert answer.media["inn"] == NEW_ORG["inn"] and answer.media["id"], answer.media
        count = world.conn.execute("SELECT count(*) FROM organisations WHERE inn = ?", (NEW_ORG["inn"],)).fetchone()
        assert count[0] == 1, f"{count[0]} organisations with the ИНН ({status})"

    return check


def user_added(world: World, answer: Answer) -> None:
    otp = answer.media["one_time_password"]
    assert answer.media["user"]["login"] == "sidorov" and len(otp) == 16, answer.media
    signed = world.call(None, "POST", f"{API}/auth/token", {"login": "sidorov", "password": otp})
    assert signed.status == 201, f"the one-time password does not sign in: {signed.status}"
    token = signed.media["token"]
    assert world.call(token, "GET", f"{API}/accounts").error.get("code") == "password_change_required"


def disabled(login: str):
    def check(world: World, answer: Answer) -> None:
        assert answer.media["login"] == login and answer.media["disabled_at"], answer.media
        assert world.call(world.tokens[login], "GET", f"{API}/me").status == 401, "their token still works"
        signed = world.call(None, "POST", f"{API}/auth/token", {"login": login, "password": password_of(login)})
        assert signed.status == 401, f"a disabled user signed in: {signed.status}"

    return check


def enabled(login: str):
    def check(world: World, answer: Answer) -> None:
        assert answer.media["login"] == login and answer.media["disabled_at"] is None, answer.media
        signed = world.call(None, "POST", f"{API}/auth/token", {"login": login, "password": password_of(login)})
        assert signed.status == 201, f"an enabled user cannot sign in: {signed.status}"

    return check


def password_reset(login: str):
    def check(world: World, answer: Answer) -> None:
        assert answer.media["user"]["must_change_password"] is True, answer.media
        assert world.call(world.tokens[login], "GET", f"{API}/me").status == 401, "their token still works"
        signed = world.call(None, "POST", f"{API}/auth/token",
                            {"login": login, "password": answer.media["one_time_password"]})
        assert signed.status == 201, f"the new one-time password does not sign in: {signed.status}"

    return check


def password_changed(login: str):
    def check(world: World, answer: Answer) -> None:
        assert answer.media == {"status": "changed"}, answer.media
        assert world.call(world.row_token, "GET", f"{API}/me").status == 200, "the token used was signed out"
        assert world.call(world.tokens[login], "GET", f"{API}/me").status == 401, "the other token still works"
        signed = world.call(None, "POST", f"{API}/auth/token", {"login": login, "password": f"{login}-own-password"})
        assert signed.status == 201, f"the new password does not sign in: {signed.status}"

    return check


def _admin_rows(add) -> None:
    """The portal's settings, organisations and users: its admins' alone (403 for every other role, whatever the
    request names, so a refusal tells nothing of which logins exist); the password change: every signed-in user,
    for themselves only."""
    pw = f"{API}/auth/password"
    add(Row(CHANGE_PASSWORD, "anonymous", pw, 401, {"current": "x", "new": "a-long-new-password"}))
    for who in SIGNED_IN:
        add(Row(CHANGE_PASSWORD, who, pw, 403, {"current": "wrong-password", "new": f"{who}-own-password"},
                code="wrong_password", why="a wrong current password"))
        add(Row(CHANGE_PASSWORD, who, pw, 400, {"current": password_of(who), "new": "short"}, code="invalid",
                why="a new password too short"))
    for who in SIGNED_IN:
        add(Row(CHANGE_PASSWORD, who, pw, 200, {"current": password_of(who), "new": f"{who}-own-password"},
                token="fresh", check=password_changed(who)))

    settings, one = f"{API}/admin/settings", f"{API}/admin/settings/payments.card_commission"
    add(Row(SETTINGS, "anonymous", settings, 401))
    add(Row(SET_SETTING, "anonymous", one, 401, {"value": "0.8"}))
    for who in NOT_ADMINS:
        add(Row(SETTINGS, who, settings, 403))
        add(Row(SET_SETTING, who, one, 403, {"value": "0.8"}))
        add(Row(SET_SETTING, who, f"{API}/admin/settings/no.such.key", 403, {"value": "0.8"},
                why="an unknown key answers alike"))
    add(Row(SETTINGS, "admin", settings, 200, check=lists("key", "payments.card_commission", "smtp.host")))
    add(Row(SET_SETTING, "admin", one + DRY, 200, {"value": "0,8"}))
    add(Row(SET_SETTING, "admin", f"{API}/admin/settings/no.such.key", 400, {"value": "0.8"}, code="invalid"))
    add(Row(SET_SETTING, "admin", one, 400, {"value": "5.01"}, code="invalid"))
    add(Row(SET_SETTING, "admin", one, 200, {"value": "0,8"}, check=setting_is("payments.card_commission", "0.8")))
    add(Row(SET_SETTING, "admin", one, 200, {"value": None}, check=setting_is("payments.card_commission", None)))

    orgs = f"{API}/admin/organisations"
    add(Row(ORGANISATIONS, "anonymous", orgs, 401))
    add(Row(ADD_ORGANISATION, "anonymous", orgs, 401, NEW_ORG))
    for who in NOT_ADMINS:
        add(Row(ORGANISATIONS, who, orgs, 403))
        add(Row(ADD_ORGANISATION, who, orgs, 403, NEW_ORG))
    add(Row(ORGANISATIONS, "admin", orgs, 200, check=lists("id", ORG_IDS["uk"], ORG_IDS["energo"])))
    add(Row(ADD_ORGANISATION, "admin", orgs + DRY, 200, NEW_ORG))
    add(Row(ADD_ORGANISATION, "admin", orgs, 400, {**NEW_ORG, "inn": "7701234561"}, code="invalid"))
    add(Row(ADD_ORGANISATION, "admin", orgs, 201, NEW_ORG, check=org_added("added")))
    add(Row(ADD_ORGANISATION, "admin", orgs, 200, NEW_ORG, check=org_added("the same again")))
    add(Row(ADD_ORGANISATION, "admin", orgs, 409, {**NEW_ORG, "name": "ООО «Другое»"}, code="organisation_exists"))

    users = f"{API}/admin/users"
    add(Row(USERS, "anonymous", users, 401))
    add(Row(ADD_USER, "anonymous", users, 401, NEW_USER))
    for who in NOT_ADMINS:
        add(Row(USERS, who, users, 403))
        add(Row(ADD_USER, who, users, 403, NEW_USER))
    add(Row(USERS, "admin", users, 200, check=lists("login", *SIGNED_IN)))
    add(Row(ADD_USER, "admin", users + DRY, 200, NEW_USER))
    add(Row(ADD_USER, "admin", users, 400, {**NEW_USER, "org": None}, code="invalid", why="staff need an org"))
    add(Row(ADD_USER, "admin", users, 409, {**NEW_USER, "login": "ivanov"}, code="login_taken"))
    add(Row(ADD_USER, "admin", users, 201, NEW_USER, check=user_added))

    for route, verb in ((DISABLE_USER, "disable"), (ENABLE_USER, "enable"), (RESET_PASSWORD, "password")):
        add(Row(route, "anonymous", f"{users}/petrova/{verb}", 401))
        for who in NOT_ADMINS:
            add(Row(route, who, f"{users}/petrova/{verb}", 403, guess=("petrova", "nobody-at-all")))
        add(Row(route, "admin", f"{users}/nobody-at-all/{verb}", 404, code="user_not_found"))
    add(Row(DISABLE_USER, "admin", f"{users}/admin/disable", 422, code="cannot_disable_self"))
    add(Row(DISABLE_USER, "admin", f"{users}/petrova/disable" + DRY, 200))
    add(Row(DISABLE_USER, "admin", f"{users}/petrova/disable", 200, check=disabled("petrova")))
    add(Row(ENABLE_USER, "admin", f"{users}/petrova/enable", 200, check=enabled("petrova"),
            setup=lambda world: _disable(world, "petrova")))
    add(Row(RESET_PASSWORD, "admin", f"{users}/petrova/password", 200, check=password_reset("petrova")))


# A houses file's row: a new house managed by the demo's Moscow organisation; the same naming an unknown ИНН.
NEW_HOUSE = {"line": 2, "guid": "f88dff80-7a02-4289-80be-edca9d932149", "address": "г. Москва, ул. Строителей, д. 5",
             "town": "Москва", "oktmo": "45376000", "region": "77", "managing_org": "{uk_inn}"}
HOUSES_NEW = {"rows": [NEW_HOUSE]}
HOUSES_NO_ORG = {"rows": [{**NEW_HOUSE, "guid": "0c5b2444-70a0-4932-980c-b4dc0d3f02b5", "managing_org": "7707083893"}]}


def period_closed(house: str, status: str):
    def check(world: World, answer: Answer) -> None:
        assert (answer.media["period"], answer.media["status"]) == ("2026-11", status), answer.media
        row = world.conn.execute("SELECT count(*) FROM closed_periods WHERE house_guid = ? AND period = ?",
                                 (world.ids[house], "2026-11")).fetchone()
        assert row[0] == 1, f"{row[0]} rows for the closed period"

    return check


BILL_LINE = {"line": 2, "period": "2026-11", "service": "maintenance", "volume": "54,3", "tariff": "32,50"}
BILLS_UK = {"rows": [{**BILL_LINE, "account": "{uk_els}"}]}
BILLS_ENERGO = {"rows": [{**BILL_LINE, "account": "{energo_els}", "service": "electricity", "volume": "80"}]}


def _bill_batch_rows(add) -> None:
    """Bills from accounting are imported by the portal's admins (any account) and an organisation's staff (its own
    accounts: another organisation's is a rejected row, told as for an account that does not exist)."""
    batch = f"{API}/bills/batch"
    add(Row(BILL_BATCH, "anonymous", batch, 401, BILLS_UK))
    for who in ("ivanov", "petrova", "inspector"):
        add(Row(BILL_BATCH, who, batch, 403, BILLS_UK, why="admins and staff import bills"))
    add(Row(BILL_BATCH, "uk-staff", batch + DRY, 200, BILLS_UK, target="uk", check=batch_counts(1, 0, 0)))
    add(Row(BILL_BATCH, "uk-staff", batch, 200, BILLS_ENERGO, target="energo", leak_check=True,
            check=batch_counts(0, 0, 0, ("account",)), why="another organisation's account: rejected, nothing stored"))
    add(Row(BILL_BATCH, "energo-staff", batch, 200, BILLS_UK, target="uk", leak_check=True,
            check=batch_counts(0, 0, 0, ("account",)), why="another organisation's account: rejected, nothing stored"))
    add(Row(BILL_BATCH, "uk-staff", batch, 200, BILLS_UK, target="uk", check=batch_counts(1, 0, 0)))
    add(Row(BILL_BATCH, "uk-staff", batch, 200, BILLS_UK, target="uk", check=batch_counts(0, 0, 1),
            why="the same again"))
    add(Row(BILL_BATCH, "energo-staff", batch, 200, BILLS_ENERGO, target="energo", check=batch_counts(1, 0, 0)))
    add(Row(BILL_BATCH, "admin", batch, 200, BILLS_UK, check=batch_counts(0, 0, 1), why="admins: any account"))


# An owners file's row: flat 1 of the demo's new build (its Moscow organisation manages it), created with its area;
# the same in another organisation's house; a new flat of that house (admins keep any house's register).
OWNER_ROW = {"line": 2, "house": "{h6}", "flat": "1", "area": "54,3", "owner": "Новоселов Пётр Ильич", "share": "1"}
OWNERS_NEW = {"rows": [OWNER_ROW]}
OWNERS_ELSEWHERE = {"rows": [{**OWNER_ROW, "house": "{h4}", "flat": "999"}]}


def _owner_rows(add) -> None:
    """The houses' owner registers are kept by the portal's admins (any house) and the staff of a managing
    organisation (the houses it manages: another's is a rejected row, and its register not found); a supplier's
    staff, residents and inspectors keep none."""
    batch, listing = f"{API}/owners/batch", f"{API}/owners"
    add(Row(OWNER_BATCH, "anonymous", batch, 401, OWNERS_NEW))
    add(Row(OWNERS, "anonymous", listing + "?house={h6}", 401))
    for who in ("ivanov", "petrova", "inspector", "energo-staff"):
        add(Row(OWNER_BATCH, who, batch, 403, OWNERS_NEW, why="admins and a managing organisation's staff"))
        add(Row(OWNERS, who, listing + "?house={h1}", 403))
    add(Row(OWNER_BATCH, "uk-staff", batch + DRY, 200, OWNERS_NEW, check=batch_counts(1, 0, 0)))
    add(Row(OWNER_BATCH, "uk-staff", batch, 200, OWNERS_ELSEWHERE, leak_check=True,
            check=batch_counts(0, 0, 0, ("house",)), why="another organisation's house: rejected, nothing stored"))
    add(Row(OWNER_BATCH, "uk-staff", batch, 200, OWNERS_NEW, check=batch_counts(1, 0, 0)))
    add(Row(OWNER_BATCH, "uk-staff", batch, 200, OWNERS_NEW, check=batch_counts(0, 0, 1), why="the same again"))
    add(Row(OWNER_BATCH, "admin", batch, 200, OWNERS_ELSEWHERE, check=batch_counts(1, 0, 0),
            why="admins: any house"))
    add(Row(OWNERS, "uk-staff", listing + "?house={h4}", 404, code="house_not_found",
            why="another organisation's house: not found"))
    for who in ("uk-staff", "admin"):
        add(Row(OWNERS, who, listing + "?house={h6}", 200))
    add(Row(OWNERS, "admin", listing + "?house={h4}", 200))


def _house_period_rows(add) -> None:
    """Houses are imported by the portal's admins alone; a house's period is closed (and its closed ones listed)
    by admins and the staff of an organisation serving the house — another's house is not found, as one that is
    not there."""
    houses = f"{API}/admin/houses/batch"
    add(Row(HOUSE_BATCH, "anonymous", houses, 401, HOUSES_NEW))
    for who in NOT_ADMINS:
        add(Row(HOUSE_BATCH, who, houses, 403, HOUSES_NEW, why="admins import houses"))
    add(Row(HOUSE_BATCH, "admin", houses + DRY, 200, HOUSES_NEW, check=batch_counts(1, 0, 0)))
    add(Row(HOUSE_BATCH, "admin", houses, 200, HOUSES_NO_ORG, check=batch_counts(0, 0, 0, ("managing_org",))))
    add(Row(HOUSE_BATCH, "admin", houses, 200, HOUSES_NEW, check=batch_counts(1, 0, 0)))
    add(Row(HOUSE_BATCH, "admin", houses, 200, HOUSES_NEW, check=batch_counts(0, 0, 1), why="the same again"))

    close, listing = f"{API}/periods/close", f"{API}/periods"
    h1, h4 = {"house": "{h1}", "period": "2026-11"}, {"house": "{h4}", "period": "2026-11"}
    add(Row(CLOSE_PERIOD, "anonymous", close, 401, h1))
    add(Row(PERIODS, "anonymous", listing + "?house={h1}", 401))
    for who in ("ivanov", "petrova", "inspector"):
        add(Row(CLOSE_PERIOD, who, close, 403, h1, why="admins and the staff serving the house close periods"))
        add(Row(PERIODS, who, listing + "?house={h1}", 403))
    for who in STAFF:
        add(Row(CLOSE_PERIOD, who, close, 404, h4, code="house_not_found", leak_check=True,
                why="another organisation's house: not found"))
        add(Row(PERIODS, who, listing + "?house={h4}", 404, code="house_not_found"))
    add(Row(CLOSE_PERIOD, "admin", close + DRY, 201, h1))
    add(Row(CLOSE_PERIOD, "admin", close, 422, {**h1, "period": "2026-12"}, code="period_in_future"))
    add(Row(CLOSE_PERIOD, "uk-staff", close, 201, h1, check=period_closed("h1", "closed")))
    add(Row(CLOSE_PERIOD, "energo-staff", close, 200, h1, check=period_closed("h1", "unchanged"),
            why="the supplier has accounts in the house: it serves it; closed already"))
    add(Row(CLOSE_PERIOD, "admin", close, 201, h4, check=period_closed("h4", "closed")))
    for who in ("admin", *STAFF):
        add(Row(PERIODS, who, listing + "?house={h1}", 200))


def _disable(world: World, login: str) -> None:
    answer = world.as_("admin", "POST", f"{API}/admin/users/{login}/disable")
    assert answer.status == 200, f"{login} not disabled: {answer.status}"


def _rows() -> list[Row]:
    rows: list[Row] = []
    add = rows.append

    # The portal's identity is public; it names nobody.
    for who in PRINCIPALS:
        add(Row(PORTAL, who, f"{API}/portal", 200, leak_check=True, check=is_user_free))

    # Signing in: anyone with their own password; a wrong password and an unknown login answer alike.
    add(Row(SIGN_IN, "anonymous", f"{API}/auth/token", 401, {"login": "ivanov", "password": "wrong-password"},
            code="invalid_credentials", guess=("ivanov", "nobody-at-all"), why="wrong password"))
    for who in SIGNED_IN:
        add(Row(SIGN_IN, who, f"{API}/auth/token", 201, {"login": who, "password": password_of(who)},
                leak_check=who != "ivanov", check=is_user(who)))

    # Signing out revokes the token it is sent with, and no other.
    add(Row(SIGN_OUT, "anonymous", f"{API}/auth/token", 401))
    for who in SIGNED_IN:
        add(Row(SIGN_OUT, who, f"{API}/auth/token", 200, token="fresh", check=revoked))

    # Who am I: only myself.
    add(Row(ME, "anonymous", f"{API}/me", 401))
    for who in SIGNED_IN:
        add(Row(ME, who, f"{API}/me", 200, leak_check=who != "ivanov", check=is_user(who)))

    # The address directory and house passports: any signed-in user, and they carry nobody's details.
    add(Row(ADDRESSES, "anonymous", f"{API}/addresses?q=ленина 5", 401))
    for who in SIGNED_IN:
        add(Row(ADDRESSES, who, f"{API}/addresses?q=ленина 5", 200, leak_check=True, check=finds_lenina_5))
    add(Row(HOUSE, "anonymous", f"{API}/houses/{{h1}}", 401))
    for who in SIGNED_IN:
        add(Row(HOUSE, who, f"{API}/houses/{{h1}}", 200, leak_check=True))
    add(Row(HOUSE, "petrova", f"{API}/houses/{{unknown_guid}}", 404, code="house_not_found"))

    # Account lists: residents their linked ones, staff their organisation's, admins all, inspectors none.
    add(Row(ACCOUNTS, "anonymous", f"{API}/accounts", 401))
    for who in ("ivanov", "petrova", *STAFF, "admin"):
        add(Row(ACCOUNTS, who, f"{API}/accounts", 200, check=accounts_of(who)))
    add(Row(ACCOUNTS, "inspector", f"{API}/accounts", 403))

    # One account: its resident, its organisation's staff and admins; 404 for everyone else, like nothing.
    acc = f"{API}/accounts/"
    add(Row(ACCOUNT, "anonymous", acc + "{uk_els}", 401, target="uk"))
    add(Row(ACCOUNT, "ivanov", acc + "{uk_els}", 200, target="uk", check=is_account("uk_els")))
    add(Row(ACCOUNT, "ivanov", acc + "{energo_els}", 200, target="energo", check=is_account("energo_els")))
    add(Row(ACCOUNT, "ivanov", acc + "{neighbour_els}", 404, code="account_not_found", target="uk",
            guess=("{neighbour_els}", "{unknown_els}"), why="a neighbour's account"))
    add(Row(ACCOUNT, "petrova", acc + "{uk_els}", 404, code="account_not_found", target="uk",
            guess=("{uk_els}", "{unknown_els}")))
    add(Row(ACCOUNT, "petrova", acc + "{energo_els}", 404, code="account_not_found", target="energo",
            guess=("{energo_els}", "{unknown_els}")))
    add(Row(ACCOUNT, "uk-staff", acc + "{uk_els}", 200, target="uk", check=is_account("uk_els")))
    add(Row(ACCOUNT, "uk-staff", acc + "{energo_els}", 404, code="account_not_found", target="energo",
            guess=("{energo_els}", "{unknown_els}")))
    add(Row(ACCOUNT, "energo-staff", acc + "{energo_els}", 200, target="energo", check=is_account("energo_els")))
    add(Row(ACCOUNT, "energo-staff", acc + "{uk_els}", 404, code="account_not_found", target="uk",
            guess=("{uk_els}", "{unknown_els}")))
    add(Row(ACCOUNT, "inspector", acc + "{uk_els}", 403, target="uk", guess=("{uk_els}", "{unknown_els}")))
    add(Row(ACCOUNT, "admin", acc + "{uk_els}", 200, target="uk", check=is_account("uk_els")))

    # Linking needs proof (issue 7): refusals reveal nothing and store nothing; only residents link.
    links = f"{API}/accounts/links"
    add(Row(LINK, "anonymous", links + DRY, 401, PROOF_UK, target="uk"))
    add(Row(LINK, "ivanov", links + DRY, 200, PROOF_UK, target="uk", check=link_status("unchanged", IVANOV_LINKS),
            why="already linked"))
    add(Row(LINK, "ivanov", links, 200, {"house": "{h1}", "els": "{energo_els}", "payer": "иванов"},
            target="energo", check=link_status("unchanged", IVANOV_LINKS), why="by ЕЛС, surname in lower case"))
    add(Row(LINK, "ivanov", links, 404, {"house": "{h1}", "number": "{neighbour_number}", "payer": "Иванов"},
            code="account_not_found", target="uk", guess=("{neighbour_number}", "{unknown_number}"),
            why="a neighbour's number, not his surname"))
    add(Row(LINK, "petrova", links + DRY, 404, WRONG_SURNAME_UK, code="account_not_found", target="uk",
            why="ivanov's number, a wrong surname"))
    add(Row(LINK, "petrova", links, 404, WRONG_SURNAME_UK, code="account_not_found", target="uk",
            guess=("{uk_number}", "{unknown_number}"), why="ivanov's number, a wrong surname"))
    add(Row(LINK, "petrova", links + DRY, 201, PROOF_UK, target="uk", leak_check=True,
            check=not_shown_before_linked, why="a relative with the bill, dry run"))
    add(Row(LINK, "petrova", links, 201, PROOF_UK, target="uk", check=petrova_now_sees_the_account,
            why="a relative with the bill"))
    for who in (*STAFF, "inspector", "admin"):
        for target, proof in (("uk", PROOF_UK), ("energo", PROOF_ENERGO)):
            if who in STAFF or target == "uk":
                add(Row(LINK, who, links, 403, proof, target=target,
                        guess=(f"{{{target}_number}}", "{unknown_number}")))

    # Unlinking: only my own link; 404 for anyone else's, like nothing; only residents.
    unlink = f"{API}/accounts/links/"
    add(Row(UNLINK, "anonymous", unlink + "{uk_els}", 401, target="uk"))
    add(Row(UNLINK, "ivanov", unlink + "{uk_els}" + DRY, 200, target="uk", check=dry_unlink))
    add(Row(UNLINK, "petrova", unlink + "{uk_els}", 404, code="account_not_found", target="uk",
            guess=("{uk_els}", "{unknown_els}")))
    add(Row(UNLINK, "ivanov", unlink + "{neighbour_els}", 404, code="account_not_found", target="uk",
            guess=("{neighbour_els}", "{unknown_els}"), why="a neighbour's account"))
    for who in (*STAFF, "inspector", "admin"):
        for target in ("uk", "energo") if who in STAFF else ("uk",):
            add(Row(UNLINK, who, unlink + f"{{{target}_els}}", 403, target=target,
                    guess=(f"{{{target}_els}}", "{unknown_els}")))
    add(Row(UNLINK, "ivanov", unlink + "{energo_els}", 200, target="energo", check=unlinked_and_gone))

    # Meter lists, whole and by account: what the principal may see, no more.
    meters = f"{API}/meters"
    add(Row(METERS, "anonymous", meters, 401))
    for who in ("ivanov", "petrova", *STAFF, "admin"):
        add(Row(METERS, who, meters, 200, check=meters_of(who)))
    add(Row(METERS, "inspector", meters, 403))
    add(Row(METERS, "ivanov", meters + "?account={energo_els}", 200, check=meters_of("ivanov", "energo_els")))
    add(Row(METERS, "ivanov", meters + "?account={neighbour_els}", 404, code="account_not_found",
            guess=("{neighbour_els}", "{unknown_els}"), why="a neighbour's account"))
    add(Row(METERS, "petrova", meters + "?account={uk_els}", 404, code="account_not_found",
            guess=("{uk_els}", "{unknown_els}")))
    add(Row(METERS, "uk-staff", meters + "?account={uk_els}", 200, target="uk", check=meters_of("uk-staff", "uk_els")))
    add(Row(METERS, "uk-staff", meters + "?account={energo_els}", 404, code="account_not_found", target="energo",
            guess=("{energo_els}", "{unknown_els}")))
    add(Row(METERS, "energo-staff", meters + "?account={energo_els}", 200, target="energo",
            check=meters_of("energo-staff", "energo_els")))
    add(Row(METERS, "energo-staff", meters + "?account={uk_els}", 404, code="account_not_found", target="uk",
            guess=("{uk_els}", "{unknown_els}")))
    add(Row(METERS, "inspector", meters + "?account={uk_els}", 403, guess=("{uk_els}", "{unknown_els}")))

    # One meter, and its readings: the same people as its account, by id or serial number.
    for route, suffix, shows in ((METER, "", is_meter), (READINGS, "/readings", readings_of)):
        m = f"{API}/meters/"
        add(Row(route, "anonymous", m + "{uk_meter}" + suffix, 401, target="uk"))
        add(Row(route, "ivanov", m + "{uk_meter}" + suffix, 200, target="uk", check=shows("uk_meter")))
        add(Row(route, "ivanov", m + "{uk_serial}" + suffix, 200, target="uk", check=shows("uk_meter"),
                why="by serial number"))
        add(Row(route, "ivanov", m + "{energo_meter}" + suffix, 200, target="energo", check=shows("energo_meter")))
        add(Row(route, "ivanov", m + "{neighbour_meter}" + suffix, 404, code="meter_not_found", target="uk",
                guess=("{neighbour_meter}", "{unknown_meter}"), why="a neighbour's meter"))
        add(Row(route, "ivanov", m + "{neighbour_serial}" + suffix, 404, code="meter_not_found", target="uk",
                guess=("{neighbour_serial}", "{unknown_serial}"), why="a neighbour's serial number"))
        add(Row(route, "petrova", m + "{uk_meter}" + suffix, 404, code="meter_not_found", target="uk",
                guess=("{uk_meter}", "{unknown_meter}")))
        add(Row(route, "petrova", m + "{uk_serial}" + suffix, 404, code="meter_not_found", target="uk",
                guess=("{uk_serial}", "{unknown_serial}"), why="by serial number"))
        add(Row(route, "uk-staff", m + "{uk_meter}" + suffix, 200, target="uk", check=shows("uk_meter")))
        add(Row(route, "uk-staff", m + "{energo_meter}" + suffix, 404, code="meter_not_found", target="energo",
                guess=("{energo_meter}", "{unknown_meter}")))
        add(Row(route, "energo-staff", m + "{energo_meter}" + suffix, 200, target="energo",
                check=shows("energo_meter")))
        add(Row(route, "energo-staff", m + "{uk_meter}" + suffix, 404, code="meter_not_found", target="uk",
                guess=("{uk_meter}", "{unknown_meter}")))
        add(Row(route, "energo-staff", m + "{uk_serial}" + suffix, 404, code="meter_not_found", target="uk",
                guess=("{uk_serial}", "{unknown_serial}"), why="by serial number"))
        add(Row(route, "inspector", m + "{uk_meter}" + suffix, 403, target="uk",
                guess=("{uk_meter}", "{unknown_meter}")))
        add(Row(route, "admin", m + "{uk_meter}" + suffix, 200, target="uk", check=shows("uk_meter")))

    # Submitting a reading: whoever sees the meter (a relative who linked the account too); refusals store
    # nothing, dry runs store nothing, real ones are stored with who submitted them.
    sub = f"{API}/meters/"
    add(Row(SUBMIT, "anonymous", sub + "{uk_meter}/readings", 401, READING_UK, target="uk"))
    add(Row(SUBMIT, "petrova", sub + "{uk_meter}/readings", 404, READING_UK, code="meter_not_found", target="uk",
            guess=("{uk_meter}", "{unknown_meter}")))
    add(Row(SUBMIT, "petrova", sub + "{uk_meter}/readings" + DRY, 404, READING_UK, code="meter_not_found",
            target="uk"))
    add(Row(SUBMIT, "ivanov", sub + "{neighbour_meter}/readings", 404, {"values": ["1"]}, code="meter_not_found",
            target="uk", guess=("{neighbour_meter}", "{unknown_meter}"), why="a neighbour's meter"))
    add(Row(SUBMIT, "ivanov", sub + "{neighbour_serial}/readings", 404, {"values": ["1"]}, code="meter_not_found",
            target="uk", guess=("{neighbour_serial}", "{unknown_serial}"), why="a neighbour's serial number"))
    add(Row(SUBMIT, "energo-staff", sub + "{uk_meter}/readings", 404, READING_UK, code="meter_not_found",
            target="uk", guess=("{uk_meter}", "{unknown_meter}")))
    add(Row(SUBMIT, "uk-staff", sub + "{energo_meter}/readings", 404, READING_ENERGO, code="meter_not_found",
            target="energo", guess=("{energo_meter}", "{unknown_meter}")))
    add(Row(SUBMIT, "inspector", sub + "{uk_meter}/readings", 403, READING_UK, target="uk",
            guess=("{uk_meter}", "{unknown_meter}")))
    add(Row(SUBMIT, "ivanov", sub + "{uk_meter}/readings" + DRY, 201, READING_UK, target="uk"))
    add(Row(SUBMIT, "ivanov", sub + "{uk_meter}/readings", 201, READING_UK, target="uk", headers=KEY,
            check=stored_by("ivanov", "uk_meter", READING_UK["values"])))
    add(Row(SUBMIT, "petrova", sub + "{uk_meter}/readings", 404, READING_UK, code="meter_not_found", target="uk",
            headers=KEY, why="ivanov's Idempotency-Key: his stored answer is not hers to replay"))
    # The organisation's own staff and admins see the meter, so the portal lets them submit (a controller's
    # visit); dry runs here, as the policy is the portal's, not the resident's, to settle.
    add(Row(SUBMIT, "uk-staff", sub + "{uk_meter2}/readings" + DRY, 201, READING_UK2, target="uk"))
    add(Row(SUBMIT, "energo-staff", sub + "{energo_meter}/readings" + DRY, 201, READING_ENERGO, target="energo"))
    add(Row(SUBMIT, "admin", sub + "{energo_meter}/readings" + DRY, 201, READING_ENERGO, target="energo"))
    add(Row(SUBMIT, "petrova", sub + "{uk_meter2}/readings", 201, READING_UK2, target="uk",
            setup=petrova_links_uk_account, check=stored_by("petrova", "uk_meter2", READING_UK2["values"]),
            why="a relative who linked the account with the bill"))
    add(Row(SUBMIT, "petrova", sub + "{energo_meter}/readings", 404, READING_ENERGO, code="meter_not_found",
            target="energo", guess=("{energo_meter}", "{unknown_meter}"), why="the account she did not link"))

    # Bill lists (all for residents; what is due for staff and admins, a few pages), and of one account.
    bills = f"{API}/bills"
    add(Row(BILLS, "anonymous", bills, 401))
    for who in ("ivanov", "petrova"):
        add(Row(BILLS, who, bills, 200, check=bills_of(who)))
    for who in (*STAFF, "admin"):
        add(Row(BILLS, who, bills + "?unpaid=true", 200, check=bills_of(who, "unpaid=true")))
    add(Row(BILLS, "inspector", bills, 403))
    add(Row(BILLS, "ivanov", bills + "?account={uk_els}", 200, target="uk", check=bills_of("ivanov", "", "uk_els")))
    add(Row(BILLS, "ivanov", bills + "?account={neighbour_els}", 404, code="account_not_found", target="uk",
            guess=("{neighbour_els}", "{unknown_els}"), why="a neighbour's account"))
    add(Row(BILLS, "petrova", bills + "?account={uk_els}", 404, code="account_not_found", target="uk",
            guess=("{uk_els}", "{unknown_els}")))
    add(Row(BILLS, "uk-staff", bills + "?account={uk_els}", 200, target="uk", check=bills_of("uk-staff", "", "uk_els")))
    add(Row(BILLS, "uk-staff", bills + "?account={energo_els}", 404, code="account_not_found", target="energo",
            guess=("{energo_els}", "{unknown_els}")))
    add(Row(BILLS, "energo-staff", bills + "?account={energo_els}", 200, target="energo",
            check=bills_of("energo-staff", "", "energo_els")))
    add(Row(BILLS, "energo-staff", bills + "?account={uk_els}", 404, code="account_not_found", target="uk",
            guess=("{uk_els}", "{unknown_els}")))
    add(Row(BILLS, "inspector", bills + "?account={uk_els}", 403, guess=("{uk_els}", "{unknown_els}")))

    # One bill by its ИПД: the same people as its account; 404 for everyone else, like a bill that is not.
    b = f"{API}/bills/"
    uk_bill, energo_bill = "{uk_izhku}-" + BILL_YYMM, "{energo_izhku}-" + BILL_YYMM
    neighbour_bill, unknown_bill = "{neighbour_els}-01-" + BILL_YYMM, "{unknown_izhku}-" + BILL_YYMM
    add(Row(BILL, "anonymous", b + uk_bill, 401, target="uk"))
    add(Row(BILL, "ivanov", b + uk_bill, 200, target="uk", check=is_bill("uk_izhku")))
    add(Row(BILL, "ivanov", b + energo_bill, 200, target="energo", check=is_bill("energo_izhku")))
    add(Row(BILL, "ivanov", b + neighbour_bill, 404, code="bill_not_found", target="uk",
            guess=(neighbour_bill, unknown_bill), why="a neighbour's bill"))
    add(Row(BILL, "petrova", b + uk_bill, 404, code="bill_not_found", target="uk", guess=(uk_bill, unknown_bill)))
    add(Row(BILL, "uk-staff", b + uk_bill, 200, target="uk", check=is_bill("uk_izhku")))
    add(Row(BILL, "uk-staff", b + energo_bill, 404, code="bill_not_found", target="energo",
            guess=(energo_bill, unknown_bill)))
    add(Row(BILL, "energo-staff", b + energo_bill, 200, target="energo", check=is_bill("energo_izhku")))
    add(Row(BILL, "energo-staff", b + uk_bill, 404, code="bill_not_found", target="uk", guess=(uk_bill, unknown_bill)))
    add(Row(BILL, "inspector", b + uk_bill, 403, target="uk", guess=(uk_bill, unknown_bill)))
    add(Row(BILL, "admin", b + uk_bill, 200, target="uk", check=is_bill("uk_izhku")))

    # Payment lists: residents the payments they made, staff those to their organisation, admins all.
    pays = f"{API}/payments"
    add(Row(PAYMENTS, "anonymous", pays, 401, setup=payments_made))
    for who in ("ivanov", "petrova", *STAFF, "admin"):
        add(Row(PAYMENTS, who, pays, 200, check=payments_of(who)))
    add(Row(PAYMENTS, "inspector", pays, 403))
    add(Row(PAYMENTS, "ivanov", pays + "?account={energo_els}", 200, target="energo",
            check=payments_of("ivanov", "account={energo_els}")))
    add(Row(PAYMENTS, "ivanov", pays + "?account={neighbour_els}", 404, code="account_not_found", target="uk",
            guess=("{neighbour_els}", "{unknown_els}"), why="a neighbour's account"))
    add(Row(PAYMENTS, "petrova", pays + "?account={uk_els}", 404, code="account_not_found", target="uk",
            guess=("{uk_els}", "{unknown_els}")))
    add(Row(PAYMENTS, "uk-staff", pays + "?account={energo_els}", 404, code="account_not_found", target="energo",
            guess=("{energo_els}", "{unknown_els}")))
    add(Row(PAYMENTS, "energo-staff", pays + "?account={uk_els}", 404, code="account_not_found", target="uk",
            guess=("{uk_els}", "{unknown_els}")))

    # Paying: residents only, one of their own accounts; refusals and dry runs store nothing.
    wallet_uk = {"account": "{uk_els}", "method": "wallet"}
    card_uk = {"account": "{uk_els}", "method": "card"}
    add(Row(PAY, "anonymous", pays, 401, card_uk, target="uk"))
    add(Row(PAY, "ivanov", pays + DRY, 200, card_uk, target="uk"))
    add(Row(PAY, "ivanov", pays, 404, {"account": "{neighbour_els}", "method": "card"}, code="account_not_found",
            target="uk", guess=("{neighbour_els}", "{unknown_els}"), why="a neighbour's account"))
    add(Row(PAY, "ivanov", pays, 422, wallet_uk, code="insufficient_funds", target="uk", leak_check=False,
            why="both bills, more than the wallet holds: his own account's figures"))
    add(Row(PAY, "petrova", pays, 404, card_uk, code="account_not_found", target="uk",
            guess=("{uk_els}", "{unknown_els}")))
    add(Row(PAY, "petrova", pays + DRY, 404, card_uk, code="account_not_found", target="uk"))
    for who in (*STAFF, "inspector", "admin"):
        add(Row(PAY, who, pays, 403, card_uk, target="uk", guess=("{uk_els}", "{unknown_els}")))
    add(Row(PAY, "ivanov", pays, 201, {"account": "{energo_els}", "method": "wallet"}, target="energo",
            headers=PAY_KEY, check=paid_by_wallet))
    add(Row(PAY, "ivanov", pays, 201, {"account": "{energo_els}", "method": "wallet"}, target="energo",
            headers=PAY_KEY, check=paid_by_wallet, why="the same key again: the same payment, charged once"))
    add(Row(PAY, "petrova", pays, 404, {"account": "{energo_els}", "method": "wallet"}, code="account_not_found",
            target="energo", headers=PAY_KEY, why="ivanov's Idempotency-Key: his stored answer is not hers to replay"))

    # One payment, and its receipt: the one who made it, the payee's staff and admins; 404 for everyone else.
    one = f"{API}/payments/"
    for route, suffix in ((PAYMENT, ""), (RECEIPT, "/receipt")):
        receipt = route == RECEIPT
        shown = (lambda key: is_receipt_of(key)) if receipt else (lambda key: is_payment(key))
        add(Row(route, "anonymous", one + UNKNOWN_PAYMENT + suffix, 401, setup=payments_made))
        add(Row(route, "ivanov", one + "{uk_payment}" + suffix, 200, target="uk", check=shown("uk_payment"),
                expects_json=not receipt))
        if receipt:
            add(Row(route, "ivanov", one + "{energo_payment}" + suffix, 404, code="receipt_not_found",
                    target="energo", why="a pending card payment has no receipt yet"))
            add(Row(route, "energo-staff", one + "{energo_payment}" + suffix, 404, code="receipt_not_found",
                    target="energo", why="a pending card payment has no receipt yet"))
        else:
            add(Row(route, "ivanov", one + "{energo_payment}" + suffix, 200, target="energo",
                    check=is_payment("energo_payment", "pending")))
            add(Row(route, "energo-staff", one + "{energo_payment}" + suffix, 200, target="energo",
                    check=is_payment("energo_payment")))
        add(Row(route, "petrova", one + "{uk_payment}" + suffix, 404, code="payment_not_found", target="uk",
                guess=("{uk_payment}", "{unknown_payment}")))
        add(Row(route, "uk-staff", one + "{uk_payment}" + suffix, 200, target="uk", check=shown("uk_payment"),
                expects_json=not receipt))
        add(Row(route, "uk-staff", one + "{energo_payment}" + suffix, 404, code="payment_not_found",
                target="energo", guess=("{energo_payment}", "{unknown_payment}")))
        add(Row(route, "energo-staff", one + "{uk_payment}" + suffix, 404, code="payment_not_found", target="uk",
                guess=("{uk_payment}", "{unknown_payment}")))
        add(Row(route, "inspector", one + "{uk_payment}" + suffix, 403, target="uk",
                guess=("{uk_payment}", "{unknown_payment}")))
        add(Row(route, "admin", one + "{uk_payment}" + suffix, 200, target="uk", check=shown("uk_payment"),
                expects_json=not receipt))

    # The wallet and its top-ups: residents only.
    add(Row(WALLET, "anonymous", f"{API}/wallet", 401))
    add(Row(WALLET, "ivanov", f"{API}/wallet", 200, check=wallet_holds("8300.00")))
    add(Row(WALLET, "petrova", f"{API}/wallet", 200, check=wallet_holds("0.00")))
    for who in (*STAFF, "inspector", "admin"):
        add(Row(WALLET, who, f"{API}/wallet", 403))
    top = f"{API}/wallet/top-ups"
    add(Row(TOP_UP, "anonymous", top, 401, {"amount": "500"}))
    add(Row(TOP_UP, "ivanov", top + DRY, 200, {"amount": "500"}))
    add(Row(TOP_UP, "ivanov", top, 202, {"amount": "500"}, check=pending_top_up("ivanov")))
    add(Row(TOP_UP, "petrova", top, 202, {"amount": "500"}, check=pending_top_up("petrova")))
    for who in (*STAFF, "inspector", "admin"):
        add(Row(TOP_UP, who, top, 403, {"amount": "500"}))

    # The acquirer's page: public, the unguessable token in its URL is the key (whoever holds it may answer, as with
    # a real bank's page); its answers show that token's payment only, so the leak check does not apply. Answered
    # once: every later answer is 410 and changes nothing.
    acq = "/acquirer/"
    page = {"expects_json": False, "leak_check": False}
    add(Row(ACQUIRER_PAGE, "anonymous", acq + UNKNOWN_TOKEN, 404, setup=payments_made, **page))
    for who in PRINCIPALS:
        add(Row(ACQUIRER_PAGE, who, acq + "{uk_token}", 200, target="uk", check=shows_the_page, **page))
    for who in STAFF:
        add(Row(ACQUIRER_PAGE, who, acq + "{energo_token}", 200, target="energo", check=shows_the_page, **page))
    add(Row(ACQUIRER_ANSWER, "anonymous", acq + UNKNOWN_TOKEN, 404, "action=pay", headers=FORM,
            setup=payments_made, **page))
    add(Row(ACQUIRER_ANSWER, "ivanov", acq + "{uk_token}", 200, "action=pay", headers=FORM, target="uk",
            check=outcome("uk_card_payment", "succeeded", None), **page))
    add(Row(ACQUIRER_ANSWER, "uk-staff", acq + "{energo_token}", 200, "action=cancel", headers=FORM,
            target="energo", check=outcome("energo_card_payment", "declined", "cancelled"),
            why="the token's holder may cancel", **page))
    for who in PRINCIPALS:
        add(Row(ACQUIRER_ANSWER, who, acq + "{uk_token}", 410, "action=cancel", headers=FORM, target="uk",
                why="answered already", **page))
    for who in STAFF:
        add(Row(ACQUIRER_ANSWER, who, acq + "{energo_token}", 410, "action=pay", headers=FORM, target="energo",
                why="answered already", **page))
    _meeting_rows(add)
    _appeal_rows(add)
    _outage_rows(add)
    _batch_rows(add)
    _admin_rows(add)
    _house_period_rows(add)
    _bill_batch_rows(add)
    _owner_rows(add)
    return rows

ROWS = _rows()
ROWS_BY_ROUTE: dict[tuple[str, str], list[Row]] = defaultdict(list)
for _row in ROWS:
    ROWS_BY_ROUTE[_row.route].append(_row)


def test_every_route_and_role_has_a_row(portal):
    """A route the app declares without a row for every role — and, for an organisation's objects, without
    rows for the staff of the right and of another organisation — fails here."""
    in_app = set(app_routes(portal.app))
    assert not in_app - set(ROWS_BY_ROUTE), f"routes with no rows in the matrix: {sorted(in_app - set(ROWS_BY_ROUTE))}"
    assert not set(ROWS_BY_ROUTE) - in_app, f"rows for routes the app lacks: {sorted(set(ROWS_BY_ROUTE) - in_app)}"
    missing = []
    for route, rows in ROWS_BY_ROUTE.items():
        covered = {row.who for row in rows}
        missing += [f"{route[0]} {route[1]}: {ROLE_NAMES[who]}" for who in PRINCIPALS if who not in covered]
        if org_owned(route):
            pairs = {(row.who, row.target) for row in rows}
            for target, own_staff in STAFF_OF.items():
                for staff in STAFF_OF.values():
                    if (staff, target) not in pairs:
                        relation = "the right" if staff == own_staff else "another"
                        missing.append(f"{route[0]} {route[1]}: {staff} ({relation} organisation) on a {target} object")
    assert not missing, "the matrix lacks rows:\n" + "\n".join(missing)


@pytest.mark.parametrize("route", sorted(ROWS_BY_ROUTE), ids=lambda r: f"{r[0]} {r[1].removeprefix(API)}")
def test_authorisation_matrix(portal, route):
    """Every row of the route, in order, in one demo portal with every principal signed in once: on SQLite,
    then on PostgreSQL (skipped with its reason where no cluster can be started)."""
    world = World(portal)
    problems = []
    for row in ROWS_BY_ROUTE[route]:
        problems += run_row(world, row)
    assert not problems, f"{len(problems)} of {len(ROWS_BY_ROUTE[route])} rows fail:\n" + "\n".join(problems)
