"""Answers that are not JSON — an HTML confirmation page, an .eml message, a CSV file — with errors still typed
from the portal's JSON error body."""

from __future__ import annotations

import pytest
from responses import matchers

from gkh.client.api import Client, Content, RetryPolicy
from gkh.client.errors import Refused, ServerError

BASE = "https://portal.example.ru"
API = BASE + "/api/v1"
EML = b"From: portal@example.ru\r\nSubject: =?utf-8?b?0J7Qv9C70LDRgtCw?=\r\n\r\nPaid.\r\n"


@pytest.fixture
def client(sleeps) -> Client:
    return Client(BASE, token="t", retry=RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0))


def test_an_html_page_as_text(stub, client):
    stub.get(f"{API}/payments/P-1/confirmation", body="<h1>Оплата принята</h1>".encode(),
             content_type="text/html; charset=utf-8", match=[matchers.header_matcher({"Accept": "text/html"})])
    assert client.get_text("/payments/P-1/confirmation", accept="text/html") == "<h1>Оплата принята</h1>"


def test_an_eml_message_as_bytes_with_its_type_and_name(stub, client):
    stub.get(f"{API}/payments/P-1/letter", body=EML, content_type="message/rfc822",
             headers={"Content-Disposition": "attachment; filename=\"payment.eml\"", "X-Request-Id": "r-7"})
    got = client.get_content("/payments/P-1/letter", accept="message/rfc822", expect="message/rfc822")
    assert got == Content(EML, "message/rfc822", None, "payment.eml", "r-7")


def test_bytes_as_they_came(stub, client):
    stub.get(f"{API}/payments/P-1/letter", body=EML, content_type="message/rfc822")
    assert client.get_bytes("/payments/P-1/letter") == EML


def test_csv_in_the_charset_it_names(stub, client):
    stub.get(f"{API}/meters/export", body="ИД;показание\nM-000023;2700\n".encode("cp1251"),
             content_type="text/csv; charset=windows-1251")
    got = client.get_content("/meters/export", {"account": "77ЕЖ532838"}, accept="text/csv", expect="text/csv")
    assert (got.media_type, got.charset) == ("text/csv", "windows-1251")
    assert got.text == "ИД;показание\nM-000023;2700\n"
    assert stub.calls[0].request.params == {"account": "77ЕЖ532838"}


def test_a_charset_nobody_knows_reads_as_utf8(stub, client):
    stub.get(f"{API}/meters/export", body="ок".encode(), content_type="text/csv; charset=x-unheard-of")
    assert client.get_text("/meters/export") == "ок"


def test_errors_are_typed_from_the_portals_json_with_their_details(stub, client):
    details = {"window": {"opens": "2026-11-15", "closes": "2026-11-25"}}
    stub.get(f"{API}/meters/export", status=422, json={"error": {
        "code": "outside_window", "message": "readings are taken from the 15th to the 25th", "field": "date",
        "details": details}})
    with pytest.raises(Refused) as caught:
        client.get_text("/meters/export", accept="text/csv")
    assert (caught.value.code, caught.value.field, caught.value.details) == ("outside_window", "date", details)


def test_a_busy_portal_is_retried_as_for_json(stub, client, sleeps):
    stub.get(f"{API}/meters/export", status=503)
    stub.get(f"{API}/meters/export", body=b"a;b\n", content_type="text/csv")
    assert client.get_bytes("/meters/export") == b"a;b\n"
    assert sleeps == [0.5]


def test_another_type_than_the_one_expected_is_a_server_error(stub, client):
    stub.get(f"{API}/meters/export", body=b"<html>captive portal</html>", content_type="text/html")
    with pytest.raises(ServerError) as caught:
        client.get_content("/meters/export", expect=("text/csv", "application/vnd.ms-excel"))
    assert caught.value.code == "invalid_response"
    assert caught.value.message == ("portal.example.ru answered 200 with text/html instead of text/csv or "
                                    "application/vnd.ms-excel")


def test_a_raw_post_carries_a_key_and_a_dry_run(stub, client):
    stub.post(f"{API}/payments/P-1/receipt", body=b"<p>ok</p>", content_type="text/html",
              match=[matchers.query_param_matcher({"dry_run": "true"}),
                     matchers.json_params_matcher({"email": "ivanov@example.ru"})])
    got = client.request_raw("POST", "/payments/P-1/receipt", json={"email": "ivanov@example.ru"},
                             accept="text/html", dry_run=True)
    assert got.text == "<p>ok</p>"
    assert stub.calls[0].request.headers["Idempotency-Key"]


def test_in_process_too():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return ["<p>Оплачено</p>".encode()]

    assert Client.in_process(app, "p").get_text("/payments/P-1/confirmation") == "<p>Оплачено</p>"
