"""The batch calls as the client sends them: the rows in the body as the file had them, a dry run in the query,
one POST per call with its own Idempotency-Key, the same key on that call's retries, refusals as typed errors."""

from __future__ import annotations

import json

import pytest
from responses import matchers

from gkh.client.api import Client, RetryPolicy
from gkh.client.errors import InvalidRequest, PermissionDenied

BASE = "https://portal.example.ru"
API = BASE + "/api/v1"
ANSWER = {"created": 1, "updated": 0, "unchanged": 0, "rejected": [], "warnings": []}
ACCOUNT = {"line": 2, "house": "г. Москва, ул. Строителей, д. 3", "flat": "12", "number": "87892735", "els": None,
           "area": "54,3", "share": "1/2", "payer": "Иванов Иван Иванович", "kind": "собственник",
           "meter_serial": "ХВ-26-000001", "meter_resource": "ХВС", "meter_zones": "1"}
READING = {"line": 2, "meter": "M-000023", "T1": "123,45", "T2": None, "T3": None, "date": "20.11.2026"}


@pytest.fixture
def client(sleeps) -> Client:
    return Client(BASE, token="gkh_token", retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0))


def key(call) -> str:
    return call.request.headers["Idempotency-Key"]


def test_accounts_go_as_rows_in_one_post_and_the_answer_comes_back(stub, client):
    stub.post(f"{API}/accounts/batch", match=[matchers.json_params_matcher({"rows": [ACCOUNT]})], json=ANSWER)
    assert client.import_accounts([ACCOUNT]) == ANSWER
    assert "dry_run" not in stub.calls[0].request.url


def test_readings_go_to_their_own_endpoint_and_a_dry_run_says_so_in_the_query(stub, client):
    stub.post(f"{API}/readings/batch", match=[matchers.query_param_matcher({"dry_run": "true"}),
                                              matchers.json_params_matcher({"rows": [READING]})], json=ANSWER)
    assert client.submit_readings([READING], dry_run=True) == ANSWER


def test_each_chunk_has_its_own_key_and_a_retry_keeps_it(stub, client, sleeps):
    stub.post(f"{API}/accounts/batch", status=503)
    stub.post(f"{API}/accounts/batch", status=502)
    stub.post(f"{API}/accounts/batch", json=ANSWER)
    stub.post(f"{API}/accounts/batch", json=ANSWER)
    first = [dict(ACCOUNT, line=n) for n in range(2, 5)]
    second = [dict(ACCOUNT, line=n) for n in range(5, 7)]
    client.import_accounts(first)
    client.import_accounts(second)
    keys = [key(call) for call in stub.calls]
    assert len(stub.calls) == 4 and len(sleeps) == 2
    assert keys[0] == keys[1] == keys[2] != keys[3]
    assert [len(json.loads(call.request.body)["rows"]) for call in stub.calls] == [3, 3, 3, 2]


def test_a_refusal_names_the_field_and_a_resident_importing_accounts_is_denied(stub, client):
    stub.post(f"{API}/readings/batch", status=400,
              json={"error": {"code": "invalid_request", "message": "rows[3].line must be a whole number",
                              "field": "rows[3].line"}})
    stub.post(f"{API}/accounts/batch", status=403,
              json={"error": {"code": "forbidden", "message": "only an organisation's staff import accounts"}})
    with pytest.raises(InvalidRequest) as invalid:
        client.submit_readings([READING])
    assert invalid.value.field == "rows[3].line"
    with pytest.raises(PermissionDenied):
        client.import_accounts([ACCOUNT])
    assert len(stub.calls) == 2  # refusals are not retried
