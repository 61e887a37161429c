"""Bills from accounting as the client sends them: the lines in one POST to /bills/batch as the file had them, a dry
run in the query, the answer back; a resident's try is a typed refusal."""

from __future__ import annotations

import pytest
from responses import matchers

from gkh.client.api import Client, RetryPolicy
from gkh.client.errors import PermissionDenied

BASE = "https://portal.example.ru"
API = BASE + "/api/v1"
ANSWER = {"created": 1, "updated": 0, "unchanged": 0, "rejected": [], "warnings": []}
LINE = {"line": 2, "account": "87892735", "period": "11.2026", "service": "Содержание и ремонт", "zone": None,
        "volume": "54,3", "unit": "м2", "tariff": "32,50", "amount": None, "due_date": None}


@pytest.fixture
def client(sleeps) -> Client:
    return Client(BASE, token="gkh_token", retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0))


def test_the_lines_go_as_rows_in_one_post_and_the_answer_comes_back(stub, client):
    stub.post(f"{API}/bills/batch", match=[matchers.json_params_matcher({"rows": [LINE]})], json=ANSWER)
    assert client.import_bills([LINE]) == ANSWER
    assert "dry_run" not in stub.calls[0].request.url
    assert stub.calls[0].request.headers["Idempotency-Key"]


def test_a_dry_run_says_so_in_the_query(stub, client):
    stub.post(f"{API}/bills/batch", match=[matchers.query_param_matcher({"dry_run": "true"})],
              json={**ANSWER, "dry_run": True})
    assert client.import_bills([LINE], dry_run=True)["dry_run"] is True


def test_a_resident_is_refused(stub, client):
    stub.post(f"{API}/bills/batch", status=403, json={"error": {
        "code": "forbidden", "message": "only the portal's admins and an organisation's staff import bills"}})
    with pytest.raises(PermissionDenied):
        client.import_bills([LINE])
