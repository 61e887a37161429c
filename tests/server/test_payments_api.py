"""Payments over HTTP (waitress in a thread), on both engines: paying an account by wallet and by card, the advance,
the refusals, dry runs and Idempotency-Keys, top-ups, reading payments, receipts and the wallet, and who sees which.

The demo portal's clock stands at 2026-11-20 12:00 Moscow (GKH_NOW). ivanov's account 77ЕЖ532838 (ООО «УК Ленинский
квартал», card commission 0.8 %) has two unpaid bills, 77ЕЖ532838-01-2609 (3942.99) and 77ЕЖ532838-01-2610
(8238.80), 12181.79 in all; his wallet holds 8300.00 — one bill, not both.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal
from email import message_from_bytes, policy

import pytest
import requests

from gkh.server.demo import DEMO_RESIDENT_ACCOUNTS, ORG_ENERGO, ORG_UK_MOSCOW
from tests.helpers.api import assert_error
from tests.helpers.rows import db

UK_ELS, ENERGO_ELS = DEMO_RESIDENT_ACCOUNTS
OLDER, LATEST = "77ЕЖ532838-01-2609", "77ЕЖ532838-01-2610"
OLDER_DUE, LATEST_DUE = 394299, 823880
WALLET = 830000
TOKEN_URL = re.compile(r"^http://127\.0\.0\.1:[0-9]+/acquirer/[A-Za-z0-9_-]{43}$")
PAYMENT_FIELDS = {"id", "kind", "account", "bills", "advance", "payee", "amount", "commission", "total", "method",
                  "status", "decline_reason", "created_at", "completed_at", "expires_at", "confirmation_url",
                  "email", "receipt", "warnings"}


def state(home) -> dict:
    """Everything a payment may change, counted: payments, their bills, receipts, wallets, bills' paid sums."""
    with db(home) as conn:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {"payments": one("SELECT COUNT(*) FROM payments"),
                "payment_bills": one("SELECT COUNT(*) FROM payment_bills"),
                "receipts": one("SELECT COUNT(*) FROM receipts"),
                "wallets": one("SELECT COUNT(*) FROM wallets"),
                "balances": one("SELECT COALESCE(SUM(balance_kopecks), 0) FROM wallets"),
                "paid": one("SELECT SUM(paid_kopecks) FROM bills")}


def balance(home, login: str = "ivanov") -> int:
    with db(home) as conn:
        row = conn.execute("SELECT w.balance_kopecks FROM wallets w JOIN users u ON u.id = w.user_id"
                           " WHERE u.login = ?", (login,)).fetchone()
    return row[0] if row else 0


def paid(home, bill: str) -> int:
    with db(home) as conn:
        return conn.execute("SELECT paid_kopecks FROM bills WHERE id = ?", (bill,)).fetchone()[0]


def set_balance(home, kopecks: int, login: str = "ivanov") -> None:
    with db(home) as conn:
        conn.execute("UPDATE wallets SET balance_kopecks = ? WHERE user_id = (SELECT id FROM users WHERE login = ?)",
                     (kopecks, login))


def receipt_row(home, payment_id: str):
    with db(home) as conn:
        return conn.execute("SELECT * FROM receipts WHERE payment_id = ?", (payment_id,)).fetchone()


def confirm(url: str, action: str = "pay") -> requests.Response:
    return requests.post(url, data={"action": action}, timeout=10)


# -- by wallet --------------------------------------------------------------------------------------------------


def test_the_demo_wallet_covers_one_bill_not_two(ivanov):
    resp = ivanov.get("/wallet")
    assert resp.status_code == 200, resp.text
    assert resp.json()["balance"] == "8300.00"
    assert resp.json()["operator"] == "Виртуальный мир"
    assert LATEST_DUE <= WALLET < OLDER_DUE + LATEST_DUE


def test_the_demo_wallet_rule():
    """The larger unpaid bill rounded up to whole hundreds of roubles, while that stays below both; else that bill."""
    from gkh.server.demo.payments import wallet_kopecks

    assert wallet_kopecks([OLDER_DUE, LATEST_DUE]) == 830000
    assert wallet_kopecks([1, 99999]) == 99999  # 1000.00 would pay both
    assert wallet_kopecks([100000, 50]) == 100000  # a whole hundred already


def test_a_wallet_payment_across_two_unpaid_bills(ivanov, home):
    set_balance(home, 2_000_000)
    resp = ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet"})
    assert resp.status_code == 201, resp.text
    p = resp.json()
    assert set(p) == PAYMENT_FIELDS
    assert re.fullmatch(r"P-[0-9]{6}", p["id"])
    assert (p["kind"], p["account"], p["method"], p["status"]) == ("bill", UK_ELS, "wallet", "succeeded")
    assert p["bills"] == [{"id": OLDER, "period": "2026-09", "amount": "3942.99"},
                          {"id": LATEST, "period": "2026-10", "amount": "8238.80"}]
    assert (p["amount"], p["commission"], p["total"], p["advance"]) == ("12181.79", "0.00", "12181.79", "0.00")
    assert p["payee"]["id"] == ORG_UK_MOSCOW and p["payee"]["name"] == "ООО «УК Ленинский квартал»"
    assert re.fullmatch(r"[0-9]{10}", p["payee"]["inn"])
    assert p["email"] == "ivanov@example.com" and p["warnings"] == [] and p["confirmation_url"] is None
    assert p["created_at"] == p["completed_at"] == "2026-11-20T09:00:00+00:00"
    assert p["receipt"]["number"].startswith("R-") and p["receipt"]["emailed_to"] == "ivanov@example.com"
    assert p["receipt"]["delivery"] == "outbox" and p["receipt"]["sent_at"] is None
    assert balance(home) == 2_000_000 - 1_218_179
    assert (paid(home, OLDER), paid(home, LATEST)) == (OLDER_DUE, LATEST_DUE)
    row = receipt_row(home, p["id"])
    assert (row["delivery"], row["number"]) == ("outbox", p["receipt"]["number"])
    bills = ivanov.get("/bills", params={"account": UK_ELS, "unpaid": "true"}).json()["items"]
    assert bills == []


def test_the_receipt_is_the_stored_message(ivanov, home):
    p = ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet", "bill": LATEST}).json()
    resp = ivanov.get(f"/payments/{p['id']}/receipt")
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("message/rfc822")
    number = p["receipt"]["number"]
    assert resp.headers["X-File-Name"] == f"UTF-8''{number}.eml"
    assert resp.content == bytes(receipt_row(home, p["id"])["message"])
    message = message_from_bytes(resp.content, policy=policy.default)
    assert message["To"] == "ivanov@example.com"
    assert p["id"] in message.get_body(("plain",)).get_content()


def test_bill_pays_that_bill_only(ivanov, home):
    resp = ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet", "bill": LATEST})
    assert resp.status_code == 201, resp.text
    p = resp.json()
    assert p["bills"] == [{"id": LATEST, "period": "2026-10", "amount": "8238.80"}]
    assert (paid(home, OLDER), paid(home, LATEST)) == (0, LATEST_DUE)
    assert balance(home) == WALLET - LATEST_DUE


def test_a_given_amount_goes_to_the_oldest_bill_first(ivanov, home):
    resp = ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet", "amount": "5000,00"})
    assert resp.status_code == 201, resp.text
    assert resp.json()["bills"] == [{"id": OLDER, "period": "2026-09", "amount": "3942.99"},
                                    {"id": LATEST, "period": "2026-10", "amount": "1057.01"}]
    assert (paid(home, OLDER), paid(home, LATEST)) == (OLDER_DUE, 500000 - OLDER_DUE)


def test_more_than_owed_is_an_advance_with_a_warning(ivanov, home):
    set_balance(home, 2_000_000)
    resp = ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet", "amount": "17181.79"})
    assert resp.status_code == 201, resp.text
    p = resp.json()
    assert (p["amount"], p["advance"]) == ("17181.79", "5000.00")
    assert p["warnings"] == [f"5000.00 more than owed: an advance on account {UK_ELS}"]
    assert (paid(home, OLDER), paid(home, LATEST)) == (OLDER_DUE, LATEST_DUE)
    assert balance(home) == 2_000_000 - 1_718_179


def test_not_enough_in_the_wallet_is_refused_with_the_balance_and_nothing_stored(ivanov, home):
    before = state(home)
    resp = ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet"},
                       headers={"Idempotency-Key": "too-much-1"})
    error = assert_error(resp, 422, "insufficient_funds", "amount")
    assert error["details"]["balance"] == "8300.00"
    assert "8300.00" in error["message"]
    assert state(home) == before
    # The key was freed: once the wallet holds enough, the same key pays.
    set_balance(home, 2_000_000)
    assert ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet"},
                       headers={"Idempotency-Key": "too-much-1"}).status_code == 201


def test_nothing_due_without_an_amount_is_refused(ivanov, home):
    set_balance(home, 2_000_000)
    assert ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet"}).status_code == 201
    before = state(home)
    assert_error(ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet"}), 422, "nothing_due", "amount")
    assert_error(ivanov.post("/payments", json={"account": UK_ELS, "method": "card", "bill": OLDER}), 422,
                 "nothing_due", "amount")
    assert state(home) == before


@pytest.mark.parametrize("method", ["wallet", "card"])
def test_a_dry_run_answers_the_quote_and_stores_nothing(ivanov, home, method):
    set_balance(home, 2_000_000)
    before = state(home)
    resp = ivanov.post("/payments", params={"dry_run": "true"}, json={"account": UK_ELS, "method": method})
    assert resp.status_code == 200, resp.text
    q = resp.json()
    assert q["dry_run"] is True and q["status"] == "quote"
    assert (q["id"], q["created_at"], q["receipt"], q["confirmation_url"]) == (None, None, None, None)
    assert q["amount"] == "12181.79"
    assert (q["commission"], q["total"]) == (("97.45", "12279.24") if method == "card" else ("0.00", "12181.79"))
    assert [b["id"] for b in q["bills"]] == [OLDER, LATEST]
    assert state(home) == before


def test_a_dry_run_checks_the_wallet_too(ivanov, home):
    before = state(home)
    resp = ivanov.post("/payments", params={"dry_run": "true"}, json={"account": UK_ELS, "method": "wallet"})
    assert assert_error(resp, 422, "insufficient_funds", "amount")["details"] == {"balance": "8300.00"}
    assert state(home) == before


def test_the_same_idempotency_key_charges_once(ivanov, home):
    key = {"Idempotency-Key": "pay-once-1"}
    body = {"account": UK_ELS, "method": "wallet", "bill": LATEST}
    first = ivanov.post("/payments", json=body, headers=key)
    assert first.status_code == 201, first.text
    after_first = state(home)
    again = ivanov.post("/payments", json=body, headers=key)
    assert again.status_code == 201, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["receipt"]["number"] == first.json()["receipt"]["number"]
    assert state(home) == after_first
    assert after_first["payments"] == 1 and after_first["receipts"] == 1
    assert balance(home) == WALLET - LATEST_DUE
    other = ivanov.post("/payments", json={**body, "bill": OLDER}, headers=key)
    assert_error(other, 422, "idempotency_key_reused", "Idempotency-Key")
    assert state(home) == after_first


@pytest.mark.parametrize(("field", "value"), [
    ("amount", "0"), ("amount", "-1"), ("amount", "1000000.01"), ("amount", "1.234"), ("amount", "abc"),
    ("amount", 100), ("method", "cash"), ("email", "x"), ("email", "a" * 250 + "@x.ru"), ("bill", "77ЕЖ5328"),
    ("account", "12345"),
])
def test_malformed_fields_are_400_naming_the_field(ivanov, home, field, value):
    before = state(home)
    body = {"account": UK_ELS, "method": "wallet", field: value}
    assert_error(ivanov.post("/payments", json=body), 400, "invalid", field)
    assert state(home) == before


def test_a_required_field_missing_is_400_naming_it(ivanov):
    assert_error(ivanov.post("/payments", json={"method": "wallet"}), 400, "invalid", "account")
    assert_error(ivanov.post("/payments", json={"account": UK_ELS}), 400, "invalid", "method")


def test_an_account_or_bill_not_yours_is_404(ivanov, petrova, home):
    before = state(home)
    assert_error(petrova.post("/payments", json={"account": UK_ELS, "method": "wallet"}), 404, "account_not_found")
    assert_error(ivanov.post("/payments", json={"account": ENERGO_ELS, "method": "card", "bill": LATEST}), 404,
                 "bill_not_found")
    assert state(home) == before


def test_the_email_is_the_one_given(ivanov, home):
    p = ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet", "bill": LATEST,
                                       "email": " me@example.org "}).json()
    assert p["email"] == "me@example.org" and p["receipt"]["emailed_to"] == "me@example.org"


# -- by card ---------------------------------------------------------------------------------------------------


def test_a_card_payment_is_pending_until_confirmed(ivanov, home):
    before = state(home)
    resp = ivanov.post("/payments", json={"account": UK_ELS, "method": "card"})
    assert resp.status_code == 202, resp.text
    p = resp.json()
    assert (p["status"], p["method"], p["amount"], p["commission"], p["total"]) == (
        "pending", "card", "12181.79", "97.45", "12279.24")
    assert TOKEN_URL.match(p["confirmation_url"]), p["confirmation_url"]
    assert p["expires_at"] == "2026-11-20T09:15:00+00:00" and p["completed_at"] is None and p["receipt"] is None
    assert [b["id"] for b in p["bills"]] == [OLDER, LATEST]  # the plan
    assert (paid(home, OLDER), paid(home, LATEST)) == (0, 0)
    assert_error(ivanov.get(f"/payments/{p['id']}/receipt"), 404, "receipt_not_found")
    assert state(home)["balances"] == before["balances"]

    page = confirm(p["confirmation_url"])
    assert page.status_code == 200, page.text
    assert 'data-status="succeeded"' in page.text
    done = ivanov.get(f"/payments/{p['id']}").json()
    assert (done["status"], done["confirmation_url"], done["completed_at"]) == (
        "succeeded", None, "2026-11-20T09:00:00+00:00")
    assert done["receipt"]["delivery"] == "outbox"
    assert (paid(home, OLDER), paid(home, LATEST)) == (OLDER_DUE, LATEST_DUE)
    assert balance(home) == WALLET  # a card payment leaves the wallet alone
    assert ivanov.get(f"/payments/{p['id']}/receipt").status_code == 200


def test_a_card_payment_recomputes_its_bills_when_confirmed(ivanov, home):
    card = ivanov.post("/payments", json={"account": UK_ELS, "method": "card", "amount": "3942.99"}).json()
    assert card["bills"] == [{"id": OLDER, "period": "2026-09", "amount": "3942.99"}]
    # Meanwhile the older bill is paid by wallet: the card's money goes to the next one.
    assert ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet", "bill": OLDER}).status_code == 201
    assert confirm(card["confirmation_url"]).status_code == 200
    done = ivanov.get(f"/payments/{card['id']}").json()
    assert done["bills"] == [{"id": LATEST, "period": "2026-10", "amount": "3942.99"}]
    assert paid(home, LATEST) == OLDER_DUE


def test_an_expired_card_payment_reads_declined(ivanov, home, monkeypatch):
    p = ivanov.post("/payments", json={"account": UK_ELS, "method": "card"}).json()
    monkeypatch.setenv("GKH_NOW", "2026-11-20T12:14:59+03:00")
    assert ivanov.get(f"/payments/{p['id']}").json()["status"] == "pending"
    monkeypatch.setenv("GKH_NOW", "2026-11-20T12:15:00+03:00")
    late = ivanov.get(f"/payments/{p['id']}").json()
    assert (late["status"], late["decline_reason"], late["confirmation_url"]) == ("declined", "expired", None)
    assert [x["id"] for x in ivanov.get("/payments", params={"status": "declined"}).json()["items"]] == [p["id"]]
    assert ivanov.get("/payments", params={"status": "pending"}).json()["items"] == []
    page = confirm(p["confirmation_url"])
    assert page.status_code == 410
    with db(home) as conn:
        row = conn.execute("SELECT status, decline_reason FROM payments WHERE id = ?", (p["id"],)).fetchone()
    assert (row[0], row[1]) == ("declined", "expired")
    assert (paid(home, OLDER), paid(home, LATEST)) == (0, 0)


def test_a_top_up_goes_through_the_card_and_credits_the_wallet(ivanov, home):
    resp = ivanov.post("/wallet/top-ups", json={"amount": "500"})
    assert resp.status_code == 202, resp.text
    t = resp.json()
    assert (t["kind"], t["method"], t["status"], t["commission"], t["total"]) == (
        "top_up", "card", "pending", "0.00", "500.00")
    assert (t["payee"], t["account"], t["bills"]) == (None, None, [])
    assert balance(home) == WALLET
    assert confirm(t["confirmation_url"]).status_code == 200
    assert balance(home) == WALLET + 50000
    wallet = ivanov.get("/wallet").json()
    assert wallet["balance"] == "8800.00" and wallet["updated_at"] == "2026-11-20T09:00:00+00:00"
    assert ivanov.get(f"/payments/{t['id']}").json()["receipt"] is not None


def test_a_top_up_of_a_wallet_not_yet_made(petrova, home):
    assert petrova.get("/wallet").json() == {"balance": "0.00", "operator": "Виртуальный мир", "updated_at": None}
    t = petrova.post("/wallet/top-ups", json={"amount": "100,50"}).json()
    assert confirm(t["confirmation_url"]).status_code == 200
    assert petrova.get("/wallet").json()["balance"] == "100.50"


def test_a_top_up_dry_run_and_its_refusals(ivanov, home):
    before = state(home)
    q = ivanov.post("/wallet/top-ups", params={"dry_run": "true"}, json={"amount": "500"})
    assert q.status_code == 200 and q.json()["status"] == "quote" and q.json()["dry_run"] is True
    assert_error(ivanov.post("/wallet/top-ups", json={"amount": "0"}), 400, "invalid", "amount")
    assert_error(ivanov.post("/wallet/top-ups", json={}), 400, "invalid", "amount")
    assert_error(ivanov.post("/wallet/top-ups", json={"amount": "5", "email": "x"}), 400, "invalid", "email")
    assert state(home) == before


# -- reading, and who may --------------------------------------------------------------------------------------


def test_my_payments_newest_first_in_pages(ivanov, home):
    set_balance(home, 2_000_000)
    ids = [ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet", "amount": "10"}).json()["id"]
           for _ in range(3)]
    card = ivanov.post("/payments", json={"account": ENERGO_ELS, "method": "card"}).json()["id"]
    everything = ivanov.get("/payments").json()
    assert [p["id"] for p in everything["items"]] == [card, *ids[::-1]]
    first = ivanov.get("/payments", params={"limit": 2}).json()
    assert [p["id"] for p in first["items"]] == [card, ids[2]]
    second = ivanov.get("/payments", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [p["id"] for p in second["items"]] == [ids[1], ids[0]] and second["next_cursor"] is None
    assert [p["id"] for p in ivanov.get("/payments", params={"account": ENERGO_ELS}).json()["items"]] == [card]
    assert [p["id"] for p in ivanov.get("/payments", params={"status": "pending"}).json()["items"]] == [card]
    assert_error(ivanov.get("/payments", params={"status": "lost"}), 400, "invalid", "status")
    assert_error(ivanov.get("/payments", params={"account": "77ДА488933"}), 404, "account_not_found")


def test_another_users_payment_is_404(ivanov, petrova):
    p = ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet", "bill": LATEST}).json()
    assert_error(petrova.get(f"/payments/{p['id']}"), 404, "payment_not_found")
    assert_error(petrova.get(f"/payments/{p['id']}/receipt"), 404, "payment_not_found")
    assert_error(petrova.get("/payments/P-999999"), 404, "payment_not_found")
    assert petrova.get("/payments").json()["items"] == []
    assert ivanov.get(f"/payments/{p['id'].lower()}").json()["id"] == p["id"]


def test_staff_see_the_payments_to_their_organisation_only(ivanov, sign_in):
    uk = ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet", "bill": LATEST}).json()["id"]
    energo = ivanov.post("/payments", json={"account": ENERGO_ELS, "method": "card"}).json()["id"]
    top_up = ivanov.post("/wallet/top-ups", json={"amount": "10"}).json()["id"]
    uk_staff, energo_staff, admin = sign_in("uk-staff"), sign_in("energo-staff"), sign_in("admin")
    assert [p["id"] for p in uk_staff.get("/payments").json()["items"]] == [uk]
    assert [p["id"] for p in energo_staff.get("/payments").json()["items"]] == [energo]
    assert energo_staff.get(f"/payments/{energo}").json()["payee"]["id"] == ORG_ENERGO
    assert_error(uk_staff.get(f"/payments/{energo}"), 404, "payment_not_found")
    assert_error(energo_staff.get(f"/payments/{top_up}"), 404, "payment_not_found")
    assert [p["id"] for p in admin.get("/payments").json()["items"]] == [top_up, energo, uk]


def test_only_residents_pay_and_hold_a_wallet(sign_in, home):
    before = state(home)
    for login in ("uk-staff", "inspector", "admin"):
        api = sign_in(login)
        assert_error(api.post("/payments", json={"account": UK_ELS, "method": "wallet"}), 403, "forbidden")
        assert_error(api.post("/wallet/top-ups", json={"amount": "10"}), 403, "forbidden")
        assert_error(api.get("/wallet"), 403, "forbidden")
    assert_error(sign_in("inspector").get("/payments"), 403, "forbidden")
    assert state(home) == before


# -- exactly once, under concurrency ---------------------------------------------------------------------------


def test_two_wallet_payments_at_once_never_take_the_wallet_below_zero(ivanov, home):
    """The wallet covers one bill: of two payments of it sent at once, exactly one is charged."""
    results: list[int] = []

    def pay(bill: str) -> None:
        results.append(ivanov.post("/payments", json={"account": UK_ELS, "method": "wallet", "amount": "8000"}
                                   ).status_code)

    threads = [threading.Thread(target=pay, args=(b,)) for b in (OLDER, LATEST)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 422]
    assert balance(home) == WALLET - 800000
    assert state(home)["payments"] == 1


def test_commission_is_rounded_half_up(ivanov):
    q = ivanov.post("/payments", params={"dry_run": "true"},
                    json={"account": ENERGO_ELS, "method": "card", "amount": "0.50"}).json()
    assert (q["commission"], q["total"]) == ("0.01", "0.51")  # 1 % of 0.50 = 0.005 → 0.01
    assert Decimal(q["amount"]) == Decimal("0.50")


# -- the receipt's delivery after the commit -------------------------------------------------------------------


def test_the_receipt_lands_in_the_portals_outbox_after_the_payment(portal, tmp_path):
    """With no SMTP host, a payment's receipt is written to the portal's outbox folder as soon as it is paid: by
    wallet at once, by card when the page is answered."""
    from falcon.testing import TestClient

    from gkh.server.app import create_app
    from gkh.server.receipts import Postman
    from tests.helpers.demo import password_of

    outbox = tmp_path / "outbox"
    client = TestClient(create_app(portal.store, Postman(None, outbox)))
    token = client.simulate_post("/api/v1/auth/token",
                                 json={"login": "ivanov", "password": password_of("ivanov")}).json["token"]
    auth = {"Authorization": f"Bearer {token}"}
    paid_now = client.simulate_post("/api/v1/payments", headers=auth,
                                    json={"account": UK_ELS, "method": "wallet", "bill": LATEST}).json
    number = paid_now["receipt"]["number"]
    assert (outbox / f"{number}.eml").read_bytes() == client.simulate_get(
        f"/api/v1/payments/{paid_now['id']}/receipt", headers=auth).content
    card = client.simulate_post("/api/v1/payments", headers=auth, json={"account": ENERGO_ELS, "method": "card"}).json
    assert sorted(p.name for p in outbox.iterdir()) == [f"{number}.eml"]
    token_path = card["confirmation_url"].split("://", 1)[1].split("/", 1)[1]
    answered = client.simulate_post(f"/{token_path}", body="action=pay",
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answered.status_code == 200, answered.text
    second = client.simulate_get(f"/api/v1/payments/{card['id']}", headers=auth).json["receipt"]["number"]
    assert sorted(p.name for p in outbox.iterdir()) == sorted([f"{number}.eml", f"{second}.eml"])
