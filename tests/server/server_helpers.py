from __future__ import annotations

import requests



def password_of(login: str) -> str:
    from gkh.server.demo import DEMO_USERS

    return next(u.password for u in DEMO_USERS if u.login == login)


class Api:
    """requests against the portal's /api/v1, signed in as one user (or nobody)."""

    def __init__(self, base: str, token: str | None = None):
        self.base = base + "/api/v1"
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def __getattr__(self, method):
        def call(path: str, **kwargs) -> requests.Response:
            return self.session.request(method.upper(), self.base + path, timeout=10, **kwargs)

        return call


def assert_error(resp: requests.Response, status: int, code: str, field: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    error = resp.json()["error"]
    assert error["code"] == code
    assert error["field"] == field
    assert error["message"] and "\n" not in error["message"]
    assert error["request_id"] == resp.headers["X-Request-Id"]
    return error
