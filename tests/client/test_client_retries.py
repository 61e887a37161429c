"""The client against a stubbed portal: retries and their limits, backoff, Retry-After, idempotency keys,
typed errors."""

from __future__ import annotations

import socket
import time
from email.utils import formatdate

import pytest
import requests

from gkh.client.api import Client, RetryPolicy
from gkh.client.errors import (
    AuthenticationError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    Refused,
    ServerError,
    Unreachable,
)

BASE = "https://portal.example.ru"
API = BASE + "/api/v1"
HOUSE = "83804ac7-87c6-472e-a474-d02c6f740e9c"


def error_body(code: str, message: str = "it went wrong", field: str | None = None,
               request_id: str = "0123456789abcdef"):
    return {"error": {"code": code, "message": message, "field": field, "request_id": request_id}}


@pytest.fixture
def client(sleeps) -> Client:
    # jitter 1.0 makes each wait its full ceiling, so the figures are exact.
    return Client(BASE, token="gkh_secret-token", retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0))


def test_a_portal_that_stays_unavailable_is_tried_exactly_four_times(stub, client, sleeps):
    stub.get(f"{API}/me", status=503, json=error_body("unavailable", "down for maintenance"))
    with pytest.raises(ServerError) as caught:
        client.me()
    assert len(stub.calls) == 4
    assert len(sleeps) == 3
    assert caught.value.status == 503
    assert caught.value.message == "down for maintenance"


def test_a_portal_that_recovers_answers_after_two_failures(stub, client, sleeps):
    stub.get(f"{API}/me", status=503)
    stub.get(f"{API}/me", status=502, body="Bad Gateway", content_type="text/plain")
    stub.get(f"{API}/me", json={"login": "ivanov"})
    assert client.me() == {"login": "ivanov"}
    assert len(stub.calls) == 3
    assert len(sleeps) == 2


def test_backoff_grows_exponentially_up_to_the_cap(stub, sleeps):
    client = Client(BASE, retry=RetryPolicy(attempts=6, backoff=0.5, cap=3.0, sleep=sleeps.append, jitter=lambda: 1.0))
    stub.get(f"{API}/portal", status=500)
    with pytest.raises(ServerError):
        client.portal_info()
    assert sleeps == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_spreads_the_wait_over_the_upper_half():
    low = RetryPolicy(backoff=1.0, jitter=lambda: 0.0)
    high = RetryPolicy(backoff=1.0, jitter=lambda: 1.0)
    assert [low.delay(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert [high.delay(n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]


def test_retry_after_in_seconds_is_the_wait(stub, client, sleeps):
    stub.get(f"{API}/me", status=429, headers={"Retry-After": "3"}, json=error_body("too_many_requests"))
    stub.get(f"{API}/me", json={"login": "ivanov"})
    client.me()
    assert sleeps == [3.0]


def test_a_lockout_for_too_many_failed_attempts_is_refused_at_once_not_retried(stub, client, sleeps):
    stub.post(f"{API}/auth/token", status=429, headers={"Retry-After": "840"},
              json=error_body("too_many_attempts", "too many failed sign-ins for this login: try again in 14 minutes"))
    with pytest.raises(Refused) as caught:
        client.sign_in("ivanov", "secret")
    assert "14 minutes" in caught.value.message
    assert sleeps == [] and len(stub.calls) == 1


def test_retry_after_is_capped(stub, client, sleeps):
    stub.get(f"{API}/me", status=503, headers={"Retry-After": "3600"})
    stub.get(f"{API}/me", json={})
    client.me()
    assert sleeps == [8.0]


def test_retry_after_as_an_http_date(stub, client, sleeps):
    stub.get(f"{API}/me", status=503, headers={"Retry-After": formatdate(time.time() + 5, usegmt=True)})
    stub.get(f"{API}/me", json={})
    client.me()
    assert 3.0 <= sleeps[0] <= 5.0


def test_every_retry_of_one_post_reuses_its_idempotency_key(stub, client):
    stub.post(f"{API}/accounts/links", status=503)
    stub.post(f"{API}/accounts/links", status=500)
    stub.post(f"{API}/accounts/links", status=201, json={"status": "linked"})
    stub.post(f"{API}/accounts/links", status=201, json={"status": "linked"})

    assert client.link_account(HOUSE, payer="Петрова", number="0050034") == {"status": "linked"}
    keys = [call.request.headers["Idempotency-Key"] for call in stub.calls]
    assert len(keys) == 3 and len(set(keys)) == 1

    client.link_account(HOUSE, payer="Петрова", number="0050035")
    assert stub.calls[3].request.headers["Idempotency-Key"] != keys[0]


def test_a_key_given_by_the_caller_is_sent(stub, client):
    stub.delete(f"{API}/accounts/links/77%D0%95%D0%96532838", json={"status": "unlinked"})
    client.request("DELETE", "/accounts/links/77%D0%95%D0%96532838", idempotency_key="batch-7-row-12")
    assert stub.calls[0].request.headers["Idempotency-Key"] == "batch-7-row-12"


def test_a_post_without_a_key_is_never_retried(stub, client, sleeps):
    stub.post(f"{API}/things", status=503)
    with pytest.raises(ServerError):
        client.request("POST", "/things", json={"a": 1}, idempotent=False)
    assert len(stub.calls) == 1
    assert "Idempotency-Key" not in stub.calls[0].request.headers
    assert sleeps == []


def test_a_post_whose_answer_timed_out_without_a_key_is_not_retried(stub, client):
    stub.post(f"{API}/things", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(Unreachable):
        client.request("POST", "/things", json={}, idempotent=False)
    assert len(stub.calls) == 1


def test_no_connection_is_retried_then_unreachable(stub, client, sleeps):
    stub.get(f"{API}/me", body=requests.exceptions.ConnectionError("connection refused"))
    with pytest.raises(Unreachable) as caught:
        client.me()
    assert len(stub.calls) == 4
    assert len(sleeps) == 3
    error = caught.value
    assert error.status is None
    assert "portal.example.ru" in str(error) and "refused" in str(error)
    assert "\n" not in str(error)


def test_a_real_refused_connection_names_the_host_and_the_cause(sleeps):
    with socket.socket() as s:  # bound then released: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = Client(f"http://127.0.0.1:{port}", timeout=2, retry=RetryPolicy(attempts=2, sleep=sleeps.append))
    with pytest.raises(Unreachable) as caught:
        client.portal_info()
    assert str(caught.value) == f"cannot reach 127.0.0.1:{port}: connection refused"
    assert len(sleeps) == 1


def test_an_answer_cut_short_is_retried(stub, client, sleeps):
    stub.get(f"{API}/accounts", body=requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"))
    stub.get(f"{API}/accounts", json={"items": [{"els": "77ЕЖ532838"}], "next_cursor": None})
    assert client.accounts() == [{"els": "77ЕЖ532838"}]
    assert len(sleeps) == 1


def test_a_timeout_is_retried_then_unreachable(stub, client):
    stub.get(f"{API}/me", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(Unreachable) as caught:
        client.me()
    assert len(stub.calls) == 4
    assert str(caught.value) == "cannot reach portal.example.ru: no answer within 30 s"


def test_409_in_progress_is_retried_after_its_retry_after(stub, client, sleeps):
    stub.post(f"{API}/accounts/links", status=409, headers={"Retry-After": "1"},
              json=error_body("in_progress", field="Idempotency-Key"))
    stub.post(f"{API}/accounts/links", status=201, json={"status": "linked"})
    assert client.link_account(HOUSE, payer="Петрова", number="0050034")["status"] == "linked"
    assert sleeps == [1.0]


def test_409_in_progress_that_never_ends_is_a_server_error(stub, client):
    stub.post(f"{API}/accounts/links", status=409, json=error_body("in_progress"))
    with pytest.raises(ServerError) as caught:
        client.link_account(HOUSE, payer="Петрова", number="0050034")
    assert caught.value.code == "in_progress"
    assert len(stub.calls) == 4


def test_any_other_409_is_refused_at_once(stub, client, sleeps):
    stub.post(f"{API}/accounts/links", status=409, json=error_body("conflict", "already voted"))
    with pytest.raises(Refused) as caught:
        client.link_account(HOUSE, payer="Петрова", number="0050034")
    assert caught.value.code == "conflict"
    assert len(stub.calls) == 1 and sleeps == []


def test_422_is_refused_with_its_field_and_request_id(stub, client):
    stub.post(f"{API}/accounts/links", status=422,
              json=error_body("outside_window", "readings are accepted from 15 to 25 November", "date",
                              "a40023e2aa1b4858"))
    with pytest.raises(Refused) as caught:
        client.link_account(HOUSE, payer="Петрова", number="0050034")
    error = caught.value
    assert (error.status, error.code, error.field, error.request_id) == (
        422, "outside_window", "date", "a40023e2aa1b4858")
    assert str(error) == "readings are accepted from 15 to 25 November"
    assert len(stub.calls) == 1


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "invalid", InvalidRequest),
        (401, "token_expired", AuthenticationError),
        (403, "forbidden", PermissionDenied),
        (404, "account_not_found", NotFound),
        (413, "too_large", InvalidRequest),
        (415, "unsupported_media_type", InvalidRequest),
    ],
)
def test_client_errors_are_typed_and_not_retried(stub, client, sleeps, status, code, kind):
    stub.get(f"{API}/accounts/77%D0%95%D0%96000000", status=status,
             json=error_body(code, "no", request_id="feedfacecafebeef"))
    with pytest.raises(kind) as caught:
        client.account("77ЕЖ000000")
    assert type(caught.value) is kind
    assert caught.value.status == status
    assert caught.value.code == code
    assert caught.value.request_id == "feedfacecafebeef"
    assert len(stub.calls) == 1 and sleeps == []


def test_a_proxys_html_502_is_a_server_error_with_a_readable_message(stub, client):
    page = ("<html>\n<head><title>502 Bad Gateway</title></head>\n<body><center><h1>502 Bad Gateway</h1></center>\n"
            "<hr><center>nginx</center>\n</body>\n</html>\n")
    stub.get(f"{API}/me", status=502, body=page, content_type="text/html")
    with pytest.raises(ServerError) as caught:
        client.me()
    error = caught.value
    assert error.status == 502
    assert error.code == "bad_gateway"
    assert str(error).startswith("the portal answered 502 Bad Gateway")
    assert "HTML" in str(error) and "<" not in str(error) and "\n" not in str(error)
