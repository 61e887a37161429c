"""LocalTransport: the WSGI environ it builds from a PreparedRequest, and the Response it builds from the answer."""

from __future__ import annotations

import json

import pytest
import requests

from gkh.client.transport import LocalTransport


class RecordingApp:
    """A WSGI app that records the environ and body, and whether its iterable was closed."""

    def __init__(self, status="201 Created", headers=None, chunks=(b'{"ok": ', b"true}")):
        self.status = status
        self.headers = headers or [("Content-Type", "application/json; charset=utf-8"), ("X-Request-Id", "r1")]
        self.chunks = chunks
        self.environ = None
        self.body = None
        self.closed = False

    def __call__(self, environ, start_response):
        self.environ = environ
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.body = environ["wsgi.input"].read(length)
        start_response(self.status, self.headers)
        app = self

        class Answer:
            def __iter__(self):
                return iter(app.chunks)

            def close(self):
                app.closed = True

        return Answer()


def session_for(app) -> requests.Session:
    session = requests.Session()
    session.mount("http://gkh.local/", LocalTransport(app))
    return session


def test_a_post_becomes_a_wsgi_call_with_everything_in_place():
    app = RecordingApp()
    response = session_for(app).post(
        "http://gkh.local/api/v1/accounts/links", params={"dry_run": "true", "q": "ленина 5"},
        json={"house": "h", "number": "0050034"}, headers={"Idempotency-Key": "k-1", "Authorization": "Bearer t"},
    )
    env = app.environ
    assert env["REQUEST_METHOD"] == "POST"
    assert env["PATH_INFO"] == "/api/v1/accounts/links"
    assert env["QUERY_STRING"] == "dry_run=true&q=%D0%BB%D0%B5%D0%BD%D0%B8%D0%BD%D0%B0+5"
    assert env["CONTENT_TYPE"] == "application/json"
    assert env["CONTENT_LENGTH"] == str(len(app.body))
    assert json.loads(app.body) == {"house": "h", "number": "0050034"}
    assert env["HTTP_IDEMPOTENCY_KEY"] == "k-1"
    assert env["HTTP_AUTHORIZATION"] == "Bearer t"
    assert "HTTP_CONTENT_TYPE" not in env and "HTTP_CONTENT_LENGTH" not in env
    assert (env["SERVER_NAME"], env["SERVER_PORT"], env["wsgi.url_scheme"], env["REMOTE_ADDR"]) == (
        "gkh.local", "80", "http", "127.0.0.1")
    assert app.closed

    assert response.status_code == 201
    assert response.reason == "Created"
    assert response.headers["x-request-id"] == "r1"
    assert response.encoding == "utf-8"
    assert response.json() == {"ok": True}
    assert response.url == "http://gkh.local/api/v1/accounts/links?dry_run=true&q=%D0%BB%D0%B5%D0%BD%D0%B8%D0%BD%D0%B0+5"
    assert response.request.method == "POST"


def test_a_percent_encoded_path_arrives_decoded_as_wsgi_wants():
    app = RecordingApp(status="200 OK")
    session_for(app).get("http://gkh.local/api/v1/accounts/77%D0%95%D0%96532838")
    assert app.environ["PATH_INFO"].encode("latin-1").decode("utf-8") == "/api/v1/accounts/77ЕЖ532838"
    assert "CONTENT_LENGTH" not in app.environ
    assert app.body == b""


def test_the_iterable_is_closed_even_when_iterating_fails():
    class Boom(Exception):
        pass

    closed = []

    def app(environ, start_response):
        start_response("200 OK", [])

        class Answer:
            def __iter__(self):
                raise Boom()

            def close(self):
                closed.append(True)

        return Answer()

    with pytest.raises(Boom):
        session_for(app).get("http://gkh.local/x")
    assert closed == [True]


# --- streamed request bodies (uploads) -----------------------------------------------------------


def test_a_file_body_of_known_length_is_read_by_the_app_as_a_stream(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF" + b"\x00\xff" * 100_000)
    app = RecordingApp()
    with open(path, "rb") as file:
        session_for(app).post("http://gkh.local/api/v1/files", data=file, headers={"Content-Type": "application/pdf"})
    assert app.body == path.read_bytes()
    assert app.environ["CONTENT_LENGTH"] == str(path.stat().st_size)
    assert app.environ["CONTENT_TYPE"] == "application/pdf"
    assert type(app.environ["wsgi.input"]).__name__ == "BufferedReader"  # not a copy made beforehand


def test_a_body_of_unknown_length_arrives_counted_and_dechunked_as_waitress_gives_it():
    app = RecordingApp()
    chunks = (b"row;%d\n" % n for n in range(300_000))
    session_for(app).post("http://gkh.local/api/v1/imports", data=chunks)
    assert app.body == b"".join(b"row;%d\n" % n for n in range(300_000))
    assert app.environ["CONTENT_LENGTH"] == str(len(app.body))
    assert "HTTP_TRANSFER_ENCODING" not in app.environ


def test_the_app_never_reads_past_the_declared_length():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"got": environ["wsgi.input"].read().decode()}).encode()]

    response = session_for(app).post("http://gkh.local/x", data=iter([b"12345", b"67890"]),
                                     headers={"Content-Length": "5"})
    assert response.json() == {"got": "12345"}
