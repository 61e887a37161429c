"""The test acquirer's confirmation page over HTTP (waitress in a thread), on both engines: what it shows, that a GET
changes nothing, that pay and cancel work once, the decline amounts, the expiry, its pages for what is not there,
and two answers at once completing a payment once.

The demo portal's clock stands at 2026-11-20 12:00 Moscow (GKH_NOW); ivanov's account 77ЕЖ532838 owes 12181.79 in
two bills to ООО «УК Ленинский квартал» (card commission 0.8 %: 97.45, total 12279.24).
"""

from __future__ import annotations

import threading
from html.parser import HTMLParser

import pytest
import requests

from gkh.server.demo import DEMO_RESIDENT_ACCOUNTS
from tests.helpers.rows import db

UK_ELS, ENERGO_ELS = DEMO_RESIDENT_ACCOUNTS
OLDER, LATEST = "77ЕЖ532838-01-2609", "77ЕЖ532838-01-2610"


class Page(HTMLParser):
    """The page's text by element id, its forms (method, target URL, the hidden `action`, the button's id), the
    outcome's status."""

    def __init__(self, html: str):
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.forms: list[dict] = []
        self.outcome: str | None = None
        self.lang: str | None = None
        self.scripts = 0
        self._open: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "script":
            self.scripts += 1
        if tag == "form":
            self.forms.append({"method": a.get("method"), "target": a.get("action")})
        if tag == "input" and a.get("type") == "hidden" and self.forms:
            self.forms[-1][a["name"]] = a["value"]
        if tag == "button" and self.forms:
            self.forms[-1]["button"] = a.get("id")
        if a.get("id") == "outcome":
            self.outcome = a.get("data-status")
        if tag not in ("input", "meta", "br"):
            self._open.append(a.get("id"))
            if a.get("id"):
                self.by_id[a["id"]] = ""

    def handle_endtag(self, tag):
        if tag not in ("input", "meta", "br") and self._open:
            self._open.pop()

    def handle_data(self, data):
        for element in self._open:
            if element:
                self.by_id[element] += data


def state(home) -> tuple:
    with db(home) as conn:
        return (conn.execute("SELECT id, status, decline_reason, completed_at FROM payments ORDER BY id").fetchall(),
                conn.execute("SELECT COUNT(*) FROM payment_bills").fetchone()[0],
                conn.execute("SELECT COUNT(*) FROM receipts").fetchone()[0],
                conn.execute("SELECT COALESCE(SUM(balance_kopecks), 0) FROM wallets").fetchone()[0],
                conn.execute("SELECT SUM(paid_kopecks) FROM bills").fetchone()[0])


def stored(home, payment_id: str) -> tuple:
    with db(home) as conn:
        row = conn.execute("SELECT status, decline_reason FROM payments WHERE id = ?", (payment_id,)).fetchone()
    return row[0], row[1]


def paid(home, bill: str) -> int:
    with db(home) as conn:
        return conn.execute("SELECT paid_kopecks FROM bills WHERE id = ?", (bill,)).fetchone()[0]


def card(api, **fields) -> dict:
    resp = api.post("/payments", json={"account": UK_ELS, "method": "card", **fields})
    assert resp.status_code == 202, resp.text
    return resp.json()


def post(url: str, action: str) -> requests.Response:
    return requests.post(url, data={"action": action}, timeout=10)


def assert_page(resp: requests.Response, status: int) -> Page:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    page = Page(resp.text)
    assert page.lang == "ru" and page.scripts == 0
    return page


def test_the_page_shows_payee_amount_commission_and_total_and_changes_nothing(ivanov, home):
    p = card(ivanov)
    before = state(home)
    for _ in range(2):
        page = assert_page(requests.get(p["confirmation_url"], timeout=10), 200)
    assert page.by_id["payee"] == "ООО «УК Ленинский квартал»"
    assert page.by_id["inn"] == p["payee"]["inn"]
    assert page.by_id["account"] == UK_ELS
    assert (page.by_id["amount"], page.by_id["commission"], page.by_id["total"]) == (
        "12 181,79 ₽", "97,45 ₽", "12 279,24 ₽")
    token = p["confirmation_url"].rsplit("/", 1)[1]
    assert page.forms == [{"method": "post", "target": f"/acquirer/{token}", "action": "pay", "button": "pay"},
                          {"method": "post", "target": f"/acquirer/{token}", "action": "cancel", "button": "cancel"}]
    assert "Оплатить" in page.by_id["pay"] and "Отмена" in page.by_id["cancel"]
    assert state(home) == before
    assert ivanov.get(f"/payments/{p['id']}").json()["status"] == "pending"


def test_the_forms_post_their_action_back_to_the_page(ivanov):
    p = card(ivanov)
    resp = requests.get(p["confirmation_url"], timeout=10)
    token = p["confirmation_url"].rsplit("/", 1)[1]
    assert resp.text.count(f'<form method="post" action="/acquirer/{token}">') == 2
    assert '<input type="hidden" name="action" value="pay"><button type="submit" id="pay">Оплатить</button>' \
        in resp.text
    assert '<input type="hidden" name="action" value="cancel"><button type="submit" id="cancel">Отмена</button>' \
        in resp.text


def test_pay_succeeds_once(ivanov, home):
    p = card(ivanov)
    page = assert_page(post(p["confirmation_url"], "pay"), 200)
    assert page.outcome == "succeeded" and "Оплата прошла" in page.by_id["outcome"]
    assert stored(home, p["id"]) == ("succeeded", None)
    assert (paid(home, OLDER), paid(home, LATEST)) == (394299, 823880)
    done = ivanov.get(f"/payments/{p['id']}").json()
    assert done["receipt"] is not None and done["receipt"]["delivery"] == "outbox"
    after = state(home)
    again = assert_page(post(p["confirmation_url"], "pay"), 410)
    assert again.outcome == "succeeded"
    assert_page(post(p["confirmation_url"], "cancel"), 410)
    assert_page(requests.get(p["confirmation_url"], timeout=10), 410)
    assert state(home) == after


def test_cancel_declines(ivanov, home):
    p = card(ivanov)
    page = assert_page(post(p["confirmation_url"], "cancel"), 200)
    assert page.outcome == "declined" and "Платёж отменён" in page.by_id["outcome"]
    assert stored(home, p["id"]) == ("declined", "cancelled")
    shown = ivanov.get(f"/payments/{p['id']}").json()
    assert (shown["status"], shown["decline_reason"], shown["receipt"], shown["bills"]) == (
        "declined", "cancelled", None, [])
    assert (paid(home, OLDER), paid(home, LATEST)) == (0, 0)
    assert_page(post(p["confirmation_url"], "pay"), 410)
    assert stored(home, p["id"]) == ("declined", "cancelled")


def test_an_amount_the_settings_mark_is_declined_by_the_bank(ivanov, home):
    p = card(ivanov, amount="13,13")
    page = assert_page(post(p["confirmation_url"], "pay"), 200)
    assert page.outcome == "declined" and "Платёж отклонён банком" in page.by_id["outcome"]
    assert stored(home, p["id"]) == ("declined", "declined_by_bank")
    assert paid(home, OLDER) == 0
    assert ivanov.get(f"/payments/{p['id']}/receipt").status_code == 404


def test_a_page_not_answered_in_15_minutes_expires(ivanov, home, monkeypatch):
    p = card(ivanov)
    monkeypatch.setenv("GKH_NOW", "2026-11-20T12:14:00+03:00")
    assert_page(requests.get(p["confirmation_url"], timeout=10), 200)
    monkeypatch.setenv("GKH_NOW", "2026-11-20T12:15:01+03:00")
    before = state(home)
    page = assert_page(requests.get(p["confirmation_url"], timeout=10), 410)
    assert page.outcome == "declined" and "истекло" in page.by_id["outcome"]
    assert state(home) == before  # a GET stores nothing, the expiry neither
    assert_page(post(p["confirmation_url"], "pay"), 410)
    assert stored(home, p["id"]) == ("declined", "expired")
    with db(home) as conn:
        assert conn.execute("SELECT COUNT(*) FROM payment_bills WHERE payment_id = ?", (p["id"],)).fetchone()[0] == 0
    assert (paid(home, OLDER), paid(home, LATEST)) == (0, 0)


def test_a_top_up_page_names_the_wallet(ivanov, home):
    t = ivanov.post("/wallet/top-ups", json={"amount": "1500"}).json()
    page = assert_page(requests.get(t["confirmation_url"], timeout=10), 200)
    assert page.by_id["purpose"] == "Пополнение кошелька „Виртуальный мир“"
    assert (page.by_id["amount"], page.by_id["commission"], page.by_id["total"]) == (
        "1 500,00 ₽", "0,00 ₽", "1 500,00 ₽")
    assert "payee" not in page.by_id
    assert_page(post(t["confirmation_url"], "pay"), 200)
    assert ivanov.get("/wallet").json()["balance"] == "9800.00"


@pytest.mark.parametrize("token", ["A" * 43, "short", "x" * 300])
def test_an_unknown_token_is_a_404_page(http_portal, token):
    assert_page(requests.get(f"{http_portal}/acquirer/{token}", timeout=10), 404)
    assert_page(requests.post(f"{http_portal}/acquirer/{token}", data={"action": "pay"}, timeout=10), 404)


def test_a_malformed_answer_is_a_400_page_and_changes_nothing(ivanov, home):
    p = card(ivanov)
    before = state(home)
    assert_page(post(p["confirmation_url"], "refund"), 400)
    assert_page(requests.post(p["confirmation_url"], timeout=10), 400)
    assert_page(requests.post(p["confirmation_url"], data="action=pay" + "&x=1" * 500,
                              headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10), 413)
    assert_page(requests.post(p["confirmation_url"], json={"action": "pay"}, timeout=10), 415)
    assert state(home) == before


def test_the_page_needs_no_bearer_token_and_ignores_one(ivanov, petrova):
    p = card(ivanov)
    resp = requests.get(p["confirmation_url"], headers={"Authorization": "Bearer nonsense"}, timeout=10)
    assert_page(resp, 200)


def test_two_answers_at_once_complete_the_payment_once(ivanov, home):
    """Two POSTs of one page at the same moment: one pays, the other gets 410; the bills are paid once."""
    p = card(ivanov, bill=LATEST)
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def answer(action: str) -> None:
        barrier.wait()
        statuses.append(post(p["confirmation_url"], action).status_code)

    threads = [threading.Thread(target=answer, args=(a,)) for a in ("pay", "pay", "pay", "cancel")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 410, 410, 410]
    with db(home) as conn:
        assert conn.execute("SELECT COUNT(*) FROM receipts").fetchone()[0] in (0, 1)
        status = conn.execute("SELECT status FROM payments WHERE id = ?", (p["id"],)).fetchone()[0]
    assert paid(home, LATEST) == (823880 if status == "succeeded" else 0)
