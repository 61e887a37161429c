"""What the client sends: timeout, User-Agent, Authorization, query strings, paging, dry runs; how it logs."""

from __future__ import annotations

import json

import pytest
from responses import matchers

from gkh import __version__
from gkh.client.api import Client, RetryPolicy
from gkh.client.errors import InvalidRequest, NotFound, ServerError

BASE = "https://portal.example.ru"
API = BASE + "/api/v1"
HOUSE = "83804ac7-87c6-472e-a474-d02c6f740e9c"
TOKEN = "gkh_Zq3-very-secret-token-value"


@pytest.fixture
def client(sleeps) -> Client:
    return Client(BASE, token=TOKEN, timeout=12.5, retry=RetryPolicy(sleep=sleeps.append))


def test_every_call_has_a_connect_and_read_timeout(stub, client):
    stub.get(f"{API}/me", json={})
    stub.post(f"{API}/auth/token", status=201, json={"token": "t"})
    client.me()
    client.sign_in("ivanov", "pw")
    assert [call.request.req_kwargs["timeout"] for call in stub.calls] == [(12.5, 12.5), (12.5, 12.5)]


def test_the_user_agent_names_gkh_and_its_version(stub, client):
    stub.get(f"{API}/portal", json={})
    client.portal_info()
    assert stub.calls[0].request.headers["User-Agent"] == f"gkh/{__version__}"


def test_the_bearer_token_is_sent_only_when_there_is_one(stub, client):
    stub.get(f"{API}/me", json={})
    stub.get(f"{API}/portal", json={})
    stub.get(f"{API}/me", json={})
    client.me()
    Client(BASE).portal_info()
    client.set_token("gkh_other")
    client.me()
    assert stub.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "Authorization" not in stub.calls[1].request.headers
    assert stub.calls[2].request.headers["Authorization"] == "Bearer gkh_other"


def test_signing_in_sends_the_credentials_and_leaves_the_token_to_the_caller(stub):
    client = Client(BASE)
    stub.post(f"{API}/auth/token", status=201, json={"token": "gkh_new", "expires_at": "2027-02-18T09:00:00+00:00"},
              match=[matchers.json_params_matcher({"login": "ivanov", "password": "pw"})])
    assert client.sign_in("ivanov", "pw")["token"] == "gkh_new"
    assert client.token is None
    assert "Authorization" not in stub.calls[0].request.headers


def test_paginate_follows_the_cursor_across_three_pages(stub, client):
    stub.get(f"{API}/accounts", match=[matchers.query_param_matcher({"limit": "1000"})],
             json={"items": [{"n": 1}, {"n": 2}], "next_cursor": "c2"})
    stub.get(f"{API}/accounts", match=[matchers.query_param_matcher({"limit": "1000", "cursor": "c2"})],
             json={"items": [{"n": 3}], "next_cursor": "c3"})
    stub.get(f"{API}/accounts", match=[matchers.query_param_matcher({"limit": "1000", "cursor": "c3"})],
             json={"items": [{"n": 4}], "next_cursor": None})
    assert [a["n"] for a in client.accounts()] == [1, 2, 3, 4]
    assert len(stub.calls) == 3


def test_paginate_stops_at_the_limit_and_asks_for_no_more_than_it_needs(stub, client):
    stub.get(f"{API}/addresses", match=[matchers.query_param_matcher({"q": "ленина", "limit": "3"})],
             json={"items": [{"n": 1}, {"n": 2}, {"n": 3}], "next_cursor": "c2"})
    stub.get(f"{API}/addresses", match=[matchers.query_param_matcher({"q": "ленина", "limit": "2", "cursor": "c2"})],
             json={"items": [{"n": 4}, {"n": 5}], "next_cursor": "c3"})
    items = list(client.paginate("/addresses", {"q": "ленина"}, limit=5, page_size=3))
    assert [i["n"] for i in items] == [1, 2, 3, 4, 5]
    assert len(stub.calls) == 2  # c3 is not followed


def test_a_limit_within_the_first_page_asks_for_just_that_many(stub, client):
    stub.get(f"{API}/accounts", match=[matchers.query_param_matcher({"limit": "1"})],
             json={"items": [{"n": 1}], "next_cursor": "c2"})
    assert client.accounts(limit=1) == [{"n": 1}]


def test_an_empty_list_is_an_empty_list(stub, client):
    stub.get(f"{API}/accounts", json={"items": [], "next_cursor": None})
    assert client.accounts() == []


def test_a_portal_repeating_its_cursor_does_not_loop_forever(stub, client):
    stub.get(f"{API}/accounts", json={"items": [{"n": 1}], "next_cursor": "same"})
    stub.get(f"{API}/accounts", json={"items": [{"n": 1}], "next_cursor": "same"})
    with pytest.raises(ServerError, match="cursor"):
        client.accounts()


def test_a_dry_run_link_says_so_in_the_query_and_sends_only_the_given_fields(stub, client):
    stub.post(f"{API}/accounts/links", status=201, json={"status": "linked", "dry_run": True},
              match=[matchers.query_param_matcher({"dry_run": "true"}),
                     matchers.json_params_matcher({"house": HOUSE, "number": "0050034", "payer": "Петрова"})])
    assert client.link_account(HOUSE, payer="Петрова", number="0050034", dry_run=True)["dry_run"] is True
    assert stub.calls[0].request.headers["Content-Type"] == "application/json"


def test_a_dry_run_unlink_says_so_in_the_query(stub, client):
    answer = {"status": "unlinked", "account": "77ЕЖ532838", "dry_run": True}
    stub.delete(f"{API}/accounts/links/77%D0%95%D0%96532838", json=answer,
                match=[matchers.query_param_matcher({"dry_run": "true"})])
    assert client.unlink_account("77ЕЖ532838", dry_run=True) == answer
    [call] = stub.calls
    assert call.request.method == "DELETE"
    assert call.request.url == f"{API}/accounts/links/77%D0%95%D0%96532838?dry_run=true"
    assert call.request.body is None


def test_path_arguments_cannot_change_the_route(stub, client):
    stub.get(f"{API}/houses/..%2Faccounts", status=404, json={"error": {"code": "not_found", "message": "no"}})
    with pytest.raises(NotFound):
        client.house("../accounts")
    assert stub.calls[0].request.url == f"{API}/houses/..%2Faccounts"


def test_a_success_that_is_not_json_is_a_server_error(stub, client):
    stub.get(f"{API}/portal", body="<html>captive portal</html>", content_type="text/html")
    with pytest.raises(ServerError) as caught:
        client.portal_info()
    assert caught.value.code == "invalid_response"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://portal.example.ru", "https://portal.example.ru:443"),
        ("HTTPS://Portal.Example.RU/", "https://portal.example.ru:443"),
        ("https://portal.example.ru:443/", "https://portal.example.ru:443"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost", "http://localhost:80"),
        ("http://Host.example/gkh/", "http://host.example:80/gkh"),
        ("https://portal.example.ru/api/v1/", "https://portal.example.ru:443"),
        ("http://[::1]:9000/", "http://[::1]:9000"),
        ("https://user:pw@portal.example.ru", "https://portal.example.ru:443"),
    ],
)
def test_the_portal_key_is_the_normalised_url(url, key):
    assert Client(url).portal_key == key


def test_the_same_portal_spelt_differently_has_one_key():
    assert Client("https://PORTAL.example.ru/").portal_key == Client("https://portal.example.ru:443").portal_key
    assert Client("http://portal.example.ru").portal_key != Client("https://portal.example.ru").portal_key


@pytest.mark.parametrize("url", ["local://", "ftp://portal.example.ru", "portal.example.ru", "http://"])
def test_a_url_that_is_no_portal_is_refused_up_front(url):
    with pytest.raises(InvalidRequest) as caught:
        Client(url)
    assert caught.value.field == "url"


def test_the_request_log_has_one_line_per_attempt_and_never_the_token(stub):
    lines: list[str] = []
    client = Client(BASE, token=TOKEN, log=lines.append, retry=RetryPolicy(sleep=lambda s: None, jitter=lambda: 1.0))
    stub.get(f"{API}/me", status=503)
    stub.get(f"{API}/me", json={"login": "ivanov"})
    stub.post(f"{API}/auth/token", status=201, json={"token": TOKEN})
    client.me()
    client.sign_in("ivanov", "the-password")
    assert len(lines) == 3
    assert lines[0].startswith(f"GET {API}/me → 503")
    assert "attempt 1 of 4" in lines[0] and "retrying in 0.50 s" in lines[0]
    assert lines[1].startswith(f"GET {API}/me → 200") and "attempt 2 of 4" in lines[1]
    assert " ms " in lines[1]
    assert lines[2].startswith(f"POST {API}/auth/token → 201")
    log = "\n".join(lines)
    assert TOKEN not in log and "the-password" not in log
    assert TOKEN not in repr(client)


def test_a_failing_log_does_not_fail_the_call(stub):
    def broken(line: str) -> None:
        raise OSError("stderr closed")

    stub.get(f"{API}/portal", json={"id": "p"})
    assert Client(BASE, log=broken).portal_info() == {"id": "p"}


def test_the_json_body_is_utf8(stub, client):
    stub.post(f"{API}/accounts/links", status=201, json={})
    client.link_account(HOUSE, payer="Петрова", els="77ЕЖ532838")
    assert json.loads(stub.calls[0].request.body) == {"house": HOUSE, "els": "77ЕЖ532838", "payer": "Петрова"}
