"""The owner register calls as the client sends them: an import chunk's rows in one POST (a dry run in the query,
a refusal as a typed error), and a house's register followed page by page to its end."""

from __future__ import annotations

import pytest
from responses import matchers

from gkh.client.api import Client, RetryPolicy
from gkh.client.errors import PermissionDenied

BASE = "https://portal.example.ru"
API = BASE + "/api/v1"
GUID = "11dad636-2ee9-4efb-a4db-9356abed64c5"
ANSWER = {"created": 1, "updated": 0, "unchanged": 0, "rejected": [], "warnings": []}
OWNER = {"line": 2, "house": "г. Москва, ул. Строителей, д. 3", "flat": "1", "area": "54,3",
         "owner": "Новоселов Пётр Ильич", "share": "1/2", "document": None, "login": "novoselov"}


@pytest.fixture
def client(sleeps) -> Client:
    return Client(BASE, token="gkh_token", retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0))


def test_owners_go_as_rows_in_one_post_and_a_dry_run_says_so(stub, client):
    stub.post(f"{API}/owners/batch", match=[matchers.query_param_matcher({"dry_run": "true"}),
                                            matchers.json_params_matcher({"rows": [OWNER]})], json=ANSWER)
    assert client.import_owners([OWNER], dry_run=True) == ANSWER
    assert stub.calls[0].request.headers["Idempotency-Key"]


def test_a_refused_import_is_a_typed_error(stub, client):
    stub.post(f"{API}/owners/batch", status=403, json={"error": {"code": "forbidden", "message": "only admins"}})
    with pytest.raises(PermissionDenied):
        client.import_owners([OWNER])


def test_the_register_is_followed_to_its_last_page(stub, client):
    first = {"flat": "1", "area": "54.3", "owner": "А", "share": "1", "document": None, "login": None}
    second = {**first, "flat": "2", "owner": "Б"}
    stub.get(f"{API}/owners", match=[matchers.query_param_matcher({"house": GUID, "limit": "1000"})],
             json={"items": [first], "next_cursor": "abc"})
    stub.get(f"{API}/owners", match=[matchers.query_param_matcher({"house": GUID, "limit": "1000", "cursor": "abc"})],
             json={"items": [second], "next_cursor": None})
    assert client.owners(GUID) == [first, second]
