"""error_from_response: the portal's JSON errors, and whatever else a proxy may answer."""

from __future__ import annotations

import json

import pytest

from gkh.client.errors import (
    AuthenticationError,
    InvalidRequest,
    NotFound,
    PortalError,
    Refused,
    ServerError,
    error_from_response,
)


def body(**error) -> bytes:
    return json.dumps({"error": error}, ensure_ascii=False).encode()


def test_the_portals_error_keeps_every_part():
    error = error_from_response(
        401, body(code="token_expired", message="the token expired at 2027-02-18; sign in again", field=None,
                  request_id="a40023e2aa1b4858"), {"X-Request-Id": "a40023e2aa1b4858"})
    assert isinstance(error, AuthenticationError)
    assert (error.status, error.code, error.field, error.request_id) == (401, "token_expired", None, "a40023e2aa1b4858")
    assert str(error) == error.message == "the token expired at 2027-02-18; sign in again"


def test_all_typed_errors_are_portal_errors():
    error = error_from_response(404, body(code="house_not_found", message="no house"), {})
    assert isinstance(error, NotFound) and isinstance(error, PortalError)


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [(400, InvalidRequest, "invalid"), (405, InvalidRequest, "method_not_allowed"), (408, InvalidRequest, "error"),
     (409, Refused, "conflict"), (422, Refused, "refused"), (429, ServerError, "too_many_requests"),
     (500, ServerError, "internal"), (503, ServerError, "unavailable"), (504, ServerError, "gateway_timeout")],
)
def test_a_bare_status_still_gets_its_type_and_a_code(status, kind, code):
    error = error_from_response(status, b"", {})
    assert type(error) is kind
    assert error.code == code
    assert error.message.startswith(f"the portal answered {status}")


def test_409_in_progress_is_a_server_error():
    assert type(error_from_response(409, body(code="in_progress", message="busy"), {})) is ServerError


def test_a_short_plain_text_answer_is_quoted_on_one_line():
    error = error_from_response(503, b"upstream connect error\nor disconnect/reset before headers",
                                {"Content-Type": "text/plain"})
    assert str(error) == ("the portal answered 503 Service Unavailable: "
                          "upstream connect error or disconnect/reset before headers")


def test_json_that_is_not_our_error_falls_back_and_takes_the_request_id_from_the_header():
    error = error_from_response(500, b'{"detail": "oops"}', {"content-type": "application/json", "x-request-id": "abc"})
    assert error.message == "the portal answered 500 Internal Server Error"
    assert error.request_id == "abc"


def test_a_multiline_message_becomes_one_line():
    error = error_from_response(422, body(code="refused", message="first line\nsecond line"), {})
    assert str(error) == "first line second line"


def test_undecodable_bytes_do_not_break_it():
    error = error_from_response(502, b"\xff\xfe\x00garbage", {})
    assert isinstance(error, ServerError)
    assert "\n" not in error.message


def test_a_redirect_names_where_to():
    error = error_from_response(301, b"", {"Location": "https://portal.example.ru/"})
    assert "https://portal.example.ru/" in error.message


def test_a_rules_details_come_along_when_the_portal_sends_them():
    details = {"allowed": ["2026-11-15", "2026-11-25"]}
    error = error_from_response(422, body(code="outside_window", message="not now", details=details), {})
    assert error.details == details
    assert error_from_response(422, body(code="refused", message="no"), {}).details is None
    assert error_from_response(422, body(code="refused", message="no", details="text"), {}).details is None


def test_json_nested_beyond_reason_falls_back_to_the_status():
    error = error_from_response(502, b"[" * 100_000, {"content-type": "application/json"})
    assert type(error) is ServerError and error.code == "bad_gateway"
