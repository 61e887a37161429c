"""The payments' and the wallet's calls as the client sends them: the bodies and queries, one Idempotency-Key per
call reused on every retry (an answer lost after the charge is retried with the same key, and the portal charges
once), the receipt's bytes, and the acquirer's form posted without the bearer token to this portal only."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
import requests
from responses import matchers

from gkh.client.api import Client, RetryPolicy
from gkh.client.errors import InvalidRequest, NotFound, Refused, ServerError

BASE = "https://portal.example.ru"
API = BASE + "/api/v1"
ELS = "77ЕЖ532838"
IPD = "77ЕЖ532838-01-2609"
TOKEN = "Ab3_secret-page-token"


@pytest.fixture
def client(sleeps) -> Client:
    return Client(BASE, token="gkh_token", retry=RetryPolicy(sleep=sleeps.append))


def payment(number: int = 1, status: str = "succeeded", method: str = "wallet") -> dict:
    return {"id": f"P-{number:06d}", "kind": "bill", "account": ELS,
            "bills": [{"id": IPD, "period": "2026-09", "amount": "3942.99"}], "advance": "0.00",
            "payee": {"id": "ORG-0001", "name": "ООО «УК Ленинский квартал»", "inn": "7701234567"},
            "amount": "3942.99", "commission": "0.00", "total": "3942.99", "method": method, "status": status,
            "decline_reason": None, "created_at": "2026-11-20T12:00:00+03:00", "completed_at": None,
            "expires_at": None, "confirmation_url": None, "email": "ivanov@example.com", "receipt": None,
            "warnings": []}


def sent(call) -> dict:
    return json.loads(call.request.body)


# --- paying ------------------------------------------------------------------------------------------------------


def test_pay_posts_the_account_method_and_what_is_given_with_one_idempotency_key(stub, client):
    stub.post(f"{API}/payments", status=201, json=payment())
    assert client.pay(ELS, "wallet", amount="3942.99", bill=IPD, email="me@example.org")["id"] == "P-000001"
    assert sent(stub.calls[0]) == {"account": ELS, "method": "wallet", "amount": "3942.99", "bill": IPD,
                                   "email": "me@example.org"}
    assert stub.calls[0].request.headers["Idempotency-Key"]
    assert "dry_run" not in stub.calls[0].request.url


def test_pay_without_an_amount_sends_none_so_the_portal_takes_what_is_due(stub, client):
    stub.post(f"{API}/payments", status=202, json=payment(status="pending", method="card"))
    client.pay(ELS, "card")
    assert sent(stub.calls[0]) == {"account": ELS, "method": "card"}


def test_a_dry_run_asks_for_the_quote_in_the_query(stub, client):
    stub.post(f"{API}/payments", match=[matchers.query_param_matcher({"dry_run": "true"})],
              json={**payment(status="quote"), "id": None, "dry_run": True})
    assert client.pay(ELS, "card", dry_run=True)["status"] == "quote"


def test_every_retry_of_a_payment_sends_the_same_key_and_a_given_key_is_sent_as_it_is(stub, client, sleeps):
    stub.post(f"{API}/payments", status=503, json={"error": {"code": "unavailable", "message": "busy"}})
    stub.post(f"{API}/payments", status=502)
    stub.post(f"{API}/payments", status=201, json=payment())
    client.pay(ELS, "wallet", idempotency_key="kept-key-1")
    assert [call.request.headers["Idempotency-Key"] for call in stub.calls] == ["kept-key-1"] * 3
    assert len(sleeps) == 2


def test_an_answer_lost_after_the_charge_is_retried_with_the_same_key_and_the_portal_charges_once(stub, client):
    """The portal charges, its answer never arrives; the retry carries the same key, so the portal replays the
    payment it made instead of making a second."""
    charges: dict[str, list[dict]] = {}  # the portal's payments, by idempotency key
    answered: list[str] = []

    def portal(request):
        key = request.headers["Idempotency-Key"]
        if key not in charges:  # a new key: one charge
            charges[key] = [payment(number=len(charges) + 1)]
            raise requests.exceptions.ConnectionError("the answer was lost on the way back")
        answered.append(key)
        return 201, {}, json.dumps(charges[key][0])

    stub.add_callback("POST", f"{API}/payments", callback=portal)
    paid = client.pay(ELS, "wallet", amount="3942.99")
    assert paid["id"] == "P-000001"
    assert len(stub.calls) == 2
    assert len(charges) == 1 and sum(len(made) for made in charges.values()) == 1  # one payment, one debit
    assert answered == list(charges)


def test_two_calls_are_two_keys(stub, client):
    stub.post(f"{API}/payments", status=201, json=payment())
    stub.post(f"{API}/payments", status=201, json=payment(2))
    client.pay(ELS, "wallet")
    client.pay(ELS, "wallet")
    keys = {call.request.headers["Idempotency-Key"] for call in stub.calls}
    assert len(keys) == 2


def test_not_enough_in_the_wallet_is_refused_with_the_balance_and_not_retried(stub, client):
    stub.post(f"{API}/payments", status=422, json={"error": {
        "code": "insufficient_funds", "message": "the wallet holds 8300.00, not enough for 12181.79",
        "details": {"balance": "8300.00"}}})
    with pytest.raises(Refused) as refused:
        client.pay(ELS, "wallet")
    assert refused.value.code == "insufficient_funds" and refused.value.details == {"balance": "8300.00"}
    assert len(stub.calls) == 1


# --- reading payments -----------------------------------------------------------------------------------------------


def test_the_list_sends_the_account_and_status_and_follows_the_pages(stub, client):
    query = {"account": ELS, "status": "pending", "limit": "1000"}
    stub.get(f"{API}/payments", match=[matchers.query_param_matcher(query)],
             json={"items": [payment(3, "pending")], "next_cursor": "c2"})
    stub.get(f"{API}/payments", match=[matchers.query_param_matcher({**query, "cursor": "c2"})],
             json={"items": [payment(1, "pending")], "next_cursor": None})
    assert [p["id"] for p in client.payments(account=ELS, status="pending")] == ["P-000003", "P-000001"]


def test_the_list_without_filters_and_with_a_limit(stub, client):
    stub.get(f"{API}/payments", match=[matchers.query_param_matcher({"limit": "1"})],
             json={"items": [payment(2)], "next_cursor": "c2"})
    assert len(client.payments(limit=1)) == 1


def test_one_payment_by_its_id_in_the_path_and_not_among_yours_is_not_found(stub, client):
    stub.get(f"{API}/payments/P-000001", json=payment())
    stub.get(f"{API}/payments/..%2Fwallet", status=404,
             json={"error": {"code": "payment_not_found", "message": "no payment ../wallet among yours"}})
    assert client.payment("P-000001")["status"] == "succeeded"
    with pytest.raises(NotFound) as missing:
        client.payment("../wallet")
    assert missing.value.code == "payment_not_found"


def test_the_receipt_is_the_stored_bytes_of_an_email(stub, client):
    eml = "Subject: =?utf-8?b?0KfQtdC6?=\r\nFrom: gkh <receipts@gkh.invalid>\r\n\r\nok\r\n".encode()
    stub.get(f"{API}/payments/P-000001/receipt", body=eml, content_type="message/rfc822",
             headers={"Content-Disposition": 'attachment; filename="R-000001.eml"'})
    assert client.payment_receipt("P-000001") == eml
    assert stub.calls[0].request.headers["Accept"] == "message/rfc822"


def test_a_receipt_that_is_not_an_email_is_an_invalid_response(stub, client):
    stub.get(f"{API}/payments/P-000001/receipt", body="<html>login</html>", content_type="text/html")
    with pytest.raises(ServerError) as wrong:
        client.payment_receipt("P-000001")
    assert wrong.value.code == "invalid_response"


def test_no_receipt_yet_is_not_found(stub, client):
    stub.get(f"{API}/payments/P-000002/receipt", status=404,
             json={"error": {"code": "receipt_not_found", "message": "payment P-000002 has no receipt"}})
    with pytest.raises(NotFound) as missing:
        client.payment_receipt("P-000002")
    assert missing.value.code == "receipt_not_found"


# --- the wallet ------------------------------------------------------------------------------------------------------


def test_the_wallet_and_a_top_up(stub, client):
    stub.get(f"{API}/wallet", json={"balance": "8300.00", "operator": "Виртуальный мир", "updated_at": None})
    stub.post(f"{API}/wallet/top-ups", status=202,
              json={**payment(status="pending", method="card"), "kind": "top_up", "account": None, "payee": None})
    assert client.wallet()["balance"] == "8300.00"
    assert client.top_up("500", email="me@example.org", idempotency_key="k-1")["kind"] == "top_up"
    assert sent(stub.calls[1]) == {"amount": "500", "email": "me@example.org"}
    assert stub.calls[1].request.headers["Idempotency-Key"] == "k-1"


def test_a_top_ups_dry_run_sends_only_the_amount(stub, client):
    stub.post(f"{API}/wallet/top-ups", match=[matchers.query_param_matcher({"dry_run": "true"})],
              json={**payment(status="quote"), "kind": "top_up"})
    client.top_up("500", dry_run=True)
    assert sent(stub.calls[0]) == {"amount": "500"}


# --- the acquirer's page -------------------------------------------------------------------------------------------


def test_confirming_posts_the_form_without_the_bearer_token(stub, client):
    stub.post(f"{BASE}/acquirer/{TOKEN}", body="<p id=outcome data-status=succeeded>", content_type="text/html")
    client.confirm_on_acquirer(f"{BASE}/acquirer/{TOKEN}")
    request = stub.calls[0].request
    assert "Authorization" not in request.headers
    assert parse_qs(request.body) == {"action": ["pay"]}
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_cancelling_posts_cancel(stub, client):
    stub.post(f"{BASE}/acquirer/{TOKEN}", body="<p>", content_type="text/html")
    client.confirm_on_acquirer(f"{BASE}/acquirer/{TOKEN}", action="cancel")
    assert parse_qs(stub.calls[0].request.body) == {"action": ["cancel"]}


def test_a_page_answered_already_is_no_error(stub, client):
    stub.post(f"{BASE}/acquirer/{TOKEN}", status=410, body="<p>gone</p>", content_type="text/html")
    client.confirm_on_acquirer(f"{BASE}/acquirer/{TOKEN}")


def test_an_unknown_page_is_not_found(stub, client):
    stub.post(f"{BASE}/acquirer/{TOKEN}", status=404, body="<p>no</p>", content_type="text/html")
    with pytest.raises(NotFound):
        client.confirm_on_acquirer(f"{BASE}/acquirer/{TOKEN}")


@pytest.mark.parametrize("url", [
    f"https://evil.example.ru/acquirer/{TOKEN}",     # another host
    f"http://portal.example.ru/acquirer/{TOKEN}",    # another scheme
    f"https://portal.example.ru:8443/acquirer/{TOKEN}",  # another port
    f"https://user:pw@portal.example.ru/acquirer/{TOKEN}",
    f"https://portal.example.ru/api/v1/payments?x={TOKEN}",  # not the acquirer
    "https://portal.example.ru/acquirer/",
    "https://portal.example.ru/acquirer/a/../../api/v1/wallet",
    "javascript:alert(1)",
])
def test_a_url_of_another_origin_or_page_is_refused_and_nothing_is_sent(stub, client, url):
    with pytest.raises(InvalidRequest) as refused:
        client.confirm_on_acquirer(url)
    assert refused.value.field == "confirmation_url"
    assert len(stub.calls) == 0


def test_the_default_port_may_be_spelt(stub, client):
    stub.post(f"{BASE}/acquirer/{TOKEN}", body="<p>", content_type="text/html")
    client.confirm_on_acquirer(f"https://PORTAL.example.ru:443/acquirer/{TOKEN}")
    assert len(stub.calls) == 1


def test_a_lost_answer_is_posted_again_and_finding_it_answered_is_fine(stub, client, sleeps):
    stub.post(f"{BASE}/acquirer/{TOKEN}", body=requests.exceptions.ConnectionError("reset"))
    stub.post(f"{BASE}/acquirer/{TOKEN}", status=410, body="<p>done</p>", content_type="text/html")
    client.confirm_on_acquirer(f"{BASE}/acquirer/{TOKEN}")
    assert len(stub.calls) == 2 and len(sleeps) == 1
