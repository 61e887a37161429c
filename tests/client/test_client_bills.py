"""The bills' calls as the client sends them: the query (account, unpaid, limit), the pages followed to the end,
one bill by its ИПД in the path, and a bill not among the caller's as NotFound."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from responses import matchers

from gkh.client.api import Client, RetryPolicy
from gkh.client.errors import NotFound

BASE = "https://portal.example.ru"
API = BASE + "/api/v1"
ELS = "77ЕЖ532838"
IPD = "77ЕЖ532838-01-2610"


@pytest.fixture
def client(sleeps) -> Client:
    return Client(BASE, token="gkh_token", retry=RetryPolicy(sleep=sleeps.append))


def bill(period: str, due: str = "0.00") -> dict:
    return {"id": f"{ELS}-01-{period[2:4]}{period[5:]}", "account": ELS, "period": period, "total": "5231.40",
            "paid": "5231.40" if due == "0.00" else "0.00", "due": due,
            "status": "paid" if due == "0.00" else "unpaid", "lines": []}


def test_the_list_asks_for_the_callers_bills_and_follows_every_page(stub, client):
    stub.get(f"{API}/bills", match=[matchers.query_param_matcher({"limit": "1000"})],
             json={"items": [bill("2026-10"), bill("2026-09")], "next_cursor": "c2"})
    stub.get(f"{API}/bills", match=[matchers.query_param_matcher({"limit": "1000", "cursor": "c2"})],
             json={"items": [bill("2026-08")], "next_cursor": None})
    assert [b["period"] for b in client.bills()] == ["2026-10", "2026-09", "2026-08"]
    assert len(stub.calls) == 2


def test_the_account_and_unpaid_go_in_the_query_on_every_page(stub, client):
    query = {"account": ELS, "unpaid": "true", "limit": "1000"}
    stub.get(f"{API}/bills", match=[matchers.query_param_matcher(query)],
             json={"items": [bill("2026-10", "5231.40")], "next_cursor": "c2"})
    stub.get(f"{API}/bills", match=[matchers.query_param_matcher({**query, "cursor": "c2"})],
             json={"items": [bill("2026-09", "4100.00")], "next_cursor": None})
    assert [b["due"] for b in client.bills(account=ELS, unpaid=True)] == ["5231.40", "4100.00"]
    assert f"account={quote(ELS)}" in stub.calls[0].request.url


def test_all_bills_send_no_unpaid_and_no_account(stub, client):
    stub.get(f"{API}/bills", match=[matchers.query_param_matcher({"limit": "1000"})],
             json={"items": [], "next_cursor": None})
    assert client.bills(account=None, unpaid=False) == []
    assert "unpaid" not in stub.calls[0].request.url and "account" not in stub.calls[0].request.url


def test_a_limit_asks_for_no_more_than_it_needs(stub, client):
    stub.get(f"{API}/bills", match=[matchers.query_param_matcher({"unpaid": "true", "limit": "2"})],
             json={"items": [bill("2026-10", "1.00"), bill("2026-09", "1.00")], "next_cursor": "c2"})
    assert len(client.bills(unpaid=True, limit=2)) == 2
    assert len(stub.calls) == 1  # c2 is not followed


def test_one_bill_by_its_ipd_in_the_path(stub, client):
    stub.get(f"{API}/bills/{quote(IPD, safe='')}", json=bill("2026-10"))
    assert client.bill(IPD)["id"] == IPD
    assert stub.calls[0].request.method == "GET"


def test_an_ipd_cannot_change_the_route(stub, client):
    stub.get(f"{API}/bills/..%2Fbills", status=404,
             json={"error": {"code": "bill_not_found", "message": "no bill ../bills among yours"}})
    with pytest.raises(NotFound):
        client.bill("../bills")


def test_a_bill_not_among_the_callers_is_not_found_with_the_portals_code_and_message(stub, client):
    stub.get(f"{API}/bills/{quote(IPD, safe='')}", status=404,
             json={"error": {"code": "bill_not_found", "message": f"no bill {IPD} among yours"}})
    with pytest.raises(NotFound) as raised:
        client.bill(IPD)
    assert raised.value.code == "bill_not_found" and raised.value.message == f"no bill {IPD} among yours"
    assert len(stub.calls) == 1  # a 404 is an answer, not retried


def test_an_account_not_among_the_callers_is_not_found(stub, client):
    stub.get(f"{API}/bills", status=404,
             json={"error": {"code": "account_not_found", "message": "no account 77ЖЖ000000 among yours"}})
    with pytest.raises(NotFound) as raised:
        client.bills(account="77ЖЖ000000")
    assert raised.value.code == "account_not_found"
