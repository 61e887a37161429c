"""A portal as the tests drive it: requests over HTTP signed in as one user, the one error shape, the app's routes."""

from __future__ import annotations

import re

import requests
from falcon import inspect

TEMPLATE_PARAM = re.compile(r"\{([^{}]+)\}")


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


def app_routes(app) -> dict[tuple[str, str], object]:
    """(METHOD, path template) → resource, for every responder the app's own code declares."""
    routes = {}
    for route in inspect.inspect_routes(app):
        for method in route.methods:
            if method.internal or method.method == "OPTIONS":
                continue  # Falcon's default responders: OPTIONS, and 405 for the methods not declared
            # A sample URI for the template finds the resource (the router's find is what requests use).
            sample = TEMPLATE_PARAM.sub("x", route.path)
            resource = app._router.find(sample)[0]
            routes[(method.method, route.path)] = resource
    return routes
