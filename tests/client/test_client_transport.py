"""LocalTransport: the WSGI environ it builds from a PreparedRequest, and the Response it builds from the answer."""

from __future__ import annotations

import json

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

    try:
        session_for(app).get("http://gkh.local/x")
    except Boom:
        pass
    assert closed == [True]
