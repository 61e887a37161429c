"""Hostile requests get the portal's JSON error naming the field, never a 500 (issue 7, items 3, 5 and 10).

In-process first (the app alone), one row per request an attacker or a careless client sent; then over a
real socket through gkh.server.serve, where waitress's own limits and refusals come into play.

Every test runs on both engines (the `portal` fixture, tests/conftest.py): SQLite, then PostgreSQL through the
session's throwaway cluster (tests.helpers.postgres); the PostgreSQL half skips with its reason where no cluster
can be started, and fails instead under GKH_REQUIRE_POSTGRES=1 (CI).
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading

import falcon.testing
import pytest

from gkh.server.http import error_document
from gkh.server.serve import MAX_REQUEST_BODY, create_http_server
from tests.helpers.demo import COLD, password_of

HOUSE = "83804ac7-87c6-472e-a474-d02c6f740e9c"
LONE = "<a lone surrogate>"  # json.dumps cannot write one: body() puts the JSON escape in its place


def cursor(json_text: str) -> str:
    return base64.urlsafe_b64encode(json_text.encode()).decode().rstrip("=")


def body(**fields) -> str:
    return json.dumps(fields, ensure_ascii=False).replace(json.dumps(LONE), '"\\ud800"')


def link(**fields) -> str:
    return body(**{"house": HOUSE, "payer": "Петрова", **fields})


def reading(**fields) -> str:
    return body(**{"values": ["2680.1"], **fields})


def nested(depth: int) -> list:
    return [nested(depth - 1)] if depth else []


# (label, method, path under /api/v1, query string, raw JSON body, headers, status, code, field, in message)
HOSTILE = [
    ("months as a superscript digit", "GET", f"/meters/{COLD}/readings", "months=²", None, {},
     400, "invalid", "months", None),
    ("months in Arabic-Indic digits", "GET", f"/meters/{COLD}/readings", "months=١٢", None, {},
     400, "invalid", "months", None),
    ("months blank", "GET", f"/meters/{COLD}/readings", "months=", None, {}, 400, "invalid", "months", None),
    ("limit in Arabic-Indic digits", "GET", "/accounts", "limit=١٠", None, {}, 400, "invalid", "limit", None),
    ("a cursor beyond 64 bits", "GET", "/accounts", "cursor=" + cursor("[18446744073709551616]"), None, {},
     400, "invalid", "cursor", None),
    ("a cursor holding true for a number", "GET", "/accounts", "cursor=" + cursor("[true]"), None, {},
     400, "invalid", "cursor", None),
    ("a cursor holding a lone surrogate", "GET", "/meters", "cursor=WyJcdWQ4MDAiXQ", None, {},
     400, "invalid", "cursor", None),
    ("a cursor nested 100 000 deep", "GET", "/addresses", "q=ленина&cursor=" + cursor("[" * 100_000), None, {},
     400, "invalid", "cursor", None),
    ("a login with a lone surrogate", "POST", "/auth/token", "", body(login=LONE, password="x"), {},
     400, "invalid", "login", "lone surrogate"),
    ("a house with a lone surrogate", "POST", "/accounts/links", "", link(house=LONE, number="40187299"), {},
     400, "invalid", "house", "lone surrogate"),
    ("a number with a lone surrogate", "POST", "/accounts/links", "", link(number=LONE), {},
     400, "invalid", "number", "lone surrogate"),
    ("an ЕЛС with a lone surrogate", "POST", "/accounts/links", "", link(els=LONE), {},
     400, "invalid", "els", "lone surrogate"),
    ("reading values with a lone surrogate", "POST", f"/meters/{COLD}/readings", "",
     reading(values=[LONE]), {}, 400, "invalid", "values", "lone surrogate"),
    ("a reading date with a lone surrogate", "POST", f"/meters/{COLD}/readings", "", reading(date=LONE), {},
     400, "invalid", "date", "lone surrogate"),
    ("an unknown field with a lone surrogate, hashed for an Idempotency-Key", "POST", f"/meters/{COLD}/readings",
     "", reading(note=LONE), {"Idempotency-Key": "k-1"}, 400, "invalid", "note", "lone surrogate"),
    # PostgreSQL's text cannot hold NUL: no engine is given one; a body field or a path or query value with it
    # is a 400 naming it, as a lone surrogate is.
    ("a login with a NUL", "POST", "/auth/token", "", body(login="iva\x00nov", password="x"), {},
     400, "invalid", "login", "NUL"),
    ("a meter id with a NUL", "GET", f"/meters/{COLD}%00", "", None, {}, 400, "invalid", "meter", "NUL"),
    ("a meter id with a NUL, its history", "GET", f"/meters/{COLD}%00/readings", "", None, {},
     400, "invalid", "meter", "NUL"),
    ("a meter id with a NUL, a reading for it", "POST", f"/meters/{COLD}%00/readings", "", reading(), {},
     400, "invalid", "meter", "NUL"),
    ("an account filter with a NUL", "GET", "/meters?account=77%00", "", None, {}, 400, "invalid", "account", "NUL"),
    ("[ × 100 000", "POST", f"/meters/{COLD}/readings", "", "[" * 100_000, {}, 400, "invalid_json", None, None),
    ("NaN, which is not JSON", "POST", f"/meters/{COLD}/readings", "", '{"values": [NaN]}', {},
     400, "invalid_json", None, None),
    ("a field nested 40 deep", "POST", f"/meters/{COLD}/readings", "", reading(note=nested(40)), {},
     400, "invalid", "note", "nested"),
    ("a 120 KB meter id, echoed", "GET", "/meters/" + "x" * 120_000, "", None, {},
     404, "meter_not_found", None, "…"),
    ("a meter id with an escape sequence and a newline", "GET", "/meters/%1B%5B31mX%0Ay", "", None, {},
     404, "meter_not_found", None, None),
    ("an ЕЛС padded with 100 000 spaces, echoed", "GET", "/accounts/77ДА488933" + "%20" * 100_000, "", None, {},
     404, "account_not_found", None, "…"),
    ("an ЕЛС padded with 100 000 spaces, unlinked", "DELETE", "/accounts/links/77ДА488933" + "%20" * 100_000, "",
     None, {}, 404, "account_not_found", None, "…"),
    ("a 120 KB path that is no route, echoed", "GET", "/" + "y" * 120_000, "", None, {},
     404, "not_found", None, "…"),
    ("a header over 8 KiB", "GET", "/me", "", None, {"X-Padding": "a" * 9000},
     431, "headers_too_large", "X-Padding", None),
]


@pytest.fixture
def client(portal) -> falcon.testing.TestClient:
    """The app in-process, signed in as the demo resident ivanov."""
    token = falcon.testing.TestClient(portal.app).simulate_post(
        "/api/v1/auth/token", json={"login": "ivanov", "password": password_of("ivanov")}).json["token"]
    return falcon.testing.TestClient(portal.app, headers={"Authorization": f"Bearer {token}"})


def check_error(status: int, headers, body: bytes, expected_status: int, code: str, field: str | None) -> dict:
    """The portal's JSON error: status, code, field, one short printable line, the request id of the header."""
    assert status == expected_status, body[:300]
    assert headers["Content-Type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"].isprintable() and len(error["message"]) < 300, error["message"]
    assert error["request_id"] == headers["X-Request-Id"]
    return error


@pytest.mark.parametrize(("method", "path", "query", "body", "headers", "status", "code", "field", "says"),
                         [row[1:] for row in HOSTILE], ids=[row[0] for row in HOSTILE])
def test_a_hostile_request_gets_the_json_error_naming_the_field(client, method, path, query, body, headers,
                                                               status, code, field, says):
    if body is not None:
        headers = {**headers, "Content-Type": "application/json"}
    resp = client.simulate_request(method, "/api/v1" + path, query_string=query, headers=headers,
                                   body=body.encode("utf-8") if body is not None else None)
    error = check_error(resp.status_code, resp.headers, resp.content, status, code, field)
    if says:
        assert says in error["message"]


def test_the_error_document_survives_text_that_is_not_unicode():
    """The last line of defence: a lone surrogate that reaches a message is escaped, not a crash."""
    document = json.loads(error_document("invalid", "no meter \udcff among yours", None, "abc"))
    assert document["error"]["message"] == "no meter \udcff among yours"


# --- over a real socket, through gkh.server.serve ------------------------------------------------------


@pytest.fixture
def served_port(portal) -> int:
    """The portal served by create_http_server in a thread; yields its loopback port."""
    server = create_http_server(portal.app, host="127.0.0.1", port=0, threads=2, asyncore_loop_timeout=0.05)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server.effective_port
    # Close every channel from inside the serving loop (as tests/conftest.py's stop_waitress does), so it ends.
    with contextlib.suppress(OSError):  # the trigger is closed already: the loop is ending by itself
        server.trigger.pull_trigger(lambda: [channel.handle_close() for channel in list(server._map.values())])
    server.task_dispatcher.shutdown()
    thread.join(timeout=5)


def raw_request(port: int, head: bytes, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Send bytes no HTTP library would send; read the answer until the server closes or it is complete."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(head + body)
        except OSError:  # the server may refuse and close before the whole body is sent
            pass
        data = b""
        while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head_bytes, _, content = data.partition(b"\r\n\r\n")
    status_line, *lines = head_bytes.decode("latin-1").split("\r\n")
    headers = {name.strip().title(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, content


def _length(data: bytes) -> int:
    for line in data.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 1 << 30


def request_bytes(target: bytes = b"/api/v1/portal", headers: bytes = b"", method: bytes = b"GET") -> bytes:
    return method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers + b"\r\n"


TOKEN_POST = b"/api/v1/auth/token"
# (label, request head, body, status, code, field): who answers is in the label.
OVER_THE_WIRE = [
    ("app: a JSON body over 1 MiB", request_bytes(TOKEN_POST, b"Content-Type: application/json\r\n"
                                                  b"Content-Length: 2000000\r\n", b"POST"),
     b"a" * 2_000_000, 413, "too_large", None),
    ("app: a header over waitress's default 256 KiB", request_bytes(headers=b"X-Padding: " + b"a" * 300_000 + b"\r\n"),
     b"", 431, "headers_too_large", "X-Padding"),
    ("app: %FF in the path, read as U+FFFD", request_bytes(b"/api/v1/%FF"), b"", 404, "not_found", None),
    ("waitress: headers over 1 MiB", request_bytes(headers=b"X-Padding: " + b"a" * 1_100_000 + b"\r\n"),
     b"", 431, "headers_too_large", None),
    ("waitress: a raw \\xff in the path", request_bytes(b"/api/v1/\xff"), b"", 400, "invalid", None),
    ("waitress: a control byte in a header", request_bytes(headers=b"X-Note: a\x01b\r\n"), b"", 400, "invalid", None),
    ("waitress: a body over its limit", request_bytes(TOKEN_POST, b"Content-Type: application/json\r\n"
                                                      b"Content-Length: %d\r\n" % (MAX_REQUEST_BODY + 1), b"POST"),
     b"", 413, "too_large", None),
    ("waitress: a Transfer-Encoding it does not know", request_bytes(headers=b"Transfer-Encoding: gzip\r\n"),
     b"", 501, "not_implemented", None),
]


@pytest.mark.parametrize(("head", "body", "status", "code", "field"), [row[1:] for row in OVER_THE_WIRE],
                         ids=[row[0] for row in OVER_THE_WIRE])
def test_every_refusal_over_http_is_the_json_error_with_a_request_id(served_port, head, body, status, code, field):
    check_error(*raw_request(served_port, head, body), status, code, field)
